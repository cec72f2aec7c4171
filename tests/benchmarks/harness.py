"""Benchmarks of the harness itself; prints figures, asserts nothing.

Usage::

    .venv/bin/python tests/benchmarks/harness.py            # speed-up and overhead (minutes)
    .venv/bin/python tests/benchmarks/harness.py --full     # + the full smith run (long)

1. ``--full``: wall time and peak memory of ``bench run --methods all --datasets smith`` (a fresh
   results folder, MLflow on), and the fitting time per method from the records.
2. Speed-up of ``--jobs 2`` over ``--jobs 1`` on the same work (fresh folders, no tracking):
   whole-command wall times, each the median of ``--repeats`` runs, measured in the same process
   so that both see the same machine load.
3. Harness overhead per fit: ``run_benchmark`` (plan, data loading, records, scoring, tables; no
   MLflow) against calling the libraries directly on the same subjects with the same
   parameters, both in this process with one job; then the extra cost of MLflow logging.
4. ``--resume``: the time lost to a ``kill -9`` at 50 % of a run: (time before the kill + time
   of the resumed run) − time of an uninterrupted run, and how many fits were computed twice.
5. ``--ray``: the Ray executor against the local one on a plan of many short fits.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = [sys.executable, "-m", "bench.cli"]


def run_cli(args: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(BENCH + args, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"bench {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return wall


def full_run(methods: str = "all") -> None:
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        print(f"== full run: bench run --methods {methods} --datasets smith", flush=True)
        wall = run_cli(
            ["run", "--methods", methods, "--datasets", "smith", "--results", tmp, "--quiet"]
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"wall time {wall:.1f} s; peak RSS of the largest process {peak:.0f} MB")
        ps = pd.read_csv(Path(tmp) / "tables" / "bench" / "per_subject.csv")
        first = ps.drop_duplicates(["method", "dataset", "subject"])  # deterministic: once
        per = first.groupby("method")["wall_time_s"].agg(["sum", "count", "mean"])
        per.columns = ["fit seconds (sum)", "fits", "seconds per fit"]
        print(per.round(3).to_string())
        f1 = pd.read_csv(Path(tmp) / "tables" / "bench" / "summary.csv")
        sub = f1[
            f1["metric"].isin(["f1", "shd"])
            & f1["dataset"].isin([f"smith:{k}" for k in (1, 2, 3, 4)])
        ]
        print(
            sub.pivot_table(index="method", columns=["metric", "dataset"], values="mean")
            .round(3)
            .to_string()
        )


def speedup(methods: str, datasets: str, repeats: int) -> None:
    print(f"== --jobs 2 vs --jobs 1: --methods {methods} --datasets {datasets}", flush=True)
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(repeats):
        for jobs in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                times[jobs].append(
                    run_cli(
                        [
                            "run",
                            "--methods",
                            methods,
                            "--datasets",
                            datasets,
                            "--results",
                            tmp,
                            "--jobs",
                            str(jobs),
                            "--no-track",
                            "--quiet",
                            "--seeds",
                            "0",
                        ]
                    )
                )
    t1, t2 = statistics.median(times[1]), statistics.median(times[2])
    print(f"jobs=1: {t1:.1f} s  jobs=2: {t2:.1f} s  (medians of {repeats}; all: {times})")
    print(f"speed-up {t1 / t2:.2f}x on {os.cpu_count()} cores")


def _direct(method: str, x: np.ndarray) -> None:
    """The library call the adapter wraps, with the adapter's default parameters."""
    if method == "pc":
        from causallearn.search.ConstraintBased.PC import pc

        pc(x, 0.05, "fisherz", True, 0, -1, show_progress=False)
    elif method == "granger":
        from statsmodels.tsa.api import VAR

        model = VAR(x)
        order = max(1, int(model.select_order(maxlags=3, trend="c").bic))
        res = model.fit(order, trend="c")
        n = x.shape[1]
        for i in range(n):
            for j in range(n):
                if i != j:
                    res.test_causality(caused=j, causing=i, kind="f")
    elif method == "pcmci":
        from tigramite import data_processing as pp
        from tigramite.independence_tests.parcorr import ParCorr
        from tigramite.pcmci import PCMCI

        p = PCMCI(
            dataframe=pp.DataFrame(x), cond_ind_test=ParCorr(significance="analytic"), verbosity=0
        )
        p.run_pcmci(tau_min=0, tau_max=1, pc_alpha=0.2, alpha_level=0.05)
    else:
        raise ValueError(method)


def overhead(methods: list[str], dataset: str, repeats: int) -> None:
    from bench.config import build_config
    from bench.registry import load_dataset
    from bench.runner import run_benchmark

    ds = load_dataset(dataset)
    print(f"== harness overhead on {dataset} ({len(ds.subjects)} subjects), one job", flush=True)
    for method in methods:
        direct, harness, tracked = [], [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for x in ds.series:
                _direct(method, x)
            direct.append(time.perf_counter() - t0)
            for track, out in ((False, harness), (True, tracked)):
                with tempfile.TemporaryDirectory() as tmp:
                    cfg = build_config(
                        methods=[method],
                        datasets=[dataset],
                        seeds=[0],
                        jobs=1,
                        results=tmp,
                        track=track,
                    )
                    t0 = time.perf_counter()
                    run_benchmark(cfg, progress=False, log=lambda m: None)
                    out.append(time.perf_counter() - t0)
        d, h, t = (statistics.median(v) for v in (direct, harness, tracked))
        n = len(ds.subjects)
        print(
            f"{method:8s} direct {d:6.2f} s ({1000 * d / n:.1f} ms/fit)  harness {h:6.2f} s  "
            f"overhead {100 * (h - d) / d:+.1f} %  ({1000 * (h - d) / n:+.1f} ms/fit);  "
            f"MLflow logging adds {t - h:.2f} s per (method, dataset, seed) run"
        )


def resume(methods: str, datasets: str) -> None:
    import signal

    print(f"== kill -9 at 50 %: --methods {methods} --datasets {datasets}", flush=True)
    args = ["run", "--methods", methods, "--datasets", datasets, "--jobs", "2", "--quiet"]
    with tempfile.TemporaryDirectory() as tmp:
        full = run_cli([*args, "--results", f"{tmp}/full"])
        res = Path(tmp) / "killed"
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            BENCH + [*args, "--results", str(res)],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        total = None
        while proc.poll() is None:
            recs = list((res / "records").rglob("*.json")) if (res / "records").exists() else []
            if total is None:
                total = _count_fits(methods, datasets)
            if len(recs) >= total // 2:
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        before = time.perf_counter() - t0
        done = len(list((res / "records").rglob("*.json")))
        t0 = time.perf_counter()
        out = subprocess.run(BENCH + [*args, "--results", str(res)], capture_output=True, text=True)
        after = time.perf_counter() - t0
        computed = int(out.stdout.split(" computed")[0].rsplit("(", 1)[1])
        print(
            f"uninterrupted {full:.1f} s; killed after {before:.1f} s with {done}/{total} fits "
            f"recorded; resume {after:.1f} s computing {computed} fits"
        )
        lost = before + after - full
        print(
            f"time lost {lost:+.1f} s ({100 * lost / full:+.0f} % of the run, start-up included); "
            f"fits computed twice: {done + computed - total}"
        )


def _count_fits(methods: str, datasets: str) -> int:
    from bench.config import build_config
    from bench.plan import make_plan

    return len(
        make_plan(
            build_config(methods=methods.split(","), datasets=[datasets], seeds=[0, 1, 2])
        ).fits
    )


def ray_vs_local(methods: str, datasets: str) -> None:
    print(f"== Ray vs local executor: --methods {methods} --datasets {datasets}", flush=True)
    times = {}
    for executor in ("local", "ray"):
        with tempfile.TemporaryDirectory() as tmp:
            times[executor] = run_cli(
                [
                    "run",
                    "--methods",
                    methods,
                    "--datasets",
                    datasets,
                    "--results",
                    tmp,
                    "--executor",
                    executor,
                    "--jobs",
                    "2",
                    "--no-track",
                    "--quiet",
                    "--seeds",
                    "0",
                ]
            )
    print(
        f"local {times['local']:.1f} s, ray {times['ray']:.1f} s (whole commands, Ray start-up "
        f"included): ray speed-up {times['local'] / times['ray']:.2f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--full", action="store_true", help="also time the full smith run")
    ap.add_argument("--full-methods", default="all", help="methods of the full run")
    ap.add_argument("--datasets", default="smith:2-3", help="data of the speed-up part")
    ap.add_argument("--resume", action="store_true", help="time lost to a kill at 50 %%")
    ap.add_argument("--ray", action="store_true", help="Ray executor against the local one")
    ap.add_argument("--only", action="store_true", help="skip the speed-up and overhead parts")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    if args.full:
        full_run(args.full_methods)
    if not args.only:
        speedup("pc,granger,pcmci", args.datasets, args.repeats)
        overhead(["pc", "granger", "pcmci"], "smith:2", args.repeats)
    if args.resume:
        resume("pc,granger,pcmci", "smith:1-3")
    if args.ray:
        ray_vs_local("pc,granger", "smith:1-3,5,8,10")


if __name__ == "__main__":
    main()
