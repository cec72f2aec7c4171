"""Seconds per fit of ``ngc-cmlp`` and ``tcdf`` on NetSim, and TCDF scored as its paper scored it
(a script, not a pytest test; CPU by default, minutes).

Run from the repository root::

    .venv/bin/python tests/benchmarks/neural_netsim.py timing [--sims 1,4,sanchez:1_amp]
        [--subjects 3] [--seeds 0] [--device cpu] [--param ngc-cmlp.max_iter=500 ...]
    .venv/bin/python tests/benchmarks/neural_netsim.py tcdf-eval [--sims 1-28] [--seeds 0]

``timing`` fits each method (defaults unless ``--param``) on the first ``--subjects`` subjects
of each sim and prints the median seconds per fit, the mean F1, SHD, AUROC, orientation
accuracy and number of decided edges (:func:`bench.metrics.compute_metrics`), and the ISTA
iterations (ngc-cmlp) or validated causes (tcdf) of each fit.

``tcdf-eval`` fits TCDF on subject 1 of each sim (the series of the TCDF copies,
``netsim_smith2011/tcdf_subject1``, to 5 significant figures) and prints its directed F1 four
ways:

* ``ours``: the bench protocol, our orientation (row = source, NetSim's ``net``), self-loops
  never scored;
* ``tcdf-eval``: what TCDF's ``runTCDF.py`` computes on those files: it reads column 0 of
  ``simK_gt_processed.csv`` as the cause, although NetSim's files list ``effect, cause``
  (checked against ``net`` for sims 1-4 and 8), so the truth is transposed, and it counts the
  files' self-loop rows ``i, i, 1`` as true causes that TCDF's self-cause can hit;
* ``true+self``: the right orientation, self-loops counted as TCDF counts them;
* ``transposed``: the transposed truth without self-loops.

The difference between ``ours`` and ``tcdf-eval`` is what separates our numbers from the
paper's NetSim ("FMRI") figures (Nauta et al. 2019). Nothing here asserts anything.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from bench.methods.ngc import NeuralGrangerCMLP
from bench.methods.tcdf import TCDF
from bench.registry import load_dataset

METHODS = {"ngc-cmlp": NeuralGrangerCMLP, "tcdf": TCDF}


def sims_arg(text: str) -> list[str]:
    """``1,4`` or ``1-4`` → NetSim sims; a name with a colon (``sanchez:1_amp``) as it is."""
    out: list[str] = []
    for part in text.split(","):
        if ":" in part:
            out.append(part)
            continue
        lo, _, hi = part.partition("-")
        out.extend(f"smith:{k}" for k in range(int(lo), int(hi or lo) + 1))
    return out


def params_arg(items: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {name: {} for name in METHODS}
    for item in items:
        key, _, value = item.partition("=")
        method, _, name = key.partition(".")
        out[method][name] = type(METHODS[method]().get_params()[name])(value)
    return out


def f1(decided: np.ndarray, truth: np.ndarray) -> float:
    """Directed F1 of a binary graph (self-loops included when the arrays hold them)."""
    tp = int((decided & truth).sum())
    fp = int((decided & ~truth).sum())
    fn = int((~decided & truth).sum())
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def timing(args: argparse.Namespace) -> None:
    from bench.metrics import compute_metrics

    params = params_arg(args.param)
    keys = ("f1", "shd", "auroc", "orientation_accuracy", "n_pred")
    for dataset in sims_arg(args.sims):
        ds = load_dataset(dataset)
        for name, cls in METHODS.items():
            seconds, metrics, info = [], [], []
            for seed in args.seeds:
                for s in range(min(args.subjects, len(ds.series))):
                    truth = np.asarray(ds.truth_for(ds.subjects[s]), bool)
                    est = cls(random_state=seed, device=args.device, **params[name])
                    t0 = time.perf_counter()
                    est.fit(ds.series[s])
                    seconds.append(time.perf_counter() - t0)
                    metrics.append(compute_metrics(truth, est.adjacency_, est.scores_))
                    extra = est.extra_
                    info.append(extra.get("iterations", extra.get("n_validated")))
            means = {}
            for key in keys:
                values = [m[key] for m in metrics if m[key] is not None]
                means[key] = f"{np.mean(values):.3f}" if values else "n/a"
            print(
                f"{dataset} {name}: {statistics.median(seconds):.2f} s/fit (median of "
                f"{len(seconds)}; min {min(seconds):.2f}, max {max(seconds):.2f}); "
                + ", ".join(f"{key} {v}" for key, v in means.items())
                + f"; iterations/validated {info}",
                flush=True,
            )


def tcdf_eval(args: argparse.Namespace) -> None:
    rows = []
    for dataset in sims_arg(args.sims):
        ds = load_dataset(dataset)
        x = ds.series[0]
        truth = np.asarray(ds.truth_for(ds.subjects[0]), bool)
        n = len(truth)
        eye = np.eye(n, dtype=bool)
        for seed in args.seeds:
            t0 = time.perf_counter()
            est = TCDF(random_state=seed, device=args.device).fit(x)
            sec = time.perf_counter() - t0
            a = est.adjacency_ & ~eye
            full = a | (eye & (est.extra_["delays"] >= 0))  # with TCDF's validated self-causes
            row = {
                "ours": f1(a, truth & ~eye),
                "tcdf-eval": f1(full, truth.T | eye),
                "true+self": f1(full, truth | eye),
                "transposed": f1(a, truth.T & ~eye),
            }
            rows.append(row)
            print(
                f"{dataset} (N={n}, T={x.shape[0]}) seed {seed}: {sec:.1f} s; "
                + ", ".join(f"{key} F1 {v:.3f}" for key, v in row.items()),
                flush=True,
            )
    for key in rows[0]:
        values = [r[key] for r in rows]
        mean, std = np.mean(values), np.std(values)
        print(f"mean over {len(values)} fits: {key} F1 {mean:.3f} ± {std:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("timing", "tcdf-eval"))
    ap.add_argument("--sims", default="1,4")
    ap.add_argument("--subjects", type=int, default=3)
    ap.add_argument("--seeds", type=lambda s: [int(v) for v in s.split(",")], default=[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--param", action="append", default=[], help="method.name=value")
    args = ap.parse_args()
    (timing if args.what == "timing" else tcdf_eval)(args)


if __name__ == "__main__":
    main()
