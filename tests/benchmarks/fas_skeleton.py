"""Benchmark of the fast FAS skeleton against causal-learn; prints figures, asserts nothing.

Usage::

    .venv/bin/python tests/benchmarks/fas_skeleton.py               # ~10 min on a busy 2-core box
    .venv/bin/python tests/benchmarks/fas_skeleton.py --repeats 5   # more timing repeats
    .venv/bin/python tests/benchmarks/fas_skeleton.py --no-two-step # skip the slow Two-Step

BLAS runs single-threaded, as in the runner's workers (set before numpy loads).

1. Equality on **every** NetSim subject of sims 1–4 (``impl="fast"`` vs ``impl="reference"``,
   causal-learn's ``skeleton_discovery``, stable, ``fisherz``, alpha 0.01): the FAS skeleton
   itself, ``fask``'s decision and ``pwling``'s decision and scores: identical (yes/no), the
   number of differing subjects, the max score difference; and per subject 100 random
   conditional-independence tests (|S| ≤ 3): the max relative difference of the Fisher-z
   p-values (ours vs causal-learn's ``CIT(..., "fisherz")``).
2. Seconds per fit, fast vs reference, measured interleaved in this process (median of
   ``--repeats`` runs per subject, then the median over subjects): sim 1 (all subjects) and
   sim 4 subjects 1–5, for the skeleton, ``fask``, ``pwling`` and ``two-step`` (with
   ``mask="fas"``, the variant that uses the skeleton; one repeat: it is slow), and the ratio.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

ALPHA = 0.01


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def fitters() -> dict[str, Callable[[np.ndarray, str], tuple[np.ndarray, np.ndarray | None]]]:
    from bench.methods._skew import fas_skeleton
    from bench.methods.fask import FASK
    from bench.methods.pwling import PairwiseLiNGAM
    from bench.methods.two_step import TwoStep

    def skel(x: np.ndarray, impl: str) -> tuple[np.ndarray, None]:
        return fas_skeleton(x, ALPHA, impl=impl), None

    def fask(x: np.ndarray, impl: str) -> tuple[np.ndarray, None]:
        return FASK(alpha=ALPHA, impl=impl).fit(x).adjacency_, None

    def pwling(x: np.ndarray, impl: str) -> tuple[np.ndarray, np.ndarray]:
        est = PairwiseLiNGAM(alpha=ALPHA, impl=impl).fit(x)
        return est.adjacency_, est.scores_

    def two_step(x: np.ndarray, impl: str) -> tuple[np.ndarray, np.ndarray]:
        est = TwoStep(mask="fas", alpha=ALPHA, impl=impl).fit(x)
        return est.adjacency_, est.scores_

    return {"fas-skeleton": skel, "fask": fask, "pwling": pwling, "two-step(mask=fas)": two_step}


def pvalue_gap(x: np.ndarray, rng: np.random.Generator, n_tests: int = 100) -> float:
    """Max relative difference of our Fisher-z p-values and causal-learn's on random tests."""
    from causallearn.utils.cit import CIT

    from bench.methods._skew import fisher_z_pvalues

    cit = CIT(x, "fisherz")
    corr = np.corrcoef(x, rowvar=False)
    n = x.shape[1]
    gap = 0.0
    for _ in range(n_tests):
        d = int(rng.integers(0, min(3, n - 2) + 1))
        v = rng.permutation(n)[: d + 2]
        mine = fisher_z_pvalues(corr, x.shape[0], v[None, :])[0]
        ref = cit(int(v[0]), int(v[1]), [int(s) for s in v[2:]])
        if ref > 0:
            gap = max(gap, abs(mine - ref) / ref)
    return gap


def equality(datasets: list[str], two_step: bool) -> None:
    from bench.registry import load_dataset

    fits = fitters()
    names = [k for k in fits if k != "two-step(mask=fas)"]
    print("== equality on every subject, impl='fast' vs impl='reference'", flush=True)
    print(
        f"{'dataset':10s} {'method':14s} {'subjects':>8s} {'identical':>9s} {'differing':>9s} "
        f"{'max |score diff|':>16s}"
    )
    rng = np.random.default_rng(0)
    for name in datasets:
        ds = load_dataset(name)
        diff = {k: 0 for k in names}
        score_gap = {k: 0.0 for k in names}
        pgap = 0.0
        for x in ds.series:
            pgap = max(pgap, pvalue_gap(x, rng))
            for k in names:
                a_f, s_f = fits[k](x, "fast")
                a_r, s_r = fits[k](x, "reference")
                diff[k] += int(not np.array_equal(a_f, a_r))
                if s_f is not None:
                    score_gap[k] = max(score_gap[k], float(np.abs(s_f - s_r).max()))
        for k in names:
            has_scores = k == "pwling"
            gap = f"{score_gap[k]:.3g}" if has_scores else "n/a (no scores)"
            print(
                f"{name:10s} {k:14s} {len(ds.series):8d} {'yes' if diff[k] == 0 else 'NO':>9s} "
                f"{diff[k]:9d} {gap:>16s}"
            )
        print(
            f"{name:10s} Fisher-z p-values: max relative difference {pgap:.3g} "
            f"({len(ds.series)} x 100 tests)",
            flush=True,
        )
    if two_step:
        print("(two-step(mask=fas) is compared in the timing section)")


def timing(repeats: int, two_step: bool) -> None:
    from bench.registry import load_dataset

    fits = fitters()
    cases = [("smith:1", list(range(50))), ("smith:4", list(range(5)))]
    print(
        f"\n== seconds per fit, fast vs reference (interleaved; median over subjects of the "
        f"median of {repeats} repeats); {load()}",
        flush=True,
    )
    print(
        f"{'dataset':8s} {'method':20s} {'fast s/fit':>10s} {'reference s/fit':>15s} "
        f"{'ratio':>7s} {'identical':>9s}"
    )
    for name, subjects in cases:
        ds = load_dataset(name)
        for k, fit in fits.items():
            if k.startswith("two-step") and not two_step:
                continue
            reps = 1 if k.startswith("two-step") else repeats
            subj = subjects[:5] if k.startswith("two-step") else subjects
            med_fast, med_ref, same = [], [], True
            for s in subj:
                x = ds.series[s]
                tf, tr = [], []
                for _ in range(reps):
                    t0 = time.perf_counter()
                    a_f, s_f = fit(x, "fast")
                    tf.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    a_r, s_r = fit(x, "reference")
                    tr.append(time.perf_counter() - t0)
                same &= np.array_equal(a_f, a_r) and (s_f is None or np.array_equal(s_f, s_r))
                med_fast.append(statistics.median(tf))
                med_ref.append(statistics.median(tr))
            f, r = statistics.median(med_fast), statistics.median(med_ref)
            print(
                f"{name:8s} {k:20s} {f:10.4f} {r:15.4f} {r / f:6.1f}x "
                f"{'yes' if same else 'NO':>9s}  ({len(subj)} subjects)",
                flush=True,
            )
    print(load())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-two-step", action="store_true", help="skip the slow Two-Step")
    parser.add_argument("--datasets", default="smith:1,smith:2,smith:3,smith:4")
    args = parser.parse_args()
    print(load())
    equality(args.datasets.split(","), not args.no_two_step)
    timing(args.repeats, not args.no_two_step)


if __name__ == "__main__":
    main()
