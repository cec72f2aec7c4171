"""The files a run writes are ordinary files: the mode follows the user's umask."""

from __future__ import annotations

import subprocess
import sys


def test_everything_a_run_writes_respects_the_umask(tmp_path):
    """Records, tables, per_subject.csv, the MLflow store and its artifacts: ordinary files
    (``0o666`` less the umask), not ``mkstemp``'s 0600."""
    umask = 0o002  # a group-writable umask: the old fixed 0o644 and mkstemp's 0o600 fail it
    results = tmp_path / "r"
    code = (
        "import os, sys; os.umask(int(sys.argv[1], 8)); from bench.cli import main; "
        "sys.exit(main(sys.argv[2:]))"
    )
    args = ["run", "--methods", "granger", "--datasets", "smith:1@1-2", "--seeds", "0"]
    args += ["--results", str(results), "--quiet", "--jobs", "1"]
    proc = subprocess.run(
        [sys.executable, "-c", code, oct(umask), *args], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    want = 0o666 & ~umask
    files = [p for p in results.rglob("*") if p.is_file() and p.name != ".bench.lock"]
    assert any(p.suffix == ".json" for p in files) and any(p.name == "f1.tex" for p in files)
    assert any(p.name == "per_subject_metrics.csv" for p in files)
    wrong = {str(p.relative_to(results)): oct(p.stat().st_mode & 0o777) for p in files
             if p.stat().st_mode & 0o777 != want}  # fmt: skip
    assert not wrong, f"expected {oct(want)}: {wrong}"
