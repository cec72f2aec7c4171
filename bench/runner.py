"""Plan, execute, score, record: the benchmark loop.

Flow: config → plan of fits (method × dataset × seed × subject) → executor → estimates →
metrics → records → MLflow → tables.

* **Plan.** A subject-level method gives one fit per subject; a group-level method one fit per
  dataset (subject ``"group"``, all subjects as input). A deterministic method is fitted once
  (seed tag ``det``) and that result serves every seed; a stochastic one once per seed.
* **Seeds.** A stochastic fit gets ``random_state`` from ``numpy.random.SeedSequence`` with entropy
  ``[seed, crc32(dataset), subject index]``, so the stream is fixed by the seed and the task,
  not by the plan's order or the number of workers.
* **Executor.** Every fit runs in a worker process (:mod:`bench.executor`): ``jobs`` local
  workers by default, each limited to ``cores // jobs`` BLAS/OpenMP threads, or Ray tasks with
  ``executor = "ray"``. Subject-level fits go first; group-level fits (BrainEC-LLM) follow, one at
  a time with every core (or the GPU). A per-fit time limit kills the fit's worker; a crashed
  worker costs only its fit.
* **Scoring.** Estimators never see the truth: workers return estimates, and the driver scores
  them with :func:`bench.metrics.compute_metrics`. Estimates that carry per-epoch matrices
  (``extra["epoch_adjacency"]``) also get **oracle** metrics (``oracle_best_f1`` = the best F1
  over epochs, chosen against the truth), always prefixed ``oracle_``.
* **Records and cache.** Each fit's record is written atomically (see :mod:`bench.records`); a
  fit whose key (method + parameters + dataset + data hash + seed + code version) has an ``ok``
  record is not recomputed (``rerun=True`` forces it); metrics are recomputed from the stored
  estimate so they always follow the current scoring code.
* **Aggregation.** Per-subject metrics → mean over subjects per (method, dataset, seed) → mean ±
  std over seeds in the tables. A failed fit never stops the others; it is recorded with its
  status and error, and a (method, dataset, seed) with no successful fit is missing from tables.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import resource
import sys
import time
import traceback
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import __version__
from bench.config import BenchConfig
from bench.executor import Job, LocalExecutor, RayExecutor
from bench.records import Record, RecordStore, atomic_write_text, record_key
from bench.registry import (
    MethodInfo,
    get_family,
    get_method,
    load_dataset,
    select_datasets,
    select_methods,
)
from bench.types import BenchError, Dataset, Estimate, FitContext, UnavailableError

KEY_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "statsmodels",
    "causal-learn",
    "tigramite",
    "torch",
    "transformers",
    "peft",
    "mlflow",
)


# --------------------------------------------------------------------------- provenance


def package_versions() -> dict[str, str]:
    """Installed versions of the key packages (``missing`` when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"bench": __version__, "python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out


def code_revision() -> str:
    """The git commit of the source tree (``+dirty`` when modified), or ``unknown``."""
    import subprocess

    src = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(src), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def method_code_version(info: MethodInfo) -> str:
    """Hash of the method's source and of the project modules it uses.

    The files hashed: the method's module (or its whole sub-package, for a method that lives
    in one), every ``bench.*`` module that module refers to (helpers it imports, such as
    ``methods/_graph.py`` or another adapter's conversion function), and ``methods/base.py``.
    Part of the cache key: changing that code invalidates exactly the records it produced.
    """
    module = importlib.import_module(info.cls.__module__)
    path = Path(inspect.getfile(module))
    if path.name == "__init__.py" or info.cls.__module__.count(".") >= 3:
        files = set(path.parent.rglob("*.py"))  # a method sub-package
    else:
        files = {path}
    for value in vars(module).values():  # the bench helpers the module imported
        owner = value if inspect.ismodule(value) else inspect.getmodule(value)
        if owner is not None and owner.__name__.startswith("bench."):
            src = getattr(owner, "__file__", None)
            if src:
                files.add(Path(src))
    files.add(Path(__file__).resolve().parent.parent / "methods" / "base.py")
    h = hashlib.sha256()
    for f in sorted(files):
        if f.is_file() and f.name != "registry.py":
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def subject_hash(x: np.ndarray, truth: np.ndarray) -> str:
    h = hashlib.sha256(np.ascontiguousarray(x, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(truth, dtype=np.uint8).tobytes())
    return h.hexdigest()[:16]


def fit_random_state(seed: int, dataset: str, index: int) -> int:
    """The ``random_state`` of one stochastic fit (see the module docstring)."""
    ss = np.random.SeedSequence([seed, zlib.crc32(dataset.encode()), index])
    return int(ss.generate_state(1)[0])


# --------------------------------------------------------------------------- plan


@dataclass
class Fit:
    """One estimator fit: one subject (or the whole dataset for a group-level method)."""

    method: str
    params: dict[str, Any]
    dataset: str
    subject: str
    index: int
    seed: int | None  # None: a deterministic fit that serves every seed
    key: str
    data_hash: str
    data_seed: int | None = None  # the seed that generated the data (seeded families)


@dataclass
class Plan:
    config: BenchConfig
    methods: list[MethodInfo]
    datasets: dict[tuple[str, int | None], Dataset]  # (name, data seed or None) -> data
    fits: list[Fit]
    skipped: dict[str, str] = field(default_factory=dict)  # method -> reason left out

    def data(self, fit: Fit) -> Dataset:
        return self.datasets[(fit.dataset, fit.data_seed)]


def _has_cuda() -> bool:
    if "torch" not in sys.modules and importlib.util.find_spec("torch") is None:
        return False
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:
        return False


def resolve_methods(spec: list[str]) -> tuple[list[MethodInfo], dict[str, str]]:
    """Selected methods. ``all`` leaves out slow methods, and GPU methods on a machine without
    CUDA; each left out with its reason. Methods named explicitly (or by a glob) always run."""
    names = select_methods(spec)
    explicit = set()
    for tok in ",".join(spec).split(","):
        tok = tok.strip()
        if tok and tok != "all":
            explicit.update(select_methods(tok))
    infos, skipped = [], {}
    cuda = None
    for name in names:
        info = get_method(name)
        if info.slow and name not in explicit:
            skipped[name] = f"slow; left out of 'all' (run it with --methods {name})"
            continue
        if info.needs_gpu and name not in explicit:
            cuda = _has_cuda() if cuda is None else cuda
            if not cuda:
                skipped[name] = (
                    "needs a GPU and none is visible; left out of 'all' "
                    f"(run it on the CPU with --methods {name})"
                )
                continue
        infos.append(info)
    if not infos:
        raise BenchError(
            "no methods left to run: " + "; ".join(f"{k}: {v}" for k, v in skipped.items())
        )
    return infos, skipped


def make_plan(config: BenchConfig) -> Plan:
    """Resolve names, load data, check parameters, and list every fit. Fails before computing."""
    methods, skipped = resolve_methods(config.methods)
    for name, params in config.params.items():
        info = get_method(name)  # unknown method names in params raise with "did you mean"
        try:  # unknown parameter names and invalid values raise here, before any work
            info.make(**params).check_params()
        except (ValueError, TypeError) as exc:
            raise BenchError(f"invalid parameter: {exc}") from None
    for name in config.timeouts:
        get_method(name)  # a time limit for an unknown method is a typo: say so
    from bench.metrics import get_metric

    for name in config.metrics:
        get_metric(name)
    # Data: one instance per dataset, or one per seed for generated (seeded) families.
    datasets: dict[tuple[str, int | None], Dataset] = {}
    for sel in select_datasets(config.datasets):
        family = get_family(sel.family)
        for name in sel.names:
            for s in config.seeds if family.seeded else [None]:
                datasets[(name, s)] = load_dataset(name, seed=s)
    fits: list[Fit] = []
    for info in methods:
        params = {**info.defaults, **config.params.get(info.name, {})}
        code = method_code_version(info)
        for (name, data_seed), ds in datasets.items():
            if info.level == "group":
                units = [("group", 0, ds.data_hash())]
            else:
                units = [
                    (sid, k, subject_hash(x, ds.truth_for(sid)))
                    for k, (sid, x) in enumerate(zip(ds.subjects, ds.series, strict=True))
                ]
            if data_seed is not None:
                seeds: list[int | None] = [data_seed]
            else:
                seeds = [None] if info.deterministic else list(config.seeds)
            for seed in seeds:
                for sid, k, dh in units:
                    key = record_key(info.name, params, name, dh, seed, code)
                    fits.append(Fit(info.name, params, name, sid, k, seed, key, dh, data_seed))
    return Plan(config, methods, datasets, fits, skipped)


# --------------------------------------------------------------------------- execution


def _limit_threads(n: int) -> None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n)
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def execute_fits(
    method: str,
    params: dict[str, Any],
    context: dict[str, Any],
    items: list[tuple[str, int | None, Any]],
) -> list[dict[str, Any]]:
    """Fit ``method`` on each ``(subject, random_state, X)``; never raises.

    Returns one dict per item with ``status`` (``ok`` / ``failed`` / ``unavailable``), ``error``,
    ``estimate``, ``wall_time_s`` and ``peak_rss_mb`` (the process's high-water mark after the
    fit). Runs in a worker process or in the driver.
    """
    out = []
    try:
        info = get_method(method)
    except Exception as exc:  # pragma: no cover - names are resolved before planning
        return [_failure(s, exc) for s, _, _ in items]
    missing = info.missing_packages()
    for subject, random_state, x in items:
        if missing:
            out.append(
                {
                    "subject": subject,
                    "status": "unavailable",
                    "error": f"missing package(s): {', '.join(missing)}",
                    "estimate": None,
                    "wall_time_s": 0.0,
                    "peak_rss_mb": _peak_rss_mb(),
                }
            )
            continue
        t0 = time.perf_counter()
        try:
            p = dict(params)
            if random_state is not None and "random_state" in info.defaults:
                p["random_state"] = random_state
            est = info.make(**p)
            ctx = FitContext(**{**context, "dataset": f"{context['dataset']} {subject}"})
            est.fit(x, ctx)
            result = est.estimate()
            out.append(
                {
                    "subject": subject,
                    "status": "ok",
                    "error": "",
                    "estimate": result,
                    "wall_time_s": time.perf_counter() - t0,
                    "peak_rss_mb": _peak_rss_mb(),
                }
            )
        except Exception as exc:
            r = _failure(subject, exc)
            r["wall_time_s"] = time.perf_counter() - t0
            out.append(r)
    return out


def _failure(subject: str, exc: BaseException) -> dict[str, Any]:
    status = "unavailable" if isinstance(exc, UnavailableError) else "failed"
    msg = f"{type(exc).__name__}: {exc}" if not isinstance(exc, BenchError) else str(exc)
    if not isinstance(exc, BenchError):
        tb = traceback.extract_tb(exc.__traceback__)
        if tb:
            msg += f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})"
    return {
        "subject": subject,
        "status": status,
        "error": msg.splitlines()[0] if msg else type(exc).__name__,
        "estimate": None,
        "wall_time_s": 0.0,
        "peak_rss_mb": _peak_rss_mb(),
    }


# --------------------------------------------------------------------------- scoring


def score(truth: np.ndarray, est: Estimate) -> dict[str, float | None]:
    """Metrics of one estimate; oracle metrics over epochs when the estimate carries them."""
    from bench.metrics import compute_metrics

    m = compute_metrics(truth, est.adjacency, est.scores)
    epochs = est.extra.get("epoch_adjacency")
    if isinstance(epochs, np.ndarray) and epochs.ndim == 3 and len(epochs):
        per_epoch = [compute_metrics(truth, a.astype(bool), None) for a in epochs]
        for name, best in (("f1", max), ("precision", max), ("recall", max)):
            m[f"oracle_best_{name}"] = best(e[name] for e in per_epoch)  # type: ignore[type-var]
        for name in ("shd", "shd_fpfn"):
            m[f"oracle_best_{name}"] = min(e[name] for e in per_epoch)  # type: ignore[type-var]
    return m


# --------------------------------------------------------------------------- driver


@dataclass
class RunResult:
    """What a benchmark run produced."""

    config: BenchConfig
    records: list[Record]
    long: pd.DataFrame  # method, dataset, seed, metric, value (mean over subjects)
    per_subject: pd.DataFrame
    table_files: list[Path]
    tables_text: str
    skipped: dict[str, str]
    n_computed: int
    n_cached: int
    experiment_id: str | None = None
    wall_time_s: float = 0.0


def _job(plan: Plan, k: int, f: Fit) -> Job:
    """The executor job for fit ``f`` (its data, seed-derived random state and time limit)."""
    ds = plan.data(f)
    info = get_method(f.method)
    context = {
        "dataset": ds.name,
        "family": ds.info.kind,
        "description": ds.info.description,
        "tr": ds.tr,
        "seed": f.seed,
    }
    rs = None if f.seed is None else fit_random_state(f.seed, f.dataset, f.index)
    x = list(ds.series) if info.level == "group" else ds.series[f.index]
    cfg = plan.config
    return Job(
        id=k,
        method=f.method,
        params=f.params,
        context=context,
        item=(f.subject, rs, x),
        timeout=cfg.timeouts.get(f.method, cfg.timeout),
        needs_gpu=info.needs_gpu,
        # group-level fits (one big model per dataset) get every core; see the module docstring
        threads=(os.cpu_count() or 1) if info.level == "group" else None,
    )


def _units(plan: Plan) -> dict[tuple[str, str, int], list[Fit]]:
    """The fits behind each (method, dataset, seed) unit; a deterministic fit serves every seed."""
    units: dict[tuple[str, str, int], list[Fit]] = {}
    for f in plan.fits:
        for s in plan.config.seeds if f.seed is None else [f.seed]:
            units.setdefault((f.method, f.dataset, s), []).append(f)
    return units


def _check_results_folder(results: Path) -> None:
    try:
        results.mkdir(parents=True, exist_ok=True)
        probe = results / ".bench-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise BenchError(f"results folder {results}: not writable ({exc.strerror})") from None


def run_benchmark(
    config: BenchConfig,
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> RunResult:
    """Run a whole benchmark described by ``config`` and return its results.

    Everything that can fail on bad input (names, parameters, data files, the results folder,
    the tracking server) fails before the first fit. A (method, dataset, seed) unit is scored
    and logged to MLflow as soon as its last fit finishes, so an interrupted run keeps what it
    finished, records and MLflow runs alike, and a re-run computes and logs only the rest.
    """
    from bench import tracking

    say = log or (lambda msg: print(msg, file=sys.stderr))
    t_start = time.perf_counter()
    plan = make_plan(config)
    results = config.results_dir
    _check_results_folder(results)
    tracker = tracking.Tracker.open(config, results) if config.track else None
    executor = make_executor(config)
    if isinstance(executor, RayExecutor):
        executor.connect()  # an unreachable cluster fails here, before any fit

    store = RecordStore(results)
    versions = package_versions()
    codes = {m.name: method_code_version(m) for m in plan.methods}
    records: dict[str, Record] = {}
    pending: list[Fit] = []
    for f in plan.fits:
        if not config.rerun:
            rec = store.load_ok(store.find(f.method, f.dataset, f.subject, f.seed, f.key))
            if rec is not None:
                records[f.key] = rec
                continue
        pending.append(f)
    n_cached = len(plan.fits) - len(pending)

    for name, why in plan.skipped.items():
        say(f"note: {name}: {why}")
    for (name, data_seed), ds in plan.datasets.items():
        for sid, why in ds.missing.items():
            at = "" if data_seed is None else f" (seed {data_seed})"
            say(f"note: {name}{at}: subject {sid} is missing and is skipped: {why}")
    n_methods, n_data = len(plan.methods), len({name for name, _ in plan.datasets})
    group = any(get_method(f.method).level == "group" for f in pending)
    say(
        f"plan: {n_methods} method(s) × {n_data} dataset(s) × seeds {config.seeds}: "
        f"{len(plan.fits)} fits ({n_cached} cached, {len(pending)} to compute) "
        f"on {executor.describe()}"
        + (f"; group-level fits one at a time on {os.cpu_count() or 1} thread(s)" if group else "")
    )

    def scored(f: Fit, rec: Record) -> Record:
        if rec.status == "ok" and rec.estimate is not None:
            ds = plan.data(f)
            truth = ds.group_truth() if f.subject == "group" else ds.truth_for(f.subject)
            rec.metrics = score(truth, rec.estimate)  # the driver scores; estimators never do
        return rec

    # units log to MLflow as soon as all their fits are done
    units = _units(plan)
    waiting = {u: {f.key for f in fits} for u, fits in units.items()}
    fit_units: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for u, fits in units.items():
        for f in fits:
            fit_units[f.key].append(u)
    session = tracker.session(plan, versions) if tracker is not None else None

    def done(f: Fit) -> None:
        for u in fit_units[f.key]:
            waiting[u].discard(f.key)
            if not waiting[u] and session is not None:
                session.log_unit(u, [records[g.key] for g in units[u]])

    for f in plan.fits:
        if f.key in records:
            scored(f, records[f.key])
            done(f)

    bar = None
    if progress and pending:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=len(pending), unit="fit", desc="fitting", file=sys.stderr, dynamic_ncols=True
        )

    def on_result(job: Job, r: dict[str, Any]) -> None:
        f = pending[job.id]
        est: Estimate | None = r["estimate"]
        small = {
            k: v for k, v in (est.extra if est else {}).items() if not isinstance(v, np.ndarray)
        }
        rec = Record(
            key=f.key,
            method=f.method,
            params=f.params,
            dataset=f.dataset,
            data_hash=f.data_hash,
            subject=f.subject,
            seed=f.seed,
            status=r["status"],
            error=r["error"],
            wall_time_s=round(r["wall_time_s"], 6),
            peak_rss_mb=round(r["peak_rss_mb"], 1),
            versions=versions,
            code_version=codes[f.method],
            extra=small,
            estimate=est,
        )
        store.write(rec)
        records[f.key] = scored(f, rec)
        if rec.status != "ok":
            say(f"warning: {f.method} on {f.dataset} {f.subject}: {rec.status}: {rec.error}")
        done(f)
        if bar is not None:
            bar.set_postfix_str(f"{f.method} {f.dataset}", refresh=False)
            bar.update(1)

    # subject-level fits first (they share the workers), then group-level ones with every core
    order = sorted(
        range(len(pending)), key=lambda k: get_method(pending[k].method).level == "group"
    )
    try:
        executor.run((_job(plan, k, pending[k]) for k in order), on_result)
    finally:
        if bar is not None:
            bar.close()

    # ---- per-subject table and aggregation
    rows = []
    for f in plan.fits:
        rec = records[f.key]
        for s in config.seeds if f.seed is None else [f.seed]:
            row = {
                "method": f.method,
                "dataset": f.dataset,
                "seed": s,
                "subject": f.subject,
                "status": rec.status,
                "error": rec.error,
                "reused_across_seeds": f.seed is None,
                "wall_time_s": rec.wall_time_s,
                "peak_rss_mb": rec.peak_rss_mb,
            }
            row.update({k: (np.nan if v is None else v) for k, v in rec.metrics.items()})
            rows.append(row)
    for info in plan.methods:
        for (name, data_seed), ds in plan.datasets.items():
            for sid, why in ds.missing.items():
                for s in config.seeds if data_seed is None else [data_seed]:
                    rows.append(
                        {
                            "method": info.name,
                            "dataset": name,
                            "seed": s,
                            "subject": sid,
                            "status": "missing",
                            "error": why,
                        }
                    )
    per_subject = pd.DataFrame(rows)
    long = aggregate(per_subject)

    # ---- tables: the same code as `bench report`, so both give the same files
    tables_dir = results / "tables" / config.name
    oracle = frozenset(m.name for m in plan.methods if m.oracle)
    table_files: list[Path] = []
    text = ""
    if len(long):
        from bench.reports.report import ReportOptions, build_report, run_source

        source, units_frame = run_source(per_subject, long, oracle)
        options = ReportOptions(
            metrics=list(config.metrics), layout=config.layout, formats=("md", "tex", "csv")
        )
        try:
            out = build_report(source, units_frame, options, tables_dir, oracle_methods=oracle)
        except BenchError as exc:  # e.g. no successful fit at all: nothing to tabulate
            say(f"warning: no tables: {exc}")
        else:
            table_files = list(out.files)
            text = "\n\n".join(out.printed)
        ps_path = tables_dir / "per_subject.csv"
        atomic_write_text(ps_path, per_subject.to_csv(index=False))
        table_files.append(ps_path)
    exp_id = None
    if session is not None:
        exp_id = session.tracker.experiment_id
        if session.n_new or not session.tracker.has_summary():
            session.tracker.log_summary(config, table_files)

    ordered = [records[f.key] for f in plan.fits]
    return RunResult(
        config=config,
        records=ordered,
        long=long,
        per_subject=per_subject,
        table_files=table_files,
        tables_text=text,
        skipped=plan.skipped,
        n_computed=len(pending),
        n_cached=n_cached,
        experiment_id=exp_id,
        wall_time_s=time.perf_counter() - t_start,
    )


def make_executor(config: BenchConfig) -> LocalExecutor | RayExecutor:
    if config.executor == "ray":
        return RayExecutor(config.ray_address)
    return LocalExecutor(config.n_jobs)


NON_METRIC_COLUMNS = {
    "method",
    "dataset",
    "seed",
    "subject",
    "status",
    "error",
    "reused_across_seeds",
    "wall_time_s",
    "peak_rss_mb",
}


def aggregate(per_subject: pd.DataFrame) -> pd.DataFrame:
    """Mean over successful subjects per (method, dataset, seed), as a long table.

    Returns columns ``method, dataset, seed, metric, value``; ``value`` is NaN where the metric
    is not applicable to every subject (e.g. AUROC of a method without scores). A (method,
    dataset, seed) without any successful subject has no rows (it is missing, not zero).
    Also adds ``seconds_per_fit`` (mean wall time per fit).
    """
    if per_subject.empty:
        return pd.DataFrame(columns=["method", "dataset", "seed", "metric", "value"])
    ok = per_subject[per_subject["status"] == "ok"]
    metric_cols = [c for c in per_subject.columns if c not in NON_METRIC_COLUMNS]
    rows = []
    for (method, dataset, seed), g in ok.groupby(["method", "dataset", "seed"], sort=False):
        for c in metric_cols:
            vals = g[c].to_numpy(dtype=float)
            value = float(np.nanmean(vals)) if np.isfinite(vals).any() else np.nan
            rows.append((method, dataset, seed, c, value))
        rows.append((method, dataset, seed, "seconds_per_fit", float(g["wall_time_s"].mean())))
    return pd.DataFrame(rows, columns=["method", "dataset", "seed", "metric", "value"])
