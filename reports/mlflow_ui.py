"""The MLflow UI as ``bench ui`` serves it: MLflow's own server, opening on the runs table.

MLflow 3 (3.17 read here) chooses between its *GenAI* and *Model training* views in the
browser: the URL parameter ``workflowType`` wins, else the local-storage key
``mlflow.workflowType_v1`` (a JSON string, default ``"genai"``, written only when the user
flips the toggle); the experiment tag ``mlflow.experimentKind`` is not consulted while that
toggle exists. A fresh browser therefore opens a bench experiment on the empty GenAI overview,
and every link that does not carry ``workflowType`` (a run, *Compare*, the breadcrumbs) falls
back to it. MLflow has no server option for it, so ``bench ui`` runs MLflow's server with one
addition (:func:`create_app`): the page MLflow serves (``index.html``) gets a short script,
run before MLflow's own, that

* sets ``mlflow.workflowType_v1`` to ``"machine_learning"`` when the browser has no choice
  stored yet (a user who flips the toggle keeps their choice);
* keeps the MLflow Assistant panel from opening itself on the first visit (it takes a quarter
  of the window; it stays one click away);
* for each experiment with bench's saved view (:func:`bench.tracking.saved_views`) whose
  runs-table state the browser has not stored yet, stores that view's state, so that the plain
  experiment page, and the page one comes *back* to from a run or from *Compare*, shows the
  runs with the columns method, dataset, seed and the table metrics (the state then belongs to
  the user: MLflow saves every change they make over it).

Everything else is MLflow's server, started by MLflow's own command line
(``mlflow ui --backend-store-uri URI --host H --port P --workers 1``); the only hook is the
uvicorn target it starts (:func:`_patched_uvicorn_command`). Where that hook is missing
(another MLflow version), :func:`main` runs the plain MLflow UI and says so.

Run as ``python -m bench.reports.mlflow_ui --backend-store-uri URI --host H --port P``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["PAGE_STATE_KEY", "WORKFLOW_KEY", "create_app", "inject", "main", "page_script"]

WORKFLOW_KEY = "mlflow.workflowType_v1"
ASSISTANT_KEYS = ("mlflow.assistant.fab.autoOpenedOnFirstLoad_v1",)
PAGE_STATE_KEY = 'MLflowLocalStorage-1.1-ExperimentPage-["{experiment_id}"]-ReactComponentState'
URI_ENV = "BENCH_UI_TRACKING_URI"
MLFLOW_APP = "mlflow.server.fastapi_app:app"
BENCH_APP = "bench.reports.mlflow_ui:create_app"

# MLflow 3.17's default runs-table state (what a fresh browser stores), merged under a view's
_DEFAULT_PAGE_STATE: dict[str, Any] = {
    "searchFilter": "",
    "orderByKey": "attributes.start_time",
    "orderByAsc": False,
    "startTime": "ALL",
    "lifecycleFilter": "Active",
    "datasetsFilter": [],
    "modelVersionFilter": "All Runs",
    "selectedColumns": ["attributes.`Source`", "attributes.`Models`", "attributes.`Dataset`"],
    "columnOrder": [],
    "columnWidths": {},
    "runsExpanded": {},
    "runsPinned": [],
    "runsHidden": [],
    "runsVisibilityMap": {},
    "runsHiddenMode": "FIRST_10_RUNS",
    "viewMaximized": False,
    "runListHidden": False,
    "isAccordionReordered": False,
    "useGroupedValuesInCharts": True,
    "hideEmptyCharts": True,
    "groupBy": None,
    "groupsExpanded": {},
    "autoRefreshEnabled": True,
    "globalLineChartConfig": {
        "xAxisKey": "step",
        "lineSmoothness": 0,
        "selectedXAxisMetricKey": "",
    },
}


def page_script(page_states: dict[str, dict[str, Any]] | None = None) -> str:
    """The ``<script>`` put first in MLflow's page (see the module docstring).

    ``page_states`` maps an experiment id to its runs-table state (stored only where the
    browser has none). Every value is written with ``JSON.stringify`` of a JSON literal, and
    ``<`` is escaped so that no text can close the script element.
    """
    defaults = {WORKFLOW_KEY: "machine_learning", **{k: True for k in ASSISTANT_KEYS}}
    for exp_id, state in (page_states or {}).items():
        defaults[PAGE_STATE_KEY.format(experiment_id=exp_id)] = {**_DEFAULT_PAGE_STATE, **state}
    payload = json.dumps(defaults, sort_keys=True).replace("<", "\\u003c")
    return (
        "<script>/* bench ui: open the runs table (Model training) unless this browser chose */"
        f"(function(d){{try{{var s=window.localStorage;for(var k in d){{"
        "if(s.getItem(k)===null){s.setItem(k,JSON.stringify(d[k]));}}}catch(e){}})"
        f"({payload});</script>"
    )


def inject(page: bytes, script: str) -> bytes:
    """``page`` with ``script`` right after its ``<head>`` (or first, if it has none)."""
    text = page.decode("utf-8")
    at = text.find("<head>")
    at = at + len("<head>") if at >= 0 else 0
    return (text[:at] + script + text[at:]).encode("utf-8")


def _page_states() -> dict[str, dict[str, Any]]:
    """Runs-table states of bench's saved view, per experiment of the tracking store."""
    uri = os.environ.get(URI_ENV)
    if not uri:
        return {}
    from mlflow import MlflowClient

    from bench.tracking import RUNS_VIEW, VIEW_TAG

    out: dict[str, dict[str, Any]] = {}
    for exp in MlflowClient(tracking_uri=uri).search_experiments(max_results=1000):
        raw = (exp.tags or {}).get(VIEW_TAG + RUNS_VIEW)
        if not raw:
            continue
        try:
            state = json.loads(json.loads(raw)["state"])
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(state, dict):
            out[str(exp.experiment_id)] = state
    return out


def create_app() -> Any:
    """MLflow's ASGI app with the page script added to ``index.html`` (a uvicorn factory)."""
    from flask import request
    from mlflow.server import app as flask_app
    from mlflow.server.handlers import _add_static_prefix

    index = _add_static_prefix("/")

    @flask_app.after_request
    def _bench_page(response: Any) -> Any:
        if request.path != index or response.status_code != 200 or response.mimetype != "text/html":
            return response
        try:
            states = _page_states()
        except Exception:  # the page must load even if the store cannot be read here
            states = {}
        response.direct_passthrough = False
        response.set_data(inject(response.get_data(), page_script(states)))
        for header in ("ETag", "Last-Modified"):
            response.headers.pop(header, None)
        response.headers["Cache-Control"] = "no-store"
        return response

    from mlflow.server.fastapi_app import app

    return app


def _patched_uvicorn_command(original: Any) -> Any:
    """MLflow's uvicorn command builder, starting :func:`create_app` instead of its app."""

    def build(
        uvicorn_opts: Any,
        host: str,
        port: int,
        workers: int,
        app_name: str,
        env_file: Any = None,
        is_factory: bool = False,
    ) -> list[str]:
        if app_name == MLFLOW_APP:
            app_name, is_factory = BENCH_APP, True
        return original(uvicorn_opts, host, port, workers, app_name, env_file, is_factory)

    return build


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.reports.mlflow_ui")
    p.add_argument("--backend-store-uri", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    args = p.parse_args(argv)
    os.environ[URI_ENV] = args.backend_store_uri
    import mlflow.server
    from mlflow.cli import cli

    original = getattr(mlflow.server, "_build_uvicorn_command", None)
    if original is None:
        print(
            "bench ui: this MLflow has no hook for bench's page script; serving the plain "
            "MLflow UI (switch it to 'Model training' if it opens on the GenAI overview)",
            file=sys.stderr,
        )
    else:
        mlflow.server._build_uvicorn_command = _patched_uvicorn_command(original)
    cmd = ["ui", "--backend-store-uri", args.backend_store_uri, "--host", args.host]
    cmd += ["--port", str(args.port), "--workers", "1", "--uvicorn-opts", "--no-access-log"]
    return int(cli.main(cmd, prog_name="mlflow", standalone_mode=False) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
