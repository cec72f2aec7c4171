"""MLflow tracking: one experiment per benchmark, one run per (method, dataset, seed).

By default MLflow uses an embedded SQLite store at ``<results>/mlflow.db`` with artifacts under
``<results>/mlartifacts`` (no server needed). ``--tracking-uri`` or ``MLFLOW_TRACKING_URI``
points it at a tracking server instead; an unreachable server fails before anything is computed.

Each result run carries:

* params ``method``, ``dataset``, ``seed``, ``data_hash`` and the method parameters as
  ``p.<name>``;
* metrics: the mean over subjects of every metric (``f1``, ``shd``, ``auroc``, ...), plus
  ``n_subjects``, ``n_failed`` and ``seconds_per_fit``; oracle metrics keep their ``oracle_``
  prefix;
* tags ``bench.kind=result``, ``bench.method``, ``bench.dataset``, ``bench.seed``,
  ``bench.run_key`` (the hash of what determined the run, used to avoid duplicates),
  ``bench.reused_across_seeds`` (deterministic method), ``bench.oracle``, ``bench.code_revision``
  and ``v.<package>`` versions;
* artifacts ``estimates.npz`` (every subject's adjacency and scores), ``per_subject_metrics.csv``
  and ``config.json`` (the resolved config).

A summary run (``bench.kind=summary``) holds the tables. Only the driver process writes here.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bench.config import BenchConfig
from bench.types import BenchError

if TYPE_CHECKING:
    from bench.records import Record
    from bench.runner import Plan

RESULT_TAGS = ("bench.method", "bench.dataset", "bench.seed")


def default_uri(results: Path) -> str:
    return f"sqlite:///{Path(results).resolve() / 'mlflow.db'}"


def resolve_uri(config: BenchConfig, results: Path) -> str:
    return config.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_uri(results)


def _quiet_mlflow() -> None:
    # Fail fast on an unreachable server instead of retrying for minutes.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    import logging

    for name in ("mlflow", "alembic", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.WARNING)


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
    def open(cls, config: BenchConfig, results: Path) -> Tracker:
        """Connect and get or create the experiment named ``config.name``."""
        _quiet_mlflow()
        from mlflow import MlflowClient

        _quiet_mlflow()  # again: importing mlflow sets up its own loggers

        uri = resolve_uri(config, results)
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
        except Exception as exc:  # connection refused, bad URI, locked database ...
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BenchError(f"MLflow tracking at {uri}: cannot connect ({first[:300]})") from None
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

    def session(self, plan: Plan, versions: dict[str, str]) -> Session:
        return Session(self, plan, versions)

    def log_summary(self, config: BenchConfig, files: list[Path]) -> str | None:
        """A ``summary`` run holding the table files."""
        if not files:
            return None
        run = self.client.create_run(
            self.experiment_id,
            tags={"bench.kind": "summary", "mlflow.runName": f"summary | {config.name}"},
        )
        rid = run.info.run_id
        for f in files:
            self.client.log_artifact(rid, str(f), artifact_path="tables")
        self.client.log_text(rid, json.dumps(config.to_dict(), indent=1), "config.json")
        self.client.set_terminated(rid, "FINISHED")
        return rid

    def long_frame(self) -> pd.DataFrame:
        """The tracked results as ``method, dataset, seed, metric, value`` (for ``bench report``).

        Where several finished runs exist for the same (method, dataset, seed), the newest wins;
        units keep the order in which they were first logged (the plan's order). A registered
        metric that a finished run did not log was not applicable (e.g. AUROC without scores)
        and comes back as NaN, which the tables print as ``n/a``.
        """
        newest: dict[tuple[str, str, str], Any] = {}
        runs = sorted(self.result_runs(), key=lambda r: r.info.start_time or 0)
        for r in runs:
            if r.info.status != "FINISHED":
                continue
            t = r.data.tags
            newest[
                (t.get("bench.method", ""), t.get("bench.dataset", ""), t.get("bench.seed", ""))
            ] = r
        rows = []
        for (method, dataset, seed), r in newest.items():
            rows += run_metric_rows(method, dataset, int(seed), r.data.metrics)
        return pd.DataFrame(rows, columns=["method", "dataset", "seed", "metric", "value"])


def run_metric_rows(
    method: str, dataset: str, seed: int, logged: dict[str, float]
) -> list[tuple[str, str, int, str, float]]:
    """``(method, dataset, seed, metric, value)`` rows of one finished result run.

    A registered metric the run did not log was not applicable (e.g. AUROC without scores) and
    becomes NaN, which the tables print as ``n/a``; the run counters are left out.
    """
    from bench.metrics import METRICS

    rows = []
    for name in list(METRICS) + [k for k in logged if k not in METRICS]:
        if name in ("n_subjects", "n_failed"):
            continue
        value = float(logged[name]) if name in logged else float("nan")
        rows.append((method, dataset, seed, name, value))
    return rows


class Session:
    """Logging for one benchmark run: one MLflow run per (method, dataset, seed) unit.

    A unit already tracked with a finished run of the same ``bench.run_key`` is skipped, so a
    re-run adds no duplicates; a run left unfinished by an interrupted logging step (status
    RUNNING) is deleted and logged again.
    """

    def __init__(self, tracker: Tracker, plan: Plan, versions: dict[str, str]) -> None:
        from bench.runner import code_revision

        self.tracker = tracker
        self.plan = plan
        self.versions = versions
        self.revision = code_revision()
        self.config_json = json.dumps(plan.config.to_dict(), indent=1, sort_keys=True)
        self.finished: set[str] = set()
        self.unfinished: dict[str, list[str]] = {}
        for r in tracker.result_runs():
            key = r.data.tags.get("bench.run_key", "")
            if r.info.status == "FINISHED":
                self.finished.add(key)
            elif r.info.status == "RUNNING":
                self.unfinished.setdefault(key, []).append(r.info.run_id)
        self.n_new = 0

    def log_unit(self, unit: tuple[str, str, int], recs: list[Record]) -> bool:
        """Log the run of ``unit`` (method, dataset, seed) from its records; False if tracked."""
        from mlflow.entities import Dataset as MlflowDataset
        from mlflow.entities import DatasetInput, InputTag, Metric, Param, RunTag

        method, dataset, seed = unit
        run_key = hashlib.sha256(
            ("|".join(sorted(r.key for r in recs)) + f"|{seed}").encode()
        ).hexdigest()[:16]
        if run_key in self.finished:
            return False
        client = self.tracker.client
        for rid in self.unfinished.pop(run_key, []):
            client.delete_run(rid)
        info = next(m for m in self.plan.methods if m.name == method)
        data = _data(self.plan, dataset, seed)
        ok = [r for r in recs if r.status == "ok"]
        tags = {
            "bench.kind": "result",
            "bench.method": method,
            "bench.dataset": dataset,
            "bench.seed": str(seed),
            "bench.run_key": run_key,
            "bench.level": info.level,
            "bench.reused_across_seeds": str(all(r.seed is None for r in recs)).lower(),
            "bench.oracle": str(info.oracle).lower(),
            "bench.code_revision": self.revision,
            "bench.status": "ok" if len(ok) == len(recs) else ("partial" if ok else "failed"),
            "mlflow.runName": f"{method} | {dataset} | seed {seed}",
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
        }
        if ok:
            metrics["seconds_per_fit"] = float(np.mean([r.wall_time_s for r in ok]))
            for name in sorted({k for r in ok for k in r.metrics}):
                vals = [r.metrics.get(name) for r in ok]
                vals = [float(v) for v in vals if v is not None and math.isfinite(float(v))]
                if vals:
                    metrics[name] = float(np.mean(vals))
        run = client.create_run(self.tracker.experiment_id, tags=tags)
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
                _per_subject_frame(recs, seed).to_csv(t / "per_subject_metrics.csv", index=False)
                (t / "config.json").write_text(self.config_json)
                arrays: dict[str, np.ndarray] = {}
                for r in ok:
                    if r.estimate is None:
                        continue
                    arrays[f"{r.subject}__adjacency"] = r.estimate.adjacency
                    if r.estimate.scores is not None:
                        arrays[f"{r.subject}__scores"] = r.estimate.scores
                if arrays:
                    np.savez_compressed(t / "estimates.npz", **arrays)
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
            client.set_terminated(rid, "FINISHED" if ok else "FAILED")
        except BaseException:
            client.set_terminated(rid, "KILLED")
            raise
        self.finished.add(run_key)
        self.n_new += 1
        return True


def _per_subject_frame(recs: list[Record], seed: int) -> pd.DataFrame:
    rows = []
    for r in recs:
        row: dict[str, Any] = {
            "subject": r.subject,
            "seed": seed,
            "status": r.status,
            "error": r.error,
            "wall_time_s": r.wall_time_s,
        }
        row.update({k: v for k, v in r.metrics.items()})
        rows.append(row)
    return pd.DataFrame(rows)
