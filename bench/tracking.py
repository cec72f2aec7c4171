"""MLflow tracking: one experiment per benchmark, one run per (method, dataset, seed).

By default MLflow uses an embedded SQLite store at ``<results>/mlflow.db`` with artifacts under
``<results>/mlartifacts`` (no server needed). ``--tracking-uri`` or ``MLFLOW_TRACKING_URI``
points it at a tracking server instead; an unreachable server fails before anything is computed.

Each result run carries:

* params ``method``, ``dataset``, ``seed``, ``data_hash`` and the method parameters as
  ``p.<name>``;
* metrics, **rounded for display** to :data:`METRIC_DIGITS` significant digits
  (:func:`display_value`; ``0.518666…`` is logged as ``0.5187``): the mean over subjects of
  every metric that applies (``f1``, ``shd``, ``auroc``, ...; a metric that does not apply, e.g.
  AUROC of a method without scores, is not logged), plus ``n_subjects``, ``n_failed``,
  ``seconds_per_fit`` and ``fit_seconds_total``; oracle metrics keep their ``oracle_`` prefix.
  The unrounded per-subject values are the run's ``per_subject_metrics.csv``: ``bench report``
  rebuilds every number from them with :func:`bench.aggregate.subject_means`, never from the
  rounded metrics;
* start and end times set so that the UI's **Duration** is the compute time of the unit's fits
  (the sum of their wall times, ``fit_seconds_total``; a deterministic method's fits serve every
  seed, so each of its seeds shows the same), not the few milliseconds logging took;
* tags ``bench.kind=result``, ``bench.method``, ``bench.dataset``, ``bench.seed``,
  ``bench.run_key`` (the hash of what determined the run, used to avoid duplicates),
  ``bench.logged_at`` (when it was logged, ms since the epoch: the newest run of a unit wins),
  ``bench.reused_across_seeds`` (deterministic method), ``bench.oracle``, ``bench.code_revision``
  and ``v.<package>`` versions;
* artifacts ``estimates.npz`` (every subject's adjacency and scores), ``per_subject_metrics.csv``
  and ``config.json`` (the resolved config).

A summary run (``bench.kind=summary``, tagged with the benchmark's seeds, methods and datasets)
holds the tables; ``bench report`` logs its output (tables, statistics, ``index.html``, figures)
to a report run (``bench.kind=report``). Only the driver process writes here.

The experiment itself (:func:`setup_experiment`) is tagged as a model-training experiment
(``mlflow.experimentKind``), gets a description and two saved views of the runs table
(:func:`saved_views`): MLflow 3 keeps a saved view as the experiment tag
``mlflow.sharedViewState.<id>`` and opens it with ``?viewStateShareKey=<id>``; it lists it
under *Views*.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bench.config import BenchConfig
from bench.types import BenchError

if TYPE_CHECKING:
    from bench.plan import Fit, Plan
    from bench.records import Record

RESULT_TAGS = ("bench.method", "bench.dataset", "bench.seed")
METRIC_DIGITS = 4  # significant digits of the metrics logged to MLflow (display only)
COUNTERS = ("n_subjects", "n_failed", "n_empty_estimates")
VIEW_TAG = "mlflow.sharedViewState."  # MLflow 3's saved views of the runs table
RUNS_VIEW = "bench-runs"
MEAN_VIEW = "bench-mean"
RESULT_FILTER = "tags.`bench.kind` = 'result'"


def display_value(value: float, digits: int = METRIC_DIGITS) -> float:
    """``value`` rounded to ``digits`` significant digits (``0.518666…`` → ``0.5187``,
    ``7.0999…`` → ``7.1``): what MLflow shows. Never used to compute a table."""
    return float(f"{value:.{digits}g}")


def run_order_key(run: Any) -> tuple[int, int]:
    """Sort key putting the most recently logged run last: ``bench.logged_at`` (the start time
    of a run is back-dated by its compute time), else the start time."""
    t = run.data.tags.get("bench.logged_at", "")
    start = int(run.info.start_time or 0)
    return (int(t) if t.isdigit() else start, start)


def ui_state(metrics: Sequence[str], *, grouped: bool = False) -> dict[str, Any]:
    """The runs-table state of a saved view: the result runs, sorted by method, with the
    columns method, dataset, seed, the table metrics and ``fit_seconds_total``; ``grouped``
    groups them by method and dataset (MLflow shows the average over the seeds; those rows are
    made from the rounded metrics: the tables are the reference) and leaves out the seed."""
    keys = ["method", "dataset"] + ([] if grouped else ["seed"])
    columns = [f"params.`{k}`" for k in keys]
    columns += [f"metrics.`{m}`" for m in dict.fromkeys([*metrics, "fit_seconds_total"])]
    group = None
    if grouped:
        group = {
            "aggregateFunction": "average",
            "groupByKeys": [{"mode": "param", "groupByData": k} for k in ("method", "dataset")],
        }
    return {
        "searchFilter": RESULT_FILTER,
        "orderByKey": "params.`method`",
        "orderByAsc": True,
        "startTime": "ALL",
        "lifecycleFilter": "Active",
        "datasetsFilter": [],
        "modelVersionFilter": "All Runs",
        "selectedColumns": columns,
        "columnOrder": [],
        "runsHiddenMode": "SHOW_ALL",
        "groupBy": group,
    }


def saved_views(metrics: Sequence[str], created_ms: int = 0) -> dict[str, str]:
    """Experiment tags holding bench's two saved views of the runs table (see the module
    docstring): ``bench-runs`` (one row per run) and ``bench-mean`` (grouped by method and
    dataset). The tag value is MLflow's saved-view envelope ``{"name", "createdAt",
    "updatedAt", "state"}`` with the state as a JSON string."""
    views = {
        RUNS_VIEW: ("bench: compare methods (one row per seed)", ui_state(metrics)),
        MEAN_VIEW: (
            "bench: mean over seeds (by method and dataset)",
            ui_state(metrics, grouped=True),
        ),
    }
    out = {}
    for k, (key, (name, state)) in enumerate(views.items()):
        t = created_ms + k  # distinct creation times keep the Views list in this order
        out[VIEW_TAG + key] = json.dumps(
            {"name": name, "createdAt": t, "updatedAt": t, "state": json.dumps(state)}
        )
    return out


EXPERIMENT_NOTE = """One run per (method, dataset, seed), logged by **bench**.

* Compare methods: *Views* → **bench: compare methods** (columns method, dataset, seed and the
  table metrics) or **bench: mean over seeds** (grouped by method and dataset).
* Metrics are rounded to 4 significant digits for display. The unrounded per-subject values are
  each run's `per_subject_metrics.csv`; the paper tables (the `summary` run, `bench report` and
  its `report` run) are made from them.
* Duration is the compute time of the run's fits (`fit_seconds_total`).
"""


def setup_experiment(
    client: Any, experiment_id: str, metrics: Sequence[str], *, update: bool = False
) -> None:
    """Tag the experiment as model training, give it a description and bench's saved views.

    ``update=False`` only adds what is missing (a view the user saved over bench's is kept);
    ``update=True`` (``bench run``) rewrites bench's views for ``metrics``, keeping their
    creation time. A user's own description is never replaced.
    """
    exp = client.get_experiment(experiment_id)
    tags = dict(exp.tags or {})
    wanted = {"mlflow.experimentKind": "custom_model_development"}
    if "mlflow.note.content" not in tags:
        wanted["mlflow.note.content"] = EXPERIMENT_NOTE
    created = None
    for key in (VIEW_TAG + RUNS_VIEW, VIEW_TAG + MEAN_VIEW):
        try:
            created = created or int(json.loads(tags[key])["createdAt"])
        except (KeyError, ValueError, TypeError):
            pass
    views = saved_views(metrics, created or int(time.time() * 1000))
    for key, value in views.items():
        if key not in tags or (update and _view_state(tags[key]) != _view_state(value)):
            wanted[key] = value
    for key, value in wanted.items():
        if tags.get(key) != value:
            client.set_experiment_tag(experiment_id, key, value)


def _view_state(envelope: str) -> Any:
    try:
        return json.loads(json.loads(envelope)["state"])
    except (ValueError, KeyError, TypeError):
        return None


def _ordinary_mode(db: Path) -> None:
    """Give a new SQLite store (and its WAL files, which copy the store's mode) the mode of an
    ordinary new file under the user's umask: SQLite creates it 0644 whatever the umask."""
    mask = os.umask(0)
    os.umask(mask)
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            os.chmod(path, 0o666 & ~mask)


def default_uri(results: Path) -> str:
    return f"sqlite:///{Path(results).resolve() / 'mlflow.db'}"


def resolve_uri(config: BenchConfig, results: Path) -> str:
    return config.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_uri(results)


def _quiet_mlflow() -> None:
    # Fail fast on an unreachable server instead of retrying for minutes.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    # MLflow's usage telemetry wraps every client call (and would phone home from a benchmark)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    import logging

    for name in ("mlflow", "alembic", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.WARNING)


_SQLITE_TUNED = False


def _tune_sqlite() -> None:
    """Open MLflow's SQLite store in WAL mode with ``synchronous=NORMAL``.

    MLflow commits after every call (about six per logged run) and SQLite's default rollback
    journal syncs the disk two or three times per commit, which made MLflow logging the larger
    part of a big benchmark's driver time. With a write-ahead log and ``synchronous=NORMAL`` a
    commit is durable against a crash of the process (``kill -9``) and the store stays
    consistent after a power loss (the last commits may then be lost: the runs are logged again
    from the records by the next ``bench run``). Applies to SQLite connections only.
    """
    global _SQLITE_TUNED
    if _SQLITE_TUNED:
        return
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    _SQLITE_TUNED = True


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"\)\]]+)")


def connect_reason(exc: BaseException) -> str:
    """The root cause of a failed connection in a few words (e.g. ``Connection refused``).

    Client libraries wrap the socket error several times over (MLflow's "API request ... failed
    with exception HTTPConnectionPool(...): Max retries exceeded ... (Caused by
    NewConnectionError(...: [Errno 111] Connection refused))"); the ``[Errno]`` text, a timeout
    or a name-resolution failure is what the user needs.
    """
    texts = []
    e: BaseException | None = exc
    while e is not None and len(texts) < 10:
        texts.append(str(e))
        e = e.__cause__ or e.__context__
    text = " ".join(texts)
    m = _ERRNO.search(text)
    if m:
        return m.group(1).strip().rstrip(".")
    for needle in ("timed out", "Name or service not known", "Failed to resolve"):
        if needle in text:
            return needle
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first if len(first) <= 200 else first[:197] + "..."


def _data(plan: Plan, dataset: str, seed: int) -> Any:
    """The dataset instance behind a result run (per seed for generated data)."""
    return plan.datasets.get((dataset, seed)) or plan.datasets[(dataset, None)]


class Tracker:
    """A thin layer over :class:`mlflow.MlflowClient` for one experiment."""

    def __init__(self, client: Any, experiment_id: str, uri: str) -> None:
        self.client = client
        self.experiment_id = experiment_id
        self.uri = uri

    @classmethod
    def open(cls, config: BenchConfig, results: Path, *, update_views: bool = True) -> Tracker:
        """Connect and get or create the experiment named ``config.name``.

        Also sets the experiment up for the UI (:func:`setup_experiment`): ``update_views``
        rewrites bench's saved views for ``config.metrics`` (a benchmark run); otherwise only
        missing ones are added (``bench report``).
        """
        _quiet_mlflow()
        from mlflow import MlflowClient

        _quiet_mlflow()  # again: importing mlflow sets up its own loggers

        uri = resolve_uri(config, results)
        db = Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None
        new_db = db is not None and not db.exists()
        if uri.startswith("sqlite:"):
            _tune_sqlite()
        try:
            client = MlflowClient(tracking_uri=uri)
            exp = client.get_experiment_by_name(config.name)
            if exp is None:
                location = None
                if uri.startswith("sqlite:"):
                    location = (Path(results).resolve() / "mlartifacts" / config.name).as_uri()
                exp_id = client.create_experiment(config.name, artifact_location=location)
            else:
                exp_id = exp.experiment_id
            setup_experiment(client, exp_id, config.metrics, update=update_views)
        except Exception as exc:  # connection refused, bad URI, locked database ...
            raise BenchError(
                f"MLflow tracking at {uri}: cannot connect ({connect_reason(exc)}); start the "
                "server, fix --tracking-uri, or run with --no-track"
            ) from None
        if new_db and db is not None:
            _ordinary_mode(db)
        return cls(client, exp_id, uri)

    # ---------------------------------------------------------------- queries

    def result_runs(self) -> list[Any]:
        """Every finished result run of the experiment."""
        return self.client.search_runs(
            [self.experiment_id],
            filter_string="tags.`bench.kind` = 'result'",
            max_results=50000,
        )

    def has_summary(self) -> bool:
        runs = self.client.search_runs(
            [self.experiment_id], filter_string="tags.`bench.kind` = 'summary'", max_results=1
        )
        return bool(runs)

    # ---------------------------------------------------------------- logging

    def session(self, plan: Plan, versions: dict[str, str], scoring: str) -> Session:
        return Session(self, plan, versions, scoring)

    def log_summary(self, config: BenchConfig, files: list[Path]) -> str | None:
        """A ``summary`` run holding the table files, tagged with what the benchmark covers
        (``bench.seeds`` e.g. ``0,1,2``, ``bench.methods``, ``bench.datasets``)."""
        if not files:
            return None
        now = int(time.time() * 1000)
        run = self.client.create_run(
            self.experiment_id,
            start_time=now,
            tags={
                "bench.kind": "summary",
                "bench.logged_at": str(now),
                "bench.seeds": ",".join(map(str, config.seeds)),
                "bench.methods": ",".join(config.methods)[:4000],
                "bench.datasets": ",".join(config.datasets)[:4000],
                "mlflow.runName": f"summary | {config.name}",
                "mlflow.source.name": "bench run",
            },
        )
        rid = run.info.run_id
        for f in files:
            self.client.log_artifact(rid, str(f), artifact_path="tables")
        self.client.log_text(rid, json.dumps(config.to_dict(), indent=1), "config.json")
        self.client.set_terminated(rid, "FINISHED")
        return rid


def run_metric_rows(
    method: str, dataset: str, seed: int, logged: dict[str, float]
) -> list[tuple[str, str, int, str, float]]:
    """``(method, dataset, seed, metric, value)`` rows from a run's **logged** metrics.

    Only a fallback for a result run without ``per_subject_metrics.csv`` (not written by
    ``bench run``): the logged metrics are rounded (:func:`display_value`). A registered metric
    the run did not log was not applicable and becomes NaN (``n/a``); counters are left out.
    """
    from bench.metrics import METRICS

    rows = []
    for name in list(METRICS) + [k for k in logged if k not in METRICS]:
        if name in (*COUNTERS, "fit_seconds_total"):
            continue
        value = float(logged[name]) if name in logged else float("nan")
        rows.append((method, dataset, seed, name, value))
    return rows


class Session:
    """Logging for one benchmark run: one MLflow run per (method, dataset, seed) unit.

    A unit's run is current when its ``bench.run_key`` matches: the hash of the unit's record
    keys, its seed and the scoring code's version (:func:`bench.provenance.scoring_version`).
    A unit already tracked with a current finished run is skipped, so a re-run adds no
    duplicates. A finished run of the same records scored by other scoring code (same
    ``bench.records_key``, another run key) is **stale**: it is deleted and the unit logged
    again, so MLflow follows a change to a metric. A run left unfinished by an interrupted
    logging step (status RUNNING) is deleted and logged again.

    The metrics logged are the unit's mean over subjects from :func:`bench.aggregate.subject_means`
    (the one aggregation the tables use), rounded for display (:func:`logged_means`); the
    unrounded per-subject values go to ``per_subject_metrics.csv``, from which ``bench report``
    rebuilds the means.
    """

    def __init__(
        self, tracker: Tracker, plan: Plan, versions: dict[str, str], scoring: str
    ) -> None:
        from bench.provenance import code_revision

        self.tracker = tracker
        self.plan = plan
        self.versions = versions
        self.scoring = scoring
        self.revision = code_revision()
        self.config_json = json.dumps(plan.config.to_dict(), indent=1, sort_keys=True)
        self.finished: set[str] = set()
        self.unfinished: dict[str, list[str]] = {}
        self.by_records: dict[str, list[str]] = {}  # records key -> finished run ids
        for r in tracker.result_runs():
            key = r.data.tags.get("bench.run_key", "")
            if r.info.status == "FINISHED":
                self.finished.add(key)
                rk = r.data.tags.get("bench.records_key")
                if rk:
                    self.by_records.setdefault(rk, []).append(r.info.run_id)
            elif r.info.status == "RUNNING":
                self.unfinished.setdefault(key, []).append(r.info.run_id)
        self.n_new = 0
        self.n_replaced = 0

    def log_unit(self, unit: tuple[str, str, int], fits: list[tuple[Fit, Record]]) -> bool:
        """Log the run of ``unit`` (method, dataset, seed); False if a current run exists."""
        from mlflow.entities import Dataset as MlflowDataset
        from mlflow.entities import DatasetInput, InputTag, Metric, Param, RunTag

        from bench.aggregate import subject_means

        method, dataset, seed = unit
        recs = [r for _, r in fits]
        records_key = hashlib.sha256(
            ("|".join(sorted(r.key for r in recs)) + f"|{seed}").encode()
        ).hexdigest()[:16]
        run_key = hashlib.sha256(f"{records_key}|{self.scoring}".encode()).hexdigest()[:16]
        if run_key in self.finished:
            return False
        client = self.tracker.client
        for rid in self.unfinished.pop(run_key, []):
            client.delete_run(rid)
        stale = self.by_records.pop(records_key, [])
        info = self.plan.method(method)
        data = _data(self.plan, dataset, seed)
        ok = [r for r in recs if r.status == "ok"]
        frame = unit_frame(fits, seed)
        label = info.label_for(recs[0].params, ok[0].extra if ok else None)
        tags = {
            "bench.kind": "result",
            "bench.method": method,
            "bench.dataset": dataset,
            "bench.seed": str(seed),
            "bench.run_key": run_key,
            "bench.records_key": records_key,
            "bench.scoring_version": self.scoring,
            "bench.level": info.level,
            "bench.reused_across_seeds": str(all(r.seed is None for r in recs)).lower(),
            "bench.oracle": str(info.oracle).lower(),
            "bench.code_revision": self.revision,
            "bench.status": "ok" if len(ok) == len(recs) else ("partial" if ok else "failed"),
            "bench.label": label,
            "mlflow.runName": f"{label} | {dataset} | seed {seed}",
            "mlflow.source.name": "bench run",
            **{f"v.{k}": v for k, v in self.versions.items()},
        }
        if data.missing:
            text = "; ".join(f"{k}: {v}" for k, v in data.missing.items())
            tags["bench.missing_subjects"] = text[:4000]
        errors = sorted({f"{r.status}: {r.error}" for r in recs if r.status != "ok"})
        if errors:
            tags["bench.errors"] = "; ".join(errors)[:4000]
        params = {
            "method": method,
            "dataset": dataset,
            "seed": str(seed),
            "data_hash": data.data_hash(),
            **{f"p.{k}": json.dumps(v, default=repr)[:500] for k, v in recs[0].params.items()},
        }
        metrics: dict[str, float] = {
            "n_subjects": float(len(recs)),
            "n_failed": float(len(recs) - len(ok)),
            # ok fits that decided no edge of a non-empty truth (precision 0 by convention)
            "n_empty_estimates": float(
                sum(
                    1
                    for r in ok
                    if r.metrics.get("n_pred") == 0 and (r.metrics.get("n_true") or 0) > 0
                )
            ),
        }
        metrics.update(logged_means(subject_means(frame.assign(method=method, dataset=dataset))))
        compute = sum(float(r.wall_time_s or 0.0) for r in recs)  # the fits' wall times
        metrics["fit_seconds_total"] = display_value(compute)
        now = int(time.time() * 1000)
        tags["bench.logged_at"] = str(now)
        # back-dated start: the UI's Duration (end - start) is the compute time, not logging's
        run = client.create_run(
            self.tracker.experiment_id, start_time=now - round(compute * 1000), tags=tags
        )
        rid = run.info.run_id
        try:
            client.log_batch(
                rid,
                metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()],
                params=[Param(k, str(v)) for k, v in params.items()],
                tags=[RunTag("bench.n_ok", str(len(ok)))],
            )
            with tempfile.TemporaryDirectory() as tmp:
                t = Path(tmp)
                frame.to_csv(t / "per_subject_metrics.csv", index=False)
                (t / "config.json").write_text(self.config_json)
                arrays: dict[str, np.ndarray] = {}
                for r in ok:
                    if r.estimate is None:
                        continue
                    arrays[f"{r.subject}__adjacency"] = r.estimate.adjacency
                    if r.estimate.scores is not None:
                        arrays[f"{r.subject}__scores"] = r.estimate.scores
                if arrays:
                    np.savez(t / "estimates.npz", **arrays)  # uncompressed: small arrays
                client.log_artifacts(rid, str(t))
            # a dataset input fills the UI's Dataset column and its dataset filter
            client.log_inputs(
                rid,
                datasets=[
                    DatasetInput(
                        MlflowDataset(
                            name=dataset,
                            digest=data.data_hash()[:8],
                            source_type="code",
                            source=json.dumps({"bench": dataset}),
                        ),
                        tags=[InputTag("mlflow.data.context", "eval")],
                    )
                ],
            )
            client.set_terminated(rid, "FINISHED" if ok else "FAILED", end_time=now)
        except BaseException:
            client.set_terminated(rid, "KILLED")
            raise
        for old in stale:  # the same records scored by older scoring code: replaced
            client.delete_run(old)
            self.n_replaced += 1
        self.finished.add(run_key)
        self.n_new += 1
        return True


def logged_means(means: pd.DataFrame) -> dict[str, float]:
    """The MLflow metrics of a unit from its :func:`bench.aggregate.subject_means` rows:
    rounded for display (:func:`display_value`); a metric that does not apply (NaN, e.g. AUROC
    without scores) is left out, and so is ``auprc_null`` (the AUPRC of chance) when AUPRC does
    not apply."""
    out = {
        str(row.metric): display_value(float(row.value))
        for row in means.itertuples()
        if math.isfinite(row.value)
    }
    if "auprc" not in out:
        out.pop("auprc_null", None)
    return out


def unit_frame(fits: list[tuple[Fit, Record]], seed: int) -> pd.DataFrame:
    """The per-subject rows of one unit (the run's ``per_subject_metrics.csv``)."""
    from bench.aggregate import per_subject_frame

    return per_subject_frame(
        {
            "subject": r.subject,
            "seed": seed,
            "status": r.status,
            "error": r.error,
            "wall_time_s": r.wall_time_s,
            "metrics": r.metrics,
        }
        for _, r in fits
    )
