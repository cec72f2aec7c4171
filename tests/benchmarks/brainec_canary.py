"""Does BrainEC-LLM orient a 3-node chain? (a script, not a pytest test; CPU, minutes).

Run from the repository root::

    .venv/bin/python tests/benchmarks/brainec_canary.py [--epochs 30] [--seeds 0,1,2]
        [--configs reference,l-half,no-dag,reconstruction-only] [--backbone tiny]

Data: the chain ``x0 → x1 → x2`` of ``tests/methods/brainec_llm/brainec_chain.py`` (8 subjects
× 128 points by default, drawn with the run's seed). For every loss configuration and seed it
trains ``brainec-llm`` (tiny random backbone unless ``--backbone``) and prints:

* ``honest``: whether the final eval-mode A orients both edges (``A[0,1] > A[1,0]`` and
  ``A[1,2] > A[2,1]``), the same check as the canary test;
* ``epochs ok``: the fraction of epochs whose training-mode A (the reference's per-epoch
  matrix) orients both edges. The reference's protocol reports the best epoch against the
  truth, so any fraction above 0 becomes a "recovered" chain under that (**oracle**) protocol;
  two fair coins give 0.25;
* ``root→1``: whether the root's column pulls more from its neighbour than from the far node
  (``A[1,0] > A[2,0]``): the pattern of an attention that serves reconstruction (each target
  pulls from the nodes that explain it best, whatever the direction), which points the edge
  ``0 → 1`` the wrong way;
* ``max|A−½|``: how far A moved from uniform columns (every column has two off-diagonal
  entries that sum to 1).

Configurations (estimator parameters): ``reference`` (the defaults: α_sp 2 with the released
ΣA, α_dag 100, α_cons 10), ``l-half`` (``sparsity="l-half"``), ``no-dag`` (``alpha_dag=0``) and
``reconstruction-only`` (``alpha_dag=0, alpha_cons=0``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CONFIGS: dict[str, dict] = {
    "reference": {},
    "l-half": {"sparsity": "l-half"},
    "no-dag": {"alpha_dag": 0.0},
    "reconstruction-only": {"alpha_dag": 0.0, "alpha_cons": 0.0},
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--backbone", default="tiny")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--subjects", type=int, default=8)
    ap.add_argument("--length", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = ap.parse_args()
    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in names if c not in CONFIGS]
    if unknown:
        print(f"unknown config(s) {unknown}; known: {', '.join(CONFIGS)}", file=sys.stderr)
        return 2
    seeds = [int(s) for s in args.seeds.split(",")]

    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    tests = Path(__file__).resolve().parents[1]
    sys.path[:0] = [str(tests), str(tests / "methods" / "brainec_llm")]
    from brainec_chain import chain_direction_ok, chain_subjects

    from bench.methods.brainec_llm.estimator import BrainECLLM
    from bench.types import FitContext

    rows = []
    print(
        f"{'config':<20} {'seed':>4} {'honest':>6} {'epochs ok':>9} {'root→1':>6} "
        f"{'max|A−½|':>8} {'A01':>6} {'A10':>6} {'A12':>6} {'A21':>6} {'s':>5}"
    )
    for name in names:
        for seed in seeds:
            t0 = time.perf_counter()
            xs = chain_subjects(n_subjects=args.subjects, t=args.length, seed=seed)
            est = BrainECLLM(
                backbone=args.backbone,
                llm_layers=args.layers,
                epochs=args.epochs,
                num_tokens=50 if args.backbone == "tiny" else 1000,
                random_state=seed,
                **CONFIGS[name],
            )
            est.fit(xs, FitContext(dataset="chain", family="generic"))
            a = est.scores_
            per_epoch = est.extra_["epoch_scores"]
            row = {
                "config": name,
                "seed": seed,
                "honest": chain_direction_ok(a),
                "epochs_ok": float(np.mean([chain_direction_ok(e) for e in per_epoch])),
                "root_pulls_neighbour": bool(a[1, 0] > a[2, 0]),
                "max_dev": float(np.abs(a[~np.eye(3, dtype=bool)] - 0.5).max()),
                "A": a.round(4).tolist(),
                "seconds": time.perf_counter() - t0,
            }
            rows.append(row)
            print(
                f"{name:<20} {seed:>4} {'yes' if row['honest'] else 'no':>6} "
                f"{row['epochs_ok']:>9.2f} {'yes' if row['root_pulls_neighbour'] else 'no':>6} "
                f"{row['max_dev']:>8.3f} {a[0, 1]:>6.3f} {a[1, 0]:>6.3f} {a[1, 2]:>6.3f} "
                f"{a[2, 1]:>6.3f} {row['seconds']:>5.0f}",
                flush=True,
            )
    print("\nsummary (per config, over seeds)")
    for name in names:
        sub = [r for r in rows if r["config"] == name]
        print(
            f"{name:<20} honest {sum(r['honest'] for r in sub)}/{len(sub)}, "
            f"epochs ok {np.mean([r['epochs_ok'] for r in sub]):.2f}, "
            f"root→1 {sum(r['root_pulls_neighbour'] for r in sub)}/{len(sub)}, "
            f"max|A−½| {np.mean([r['max_dev'] for r in sub]):.3f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
