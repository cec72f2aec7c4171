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

    def existing_keys(self) -> set[str]:
        return {
            r.data.tags.get("bench.run_key", "")
            for r in self.result_runs()
            if r.info.status == "FINISHED"
        }

    # ---------------------------------------------------------------- logging

    def log_results(
        self, plan: Plan, records: list[Record], per_subject: pd.DataFrame, versions: dict[str, str]
    ) -> int:
        """One run per (method, dataset, seed) not already tracked; returns how many were new."""
        from mlflow.entities import Metric, Param, RunTag

        from bench.runner import code_revision

        existing = self.existing_keys()
        revision = code_revision()
        by_unit: dict[tuple[str, str, int], list[Record]] = {}
        for rec in records:
            seeds = plan.config.seeds if rec.seed is None else [rec.seed]
            for s in seeds:
                by_unit.setdefault((rec.method, rec.dataset, s), []).append(rec)
        infos = {m.name: m for m in plan.methods}
        config_json = json.dumps(plan.config.to_dict(), indent=1, sort_keys=True)
        new = 0
        for (method, dataset, seed), recs in by_unit.items():
            run_key = hashlib.sha256(
                ("|".join(sorted(r.key for r in recs)) + f"|{seed}").encode()
            ).hexdigest()[:16]
            if run_key in existing:
                continue
            info = infos[method]
            ok = [r for r in recs if r.status == "ok"]
            rows = per_subject[
                (per_subject["method"] == method)
                & (per_subject["dataset"] == dataset)
                & (per_subject["seed"] == seed)
            ]
            tags = {
                "bench.kind": "result",
                "bench.method": method,
                "bench.dataset": dataset,
                "bench.seed": str(seed),
                "bench.run_key": run_key,
                "bench.level": info.level,
                "bench.reused_across_seeds": str(all(r.seed is None for r in recs)).lower(),
                "bench.oracle": str(info.oracle).lower(),
                "bench.code_revision": revision,
                "bench.status": "ok" if len(ok) == len(recs) else ("partial" if ok else "failed"),
                "mlflow.runName": f"{method} | {dataset} | seed {seed}",
                **{f"v.{k}": v for k, v in versions.items()},
            }
            missing = _data(plan, dataset, seed).missing
            if missing:
                tags["bench.missing_subjects"] = "; ".join(f"{k}: {v}" for k, v in missing.items())[
                    :4000
                ]
            errors = sorted({r.error for r in recs if r.status != "ok"})
            if errors:
                tags["bench.errors"] = "; ".join(errors)[:4000]
            params = {
                "method": method,
                "dataset": dataset,
                "seed": str(seed),
                "data_hash": _data(plan, dataset, seed).data_hash(),
                **{f"p.{k}": json.dumps(v, default=repr)[:500] for k, v in recs[0].params.items()},
            }
            metrics: dict[str, float] = {
                "n_subjects": float(len(recs)),
                "n_failed": float(len(recs) - len(ok)),
            }
            if ok:
                metrics["seconds_per_fit"] = float(np.mean([r.wall_time_s for r in ok]))
                names = sorted({k for r in ok for k in r.metrics})
                for name in names:
                    vals = [r.metrics.get(name) for r in ok]
                    vals = [float(v) for v in vals if v is not None and math.isfinite(float(v))]
                    if vals:
                        metrics[name] = float(np.mean(vals))
            run = self.client.create_run(self.experiment_id, tags=tags)
            rid = run.info.run_id
            try:
                self.client.log_batch(
                    rid,
                    metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()],
                    params=[Param(k, str(v)) for k, v in params.items()],
                    tags=[RunTag("bench.n_ok", str(len(ok)))],
                )
                with tempfile.TemporaryDirectory() as tmp:
                    t = Path(tmp)
                    rows.to_csv(t / "per_subject_metrics.csv", index=False)
                    (t / "config.json").write_text(config_json)
                    if ok:
                        arrays = {
                            f"{r.subject}__adjacency": r.estimate.adjacency
                            for r in ok
                            if r.estimate
                        }
                        arrays.update(
                            {
                                f"{r.subject}__scores": r.estimate.scores
                                for r in ok
                                if r.estimate is not None and r.estimate.scores is not None
                            }
                        )
                        np.savez_compressed(t / "estimates.npz", **arrays)
                    self.client.log_artifacts(rid, str(t))
                self.client.set_terminated(rid, "FINISHED" if ok else "FAILED")
            except BaseException:
                self.client.set_terminated(rid, "KILLED")
                raise
            new += 1
        return new

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
        from bench.metrics import METRICS

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
            logged = r.data.metrics
            names = list(METRICS) + [k for k in logged if k not in METRICS]
            for name in names:
                if name in ("n_subjects", "n_failed"):
                    continue
                value = float(logged[name]) if name in logged else float("nan")
                rows.append((method, dataset, int(seed), name, value))
        return pd.DataFrame(rows, columns=["method", "dataset", "seed", "metric", "value"])
