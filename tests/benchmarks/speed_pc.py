"""Benchmark of the fast PC kernel against causal-learn's ``pc``; prints figures, asserts nothing.

Usage::

    .venv/bin/python tests/benchmarks/speed_pc.py                 # ~15 min on a busy 2-core box
    .venv/bin/python tests/benchmarks/speed_pc.py --repeats 5     # more timing repeats
    .venv/bin/python tests/benchmarks/speed_pc.py --no-variants --no-scaling

BLAS runs single-threaded, as in the runner's workers (set before numpy loads).

1. Equality on **every** NetSim subject of sims 1–4 with the adapter's defaults (Fisher-z,
   alpha 0.05, stable, uc_rule 0, uc_priority 2): ``PC()`` (fast) against causal-learn's
   ``pc``: identical ``G.graph`` (yes/no, number of differing subjects), identical
   ``adjacency_`` and ``extra_`` edge counts; the Fisher-z p-values of every skeleton test, ours
   against causal-learn's own p-value cache (same tests, max relative difference: 0 means bit
   for bit), and the number of near-ties |p − alpha| < 1e-9·alpha (the only tests whose decision
   a p-value error of that size could flip).
2. Parameter variants (``stable``, ``uc_rule`` 0/1/2, ``uc_priority`` −1..4) on the first five
   subjects of smith:1 and smith:2: identical ``G.graph``.
3. Seconds per fit of the adapter, ``impl="fast"`` vs ``impl="reference"``, interleaved in this
   process (median of ``--repeats`` runs per subject, then the median over subjects): sim 1 (all
   50 subjects) and sim 4 subjects 1–5; the ratio; and the fast path's total over every subject
   of smith:1–28 (the main job's PC share).
4. N scaling of the fast path on random Gaussian DAG data (T = 200, ~1.5 parents per node):
   10, 50, 100, 200 nodes (reference too for N ≤ 50).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

ALPHA = 0.05
VARIANTS = (
    [(True, 0, p) for p in (-1, 0, 1, 3, 4)]
    + [(False, 0, 2), (False, 0, 1)]
    + [(True, 1, p) for p in (-1, 0, 1, 2, 3, 4)]
    + [(True, 2, p) for p in (-1, 2, 3, 4)]
    + [(False, 2, 4)]
)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def reference(x: np.ndarray, stable: bool = True, rule: int = 0, priority: int = 2):
    from causallearn.search.ConstraintBased.PC import pc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pc(x, ALPHA, "fisherz", stable, rule, priority, show_progress=False)


def pvalue_check(cg, res) -> tuple[int, int, float, int]:
    """(our tests, causal-learn's cached tests, max relative p difference, near-ties)."""
    ref: dict[str, float] = {
        k: v for k, v in cg.test.pvalue_cache.items() if k[0].isdigit() and ";" in k
    }
    mine: dict[str, float] = {}
    for v, p in res.skeleton.tests:
        for row, pv in zip(v.tolist(), p.tolist(), strict=True):
            key = f"{row[0]};{row[1]}" + ("|" + ".".join(map(str, row[2:])) if row[2:] else "")
            mine[key] = pv
    gap = 0.0
    for key, pv in mine.items():
        pr = ref.get(key)
        if pr is None:
            gap = np.inf
        elif pr != pv:
            gap = max(gap, abs(pv - pr) / max(abs(pr), 1e-300))
    near = sum(abs(pv - ALPHA) < 1e-9 * ALPHA for pv in mine.values())
    return len(mine), len(ref), gap, near


def equality(datasets: list[str]) -> None:
    from bench.methods._pc_fast import pc_graph
    from bench.methods.pc import PC, causallearn_to_adjacency
    from bench.registry import load_dataset

    print("== equality on every subject, PC() (fast) vs causal-learn pc (defaults)", flush=True)
    print(
        f"{'dataset':8s} {'subjects':>8s} {'identical':>9s} {'differing':>9s} {'tests':>8s} "
        f"{'same tests':>10s} {'max rel p diff':>14s} {'near-ties':>9s} {'fast s':>7s} "
        f"{'ref s':>7s}"
    )
    for name in datasets:
        ds = load_dataset(name)
        differing, n_tests, same_tests, gap, near = 0, 0, True, 0.0, 0
        t_fast = t_ref = 0.0
        for x in ds.series:
            t0 = time.perf_counter()
            est = PC().fit(x)
            t_fast += time.perf_counter() - t0
            t0 = time.perf_counter()
            cg = reference(x)
            t_ref += time.perf_counter() - t0
            res = pc_graph(x, ALPHA)
            adj, counts = causallearn_to_adjacency(cg.G.graph)
            same = (
                np.array_equal(res.graph, cg.G.graph)
                and np.array_equal(est.adjacency_, adj)
                and all(est.extra_[k] == v for k, v in counts.items())
            )
            differing += int(not same)
            mine, theirs, g, nt = pvalue_check(cg, res)
            n_tests += mine
            same_tests &= mine == theirs
            gap = max(gap, g)
            near += nt
        print(
            f"{name:8s} {len(ds.series):8d} {'yes' if differing == 0 else 'NO':>9s} "
            f"{differing:9d} {n_tests:8d} {'yes' if same_tests else 'NO':>10s} {gap:14.3g} "
            f"{near:9d} {t_fast:7.2f} {t_ref:7.2f}",
            flush=True,
        )


def variants(datasets: list[str], n_subjects: int = 5) -> None:
    from bench.methods._pc_fast import pc_graph
    from bench.registry import load_dataset

    print(
        f"\n== parameter variants (alpha {ALPHA}), first {n_subjects} subjects, fast vs "
        "causal-learn pc",
        flush=True,
    )
    print(f"{'stable':>6s} {'uc_rule':>7s} {'uc_priority':>11s} {'fits':>5s} {'differing':>9s}")
    series = [x for name in datasets for x in load_dataset(name).series[:n_subjects]]
    for stable, rule, priority in VARIANTS:
        diff = 0
        for x in series:
            cg = reference(x, stable, rule, priority)
            res = pc_graph(x, ALPHA, stable=stable, uc_rule=rule, uc_priority=priority)
            diff += int(not np.array_equal(res.graph, cg.G.graph))
        print(f"{stable!s:>6s} {rule:7d} {priority:11d} {len(series):5d} {diff:9d}", flush=True)


def timing(repeats: int) -> None:
    from bench.methods.pc import PC
    from bench.registry import load_dataset

    print(
        f"\n== seconds per fit, PC(impl='fast') vs PC(impl='reference') (interleaved; median "
        f"over subjects of the median of {repeats} repeats); {load()}",
        flush=True,
    )
    print(
        f"{'dataset':8s} {'fast s/fit':>10s} {'reference s/fit':>15s} {'ratio':>7s} "
        f"{'identical':>9s} {'subjects':>8s}"
    )
    for name, subjects in [("smith:1", list(range(50))), ("smith:4", list(range(5)))]:
        ds = load_dataset(name)
        med_fast, med_ref, same = [], [], True
        for s in subjects:
            x = ds.series[s]
            tf, tr = [], []
            for _ in range(repeats):
                t0 = time.perf_counter()
                a = PC(impl="fast").fit(x)
                tf.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                b = PC(impl="reference").fit(x)
                tr.append(time.perf_counter() - t0)
            same &= np.array_equal(a.adjacency_, b.adjacency_) and a.extra_ == b.extra_
            med_fast.append(statistics.median(tf))
            med_ref.append(statistics.median(tr))
        f, r = statistics.median(med_fast), statistics.median(med_ref)
        print(
            f"{name:8s} {f:10.4f} {r:15.4f} {r / f:6.1f}x {'yes' if same else 'NO':>9s} "
            f"{len(subjects):8d}",
            flush=True,
        )
    total, fits = 0.0, 0
    per_sim = []
    for k in range(1, 29):
        ds = load_dataset(f"smith:{k}")
        t0 = time.perf_counter()
        for x in ds.series:
            PC().fit(x)
        dt = time.perf_counter() - t0
        per_sim.append(f"{k}:{dt:.2f}")
        total += dt
        fits += len(ds.series)
    print(
        f"fast path, every subject of smith:1-28 once ({fits} fits): {total:.1f} s in total "
        f"(per sim: {' '.join(per_sim)})"
    )
    print(load())


def scaling(repeats: int) -> None:
    from bench.methods._pc_fast import pc_graph

    print(f"\n== N scaling of the fast path (T = 200, random DAG); {load()}", flush=True)
    print(f"{'N':>4s} {'fast s/fit':>10s} {'tests':>8s} {'reference s/fit':>15s} {'same':>5s}")
    for n in (10, 50, 100, 200):
        rng = np.random.default_rng(n)
        b = np.triu(rng.random((n, n)) < 3.0 / n, 1) * rng.uniform(0.3, 0.9, (n, n))
        b *= rng.choice([-1.0, 1.0], b.shape)
        x = rng.standard_normal((200, n)) @ np.linalg.inv(np.eye(n) - b)
        tf = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = pc_graph(x, ALPHA)
            tf.append(time.perf_counter() - t0)
        ref_s, same = "-", "-"
        if n <= 50:
            t0 = time.perf_counter()
            cg = reference(x)
            ref_s = f"{time.perf_counter() - t0:.3f}"
            same = "yes" if np.array_equal(cg.G.graph, res.graph) else "NO"
        print(
            f"{n:4d} {statistics.median(tf):10.4f} {res.n_tests:8d} {ref_s:>15s} {same:>5s}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--datasets", default="smith:1,smith:2,smith:3,smith:4")
    parser.add_argument("--no-equality", action="store_true")
    parser.add_argument("--no-variants", action="store_true")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--no-scaling", action="store_true")
    args = parser.parse_args()
    print(load())
    if not args.no_equality:
        equality(args.datasets.split(","))
    if not args.no_variants:
        variants(["smith:1", "smith:2"])
    if not args.no_timing:
        timing(args.repeats)
    if not args.no_scaling:
        scaling(args.repeats)


if __name__ == "__main__":
    main()
