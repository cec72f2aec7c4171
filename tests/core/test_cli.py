"""End-to-end: the ``bench`` command on a small selection, MLflow, tables, cache, report."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.cli import main
from bench.metrics import compute_metrics
from bench.registry import load_dataset
from bench.tracking import display_value

BENCH = [sys.executable, "-m", "bench.cli"]


def _mlflow_runs(results: Path, name: str = "bench"):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{results / 'mlflow.db'}")
    exp = client.get_experiment_by_name(name)
    assert exp is not None, "the experiment was not created"
    return client.search_runs([exp.experiment_id], max_results=1000), client


@pytest.fixture(scope="module")
def smith1_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    code = main(
        [
            "run",
            "--methods",
            "pc,granger",
            "--datasets",
            "smith:1",
            "--seeds",
            "0",
            "1",
            "--results",
            str(results),
            "--jobs",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    return results


def test_run_writes_mlflow_runs_with_metrics(smith1_run):
    runs, client = _mlflow_runs(smith1_run)
    result = [r for r in runs if r.data.tags.get("bench.kind") == "result"]
    summary = [r for r in runs if r.data.tags.get("bench.kind") == "summary"]
    assert len(result) == 4  # 2 methods x 1 dataset x 2 seeds
    assert len(summary) == 1
    units = {
        (r.data.params["method"], r.data.params["dataset"], r.data.params["seed"]) for r in result
    }
    assert units == {(m, "smith:1", s) for m in ("pc", "granger") for s in ("0", "1")}
    for r in result:
        m = r.data.metrics
        assert r.info.status == "FINISHED"
        assert 0.0 <= m["f1"] <= 1.0 and 0.0 <= m["precision"] <= 1.0
        assert 0.0 <= m["shd"] <= 10 and m["shd_fpfn"] >= m["shd"]
        assert m["n_subjects"] == 50 and m["n_failed"] == 0
        assert r.data.tags["bench.reused_across_seeds"] == "true"
        assert r.data.tags["v.numpy"]
        arts = {a.path for a in client.list_artifacts(r.info.run_id)}
        assert {"estimates.npz", "per_subject_metrics.csv", "config.json"} <= arts
    pc = [r for r in result if r.data.params["method"] == "pc"]
    assert all("auroc" not in r.data.metrics for r in pc)  # no continuous score: not faked
    gr = [r for r in result if r.data.params["method"] == "granger"]
    assert all(0.0 <= r.data.metrics["auroc"] <= 1.0 for r in gr)
    # deterministic: both seeds report the same values
    assert gr[0].data.metrics["f1"] == gr[1].data.metrics["f1"]


def test_metrics_match_a_direct_computation(smith1_run):
    """The tracked F1 equals the mean over subjects of F1 recomputed from the stored estimates."""
    runs, client = _mlflow_runs(smith1_run)
    run = next(r for r in runs if r.data.params.get("method") == "granger")
    path = client.download_artifacts(run.info.run_id, "estimates.npz", str(smith1_run / "dl"))
    ds = load_dataset("smith:1")
    with np.load(path) as z:
        f1 = [
            compute_metrics(ds.truth, z[f"{s}__adjacency"], z[f"{s}__scores"])["f1"]
            for s in ds.subjects
        ]
    # MLflow shows the mean rounded for display; the unrounded per-subject values are an artifact
    assert run.data.metrics["f1"] == display_value(float(np.mean(f1)))
    csv = client.download_artifacts(
        run.info.run_id, "per_subject_metrics.csv", str(smith1_run / "dl")
    )
    logged = pd.read_csv(csv)
    assert logged["f1"].to_numpy() == pytest.approx(np.array(f1), rel=1e-12)


def test_tables_written(smith1_run):
    tables = smith1_run / "tables" / "bench"
    for name in ("f1.md", "f1.tex", "shd.md", "auroc.md", "summary.csv", "per_subject.csv"):
        assert (tables / name).is_file(), name
    md = (tables / "f1.md").read_text()
    assert "pc" in md and "granger" in md and "±" in md and "**" in md
    assert "n/a" in (tables / "auroc.md").read_text()  # PC has no continuous score
    assert "\\toprule" in (tables / "f1.tex").read_text()


def test_rerun_uses_cache_and_adds_no_runs(smith1_run, capsys):
    before, _ = _mlflow_runs(smith1_run)
    n_before = len([r for r in before if r.data.tags.get("bench.kind") == "result"])
    code = main(
        [
            "run",
            "--methods",
            "pc,granger",
            "--datasets",
            "smith:1",
            "--seeds",
            "0",
            "1",
            "--results",
            str(smith1_run),
            "--jobs",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "0 computed, 100 cached; all ok" in out
    after, _ = _mlflow_runs(smith1_run)
    assert len([r for r in after if r.data.tags.get("bench.kind") == "result"]) == n_before


def test_report_rebuilds_the_tables_from_mlflow(smith1_run, tmp_path, capsys):
    out = tmp_path / "tables"
    assert main(["report", "--results", str(smith1_run), "--out", str(out)]) == 0
    assert (out / "f1.md").read_text() == (smith1_run / "tables" / "bench" / "f1.md").read_text()
    assert (out / "auroc.md").read_text() == (
        smith1_run / "tables" / "bench" / "auroc.md"
    ).read_text()


def test_cli_errors_are_one_line_and_nonzero(tmp_path):
    results = tmp_path / "r"
    proc = subprocess.run(
        BENCH + ["run", "--methods", "grnager", "--datasets", "smith:1", "--results", str(results)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip().splitlines() == [proc.stderr.strip().splitlines()[0]]
        and "did you mean 'granger'" in proc.stderr.lower()
    )
    assert "Traceback" not in proc.stderr
    assert not (results / "records").exists()  # nothing half-written
    proc = subprocess.run(
        BENCH + ["run", "--methods", "pc", "--datasets", "smith:99"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and "unknown smith member '99'" in proc.stderr
    proc = subprocess.run(
        BENCH + ["run", "--seeds", "x"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2 and "not an integer" in proc.stderr


def test_list_commands():
    proc = subprocess.run(BENCH + ["list", "methods"], capture_output=True, text=True)
    assert proc.returncode == 0
    for name in ("pc", "granger", "pcmci"):
        assert name in proc.stdout
    proc = subprocess.run(BENCH + ["list", "datasets"], capture_output=True, text=True)
    assert proc.returncode == 0 and "smith" in proc.stdout and "1..28" in proc.stdout


def test_pool_executor_matches_in_process(tmp_path):
    """--jobs 2 (process pool) gives the same estimates as --jobs 1."""
    a, b = tmp_path / "a", tmp_path / "b"
    for res, jobs in ((a, "1"), (b, "2")):
        proc = subprocess.run(
            BENCH
            + [
                "run",
                "--methods",
                "granger",
                "--datasets",
                "smith:1",
                "--seeds",
                "0",
                "--results",
                str(res),
                "--jobs",
                jobs,
                "--no-track",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            env={**os.environ},
        )
        assert proc.returncode == 0, proc.stderr
    import pandas as pd

    drop = ["wall_time_s", "peak_rss_mb"]
    sa = pd.read_csv(a / "tables" / "bench" / "per_subject.csv").drop(columns=drop)
    sb = pd.read_csv(b / "tables" / "bench" / "per_subject.csv").drop(columns=drop)
    assert len(sa) == 50
    pd.testing.assert_frame_equal(sa, sb)
