"""The MLflow UI in a real browser: headless Chromium opens the run table and takes a screenshot.

Marked ``browser`` and skipped unless selected with ``-m browser`` (it starts an MLflow server
and a browser: about a minute). Needs Debian's ``chromium`` (``apt-get install -y chromium``).
The server is started like ``bench ui`` does, in its own process group, and stopped by that
group's id. ``BENCH_SCREENSHOT`` names a file to copy the screenshot to, for a human look.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from _mlflow_store import make_store

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
    "--virtual-time-budget=20000",  # let the single-page app fetch and draw the runs
]


@pytest.fixture(autouse=True)
def _only_when_selected(request):
    if "browser" not in (request.config.option.markexpr or ""):
        pytest.skip("drives headless Chromium: run with -m browser")
    if CHROMIUM is None:
        pytest.skip("chromium not installed (apt-get install -y chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"the MLflow server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_mlflow_run_table_shows_method_dataset_seed(tmp_path):
    pairs = [("alpha", "toy:1"), ("beta", "toy:1"), ("alpha", "toy:2")]
    uri, exp = make_store(tmp_path, pairs, seeds=(0,))
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        # what `bench ui` runs
        [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri]
        + ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_http(base + "/", server, timeout=240)
        # the run table of the experiment, in the "Model training" view, filtered to a dataset
        query = quote("params.dataset = 'toy:1'")
        url = f"{base}/#/experiments/{exp}/runs?workflowType=machine_learning&searchFilter={query}"
        shot = tmp_path / "runs.png"
        proc = _chromium([f"--screenshot={shot}", url], tmp_path / "profile")
        assert shot.is_file(), proc.stderr[-2000:]
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (1400, 900)
        assert len(data) > 30_000  # a drawn page, not a blank one
        if os.environ.get("BENCH_SCREENSHOT"):
            shutil.copy(shot, os.environ["BENCH_SCREENSHOT"])
        dom = _chromium(["--dump-dom", url], tmp_path / "profile2").stdout
        assert "alpha | toy:1 | seed 0" in dom and "beta | toy:1 | seed 0" in dom
        assert "alpha | toy:2 | seed 0" not in dom  # the filter on params.dataset applied
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()
