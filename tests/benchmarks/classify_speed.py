"""Benchmark of the nested cross-validation of ``bench classify``; prints figures, asserts nothing.

Usage::

    .venv/bin/python tests/benchmarks/classify_speed.py             # NetSim sims 1-4
    .venv/bin/python tests/benchmarks/classify_speed.py --repeats 5

For every NetSim simulation 1-4 (all 50 subjects) the features are each subject's |Pearson
correlation| matrix (off-diagonal, each pair once) with balanced random labels (seeded), and
for each of ``--cases`` seeds the nested CV runs with ``impl="reference"``
(``GridSearchCV(Pipeline(StandardScaler, SVC))``) and ``impl="fast"`` (the same libsvm calls
without GridSearchCV), interleaved in the same process. Printed per simulation: the median
seconds per nested CV of each (and its range), the ratio, and the equality result (chosen C,
predictions and outer folds identical: yes/no, count of differing cases; the largest
difference of the decision values). The load average is printed before and after: on a shared
machine the times move with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from bench.classification import ClassifyOptions, features, nested_cv
from bench.registry import load_dataset
from bench.types import Estimate


def _features(sim: int) -> np.ndarray:
    ds = load_dataset(f"smith:{sim}")
    mats = [np.abs(np.corrcoef(x.T)) for x in ds.series]
    n = mats[0].shape[0]
    x, _ = features([Estimate(np.zeros((n, n), bool), m) for m in mats])
    return x


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=3, help="label draws per simulation")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats per case and impl")
    args = p.parse_args()
    print(f"load average before: {os.getloadavg()}")
    print(f"{'data':10} {'ref s':>9} {'fast s':>9} {'ratio':>7}  identical  max |Δ decision|")
    for sim in (1, 2, 3, 4):
        x = _features(sim)
        times = {"reference": [], "fast": []}
        same, differing, max_diff = True, 0, 0.0
        for case in range(args.cases):
            rng = np.random.default_rng(case)
            y = rng.permutation(np.r_[np.zeros(25, int), np.ones(25, int)])
            out = {}
            for _ in range(args.repeats):
                for impl in ("reference", "fast"):  # interleaved
                    t = time.perf_counter()
                    out[impl] = nested_cv(x, y, ClassifyOptions(impl=impl), seed=case)
                    times[impl].append(time.perf_counter() - t)
            a, b = out["reference"], out["fast"]
            ok = (
                a.chosen_c == b.chosen_c
                and np.array_equal(a.predicted, b.predicted)
                and np.array_equal(a.fold, b.fold)
            )
            same &= ok
            differing += not ok
            max_diff = max(max_diff, float(np.max(np.abs(a.decision - b.decision))))
        ref, fast = statistics.median(times["reference"]), statistics.median(times["fast"])
        print(
            f"smith:{sim:<4} {ref:9.3f} {fast:9.3f} {ref / fast:7.1f}  "
            f"{'yes' if same else 'no'} ({differing} of {args.cases} differ)  {max_diff:.2e}"
            f"   [ref {min(times['reference']):.3f}-{max(times['reference']):.3f}, "
            f"fast {min(times['fast']):.3f}-{max(times['fast']):.3f}]"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
