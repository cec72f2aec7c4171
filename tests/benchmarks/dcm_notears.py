"""Speed of rdcm, notears and dynotears, and rDCM's BOLD canary over seeds; asserts nothing.

Usage::

    .venv/bin/python tests/benchmarks/dcm_notears.py              # all sections (~10 min)
    .venv/bin/python tests/benchmarks/dcm_notears.py --subjects 2 # fewer sim-4 fits

1. Seconds per fit (median over subjects, one BLAS thread as in the runner's default of one
   worker per core) on smith:1 and smith:4 subjects 1..``--subjects``, for ``rdcm``,
   ``rdcm sparse=True``, ``notears`` and ``dynotears``, with the number of objective
   evaluations of the NOTEARS solver. The budget of ``--methods all`` is about 0.02 s per small
   fit and 0.5 s per sim-4 fit.
2. rDCM's ``chain-bold`` canary over seeds 0..9: whether the registered (non-exact) directed
   check passes, and in how many seeds both true edges outscore their reverses; then the same
   chain at NetSim's neural rate σ = 20/s (the canary uses 1/s), TR 0.5 s.

Other methods' speed is not affected (no shared code is changed).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

import bench.methods  # noqa: F401  (registers the methods)
from bench.canaries import CHAIN, Canary, check_canary, make_bold_chain
from bench.methods.dynotears import DYNOTEARS
from bench.methods.notears import NOTEARS
from bench.methods.rdcm import RDCM
from bench.registry import load_dataset
from bench.types import FitContext

METHODS = {
    "rdcm": lambda: RDCM(),
    "rdcm sparse": lambda: RDCM(sparse=True),
    "notears": lambda: NOTEARS(),
    "dynotears": lambda: DYNOTEARS(),
}


def speed(n_subjects: int) -> None:
    print("== seconds per fit (median over subjects; one BLAS thread)")
    for dataset in ("smith:1", "smith:4"):
        ds = load_dataset(dataset)
        ctx = FitContext(dataset=dataset, tr=ds.tr)
        for name, make in METHODS.items():
            times, evals = [], []
            for x in ds.series[:n_subjects]:
                t0 = time.perf_counter()
                est = make().fit(x, ctx)
                times.append(time.perf_counter() - t0)
                evals.append(est.extra_.get("evaluations", 0))
            extra = f"  evaluations {statistics.median(evals):.0f}" if any(evals) else ""
            print(
                f"{dataset:8s} {name:12s} {statistics.median(times):8.3f} s/fit "
                f"(min {min(times):.3f}, max {max(times):.3f}, {len(times)} fits){extra}",
                flush=True,
            )


def bold_canary() -> None:
    print("== rDCM on the chain-bold canary data, seeds 0..9")
    canary = Canary("chain-bold")
    for sparse in (False, True):
        passed, ordered = [], 0
        for seed in range(10):
            x = make_bold_chain(1000, seed)
            est = RDCM(tr=0.5, sparse=sparse).fit(x)
            passed.append(not check_canary(canary, est.adjacency_, est.scores_, CHAIN))
            s = est.scores_
            ordered += int(s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1])
        ok = [k for k, p in enumerate(passed) if p]
        print(f"sparse={sparse}: directed check passes for seeds {ok}; scores ordered {ordered}/10")
    from bench.datasets.simulate import FixedGraph, Scenario, simulate

    ordered = 0
    for seed in range(6):
        sc = Scenario(
            graph=FixedGraph(CHAIN, "chain"),
            stream="canary-chain-bold",
            n_subjects=1,
            duration=500.0,
            tr=0.5,
            hrf_var=0.0,
        )
        s = RDCM(tr=0.5).fit(simulate(sc, seed).series[0]).scores_
        ordered += int(s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1])
    print(
        f"NetSim's sigma = 20/s, TR 0.5 s: both true edges outscore their reverses in {ordered}/6"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--subjects", type=int, default=5)
    args = ap.parse_args()
    with threadpool_limits(1):
        speed(args.subjects)
        bold_canary()


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
