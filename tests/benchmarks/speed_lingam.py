"""Fast vs reference LiNGAM adapters on NetSim: equality on every subject, and speed.

Prints figures, asserts nothing (not collected by pytest). Usage::

    .venv/bin/python tests/benchmarks/speed_lingam.py                  # both parts
    .venv/bin/python tests/benchmarks/speed_lingam.py --reference-only # fill the cache (long)
    .venv/bin/python tests/benchmarks/speed_lingam.py --part timing

1. **Equality** (``--part equality``): ``direct-lingam`` and ``var-lingam`` with their default
   parameters, ``impl="fast"`` against ``impl="reference"`` (causal-learn), on every subject of
   smith:1–4: the number of subjects whose binary graph differs, whose causal order differs,
   the largest absolute and relative score difference, the CPU seconds of all the dataset's
   fast fits, and how many causal orders / lasso regressions the fast path left to the
   reference. Reference results are cached (JSON, keyed by method, parameters, dataset,
   subject and the library versions) under ``--cache``, since the reference takes about half
   an hour on smith:4 alone.
2. **Timing** (``--part timing``): seconds per fit, fast and reference interleaved subject by
   subject in this one process (so that both see the same machine load), on smith:4 subjects
   1–5 and every subject of smith:1; medians over subjects of the per-subject median of
   ``--repeats`` fast runs and one reference run, and their ratio, in wall-clock seconds and
   in CPU seconds of this process (which hardly depend on what else the machine runs). BLAS is
   limited to one thread, as in the benchmark's workers.

``speed_granger_pairwise.py`` reuses this machinery for ``granger-pairwise``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DATASETS = ("smith:1", "smith:2", "smith:3", "smith:4")
DEFAULT_CACHE = Path.home() / ".cache" / "bench-speed"


@dataclass(frozen=True)
class Spec:
    """A registered method with fixed parameters, compared as ``impl="fast"`` vs ``"reference"``."""

    method: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.params)
        return self.method + (f"[{extra}]" if extra else "")

    def fit(self, x: np.ndarray, impl: str) -> dict[str, Any]:
        import bench.methods  # noqa: F401  (registers the methods)
        from bench.registry import METHODS

        est = METHODS[self.method].make(impl=impl, **dict(self.params))
        t0, c0 = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(x)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        extra = dict(getattr(est, "extra_", {}) or {})
        return {
            "adjacency": np.asarray(est.adjacency_, dtype=bool).tolist(),
            "scores": np.asarray(est.scores_, dtype=float).tolist(),
            "order": extra.get("causal_order")
            or extra.get("lag_orders")
            or extra.get("min_p_lags"),
            "by_reference": {
                k: extra[k]
                for k in ("order_by_reference", "lasso_by_reference", "pairs_by_reference")
                if k in extra
            },
            "seconds": seconds,
            "cpu_seconds": cpu,
        }


def limit_threads() -> None:
    """One BLAS thread, as ``bench``'s workers run with two jobs on two cores."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _versions() -> str:
    from importlib.metadata import version

    import sklearn
    import statsmodels

    return f"causal-learn {version('causal-learn')}, sklearn {sklearn.__version__}, " + (
        f"statsmodels {statsmodels.__version__}, numpy {np.__version__}"
    )


def _cache_file(cache: Path, spec: Spec, dataset: str) -> Path:
    key = json.dumps([spec.method, list(spec.params), dataset, _versions()])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache / f"{spec.label}-{dataset.replace(':', '')}-{digest}.json"


def reference_results(spec: Spec, dataset: str, cache: Path) -> list[dict[str, Any]]:
    """The reference fit of every subject of ``dataset``, from the cache or computed (and cached,
    subject by subject, so an interrupted run resumes)."""
    from bench.registry import load_dataset

    ds = load_dataset(dataset)
    path = _cache_file(cache, spec, dataset)
    done: dict[str, dict[str, Any]] = json.loads(path.read_text()) if path.exists() else {}
    for sid, x in zip(ds.subjects, ds.series, strict=True):
        if sid not in done:
            done[sid] = spec.fit(x, "reference")
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(done))
            tmp.replace(path)
            print(
                f"  reference {spec.label} {dataset} {sid}: {done[sid]['seconds']:.2f} s",
                flush=True,
            )
    return [done[sid] for sid in ds.subjects]


def compare(specs: list[Spec], datasets: tuple[str, ...], cache: Path) -> None:
    """Part 1: fast vs cached reference on every subject; one line per (method, dataset)."""
    from bench.registry import load_dataset

    print("== equality: impl='fast' vs impl='reference' on every subject", flush=True)
    print(f"   ({_versions()})")
    header = (
        f"{'method':34s} {'dataset':8s} {'subj':>4s} {'graphs≠':>7s} {'order≠':>6s} "
        f"{'max|Δscore|':>11s} {'max rel':>9s} {'fast CPU s':>10s}  "
        "fast path left to the reference"
    )
    print(header)
    for spec in specs:
        for dataset in datasets:
            ref = reference_results(spec, dataset, cache)
            ds = load_dataset(dataset)
            graphs = orders = 0
            abs_d = rel_d = cpu_fast = 0.0
            left: dict[str, int] = {}
            for x, r in zip(ds.series, ref, strict=True):
                f = spec.fit(x, "fast")
                cpu_fast += f["cpu_seconds"]
                graphs += f["adjacency"] != r["adjacency"]
                orders += f["order"] != r["order"]
                fs, rs = np.asarray(f["scores"]), np.asarray(r["scores"])
                diff = np.abs(fs - rs)
                abs_d = max(abs_d, float(diff.max()))
                big = np.abs(rs) > 1e-12
                rel_d = max(rel_d, float((diff[big] / np.abs(rs[big])).max(initial=0.0)))
                for k, v in f["by_reference"].items():
                    left[k] = left.get(k, 0) + int(v)
            print(
                f"{spec.label:34s} {dataset:8s} {len(ref):4d} {graphs:7d} {orders:6d} "
                f"{abs_d:11.2e} {rel_d:9.2e} {cpu_fast:10.2f}  {left}",
                flush=True,
            )


def timing(specs: list[Spec], repeats: int) -> None:
    """Part 2: interleaved seconds per fit on smith:4 subjects 1-5 and every smith:1 subject."""
    from bench.registry import load_dataset

    print(
        f"== timing (1 BLAS thread; fast: median of {repeats} runs, reference: 1 run)", flush=True
    )
    sets: list[tuple[str, list[np.ndarray]]] = [
        ("smith:4 subjects 1-5", load_dataset("smith:4").series[:5]),
        ("smith:1 all 50", load_dataset("smith:1").series),
    ]
    for spec in specs:
        spec.fit(sets[1][1][0], "fast")  # imports and first-call costs outside the clock
        spec.fit(sets[1][1][0], "reference")
        for name, series in sets:
            wall: dict[str, list[float]] = {"reference": [], "fast": []}
            cpu: dict[str, list[float]] = {"reference": [], "fast": []}
            for x in series:
                r = spec.fit(x, "reference")
                wall["reference"].append(r["seconds"])
                cpu["reference"].append(r["cpu_seconds"])
                f = [spec.fit(x, "fast") for _ in range(repeats)]
                wall["fast"].append(statistics.median(v["seconds"] for v in f))
                cpu["fast"].append(statistics.median(v["cpu_seconds"] for v in f))
            rw, fw = (statistics.median(wall[k]) for k in ("reference", "fast"))
            rc, fc = (statistics.median(cpu[k]) for k in ("reference", "fast"))
            print(
                f"{spec.label:34s} {name:21s} wall s/fit: reference {rw:8.4f} fast {fw:7.4f} "
                f"ratio {rw / fw:6.1f}x | CPU s/fit: reference {rc:8.4f} fast {fc:7.4f} "
                f"ratio {rc / fc:6.1f}x",
                flush=True,
            )


def main(specs: list[Spec], argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("equality", "timing", "all"), default="all")
    parser.add_argument("--reference-only", action="store_true", help="only fill the cache")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    limit_threads()
    datasets = tuple(args.datasets.split(","))
    if args.reference_only:
        for spec in specs:
            for dataset in datasets:
                reference_results(spec, dataset, args.cache)
        return
    if args.part in ("equality", "all"):
        compare(specs, datasets, args.cache)
    if args.part in ("timing", "all"):
        timing(specs, args.repeats)


SPECS = [Spec("direct-lingam"), Spec("var-lingam")]

if __name__ == "__main__":
    sys.exit(main(SPECS))
