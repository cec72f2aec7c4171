"""PCMCI / PCMCI+ fast path against tigramite on NetSim; prints figures, asserts nothing.

Usage::

    .venv/bin/python tests/benchmarks/speed_pcmci.py                   # all of smith:1-4 (long)
    .venv/bin/python tests/benchmarks/speed_pcmci.py --sims 1 2 3      # sims 1-3 only
    .venv/bin/python tests/benchmarks/speed_pcmci.py --sims 4 --subjects 5

For every method variant (``pcmci``, ``pcmci-plus``, ``pcmci`` with ``decision="pc1"``) and
every subject of the chosen sims, fits ``impl="reference"`` (tigramite) and ``impl="fast"``
with the adapters' default parameters, interleaved in this process so that both see the same
machine load (the fast fit is repeated ``--repeats`` times and its median kept). Per (variant,
sim) it prints: the subjects whose ``adjacency_`` differ (count and ids), the largest
|difference| of ``scores_`` and ``lag_scores_``, the largest relative difference of the
p-values (``lag_pvalues_``, |Δp| / max(p, 1e-300)), the fits that fell back to the reference,
and seconds per fit before (reference) and after (fast) with their ratio, as the median over
subjects and as totals; then the timing summary the brief asks for (sim 4 subjects 1-5 and
sim 1).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, field

import numpy as np

from bench.methods.pcmci import PCMCI
from bench.methods.pcmci_plus import PCMCIPlus
from bench.registry import load_dataset

VARIANTS = {
    "pcmci": lambda impl: PCMCI(impl=impl),
    "pcmci-plus": lambda impl: PCMCIPlus(impl=impl),
    "pcmci[pc1]": lambda impl: PCMCI(impl=impl, decision="pc1"),
}


@dataclass
class Tally:
    subjects: list[str] = field(default_factory=list)
    differ: list[str] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    d_score: float = 0.0
    rel_p: float = 0.0
    t_ref: list[float] = field(default_factory=list)
    t_fast: list[float] = field(default_factory=list)


def timed(make, x: np.ndarray, repeats: int) -> tuple[object, float]:
    times, est = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        est = make().fit(x)
        times.append(time.perf_counter() - t0)
    return est, statistics.median(times)


def compare(variant: str, sim: int, n_subjects: int | None, repeats: int) -> Tally:
    ds = load_dataset(f"smith:{sim}")
    tally = Tally()
    make = VARIANTS[variant]
    for sid, x in list(zip(ds.subjects, ds.series, strict=True))[:n_subjects]:
        ref, t_ref = timed(lambda: make("reference"), x, 1)
        fast, t_fast = timed(lambda: make("fast"), x, repeats)
        tally.subjects.append(sid)
        tally.t_ref.append(t_ref)
        tally.t_fast.append(t_fast)
        if not np.array_equal(ref.adjacency_, fast.adjacency_):
            tally.differ.append(sid)
        if fast.extra_["impl"] != "fast":
            tally.fallbacks.append(sid)
        d = max(
            np.abs(ref.scores_ - fast.scores_).max(),
            np.abs(ref.lag_scores_ - fast.lag_scores_).max(),
        )
        pr, pf = ref.lag_pvalues_, fast.lag_pvalues_
        both = ~(np.isnan(pr) & np.isnan(pf))
        rel = np.abs(pr - pf)[both] / np.maximum(np.abs(pr[both]), 1e-300)
        tally.d_score = max(tally.d_score, float(d))
        tally.rel_p = max(tally.rel_p, float(np.nan_to_num(rel, nan=np.inf).max(initial=0)))
    return tally


def report(variant: str, sim: int, t: Tally) -> None:
    ref, fast = statistics.median(t.t_ref), statistics.median(t.t_fast)
    print(
        f"{variant:11s} smith:{sim:<2d} subjects {len(t.subjects):3d}  "
        f"adjacency differs: {len(t.differ)} {t.differ or ''}  "
        f"max|dscore| {t.d_score:.1e}  max rel dp {t.rel_p:.1e}  "
        f"fallbacks {len(t.fallbacks)}  "
        f"s/fit ref {ref:.3f} fast {fast:.4f} (x{ref / fast:.0f}; totals "
        f"{sum(t.t_ref):.1f} s vs {sum(t.t_fast):.2f} s, x{sum(t.t_ref) / sum(t.t_fast):.0f})",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--subjects", type=int, default=None, help="first N subjects of each sim")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--repeats", type=int, default=3, help="fast fits per subject (median)")
    args = ap.parse_args()
    results: dict[tuple[str, int], Tally] = {}
    for sim in args.sims:
        for variant in args.variants:
            results[(variant, sim)] = t = compare(variant, sim, args.subjects, args.repeats)
            report(variant, sim, t)
    print("\n== seconds per fit, reference (tigramite) -> fast, medians over subjects")
    for variant in args.variants:
        for sim, first in ((4, 5), (1, None)):
            t = results.get((variant, sim))
            if t is None:
                continue
            ref, fast = t.t_ref[:first], t.t_fast[:first]
            what = f"sim {sim} subjects 1-{len(ref)}" if first else f"sim {sim} (all {len(ref)})"
            r, f = statistics.median(ref), statistics.median(fast)
            print(f"{variant:11s} {what:22s} {r:7.3f} s -> {f:7.4f} s  ratio x{r / f:.0f}")
    differ = sum(len(t.differ) for t in results.values())
    n = sum(len(t.subjects) for t in results.values())
    print(f"\nidentical graphs: {'yes' if differ == 0 else 'no'} ({differ} of {n} fits differ)")


if __name__ == "__main__":
    main()
