"""The pipeline's contracts: scoring before the record, one aggregation, MLflow following the
scoring code, a locked results folder, every failed fit still tabulated, the Python API and the
one-way imports."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bench
import bench.api
from bench.aggregate import subject_means
from bench.cli import main
from bench.config import build_config
from bench.tracking import display_value

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = str(ROOT / "tests" / "plugins" / "faulty.py")


def _config(tmp_path: Path, **kw):
    base = dict(
        methods=["pc", "granger"],
        datasets=["smith:1@1-3"],
        seeds=[0, 1],
        jobs=1,
        results=str(tmp_path / "r"),
        track=False,
    )
    return build_config(**{**base, **kw})


def test_records_are_written_once_with_their_metrics(tmp_path: Path) -> None:
    res = bench.api.run_config(_config(tmp_path), progress=False, log=lambda m: None)
    files = sorted((tmp_path / "r" / "records").rglob("*.json"))
    assert len(files) == 6  # 2 deterministic methods x 3 subjects, serving both seeds
    for f in files:
        body = json.loads(f.read_text())
        assert body["status"] == "ok"
        assert body["metrics"]["f1"] is not None and 0 <= body["metrics"]["f1"] <= 1
        assert body["scoring_version"]
    assert len(res.records) == 6


def test_every_number_comes_from_the_one_aggregation(tmp_path: Path) -> None:
    cfg = _config(tmp_path, track=True, methods=["granger", "random"])
    res = bench.api.run_config(cfg, progress=False, log=lambda m: None)
    ps = pd.read_csv(tmp_path / "r" / "tables" / "bench" / "per_subject.csv")
    means = subject_means(ps).set_index(["method", "dataset", "seed", "metric"])["value"]
    # the run's long frame, the MLflow metrics and bench report's summary all equal it
    run_long = res.long.set_index(["method", "dataset", "seed", "metric"])["value"]
    pd.testing.assert_series_equal(run_long.sort_index(), means.sort_index(), check_dtype=False)
    runs = res.run.tracker.result_runs()
    assert len(runs) == 4  # 2 methods x 2 seeds
    for r in runs:
        t = r.data.tags
        key = (t["bench.method"], t["bench.dataset"], int(t["bench.seed"]))
        for metric in ("f1", "shd", "auroc", "c_sensitivity"):  # rounded for display
            assert r.data.metrics[metric] == display_value(means[(*key, metric)])
    rep = bench.report(tmp_path / "r", formats="csv", out=tmp_path / "rep", log_figures=False)
    a = pd.read_csv(tmp_path / "rep" / "summary.csv")
    b = pd.read_csv(tmp_path / "r" / "tables" / "bench" / "summary.csv")
    pd.testing.assert_frame_equal(a, b)
    assert rep.out == tmp_path / "rep"


def test_mlflow_follows_a_change_of_the_scoring_code(tmp_path: Path, monkeypatch) -> None:
    cfg = _config(tmp_path, track=True, methods=["granger"], seeds=[0])
    first = bench.api.run_config(cfg, progress=False, log=lambda m: None)
    (run,) = first.run.tracker.result_runs()
    assert run.data.metrics["f1"] != pytest.approx(0.123)

    # change a metric and the scoring code's version: records are cached, MLflow must follow
    import bench.metrics as metrics
    import bench.runner as runner

    monkeypatch.setitem(metrics._FUNCS, "f1", lambda g: 0.123)
    monkeypatch.setattr(runner, "scoring_version", lambda: "changed-scoring")
    second = bench.api.run_config(cfg, progress=False, log=lambda m: None)
    assert second.run.n_computed == 0 and second.run.n_cached == 3
    runs = second.run.tracker.result_runs()
    assert len(runs) == 1, "the stale run must be replaced, not kept beside the new one"
    assert runs[0].data.metrics["f1"] == pytest.approx(0.123)
    assert runs[0].data.tags["bench.scoring_version"] == "changed-scoring"
    body = json.loads(next((tmp_path / "r" / "records").rglob("*.json")).read_text())
    assert body["metrics"]["f1"] == pytest.approx(0.123)  # the record was re-scored too
    assert body["scoring_version"] == "changed-scoring"


def test_a_run_with_every_fit_failed_still_writes_per_subject_csv(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("BENCH_PLUGINS", PLUGIN)
    results = tmp_path / "r"
    code = main(
        [
            "run",
            "--methods",
            "test-raise",
            "--param",
            'test-raise.on=""',
            "--datasets",
            "smith:1@1-2",
            "--seeds",
            "0",
            "--results",
            str(results),
            "--no-track",
            "--quiet",
            "--jobs",
            "1",
        ]
    )
    out = capsys.readouterr()
    assert code == 1
    ps = pd.read_csv(results / "tables" / "bench" / "per_subject.csv")
    assert list(ps["status"]) == ["failed", "failed"]
    assert "no tables" in out.out and "per_subject.csv" in out.out


def _bench(results: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "BENCH_PLUGINS": PLUGIN}
    cmd = [sys.executable, "-m", "bench.cli", "run", "--results", str(results), "--quiet", *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


SLEEP = [
    "--methods",
    "test-sleep",
    "--param",
    "test-sleep.seconds=0.5",
    "--datasets",
    "smith:1@1-6",
    "--seeds",
    "0",
    "--jobs",
    "1",
]


def test_a_second_run_on_the_same_folder_refuses(tmp_path: Path) -> None:
    results = tmp_path / "r"
    first = _bench(results, *SLEEP)
    deadline = time.monotonic() + 120
    lock = results / ".bench.lock"
    while (not lock.is_file() or not lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = _bench(results, *SLEEP)
    out2, err2 = second.communicate(timeout=300)
    out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 2
    lines = err2.strip().splitlines()
    assert len(lines) == 1 and "is in use by another bench run" in lines[0], err2
    assert f"PID {first.pid}" in lines[0]
    # the first run's results are whole: one MLflow run, six records
    assert len(list((results / "records").rglob("*.json"))) == 6


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    results = tmp_path / "r"
    first = _bench(results, *SLEEP)
    lock = results / ".bench.lock"
    deadline = time.monotonic() + 120
    while (not lock.is_file() or not lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    first.kill()
    first.wait()
    assert lock.read_text().strip()  # the dead holder's PID is still in the file
    again = _bench(results, *SLEEP)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err


def test_the_python_api(tmp_path: Path) -> None:
    res = bench.run(methods="pc,granger", datasets="smith:1@1-2", seeds=[0, 1])
    assert set(res.per_subject["method"]) == {"pc", "granger"}
    assert len(res.per_subject) == 2 * 2 * 2  # methods x subjects x seeds
    s = res.summary.set_index(["method", "dataset", "metric"])
    assert s.loc[("pc", "smith:1@1-2", "auroc"), "applicable"] is np.False_
    assert 0 <= s.loc[("granger", "smith:1@1-2", "f1"), "mean"] <= 1
    assert "F1" in res.tables["f1"] and res.tables_dir.is_dir()
    kept = bench.run(methods="pc", datasets="smith:1@1", seeds=[0], results=tmp_path / "k")
    assert (tmp_path / "k" / "tables" / "bench" / "f1.md").is_file()
    assert kept.records[0].metrics["f1"] == pytest.approx(kept.per_subject["f1"].iloc[0])
    with pytest.raises(bench.types.BenchError, match="did you mean|Did you mean"):
        bench.run(methods="pcc", datasets="smith:1@1")


LAYERS = {"bench.api": 2, "bench.cli": 2, "bench.doctor": 2}  # above the reports (layer 1)


def _imports(path: Path) -> set[str]:
    """The bench modules ``path`` imports (at any depth; not those under ``TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):  # drop `if TYPE_CHECKING:` blocks: they never run
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.startswith("bench")}


def test_imports_run_one_way() -> None:
    """core ← reports ← API/CLI: no core module imports the reports or the API, no cycles."""
    modules = {f"bench.{p.stem}": p for p in (ROOT / "bench").glob("*.py")}
    reports = {f"bench.reports.{p.stem}": p for p in (ROOT / "reports").glob("*.py")}
    for name, path in modules.items():
        if name in LAYERS or name == "bench.__init__":
            continue
        bad = [
            m for m in _imports(path) if m.startswith(("bench.reports", "bench.api", "bench.cli"))
        ]
        assert not bad, f"core module {name} imports {bad}"
    for name, path in reports.items():
        bad = [m for m in _imports(path) if m.startswith(("bench.api", "bench.cli"))]
        assert not bad, f"{name} imports {bad}"
    # no import cycle among the core modules
    graph = {n: {m for m in _imports(p) if m in modules} for n, p in modules.items()}
    state: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for m in graph[n]:
            if state.get(m) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack, n, m]))
            if m not in state:
                visit(m, [*stack, n])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [])


def test_a_methods_label_reaches_the_tables_and_mlflow(tmp_path: Path, monkeypatch) -> None:
    """The label a fit records (``extra_["label"]``; e.g. BrainEC-LLM's backbone, layers and
    epochs) names the method's row in the run's tables and in ``bench report``'s, and its
    MLflow run (name and ``bench.label`` tag)."""
    from mlflow import MlflowClient

    from bench.registry import get_method

    monkeypatch.setenv("BENCH_PLUGINS", PLUGIN)
    cfg = _config(
        tmp_path, methods=["test-labelled"], params={"test-labelled": {"width": 5}}, track=True
    )
    bench.api.run_config(cfg, progress=False, log=lambda m: None)
    label = "Labelled (width 5, fitted)"
    assert get_method("test-labelled").display_label({"width": 5}) == "Labelled (width 5)"
    tables = tmp_path / "r" / "tables" / "bench"
    assert f"| {label} |" in (tables / "f1.md").read_text()
    assert set(pd.read_csv(tables / "per_subject.csv")["label"]) == {label}
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'r' / 'mlflow.db'}")
    exp = client.get_experiment_by_name("bench")
    runs = client.search_runs([exp.experiment_id], "tags.`bench.kind` = 'result'")
    assert len(runs) == 2
    for r in runs:
        assert r.data.tags["bench.label"] == label
        assert r.data.tags["mlflow.runName"].startswith(f"{label} | smith:1@1-3 | seed ")
    rep = bench.report(tmp_path / "r", log_files=False, log_figures=False)
    assert f"| {label} |" in rep.tables["f1"]


def test_repeated_failures_are_shown_a_few_times_then_counted(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """A method failing the same way on every subject prints SHOWN_PER_KIND lines and one
    count of the rest, not a line per fit; per_subject.csv keeps every failure."""
    from bench.runner import SHOWN_PER_KIND

    monkeypatch.setenv("BENCH_PLUGINS", PLUGIN)
    results = tmp_path / "r"
    args = ["run", "--methods", "test-raise", "--param", 'test-raise.on=""', "--datasets",
            "smith:1@1-6", "--seeds", "0", "--results", str(results), "--no-track", "--quiet",
            "--jobs", "1"]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("warning: test-raise on smith:1@1-6")]
    assert len(lines) == SHOWN_PER_KIND == 3
    assert "note: test-raise: 3 more fit(s) failed with the same message" in err
    ps = pd.read_csv(results / "tables" / "bench" / "per_subject.csv")
    assert (ps["status"] == "failed").sum() == 6
