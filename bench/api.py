"""The public Python API: ``bench.run`` and ``bench.report``. The CLI is a thin layer over it.

Example (a notebook)::

    import bench

    res = bench.run(methods="pc,granger", datasets="smith:1-2", seeds=[0])
    res.summary            # mean ± std over seeds per (method, dataset, metric), a DataFrame
    res.per_subject        # one row per (method, dataset, seed, subject) with every metric
    print(res.tables["f1"])  # the F1 table in Markdown

    rep = bench.report(results="results", layout="grouped", metrics="f1,shd")
    print(rep.tables["grouped"])

``run`` plans, fits, scores, records and (with ``track=True``) logs to MLflow through
:func:`bench.runner.run_benchmark`, then writes the tables with :mod:`bench.reports` (the same
code as ``bench report``). ``results=None`` keeps everything in a temporary folder that lives as
long as the returned object (nothing is cached between calls); give a folder to keep records,
tables and the MLflow store, and to resume.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bench.config import BenchConfig, build_config
from bench.lock import ResultsLock
from bench.records import Record, atomic_write_text
from bench.runner import RunResult, run_benchmark
from bench.types import BenchError

__all__ = [
    "BenchResult",
    "ReportResult",
    "ablation",
    "report",
    "run",
    "run_config",
    "transfer",
]


def _tokens(v: str | Sequence[str] | None) -> list[str] | None:
    """A selection given as one string or a list, as a list (``None`` stays ``None``)."""
    if v is None:
        return None
    return [v] if isinstance(v, str) else list(v)


def _metric_names(metrics: str | Sequence[str] | None) -> list[str] | None:
    """``"f1,shd"`` or ``["f1", "shd"]`` as a list of names (``None`` stays ``None``)."""
    if metrics is None:
        return None
    names = metrics.split(",") if isinstance(metrics, str) else metrics
    return [m.strip() for m in names if m.strip()]


def _log_for(progress: bool) -> Any:
    """The ``log`` argument of a run: silent without progress, else the default (stderr)."""
    return (lambda msg: None) if not progress else None


def _results_folder(
    results: str | os.PathLike[str] | None, kind: str
) -> tuple[tempfile.TemporaryDirectory[str] | None, str]:
    """``results``, or a temporary folder (returned too, so that the result object can keep it
    alive) when it is ``None``."""
    if results is not None:
        return None, str(results)
    tmp = tempfile.TemporaryDirectory(prefix=f"bench-{kind}-")
    return tmp, tmp.name


@dataclass
class BenchResult:
    """What :func:`run` returns: the run's frames, tables and where its files are."""

    run: RunResult
    tables: dict[str, str]  # table stem (e.g. "f1", "grouped", "oracle/f1") -> Markdown
    printed: list[str]  # the Markdown tables worth printing (F1 and SHD, or the whole layout)
    table_files: list[Path]
    tables_dir: Path
    notes: list[str] = field(default_factory=list)
    printed_tables: list[Any] = field(default_factory=list)  # the same, as Table objects
    _tmp: Any = None  # a TemporaryDirectory when results=None (kept alive with this object)

    @property
    def config(self) -> BenchConfig:
        return self.run.config

    @property
    def per_subject(self) -> pd.DataFrame:
        """One row per (method, dataset, seed, subject): status, error, times and metrics."""
        return self.run.per_subject

    @property
    def long(self) -> pd.DataFrame:
        """The mean over subjects per (method, dataset, seed) unit, long format."""
        return self.run.long

    @property
    def summary(self) -> pd.DataFrame:
        """Mean ± std over seeds per (method, dataset, metric)."""
        return self.run.summary

    @property
    def records(self) -> list[Record]:
        return self.run.records

    @property
    def results_dir(self) -> Path:
        return self.run.config.results_dir

    def __repr__(self) -> str:
        c = self.run.status_counts
        status = ", ".join(f"{n} {s}" for s, n in sorted(c.items()))
        return (
            f"BenchResult({len(self.run.records)} fits: {status}; "
            f"{self.run.long['method'].nunique() if len(self.run.long) else 0} method(s); "
            f"tables in {self.tables_dir})"
        )


def write_run_tables(
    result: RunResult,
) -> tuple[dict[str, str], list[str], list[Path], list[str], list[Any]]:
    """Write the run's tables (Markdown, LaTeX, CSV) and ``per_subject.csv``; log the summary run.

    Returns ``(tables, printed, files, notes, printed_tables)``. ``per_subject.csv`` (with the
    status column) is written even when no fit succeeded; the tables then are not, and a note
    says why.
    """
    from bench.reports.identifiability import identifiability_table
    from bench.reports.report import ReportOptions, build_report, run_source
    from bench.reports.tables import table_latex, table_markdown

    config = result.config
    tables_dir = config.results_dir / "tables" / config.name
    tables_dir.mkdir(parents=True, exist_ok=True)
    tables: dict[str, str] = {}
    printed: list[str] = []
    printed_tables: list[Any] = []
    files: list[Path] = []
    notes: list[str] = []
    if len(result.per_subject):
        source, units = run_source(result.per_subject, result.long, result.oracle_methods)
        options = ReportOptions(
            metrics=list(config.metrics), layout=config.layout, formats=("md", "tex", "csv")
        )
        try:
            out = build_report(
                source, units, options, tables_dir, oracle_methods=result.oracle_methods
            )
        except BenchError as exc:  # e.g. no successful fit at all: nothing to tabulate
            notes.append(f"no tables: {exc}")
        else:
            files += out.files
            printed = list(out.printed)
            printed_tables = list(out.printed_tables)
            for path in out.files:
                if path.suffix == ".md":
                    stem = path.relative_to(tables_dir).with_suffix("").as_posix()
                    tables[stem] = path.read_text()
        from bench.reports.optimism import write_optimism

        for path in write_optimism(  # oracle/optimism.*: own F1 and the best threshold's
            result.per_subject, tables_dir / "oracle", oracle_methods=result.oracle_methods
        ):
            files.append(path)
            if path.suffix == ".md":
                tables[path.relative_to(tables_dir).with_suffix("").as_posix()] = path.read_text()
        ident = identifiability_table(result.summary) if len(result.long) else None
        if ident is not None:  # a run on the canary suite: which method recovers what
            tex = table_latex(identifiability_table(result.summary, ("yes", "no")))  # type: ignore[arg-type]
            for suffix, text in (("md", table_markdown(ident)), ("tex", tex)):
                path = tables_dir / f"identifiability.{suffix}"
                atomic_write_text(path, text)
                files.append(path)
            tables["identifiability"] = table_markdown(ident)
            printed.append(tables["identifiability"])
            printed_tables.append(ident)
    ps_path = tables_dir / "per_subject.csv"
    atomic_write_text(ps_path, result.per_subject.to_csv(index=False))
    files.append(ps_path)
    tracker = result.tracker
    if tracker is not None and (result.n_logged or not tracker.has_summary()):
        tracker.log_summary(config, files)
    return tables, printed, files, notes, printed_tables


def run_config(config: BenchConfig, *, progress: bool = True, log: Any = None) -> BenchResult:
    """Run the benchmark ``config`` describes and write its tables (see :func:`run`)."""
    with ResultsLock(config.results_dir):  # held until the tables are written too
        result = run_benchmark(config, progress=progress, log=log)
        tables, printed, files, notes, shown = write_run_tables(result)
    tables_dir = config.results_dir / "tables" / config.name
    return BenchResult(result, tables, printed, files, tables_dir, notes, shown)


def run(
    methods: str | Sequence[str] = "all",
    datasets: str | Sequence[str] = "smith",
    seeds: Iterable[int] = (0, 1, 2),
    *,
    track: bool = False,
    results: str | os.PathLike[str] | None = None,
    name: str = "bench",
    params: dict[str, dict[str, Any]] | None = None,
    jobs: int = 0,
    timeout: float | None = None,
    timeouts: dict[str, float] | None = None,
    metrics: str | Sequence[str] | None = None,
    layout: str | None = None,
    rerun: bool = False,
    config: str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
    progress: bool = False,
) -> BenchResult:
    """Run a benchmark and return its results (``bench run`` as a function).

    ``methods`` / ``datasets`` take what the command line takes (``"all"``, comma lists, globs,
    ``"smith:1-4"``, subjects ``"smith:3@1-10"``), as a string or a list. ``params`` maps a
    method to parameter overrides (``{"granger": {"alpha": 0.01}}``); ``config`` reads a TOML or
    YAML file first (the other arguments given here override it). ``track=False`` (default here,
    unlike the CLI) skips MLflow. ``results=None`` uses a temporary folder (see the module
    docstring). Bad input raises :class:`bench.types.BenchError` with a one-line message.
    """
    tmp, results = _results_folder(results, "run")

    cfg = build_config(
        None if config is None else str(config),
        methods=_tokens(methods),
        datasets=_tokens(datasets),
        seeds=[int(s) for s in seeds],
        jobs=jobs,
        timeout=timeout,
        timeouts=timeouts,
        results=str(results),
        name=name,
        tracking_uri=tracking_uri,
        metrics=_metric_names(metrics),
        layout=layout,
        params=params,
        rerun=rerun,
        track=track,
    )
    out = run_config(cfg, progress=progress, log=_log_for(progress))
    out._tmp = tmp
    return out


@dataclass
class ReportResult:
    """What :func:`report` returns: the tables (Markdown by stem) and the files written."""

    tables: dict[str, str]
    printed: list[str]
    files: list[Path]
    figures: list[Any]
    messages: list[str]
    out: Path
    printed_tables: list[Any] = field(default_factory=list)  # ``printed`` as Table objects


def report(
    results: str | os.PathLike[str] = "results",
    *,
    name: str = "bench",
    methods: str | Sequence[str] | None = None,
    datasets: str | Sequence[str] | None = None,
    seeds: Iterable[int] | None = None,
    metrics: str | Sequence[str] | None = None,
    layout: str = "auto",
    formats: str | Sequence[str] = ("md", "tex", "csv", "html"),
    stats: bool = False,
    figures: bool = False,
    figure_subject: str | None = None,
    out: str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
    log_figures: bool = True,
    log_files: bool = True,
    spread: str = "subjects",
    tex_fit: str = "auto",
    tex_width: float = 345.0,
    tex_float: str = "table",
    optimism: bool = False,
) -> ReportResult:
    """Rebuild the tables (and statistics, figures, HTML) from the runs tracked in MLflow.

    ``bench report`` as a function; filters take the ``bench run`` grammar. Figures are also
    logged to their MLflow runs unless ``log_figures=False``, and the tables, statistics and
    ``index.html`` to the experiment's ``report | <name>`` run (under ``report/``) unless
    ``log_files=False``. ``spread`` chooses what ± means in the tables (``subjects``: the SD
    over subjects, default; ``ci95``; ``seeds``), ``tex_fit`` / ``tex_width`` / ``tex_float``
    how a wide LaTeX table fits the page (see :func:`bench.reports.tables.latex_layout`).
    ``optimism=True`` also writes the threshold-optimism table and figure under ``oracle/``
    (:mod:`bench.reports.optimism`).
    """
    from bench import registry
    from bench.config import DEFAULT_TABLE_METRICS
    from bench.reports.report import (
        ReportOptions,
        SubjectSubset,
        build_report,
        log_report_files,
        open_source,
        select_units,
        split_subject_filter,
    )
    from bench.reports.report import (
        log_figures as _log_figures,
    )
    from bench.tracking import Tracker

    results = Path(results)
    if not results.is_dir() and not (tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")):
        raise BenchError(f"results folder {results}: not found (run 'bench run' first)")

    def tokens(v: str | Sequence[str] | None) -> list[str]:
        if v is None:
            return []
        items = [v] if isinstance(v, str) else list(v)
        return [t.strip() for item in items for t in item.split(",") if t.strip()]

    options = ReportOptions(
        metrics=tokens(metrics) or list(DEFAULT_TABLE_METRICS),
        layout=layout,
        formats=tokens(formats),
        stats=stats,
        figures=figures,
        figure_subject=figure_subject,
        title=f"bench report: {name}",
        spread=spread,
        tex_fit=tex_fit,
        tex_width=float(tex_width),
        tex_float=tex_float,
    )
    config = BenchConfig(name=name, results=str(results), tracking_uri=tracking_uri)
    tracker = Tracker.open(config, results, update_views=False)
    source, cleanup = open_source(tracker.client, tracker.experiment_id)
    target = Path(out) if out is not None else results / "tables" / name
    try:
        if source.units.empty:
            raise BenchError(f"experiment '{name}' at {tracker.uri} has no result runs")
        names, specs = (None, {})
        if datasets is not None:
            names, specs = split_subject_filter(datasets, known=source.units["dataset"])
        units = select_units(source.units, methods=methods, datasets=names, seeds=seeds)
        view: Any = source
        if specs:  # subjects chosen in the filter: re-aggregate those units over them
            wanted = {
                d: specs[t] for t in specs for d in select_units(units, datasets=t)["dataset"]
            }
            view = SubjectSubset(source, units, wanted)
            units = view.units
        registry._load_plugins()
        oracle = [n for n, m in registry.METHODS.items() if m.oracle]
        res = build_report(view, units, options, target, oracle_methods=oracle)
        if optimism:
            from bench.reports.optimism import source_per_subject, write_optimism

            res.files += write_optimism(
                source_per_subject(view, units),
                target / "oracle",
                oracle_methods=[*oracle, *units.loc[units["oracle"], "method"]],
                figure=True,
            )
    finally:
        cleanup()
    if res.figures and log_figures:
        _log_figures(tracker.client, tracker.experiment_id, res.figures, name)
    if log_files:
        log_report_files(tracker.client, tracker.experiment_id, target, res.files, name)
    tables = {
        p.relative_to(target).with_suffix("").as_posix(): p.read_text()
        for p in res.files
        if p.suffix == ".md"
    }
    messages = [*source.messages, *res.messages]
    return ReportResult(
        tables, res.printed, res.files, res.figures, messages, target, res.printed_tables
    )


# --------------------------------------------------------------------------- protocols


@dataclass
class ProtocolOutput:
    """What a protocol function returns: its result object (``summary`` and ``long`` read from
    it), the files written, the Markdown worth printing and the output folder. ``_tmp`` keeps a
    temporary results folder alive as long as the object."""

    result: Any
    files: list[Path]
    printed: list[str]
    out: Path
    _tmp: Any = field(default=None, kw_only=True)

    @property
    def summary(self) -> pd.DataFrame:
        return self.result.summary

    @property
    def long(self) -> pd.DataFrame:
        return self.result.long


@dataclass
class SweepOutput(ProtocolOutput):
    """What :func:`sweep` returns: the sweep (:class:`bench.sweeps.SweepResult`), the files
    written, the Markdown worth printing and the MLflow parent run."""

    parent_run_id: str | None = None
    n_logged: int = 0


def sweep_config(
    config: BenchConfig,
    grid: Sequence[str] = (),
    *,
    choose_on: Sequence[str] | None = None,
    choose_by: str | None = None,
    figures: bool = True,
    out: str | os.PathLike[str] | None = None,
    progress: bool = True,
    log: Any = None,
) -> SweepOutput:
    """Run the sweep of ``config`` (its ``sweep`` table and the ``grid`` options), write its
    tables and figures and (with ``config.track``) log it to MLflow (see :mod:`bench.sweeps`)."""
    from bench.reports.sweep_plots import write_sweep
    from bench.sweeps import grids_from, log_sweep, run_sweep, sweep_options

    file_grids, options = sweep_options(config.sweep)
    grids = grids_from(list(grid), file_grids)
    spec = choose_on if choose_on is not None else options.get("choose_on", [])
    choose = [spec] if isinstance(spec, str) else list(spec)
    by = choose_by or options.get("choose_by", "f1")
    target = Path(out) if out is not None else config.results_dir / "tables" / config.name
    with ResultsLock(config.results_dir):
        tracker = None
        if config.track:
            from bench.tracking import Tracker

            tracker = Tracker.open(config, config.results_dir)  # unreachable: fails first
        result = run_sweep(
            config, grids, choose_on=choose, choose_by=by, progress=progress, log=log
        )
        files, printed = write_sweep(result, target, list(config.metrics), figures=figures)
        pid, n = log_sweep(result, tracker) if tracker is not None else (None, 0)
    return SweepOutput(result, files, printed, target, pid, n)


def sweep(
    methods: str | Sequence[str] | None = None,
    datasets: str | Sequence[str] = "smith",
    seeds: Iterable[int] = (0, 1, 2),
    *,
    grid: str | Sequence[str] = (),
    params: dict[str, dict[str, Any]] | None = None,
    choose_on: str | Sequence[str] | None = None,
    choose_by: str | None = None,
    track: bool = False,
    results: str | os.PathLike[str] | None = None,
    name: str = "sweep",
    jobs: int = 0,
    timeout: float | None = None,
    metrics: str | Sequence[str] | None = None,
    rerun: bool = False,
    config: str | os.PathLike[str] | None = None,
    tracking_uri: str | None = None,
    figures: bool = True,
    out: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> SweepOutput:
    """A parameter sweep (``bench sweep`` as a function; see :mod:`bench.sweeps`).

    ``grid`` takes ``"pc.alpha=0.01,0.05,0.1"`` options (several for a product grid);
    ``methods`` defaults to the grids' methods. Example::

        out = bench.sweep(grid=["pc.alpha=0.01,0.05,0.1"], datasets="smith:1-3")
        out.summary          # per (method, point, dataset, metric): mean ± std over seeds
    """
    tmp, results = _results_folder(results, "sweep")

    cfg = build_config(
        None if config is None else str(config),
        methods=_tokens(methods),
        datasets=_tokens(datasets),
        seeds=[int(s) for s in seeds],
        jobs=jobs,
        timeout=timeout,
        results=str(results),
        name=name,
        tracking_uri=tracking_uri,
        metrics=_metric_names(metrics),
        params=params,
        rerun=rerun,
        track=track,
    )
    res = sweep_config(
        cfg,
        _tokens(grid) or [],
        choose_on=_tokens(choose_on),
        choose_by=choose_by,
        figures=figures,
        out=out,
        progress=progress,
        log=_log_for(progress),
    )
    res._tmp = tmp
    return res


@dataclass
class ClassifyOutput(ProtocolOutput):
    """What :func:`classify` returns: the classification run
    (:class:`bench.classification.ClassificationRun`), the files written and the Markdown to
    print."""


def classify_config(
    config: BenchConfig,
    options: Any,
    *,
    out: str | os.PathLike[str] | None = None,
    progress: bool = True,
    log: Any = None,
) -> ClassifyOutput:
    """Fit, classify and write the tables (see :mod:`bench.classification`)."""
    from bench.classification import run_classification
    from bench.reports.classify_tables import write_classification

    target = Path(out) if out is not None else config.results_dir / "tables" / config.name
    with ResultsLock(config.results_dir):
        run = run_classification(config, options, progress=progress, log=log)
        files, printed = write_classification(run, options, target)
    return ClassifyOutput(run, files, printed, target)


def classify(
    methods: str | Sequence[str] | None = None,
    cohorts: str | Sequence[str] | None = None,
    seeds: Iterable[int] = (0,),
    *,
    permutations: int = 100,
    outer_folds: int = 5,
    inner_folds: int = 5,
    bootstrap: int = 2000,
    impl: str = "fast",
    results: str | os.PathLike[str] | None = None,
    name: str = "classify",
    params: dict[str, dict[str, Any]] | None = None,
    jobs: int = 0,
    timeout: float | None = None,
    rerun: bool = False,
    out: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> ClassifyOutput:
    """Group classification from estimated EC (``bench classify`` as a function).

    ``methods`` defaults to :data:`bench.classification.DEFAULT_METHODS`, ``cohorts`` (labelled
    datasets: ``cohort:edge``, ``folder:/path`` with ``labels.csv``) to
    :data:`bench.classification.DEFAULT_COHORTS`. The fits are the ordinary cached fits; nothing is
    logged to MLflow.
    """
    from bench.classification import DEFAULT_COHORTS, DEFAULT_METHODS, ClassifyOptions

    tmp, results = _results_folder(results, "classify")

    cfg = build_config(
        None,
        methods=_tokens(methods) or list(DEFAULT_METHODS),
        datasets=_tokens(cohorts) or list(DEFAULT_COHORTS),
        seeds=[int(s) for s in seeds],
        jobs=jobs,
        timeout=timeout,
        results=str(results),
        name=name,
        params=params,
        rerun=rerun,
        track=False,
    )
    options = ClassifyOptions(
        outer_folds=outer_folds,
        inner_folds=inner_folds,
        n_permutations=permutations,
        n_bootstrap=bootstrap,
        impl=impl,  # type: ignore[arg-type]
        n_jobs=cfg.n_jobs,
    ).check()
    res = classify_config(cfg, options, out=out, progress=progress, log=_log_for(progress))
    res._tmp = tmp
    return res


@dataclass
class TransferOutput(ProtocolOutput):
    """What :func:`transfer` returns: the transfer (:class:`bench.transfers.TransferResult`),
    the files written and the Markdown worth printing."""


def transfer_config(
    config: BenchConfig,
    train: Sequence[str],
    test: Sequence[str],
    *,
    out: str | os.PathLike[str] | None = None,
    progress: bool = True,
    log: Any = None,
) -> TransferOutput:
    """Train on ``train``, estimate on ``test`` with frozen weights, write the tables (see
    :mod:`bench.transfers`)."""
    from bench.reports.transfer import write_transfer
    from bench.transfers import run_transfer

    target = Path(out) if out is not None else config.results_dir / "tables" / config.name
    with ResultsLock(config.results_dir):
        res = run_transfer(config, list(train), list(test), progress=progress, log=log)
        files, printed = write_transfer(res, target, list(config.metrics))
    return TransferOutput(res, files, printed, target / "transfer")


def transfer(
    methods: str | Sequence[str] = "brainec-llm",
    train: str | Sequence[str] = "smith:1",
    test: str | Sequence[str] = "smith:5",
    seeds: Iterable[int] = (0,),
    *,
    params: dict[str, dict[str, Any]] | None = None,
    track: bool = False,
    results: str | os.PathLike[str] | None = None,
    name: str = "transfer",
    jobs: int = 0,
    timeout: float | None = None,
    metrics: str | Sequence[str] | None = None,
    rerun: bool = False,
    tracking_uri: str | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> TransferOutput:
    """Zero-shot transfer (``bench transfer`` as a function; see :mod:`bench.transfers`).

    Example::

        out = bench.transfer("brainec-llm", train="smith:1", test="smith:5,smith:2")
        out.summary    # per (method, source, target, metric): mean ± std over seeds
    """
    tmp, results = _results_folder(results, "transfer")
    cfg = build_config(
        None,
        methods=_tokens(methods),
        datasets=_tokens(train),
        seeds=[int(s) for s in seeds],
        jobs=jobs,
        timeout=timeout,
        results=str(results),
        name=name,
        tracking_uri=tracking_uri,
        metrics=_metric_names(metrics),
        params=params,
        rerun=rerun,
        track=track,
    )
    res = transfer_config(
        cfg,
        _tokens(train) or [],
        _tokens(test) or [],
        out=out,
        progress=progress,
        log=_log_for(progress),
    )
    res._tmp = tmp
    return res


@dataclass
class AblationOutput(ProtocolOutput):
    """What :func:`ablation` returns: the ablation (:class:`bench.ablations.AblationResult`),
    the files written and the Markdown worth printing."""


def ablation_config(
    config: BenchConfig,
    method: str,
    *,
    floor: bool = True,
    progress: bool = True,
    log: Any = None,
) -> AblationOutput:
    """Run the ablation of ``method`` and write its tables (see :mod:`bench.ablations`)."""
    from bench.ablations import ablation_result, ablation_run_config
    from bench.reports.ablation import write_ablation

    cfg, methods, labels = ablation_run_config(config, method, floor=floor)
    with ResultsLock(config.results_dir):
        run = run_config(cfg, progress=progress, log=log)
        res = ablation_result(cfg, method, methods, labels, run)
        target = res.bench.tables_dir
        files, printed = write_ablation(res, target)
    return AblationOutput(res, files, printed, target)


def ablation(
    method: str = "brainec-llm",
    datasets: str | Sequence[str] = "smith:1",
    seeds: Iterable[int] = (0,),
    *,
    params: dict[str, dict[str, Any]] | None = None,
    floor: bool = True,
    track: bool = False,
    results: str | os.PathLike[str] | None = None,
    name: str = "ablation",
    jobs: int = 0,
    timeout: float | None = None,
    rerun: bool = False,
    tracking_uri: str | None = None,
    progress: bool = False,
) -> AblationOutput:
    """The ablation table of ``method`` (``bench ablation`` as a function; see
    :mod:`bench.ablations`): the method, its registered ablations and the random floor."""
    tmp, results = _results_folder(results, "ablation")
    cfg = build_config(
        None,
        methods=[method],
        datasets=_tokens(datasets),
        seeds=[int(s) for s in seeds],
        jobs=jobs,
        timeout=timeout,
        results=str(results),
        name=name,
        tracking_uri=tracking_uri,
        params=params,
        rerun=rerun,
        track=track,
    )
    quiet = _log_for(progress)
    res = ablation_config(cfg, method, floor=floor, progress=progress, log=quiet)
    res._tmp = tmp
    return res
