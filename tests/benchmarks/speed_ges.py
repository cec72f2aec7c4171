"""GES: the fast kernel against causal-learn on every NetSim subject of sims 1–4; prints
figures, asserts nothing.

Usage::

    .venv/bin/python tests/benchmarks/speed_ges.py                 # everything (~30–60 min)
    .venv/bin/python tests/benchmarks/speed_ges.py --sims 1 4 --max-subjects 5   # a quick look

For each subject: causal-learn's ``ges(X, score_func="local_score_BIC")`` (``impl="reference"``
of :class:`bench.methods.ges.GES`) and :func:`bench.methods._ges_fast.ges_bic` (``impl="fast"``),
interleaved in this process (the order alternates between subjects; the fast one is the median of
``--repeats`` runs), wall and CPU seconds (the CPU time of this process is the steadier figure on
a shared machine). Printed: per simulation, identical graphs (the ``GeneralGraph.graph``
matrices, hence the adjacency and the edge counts) yes/no and the number of differing subjects,
the largest difference of the final BIC score, seconds per fit before / after and their ratio;
per-subject times for sim 4 subjects 1–5; the adapter's own overhead; the fast kernel's time on
random 100- and 200-node data.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

from bench.methods._ges_fast import ges_bic
from bench.methods.ges import GES


def reference(x: np.ndarray) -> dict:
    from causallearn.search.ScoreBased.GES import ges

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ges(x, score_func="local_score_BIC", maxP=None, lambda_value=0.5)


def timed(fn, *args):
    """``(result, wall seconds, CPU seconds of this process)``."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0, time.process_time() - c0


def fast_timed(x: np.ndarray, repeats: int) -> tuple[dict, float, float]:
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        out, wall, cpu = timed(ges_bic, x)
        walls.append(wall)
        cpus.append(cpu)
    return out, statistics.median(walls), statistics.median(cpus)


def per_fit(label: str, ref: list[float], fast: list[float]) -> str:
    return (
        f"  {label} seconds per fit: reference mean {statistics.mean(ref):.3f} / median "
        f"{statistics.median(ref):.3f}; fast mean {statistics.mean(fast):.4f} / median "
        f"{statistics.median(fast):.4f}; ratio of totals {sum(ref) / sum(fast):.1f}x; "
        f"totals {sum(ref):.1f} s -> {sum(fast):.2f} s"
    )


def compare_sim(sim: int, max_subjects: int | None, repeats: int) -> None:
    from bench.registry import load_dataset

    ds = load_dataset(f"smith:{sim}")
    series = ds.series[:max_subjects] if max_subjects else ds.series
    t_ref, t_fast, c_ref, c_fast, differ, score_diff = [], [], [], [], [], 0.0
    print(f"== smith:{sim}: {len(series)} subjects, {series[0].shape} each", flush=True)
    for k, x in enumerate(series):
        if k % 2 == 0:
            ref, tr, cr = timed(reference, x)
            got, tf, cf = fast_timed(x, repeats)
        else:
            got, tf, cf = fast_timed(x, repeats)
            ref, tr, cr = timed(reference, x)
        same = np.array_equal(got["G"], ref["G"].graph)
        if not same:
            differ.append(ds.subjects[k])
        score_diff = max(score_diff, abs(float(got["score"]) - float(ref["score"])))
        t_ref.append(tr)
        t_fast.append(tf)
        c_ref.append(cr)
        c_fast.append(cf)
        if sim == 4 and k < 5:
            print(
                f"  {ds.subjects[k]}: reference {tr:7.2f} s ({cr:7.2f} s CPU), fast {tf:6.3f} s "
                f"({cf:6.3f} s CPU), ratio {tr / tf:6.1f}x ({cr / cf:6.1f}x CPU), "
                f"identical {'yes' if same else 'NO'}, "
                f"{len(got['update1'])} inserts, {len(got['update2'])} deletes",
                flush=True,
            )
    which = ": " + ", ".join(differ) if differ else ""
    print(
        f"  identical graphs: {'yes' if not differ else 'NO'} "
        f"({len(differ)} of {len(series)} subjects differ{which}); "
        f"max |final score difference| {score_diff:.3g}"
    )
    print(per_fit("wall", t_ref, t_fast))
    print(per_fit("CPU ", c_ref, c_fast), flush=True)


def adapter_overhead(repeats: int) -> None:
    from bench.registry import load_dataset

    x = load_dataset("smith:4").series[0]
    fit = statistics.median(timed(GES().fit, x)[2] for _ in range(repeats))
    kernel = statistics.median(timed(ges_bic, x)[2] for _ in range(repeats))
    print(f"== adapter: GES().fit {fit:.3f} s vs ges_bic {kernel:.3f} s CPU on smith:4 sub01")


def random_dag_data(n: int, t: int, seed: int, degree: float = 2.0) -> np.ndarray:
    """Linear-Gaussian data of a random DAG with ``degree`` expected parents per node."""
    rng = np.random.default_rng(seed)
    a = np.triu(rng.random((n, n)) < 2 * degree / (n - 1), 1)
    w = a * rng.uniform(0.3, 1.0, a.shape) * rng.choice([-1.0, 1.0], a.shape)
    x = np.zeros((t, n))
    e = rng.standard_normal((t, n))
    for k in range(n):
        x[:, k] = x @ w[:, k] + e[:, k]
    return x[:, rng.permutation(n)]


def large(sizes: list[int]) -> None:
    for n in sizes:
        x = random_dag_data(n, 4 * n, seed=n)
        got, wall, cpu = timed(ges_bic, x)
        print(
            f"== fast kernel, random DAG data N = {n}, T = {4 * n}: {wall:.2f} s ({cpu:.2f} s "
            "CPU), "
            f"{len(got['update1'])} inserts, {len(got['update2'])} deletes, "
            f"{got['n_scores']} local scores",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, nargs="*", default=[1, 2, 3, 4])
    ap.add_argument("--max-subjects", type=int, default=None, help="first K subjects per sim")
    ap.add_argument("--repeats", type=int, default=3, help="fast runs per subject (median)")
    ap.add_argument("--large", type=int, nargs="*", default=[100, 200], help="node counts")
    args = ap.parse_args()
    for sim in args.sims:
        compare_sim(sim, args.max_subjects, args.repeats)
    adapter_overhead(args.repeats)
    large(args.large)


if __name__ == "__main__":
    main()
