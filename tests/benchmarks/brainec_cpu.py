"""CPU benchmark of BrainEC-LLM on smith:1 with SmolLM2-135M (a script, not a pytest test).

Run from the repository root::

    HF_HUB_OFFLINE=1 .venv/bin/python tests/benchmarks/brainec_cpu.py [--epochs E] [--layers L]

Prints, for smith:1 (50 subjects × 200 × 5):

1. the default CPU configuration (``brainec-llm`` defaults, i.e. the ``cpu`` preset, backbone
   SmolLM2-135M GGUF; not the paper's configuration, see the printed label):
   backbone load time, seconds per epoch, total time, peak memory (process max RSS), the
   honest F1 (final model, eval mode) and the **oracle** best F1 over epochs (the reference's
   protocol: per-epoch training-mode A, best epoch picked against the truth; labelled oracle);
2. the prompt-sharing speed-up, measured in the same process: one training epoch with the
   prompt prefix shared vs repeated B·N times (whole-step ratio), and the backbone call alone
   (forward + backward) on the real shapes (backbone-part ratio).

``--subjects S`` fits on the first S subjects only and ``--skip-sharing`` leaves out part 2: a
reduced measurement for a busy machine (its F1 is not smith:1's; say so when reporting it).

Timings are wall-clock on whatever machine runs it; the numbers reported in the README
section came from a shared 2-core CPU and are noisy (other jobs ran at the same time).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=None, help="default: the estimator default")
    ap.add_argument("--layers", type=int, default=None, help="default: the estimator default")
    ap.add_argument("--backbone", default="smollm2")
    ap.add_argument("--dataset", default="smith:1")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--subjects", type=int, default=None, help="fit on the first S subjects (default: all)"
    )
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--skip-main", action="store_true", help="only the prompt-sharing ratio")
    ap.add_argument(
        "--skip-sharing", action="store_true", help="only the default fit, no prompt-sharing ratio"
    )
    ap.add_argument(
        "--ratio-subjects",
        type=int,
        default=None,
        help="subjects used for the prompt-sharing epochs (default: all)",
    )
    ap.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = ap.parse_args()

    import logging

    import numpy as np
    import torch

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    from bench.methods.brainec_llm import BrainECLLM
    from bench.methods.brainec_llm import backbone as bb
    from bench.metrics import compute_metrics
    from bench.registry import load_dataset
    from bench.types import FitContext

    ds = load_dataset(args.dataset)
    truth = ds.group_truth()
    ctx = FitContext(dataset=ds.name, family=ds.info.kind, tr=ds.tr, seed=args.seed)
    params = {"backbone": args.backbone}
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.layers is not None:
        params["llm_layers"] = args.layers
    est = BrainECLLM(**params)
    series = ds.series[: args.subjects] if args.subjects else ds.series
    s, (t, n) = len(series), series[0].shape
    print(f"dataset {ds.name}: {s} subjects x {t} x {n}; torch threads {torch.get_num_threads()}")
    out: dict = {"dataset": ds.name, "threads": torch.get_num_threads()}

    if not args.skip_main:
        t0 = time.perf_counter()
        est.fit(series, ctx)
        total = time.perf_counter() - t0
        ex = est.extra_
        m = compute_metrics(truth, est.adjacency_, est.scores_)
        per_epoch = [
            compute_metrics(truth, a, sc)
            for a, sc in zip(ex["epoch_adjacency"], ex["epoch_scores"], strict=True)
        ]
        f1s = [e["f1"] for e in per_epoch]
        best = int(np.argmax(f1s))
        print(f"configuration: {ex['label']}")
        print(
            f"backbone {ex['backbone']}: {ex['backbone_layers']} of "
            f"{ex['backbone_layers_total']} layers, width {ex['backbone_width']}, "
            f"prompt {ex['prompt_tokens']} tokens, trainable {ex['trainable_params']:,} "
            f"(LoRA {ex['lora_params']:,})"
        )
        print(
            f"epochs {ex['epochs']}: seconds/epoch "
            + ", ".join(f"{x:.1f}" for x in ex["seconds_per_epoch"])
            + f" (median {np.median(ex['seconds_per_epoch']):.1f})"
        )
        print(
            f"load {ex['load_seconds']:.1f} s, train {ex['train_seconds']:.1f} s, "
            f"total fit {total:.1f} s ({total / 60:.1f} min)"
        )
        print(f"peak memory (process max RSS) {ex['peak_memory_mb']:.0f} MB")
        print(f"loss per epoch: {', '.join(f'{x:.3f}' for x in ex['loss'])}")
        print(
            f"honest (final model, eval mode): F1 {m['f1']:.3f}  P {m['precision']:.3f}  "
            f"R {m['recall']:.3f}  SHD {m['shd']:.0f}  AUROC {m['auroc']:.3f}"
        )
        print(
            f"ORACLE (paper protocol, best epoch picked against the truth): best F1 "
            f"{max(f1s):.3f} at epoch {best + 1}; best SHD(FP+FN) "
            f"{min(e['shd_fpfn'] for e in per_epoch):.0f}; per-epoch F1 "
            + ", ".join(f"{f:.2f}" for f in f1s)
        )
        print("honest A (row = source):\n" + np.array2string(est.scores_, precision=3))
        print("honest adjacency:\n" + str(est.adjacency_.astype(int)))
        print("truth:\n" + str(truth.astype(int)))
        out["main"] = {
            "params": params,
            "label": ex["label"],
            "total_fit_s": total,
            "facts": {k: v for k, v in ex.items() if not isinstance(v, np.ndarray)},
            "honest": {k: m[k] for k in ("f1", "precision", "recall", "shd", "shd_fpfn", "auroc")},
            "oracle_best_f1": max(f1s),
            "oracle_best_epoch": best + 1,
            "oracle_f1_per_epoch": f1s,
        }

    if args.skip_sharing:
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(out, fh, indent=1, default=float)
        return 0

    # ---- prompt sharing vs repetition: one epoch each, same process, same settings
    ratio_params = {**params, "epochs": 1}
    ratio_series = ds.series[: args.ratio_subjects] if args.ratio_subjects else ds.series
    print(f"prompt sharing: one epoch on {len(ratio_series)} subjects per setting")
    secs = {}
    for share in (True, False, True):
        e1 = BrainECLLM(**ratio_params, prompt_sharing=share).fit(ratio_series, ctx)
        secs.setdefault(share, []).append(e1.extra_["seconds_per_epoch"][0])
        print(f"one epoch, prompt_sharing={share}: {secs[share][-1]:.1f} s", flush=True)
    shared, repeated = float(np.mean(secs[True])), float(np.mean(secs[False]))
    print(
        f"whole training step: repeated / shared = {repeated / shared:.2f}x "
        f"(shared {shared:.1f} s/epoch, repeated {repeated:.1f} s/epoch)"
    )

    # ---- the backbone part alone (forward + backward), real shapes
    spec = bb.resolve_backbone(args.backbone)
    layers = est.resolved_params(n)["llm_layers"]
    lb = bb.load_backbone(spec, layers, device="cpu", dtype=torch.float32)
    from bench.methods.brainec_llm.prompt import (
        build_messages,
        dataset_description,
        pearson_prior,
        prompt_token_ids,
        render_prompt,
    )

    text = render_prompt(
        lb.tokenizer, build_messages(dataset_description(ctx.family), pearson_prior(ds.series))
    )
    ids = torch.tensor([prompt_token_ids(lb.tokenizer, text)])
    emb = lb.model.get_input_embeddings()
    prompt = emb(ids).detach()
    model = bb.add_lora(lb.model, r=64, alpha=32, dropout=0.01, targets=["q_proj", "k_proj"])
    n_tok = sum((tt + 8 - 8) // 8 + 1 for tt in (t, t // 2, t // 4, t // 8))
    tokens = torch.randn(2 * n, n_tok, lb.hidden_size, requires_grad=True)
    bt = {}
    for share in (True, False, True, False):
        t1 = time.perf_counter()
        for _ in range(3):
            h = bb.run_backbone(model, prompt, tokens, share_prompt=share)
            h.pow(2).mean().backward()
        bt.setdefault(share, []).append((time.perf_counter() - t1) / 3)
    b_sh, b_rep = min(bt[True]), min(bt[False])
    print(
        f"backbone call ({layers} layers, {ids.shape[1]} prompt + {n_tok} series tokens, "
        f"{2 * n} sequences), forward+backward: shared {b_sh * 1000:.0f} ms, repeated "
        f"{b_rep * 1000:.0f} ms, ratio {b_rep / b_sh:.2f}x"
    )
    print(f"process peak RSS {rss_mb():.0f} MB")
    out["sharing"] = {
        "epoch_s_shared": secs[True],
        "epoch_s_repeated": secs[False],
        "step_ratio": repeated / shared,
        "backbone_ms_shared": b_sh * 1000,
        "backbone_ms_repeated": b_rep * 1000,
        "backbone_ratio": b_rep / b_sh,
        "prompt_tokens": int(ids.shape[1]),
        "series_tokens": n_tok,
    }
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
