"""``bench report`` on an MLflow store: data from the runs and artifacts, figures logged back."""

from __future__ import annotations

import pandas as pd
import pytest
from _mlflow_store import make_store

from bench.cli import main
from bench.reports.figures import network_figure, save_figure
from bench.reports.report import FigureFile, MlflowSource, log_figures

PAIRS = [("alpha", "toy:1"), ("alpha", "toy:3"), ("gamma", "toy:1"), ("gamma", "toy:3")]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    uri, exp = make_store(root, PAIRS, seeds=(0,))
    return root, uri, exp


@pytest.fixture(scope="module")
def client(store):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=store[1])


def test_source_makes_the_unit_means_from_the_per_subject_artifacts(store, client, tmp_path):
    import _report_data as R

    from bench.aggregate import subject_means

    _, uri, exp = store
    src = MlflowSource(client, exp, tmp_path)
    assert len(src.units) == 4
    failed = src.units[src.units["run_status"] == "FAILED"]
    assert set(zip(failed["method"], failed["dataset"], strict=True)) == {("gamma", "toy:3")}
    # the means are those of the per-subject values (subject_means), not the logged metrics
    fx = R.build()
    rows = fx._per_subject.merge(fx.units[["run_id", "method", "dataset"]], on="run_id")
    rows = rows[rows["seed"].eq(0) & rows.set_index(["method", "dataset"]).index.isin(PAIRS)].drop(
        columns="run_id"
    )
    expected = subject_means(rows)
    key = ["method", "dataset", "seed", "metric"]
    pd.testing.assert_frame_equal(
        src.long.sort_values(key).reset_index(drop=True),
        expected.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )
    assert src.messages == []
    rid = src.units.loc[src.units["method"] == "gamma", "run_id"].iloc[0]
    ps = src.per_subject([rid])
    assert list(ps["subject"]) == [f"s{k}" for k in range(1, 7)] and (ps["run_id"] == rid).all()
    est = src.estimates(src.units.loc[src.units["method"] == "alpha", "run_id"].iloc[0])
    assert set(est) == {f"s{k}" for k in range(1, 7)}
    assert est["s1"]["adjacency"].shape == (3, 3) and "scores" in est["s1"]
    failed_id = failed["run_id"].iloc[0]
    assert src.estimates(failed_id) == {}  # no estimates.npz: no crash


def test_a_run_without_per_subject_artifact_falls_back_to_its_metrics(tmp_path):
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'm.db'}")
    exp = client.create_experiment("x", artifact_location=(tmp_path / "a").as_uri())
    tags = {"bench.kind": "result", "bench.method": "m", "bench.dataset": "d", "bench.seed": "0"}
    rid = client.create_run(exp, tags=tags).info.run_id
    client.log_batch(rid, metrics=[Metric("f1", 0.5187, 0, 0)], params=[Param("method", "m")])
    client.set_terminated(rid, "FINISHED")
    src = MlflowSource(client, exp, tmp_path / "cache")
    f1 = src.long[src.long["metric"] == "f1"]["value"]
    assert list(f1) == [0.5187]
    assert "no per_subject_metrics.csv" in src.messages[0]


def test_cli_report_end_to_end(store, client, tmp_path, capsys):
    _, uri, exp = store
    out = tmp_path / "out"
    args = ["report", "--tracking-uri", uri, "--results", str(tmp_path), "--out", str(out)]
    assert main(args + ["--layout", "grouped", "--metrics", "f1", "--stats", "--figures"]) == 0
    captured = capsys.readouterr()
    assert "Mean ± SD over 5–6 subjects (of each subject's mean over 1 seed)" in captured.out
    assert "–ᵇ" in captured.out and "ᵇ failed: 6 of 6 fits." in captured.out
    assert "**" not in captured.out and "<u>" not in captured.out  # drawn, not Markdown
    # toy:* is not a registered dataset: figures that need the truth are skipped, with a note
    assert "skipped (needs the truth)" in captured.err
    for name in ("grouped.md", "grouped.tex", "summary.csv", "index.html", "stats/wilcoxon.csv"):
        assert (out / name).is_file(), name
    assert (out / "figures" / "box_f1.png").is_file()
    report = client.search_runs([exp], filter_string="tags.`bench.kind` = 'report'")
    assert len(report) == 1 and report[0].info.run_name == "report | bench"
    logged = {a.path for a in client.list_artifacts(report[0].info.run_id, "figures")}
    assert {"figures/box_f1.png", "figures/box_f1.pdf", "figures/runtime.png"} <= logged
    # the report's own files reach MLflow too: tables, statistics, the HTML page
    files = {a.path for a in client.list_artifacts(report[0].info.run_id, "report")}
    assert {"report/grouped.md", "report/grouped.tex", "report/index.html"} <= files
    stats = {a.path for a in client.list_artifacts(report[0].info.run_id, "report/stats")}
    assert "report/stats/wilcoxon_f1.md" in stats


def test_cli_report_filters_and_errors(store, tmp_path, capsys):
    _, uri, _ = store
    args = ["report", "--tracking-uri", uri, "--results", str(tmp_path), "--out", str(tmp_path)]
    assert main(args + ["--methods", "gama"]) == 2
    assert "Did you mean 'gamma'" in capsys.readouterr().err
    assert main(args + ["--layout", "metrics", "--datasets", "toy:1", "--format", "md"]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.md")) == ["metrics_toy_1.md"]


def test_log_figures_puts_run_figures_on_their_run(store, client, tmp_path):
    _, _, exp = store
    run = client.search_runs([exp], filter_string="params.method = 'alpha'", max_results=1)[0]
    import numpy as np

    paths = save_figure(network_figure(np.eye(3), np.eye(3)), tmp_path / "net")
    log_figures(client, exp, [FigureFile("net", "", paths, run.info.run_id, "networks")], "bench")
    logged = {a.path for a in client.list_artifacts(run.info.run_id, "figures")}
    assert logged == {"figures/net.png", "figures/net.pdf"}
    # figures of several runs go to the report run, created once and then reused
    for _ in range(2):
        rid = log_figures(client, exp, [FigureFile("n", "", paths, None, "x")], "bench")
    reports = client.search_runs([exp], filter_string="tags.`bench.kind` = 'report'")
    assert [r.info.run_id for r in reports] == [rid]
