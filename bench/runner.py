"""The driver: plan, execute, score, record, track. The caller writes the tables.

Flow: config → plan of fits (:mod:`bench.plan`) → executor (:mod:`bench.executor`, each fit in a
worker: :mod:`bench.fitting`) → scoring in the driver (:mod:`bench.scoring`) → one record per fit
(:mod:`bench.records`) → MLflow, one run per (method, dataset, seed) unit (:mod:`bench.tracking`)
→ per-subject frame and the one aggregation (:mod:`bench.aggregate`). The public API
(:func:`bench.api.run`) and the CLI write the tables from the returned :class:`RunResult` with
:mod:`bench.reports`; the core never imports the reports.

* **One run per folder.** The results folder is locked (:class:`bench.lock.ResultsLock`) for the
  whole run; a second run on it refuses with a one-line error.
* **Before the first fit** everything that can fail on bad input fails: names, parameters and
  data (the plan), every folder the run writes (probed without creating anything), the tracking
  server, the Ray cluster.
* **Scoring before the record.** Estimators never see the truth: workers return estimates, and
  the driver scores each one (:func:`bench.scoring.score`) before writing its record, once.
  A cached record scored by other scoring code (its ``scoring_version``) is re-scored from its
  stored estimate and its JSON rewritten, so records, tables and MLflow follow the current code.
* **Records and cache.** A fit whose key has an ``ok`` record is not recomputed
  (``rerun=True`` forces it).
* **Executor order.** Subject-level fits first, the longest first by the cost model of
  :mod:`bench.schedule` (which also drives the progress bar's ETA: seconds of work, not fit
  counts), then group-level fits (BrainEC-LLM) one at a time with every core (or the GPU). A
  per-fit time limit kills the fit's worker; a crashed worker costs only its fit.
* **Failures.** A failed fit never stops the others; it is recorded with its status and error,
  and a (method, dataset, seed) unit with no successful fit is missing from the tables.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.aggregate import per_subject_frame, subject_means, summarize
from bench.config import BenchConfig
from bench.executor import Job, LocalExecutor, RayExecutor, preload_modules
from bench.lock import ResultsLock
from bench.plan import POSITIONS, Fit, Plan, fit_random_state, make_plan, method_code_version
from bench.provenance import package_versions, scoring_version
from bench.records import Record, RecordStore
from bench.schedule import CostModel
from bench.scoring import score
from bench.types import BenchError, Dataset, FitOutcome

__all__ = ["RunResult", "run_benchmark", "make_executor", "probe_writable"]


@dataclass
class RunResult:
    """What a benchmark run produced (the tables are written from it by the caller).

    ``per_subject``: one row per (method, dataset, seed, subject) (:mod:`bench.aggregate`);
    ``long``: the mean over subjects per unit; :attr:`summary`: mean ± std over seeds.
    """

    config: BenchConfig
    records: list[Record]
    long: pd.DataFrame  # method, dataset, seed, metric, value (mean over subjects)
    per_subject: pd.DataFrame
    skipped: dict[str, str]
    n_computed: int
    n_cached: int
    oracle_methods: frozenset[str] = frozenset()
    experiment_id: str | None = None
    tracker: Any = None  # the open bench.tracking.Tracker, for the caller's summary run
    n_logged: int = 0  # MLflow unit runs logged (new or replaced) by this run
    warnings: dict[str, Counter[str]] = field(default_factory=dict)  # method -> messages
    wall_time_s: float = 0.0

    @property
    def summary(self) -> pd.DataFrame:
        """Mean ± std over seeds per (method, dataset, metric) (:mod:`bench.aggregate`)."""
        return summarize(self.long) if len(self.long) else summarize(self.long.iloc[:0])

    @property
    def status_counts(self) -> Counter[str]:
        return Counter(r.status for r in self.records)


def make_executor(config: BenchConfig, plan: Plan | None = None) -> LocalExecutor | RayExecutor:
    if config.executor == "ray":
        return RayExecutor(config.ray_address)
    requires = [r for m in (plan.methods if plan else []) for r in m.requires]
    return LocalExecutor(config.n_jobs, preload=preload_modules(requires))


# --------------------------------------------------------------------------- folders


def _nearest_existing(path: Path) -> Path:
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def probe_writable(folders: list[Path]) -> None:
    """Raise :class:`BenchError` naming the first folder of ``folders`` the run cannot write.

    Nothing is created: an existing folder must be a writable directory; a folder still to be
    made needs its nearest existing ancestor to be a writable directory.
    """
    seen: set[Path] = set()
    for folder in folders:
        p = _nearest_existing(Path(folder).absolute())
        if p in seen:
            continue
        seen.add(p)
        if not p.is_dir():
            raise BenchError(f"cannot write {folder}: {p} is not a folder")
        if not os.access(p, os.W_OK | os.X_OK):
            what = "" if p == Path(folder).absolute() else f" (its parent {p} is not writable)"
            raise BenchError(f"results folder {folder}: not writable{what}")


def _written_folders(plan: Plan, store: RecordStore) -> list[Path]:
    """Every folder a run of ``plan`` writes: the root, records per (method, dataset), tables."""
    results = plan.config.results_dir
    out = [results, store.root, results / "tables" / plan.config.name]
    pairs = dict.fromkeys((f.method, f.source) for f in plan.fits)
    out += [store.folder(m, d) for m, d in pairs]
    return out


# --------------------------------------------------------------------------- driver


MODELS = "models"  # <results>/models/<method>/<record key>/: saved fitted models


def model_folder(results: Path, method: str, key: str) -> Path:
    """Where ``run_benchmark(save_models=True)`` keeps the fitted model of the fit ``key``."""
    return Path(results) / MODELS / method / key


SHOWN_PER_KIND = 3  # failure lines printed per (method, status, message); the rest are counted


def fit_context(ds: Dataset, seed: int | None) -> dict[str, Any]:
    """What a fit is told about its data (:class:`bench.types.FitContext` fields; never the
    truth): the dataset's name, family, description and repetition time, and the seed."""
    return {
        "dataset": ds.name,
        "family": ds.info.kind,
        "description": ds.info.description,
        "tr": ds.tr,
        "seed": seed,
    }


def _job(plan: Plan, k: int, f: Fit, save_models: bool = False) -> Job:
    """The executor job for fit ``f`` (its data, seed-derived random state and time limit).

    With ``save_models`` a transferable method's worker also saves the fitted model under
    :func:`model_folder` (``FitContext.model_dir``).
    """
    ds = plan.data(f)
    info = plan.method(f.method)
    context = fit_context(ds, f.seed)
    if save_models and getattr(info.cls, "transferable", False):
        context["model_dir"] = str(model_folder(plan.config.results_dir, f.method, f.key))
    positions = ds.extra.get(POSITIONS) or list(range(len(ds.subjects)))
    rs = None if f.seed is None else fit_random_state(f.seed, f.source, positions[f.index])
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


def _shape(plan: Plan, f: Fit) -> tuple[int, int]:
    """``(N, T)`` of a fit's input (T summed over subjects for a group-level fit)."""
    ds = plan.data(f)
    if f.subject == "group":
        return ds.n_nodes, sum(x.shape[0] for x in ds.series)
    t, n = ds.series[f.index].shape
    return n, t


def _truth(plan: Plan, f: Fit) -> np.ndarray:
    ds = plan.data(f)
    return ds.group_truth() if f.subject == "group" else ds.truth_for(f.subject)


def _rows(plan: Plan, records: dict[str, Record]) -> list[dict[str, Any]]:
    """Per-subject rows of every fit of the plan (per seed) and of every missing subject."""
    rows: list[dict[str, Any]] = []
    for f in plan.fits:
        rec = records[f.key]
        label = plan.method(f.method).label_for(rec.params, rec.extra)
        for s in plan.unit_seeds(f):
            rows.append(
                {
                    "method": f.method,
                    "label": label,
                    "dataset": f.dataset,
                    "seed": s,
                    "subject": f.subject,
                    "status": rec.status,
                    "error": rec.error,
                    "reused_across_seeds": f.seed is None,
                    "wall_time_s": rec.wall_time_s,
                    "peak_rss_mb": rec.peak_rss_mb,
                    "metrics": rec.metrics,
                }
            )
    for info in plan.methods:
        for (label, data_seed), ds in plan.datasets.items():
            for sid, why in ds.missing.items():
                for s in plan.config.seeds if data_seed is None else [data_seed]:
                    rows.append(
                        {
                            "method": info.name,
                            "dataset": label,
                            "seed": s,
                            "subject": sid,
                            "status": "missing",
                            "error": why,
                        }
                    )
    return rows


def run_benchmark(
    config: BenchConfig,
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    save_models: bool = False,
) -> RunResult:
    """Run a whole benchmark described by ``config`` and return its results (no tables).

    Everything that can fail on bad input fails before the first fit (see the module docstring).
    A (method, dataset, seed) unit is logged to MLflow as soon as its last fit is scored, so an
    interrupted run keeps what it finished, records and MLflow runs alike, and a re-run computes
    and logs only the rest. ``save_models``: the fits computed by this run of transferable
    methods also save their fitted model (:func:`model_folder`; used by ``bench transfer``).
    """
    results = config.results_dir
    with ResultsLock(results):
        return _run_locked(config, progress=progress, log=log, save_models=save_models)


def _run_locked(
    config: BenchConfig,
    *,
    progress: bool,
    log: Callable[[str], None] | None,
    save_models: bool = False,
) -> RunResult:
    from bench import tracking

    t_start = time.perf_counter()
    bar: Any = None

    def say(msg: str) -> None:
        if log is not None:
            log(msg)
        elif bar is not None:
            bar.write(msg, file=sys.stderr)
        else:
            print(msg, file=sys.stderr)

    plan = make_plan(config)
    results = config.results_dir
    store = RecordStore(results)
    probe_writable(_written_folders(plan, store))
    tracker = tracking.Tracker.open(config, results) if config.track else None
    executor = make_executor(config, plan)
    if isinstance(executor, RayExecutor):
        executor.connect()  # an unreachable cluster fails here, before any fit

    versions = package_versions()
    scoring = scoring_version()
    codes = {m.name: method_code_version(m) for m in plan.methods}
    records: dict[str, Record] = {}
    pending: list[Fit] = []
    for f in plan.fits:
        if not config.rerun:
            rec = store.load_ok(store.find(f.method, f.source, f.subject, f.seed, f.key))
            if rec is not None:
                if rec.scoring_version != scoring or not rec.metrics:
                    # scored by other scoring code: re-score from the stored estimate, rewrite
                    rec.metrics = score(_truth(plan, f), rec.estimate)  # type: ignore[arg-type]
                    rec.scoring_version = scoring
                    store.write(rec, estimate=False)
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
    group = any(plan.method(f.method).level == "group" for f in pending)
    say(
        f"plan: {n_methods} method(s) × {n_data} dataset(s) × seeds {config.seeds}: "
        f"{len(plan.fits)} fits ({n_cached} cached, {len(pending)} to compute) "
        f"on {executor.describe()}"
        + (f"; group-level fits one at a time on {os.cpu_count() or 1} thread(s)" if group else "")
    )

    # units log to MLflow as soon as all their fits are scored and recorded
    units = plan.units()
    waiting = {u: {f.key for f in fits} for u, fits in units.items()}
    fit_units: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for u, fits in units.items():
        for f in fits:
            fit_units[f.key].append(u)
    session = tracker.session(plan, versions, scoring) if tracker is not None else None

    def done(f: Fit) -> None:
        for u in fit_units[f.key]:
            waiting[u].discard(f.key)
            if not waiting[u] and session is not None:
                session.log_unit(u, [(g, records[g.key]) for g in units[u]])

    for f in plan.fits:
        if f.key in records:
            done(f)

    # longest fits first, by a cost model refined by the cached records' wall times
    model = CostModel(
        (f.method, *_shape(plan, f), records[f.key].wall_time_s)
        for f in plan.fits
        if f.key in records
    )
    cost = {k: model.cost(f.method, *_shape(plan, f)) for k, f in enumerate(pending)}
    order = sorted(
        range(len(pending)),
        key=lambda k: (plan.method(pending[k].method).level == "group", -cost[k]),
    )
    remaining = dict(cost)
    if progress and pending:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=round(sum(cost.values()), 2),
            unit="s",
            desc="fitting",
            file=sys.stderr,
            dynamic_ncols=True,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix} [{elapsed}<{remaining}]",
        )
        bar.set_postfix_str(f"0/{len(pending)} fits", refresh=False)
    warned: dict[str, Counter[str]] = defaultdict(Counter)
    repeated: Counter[tuple[str, str, str]] = Counter()  # (method, status, error) -> fits
    n_done = 0
    last_refresh = time.monotonic()

    def on_result(job: Job, out: FitOutcome) -> None:
        nonlocal n_done, last_refresh
        f = pending[job.id]
        est = out.estimate
        small = {
            k: v for k, v in (est.extra if est else {}).items() if not isinstance(v, np.ndarray)
        }
        rec = Record(
            key=f.key,
            method=f.method,
            params=f.params,
            dataset=f.source,
            data_hash=f.data_hash,
            subject=f.subject,
            seed=f.seed,
            status=out.status,
            error=out.error,
            wall_time_s=round(out.wall_time_s, 6),
            peak_rss_mb=round(out.peak_rss_mb, 1),
            versions=versions,
            code_version=codes[f.method],
            extra=small,
            warnings=list(out.warnings),
            estimate=est,
        )
        if rec.status == "ok" and est is not None:
            rec.metrics = score(_truth(plan, f), est)  # the driver scores; estimators never do
            rec.scoring_version = scoring
        store.write(rec)  # once, with its metrics
        records[f.key] = rec
        warned[f.method].update(out.warnings)
        if rec.status != "ok":  # the first few of each kind, then counted (summary below)
            kind = (f.method, rec.status, rec.error)
            repeated[kind] += 1
            if repeated[kind] <= SHOWN_PER_KIND:
                say(f"warning: {f.method} on {f.dataset} {f.subject}: {rec.status}: {rec.error}")
        done(f)
        n_done += 1
        model.observe(f.method, *_shape(plan, f), out.wall_time_s)
        spent = remaining.pop(job.id, 0.0)
        if bar is not None:
            now = time.monotonic()
            if now - last_refresh > 2.0:  # re-estimate what is left with the refined model
                last_refresh = now
                for k in remaining:
                    remaining[k] = model.cost(pending[k].method, *_shape(plan, pending[k]))
            step = round(spent, 2)
            # total >= n + step exactly (float sums of non-negative terms): no "clamping frac"
            bar.total = bar.n + step + round(sum(remaining.values()), 2)
            bar.set_postfix_str(
                f"{n_done}/{len(pending)} fits, {f.method} {f.dataset}", refresh=False
            )
            bar.update(step)

    # longest subject-level fits first (they share the workers), then group-level ones
    try:
        executor.run((_job(plan, k, pending[k], save_models) for k in order), on_result)
    finally:
        if bar is not None:
            bar.close()
            bar = None
    for (method, status, error), n in repeated.items():
        if n > SHOWN_PER_KIND:
            say(
                f"note: {method}: {n - SHOWN_PER_KIND} more fit(s) {status} with the same "
                f"message ({error[:200]}); per_subject.csv has every one"
            )
    for method, msgs in warned.items():
        if msgs:
            first, n = msgs.most_common(1)[0]
            say(
                f"note: {method}: {sum(msgs.values())} warning(s) from its fits "
                f"({len(msgs)} distinct; most frequent, {n}×: {first[:200]}); "
                "each fit's warnings are in its record"
            )

    per_subject = per_subject_frame(_rows(plan, records))
    long = subject_means(per_subject)
    return RunResult(
        config=config,
        records=[records[f.key] for f in plan.fits],
        long=long,
        per_subject=per_subject,
        skipped=plan.skipped,
        n_computed=len(pending),
        n_cached=n_cached,
        oracle_methods=frozenset(m.name for m in plan.methods if m.oracle),
        experiment_id=tracker.experiment_id if tracker is not None else None,
        tracker=tracker,
        n_logged=session.n_new if session is not None else 0,
        warnings=dict(warned),
        wall_time_s=time.perf_counter() - t_start,
    )
