"""Write the report fixture (:mod:`_report_data`) into an MLflow store, in bench's run layout.

The layout is the one :mod:`bench.tracking` writes (params ``method, dataset, seed,
data_hash``; tags ``bench.kind/method/dataset/seed/...``; metrics = means over the subjects
plus ``n_subjects``, ``n_failed``, ``seconds_per_fit``; artifacts ``per_subject_metrics.csv``
and ``estimates.npz``), written with the plain client so that a test needs no benchmark run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import _report_data as R  # test helper next to this file
import numpy as np


def make_store(
    root: Path, units: list[tuple[str, str]] | None = None, seeds: tuple[int, ...] = (0, 1)
) -> tuple[str, str]:
    """A SQLite MLflow store under ``root`` with experiment ``bench``; returns (uri, exp id).

    ``units`` limits the (method, dataset) pairs written (default: all of the fixture) and
    ``seeds`` the seeds.
    """
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    from bench.tracking import display_value

    src = R.build()
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("bench", artifact_location=(root / "mlartifacts").as_uri())
    long = src.long
    for u in src.units.itertuples(index=False):
        if (units is not None and (u.method, u.dataset) not in units) or u.seed not in seeds:
            continue
        ps = src._per_subject
        assert ps is not None
        rows = ps[ps["run_id"] == u.run_id].drop(columns="run_id")
        mine = long[
            (long["method"] == u.method) & (long["dataset"] == u.dataset) & (long["seed"] == u.seed)
        ]
        metrics = {
            r.metric: display_value(r.value) for r in mine.itertuples() if np.isfinite(r.value)
        }  # rounded for display, as bench.tracking logs them
        metrics.update(n_subjects=u.n_subjects, n_failed=u.n_failed)
        tags = {
            "bench.kind": "result",
            "bench.method": u.method,
            "bench.dataset": u.dataset,
            "bench.seed": str(u.seed),
            "bench.reused_across_seeds": str(u.reused).lower(),
            "bench.oracle": str(u.oracle).lower(),
            "mlflow.runName": f"{u.method} | {u.dataset} | seed {u.seed}",
        }
        run = client.create_run(exp, tags=tags)
        rid = run.info.run_id
        params = {"method": u.method, "dataset": u.dataset, "seed": str(u.seed), "data_hash": "0"}
        client.log_batch(
            rid,
            metrics=[Metric(k, float(v), 0, 0) for k, v in metrics.items()],
            params=[Param(k, v) for k, v in params.items()],
            tags=[RunTag("bench.n_ok", str(int(u.n_subjects - u.n_failed)))],
        )
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            rows.to_csv(t / "per_subject_metrics.csv", index=False)
            est = src.estimates(u.run_id)
            if est:
                arrays = {f"{s}__{k}": v for s, e in est.items() for k, v in e.items()}
                np.savez_compressed(t / "estimates.npz", **arrays)
            client.log_artifacts(rid, str(t))
        client.set_terminated(rid, "FINISHED" if u.run_status == "FINISHED" else "FAILED")
    return uri, exp
