"""Failure isolation: raising, hanging, crashing and out-of-memory fits never stop the others."""

from pathlib import Path

import pandas as pd
import pytest

from bench.cli import main

PLUGIN = str(Path(__file__).resolve().parent.parent / "plugins" / "faulty.py")


@pytest.fixture
def faulty(monkeypatch):
    monkeypatch.setenv("BENCH_PLUGINS", PLUGIN)


def test_each_failure_is_recorded_and_the_rest_completes(faulty, tmp_path, capsys):
    code = main(
        [
            "run",
            "--methods",
            "test-raise,test-hang,test-segfault,test-oom,granger",
            "--datasets",
            "smith:1",
            "--seeds",
            "0",
            "--results",
            str(tmp_path),
            "--jobs",
            "2",
            "--timeout",
            "test-hang=2",
            "--timeout",
            "120",
            "--quiet",
        ]
    )
    assert code == 1  # everything ran, but not every fit succeeded
    err = capsys.readouterr().err
    assert "4 fit(s) did not succeed" in err
    ps = pd.read_csv(tmp_path / "tables" / "bench" / "per_subject.csv")
    bad = ps[ps["status"] != "ok"].set_index("method")
    assert sorted(bad.index) == ["test-hang", "test-oom", "test-raise", "test-segfault"]
    assert (bad["subject"] == "sub02").all()
    assert bad.loc["test-raise", "status"] == "failed"
    assert "RuntimeError: deliberate failure" in bad.loc["test-raise", "error"]
    assert bad.loc["test-hang", "status"] == "timeout"
    assert "time limit of 2 s" in bad.loc["test-hang", "error"]
    assert bad.loc["test-segfault", "status"] == "crashed"
    assert "SIGSEGV" in bad.loc["test-segfault", "error"]
    assert bad.loc["test-oom", "status"] == "failed"
    assert "MemoryError" in bad.loc["test-oom", "error"]
    # every other fit finished
    assert (ps["status"] == "ok").sum() == 5 * 50 - 4
    for line in ("test-hang on smith:1 sub02: timeout", "test-segfault on smith:1 sub02: crashed"):
        assert line in err
    # MLflow: every unit logged, the partial ones say so
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = client.get_experiment_by_name("bench")
    runs = client.search_runs([exp.experiment_id], "tags.`bench.kind` = 'result'")
    status = {r.data.tags["bench.method"]: r.data.tags["bench.status"] for r in runs}
    assert status == {
        "test-raise": "partial",
        "test-hang": "partial",
        "test-segfault": "partial",
        "test-oom": "partial",
        "granger": "ok",
    }
    hang = next(r for r in runs if r.data.tags["bench.method"] == "test-hang")
    assert hang.data.metrics["n_failed"] == 1
    assert "timeout" in hang.data.tags["bench.errors"]


def test_unknown_method_in_timeouts_is_an_error(tmp_path, capsys):
    code = main(
        [
            "run",
            "--methods",
            "granger",
            "--datasets",
            "smith:1",
            "--results",
            str(tmp_path),
            "--timeout",
            "grnager=5",
        ]
    )
    assert code == 2
    assert "did you mean 'granger'" in capsys.readouterr().err.lower()
