"""A run killed with SIGKILL half-way resumes to the same tables, without duplicates."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

PLUGIN = str(Path(__file__).resolve().parent.parent / "plugins" / "faulty.py")
ARGS = [
    "run",
    "--methods",
    "granger,test-sleep",
    "--datasets",
    "smith:1-2",
    "--seeds",
    "0",
    "1",
    "--jobs",
    "1",
    "--quiet",
]
TOTAL = 2 * 100  # 2 deterministic methods x 100 subjects


def _bench(results: Path, **kw):
    env = {**os.environ, "BENCH_PLUGINS": PLUGIN}
    return subprocess.Popen(
        [sys.executable, "-m", "bench.cli", *ARGS, "--results", str(results)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def _records(results: Path) -> list[Path]:
    return sorted((results / "records").rglob("*.json")) if (results / "records").exists() else []


def test_kill_and_resume(tmp_path):
    # 1. the uninterrupted reference
    ref = _bench(tmp_path / "ref")
    out, err = ref.communicate(timeout=600)
    assert ref.returncode == 0, err

    # 2. kill -9 the whole process group once about half of the fits are recorded
    res = tmp_path / "killed"
    proc = _bench(res, start_new_session=True)
    deadline = time.monotonic() + 300
    while len(_records(res)) < TOTAL // 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(_records(res))
    assert 0 < done_before < TOTAL

    # every record on disk is complete: JSON parses and its estimate exists
    for p in _records(res):
        body = json.loads(p.read_text())
        assert body["status"] == "ok" and p.with_suffix(".npz").is_file()

    # 3. the same command again computes only what is missing
    again = _bench(res)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    computed = TOTAL - done_before
    assert f"({computed} computed, {done_before} cached; all ok)" in out, out

    # 4. same tables as the uninterrupted run (timings aside)
    def table(root):
        df = pd.read_csv(root / "tables" / "bench" / "summary.csv")
        return df[df["metric"] != "seconds_per_fit"].reset_index(drop=True)

    pd.testing.assert_frame_equal(table(res), table(tmp_path / "ref"))
    for name in ("f1.md", "shd.md", "auroc.md"):
        assert (res / "tables" / "bench" / name).read_text() == (
            tmp_path / "ref" / "tables" / "bench" / name
        ).read_text()

    # 5. MLflow: one finished run per (method, dataset, seed), no duplicates
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{res / 'mlflow.db'}")
    exp = client.get_experiment_by_name("bench")
    runs = client.search_runs([exp.experiment_id], "tags.`bench.kind` = 'result'")
    units = [
        (r.data.tags["bench.method"], r.data.tags["bench.dataset"], r.data.tags["bench.seed"])
        for r in runs
    ]
    assert len(units) == len(set(units)) == 2 * 2 * 2
    assert all(r.info.status == "FINISHED" for r in runs)
