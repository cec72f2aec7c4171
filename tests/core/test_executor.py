"""The local executor keeps multi-threaded (group-level) fits from oversubscribing the cores."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from bench.executor import Job, LocalExecutor

PLUGIN = str(Path(__file__).resolve().parent.parent / "plugins" / "faulty.py")


def _intervals(folder: Path) -> list[tuple[float, float]]:
    out = []
    for f in folder.iterdir():
        a, b = f.read_text().split()
        out.append((float(a), float(b)))
    return sorted(out)


def _jobs(folder: Path, threads: int | None, n: int = 2) -> list[Job]:
    x = np.random.default_rng(0).standard_normal((50, 3))
    return [
        Job(
            id=k,
            method="test-sleep",
            params={"seconds": 1.0, "stamps": str(folder)},
            context={"dataset": "d", "family": "generic"},
            item=(f"sub{k}", None, x),
            threads=threads,
        )
        for k in range(n)
    ]


def _run(jobs: list[Job]) -> list[dict]:
    results: list[dict] = []
    LocalExecutor(jobs=2).run(jobs, lambda job, result: results.append(result))
    return results


def test_all_core_fits_run_one_at_a_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BENCH_PLUGINS", PLUGIN)
    results = _run(_jobs(tmp_path, threads=os.cpu_count() or 1))
    assert [r.status for r in results] == ["ok", "ok"]
    (a0, a1), (b0, b1) = _intervals(tmp_path)
    assert b0 >= a1, f"two all-core fits overlapped: {a0:.2f}-{a1:.2f} and {b0:.2f}-{b1:.2f}"


def test_default_fits_still_run_side_by_side(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``--jobs 2`` of ordinary fits: the budget lets both workers take a fit at once."""
    monkeypatch.setenv("BENCH_PLUGINS", PLUGIN)
    ex = LocalExecutor(jobs=2)
    job = _jobs(tmp_path, threads=None, n=1)[0]

    class Busy:
        threads = ex.threads
        job = object()

    assert ex._fits_budget(job, [Busy()])  # a second default fit may start beside the first
    wide = _jobs(tmp_path, threads=(os.cpu_count() or 1) + 1, n=1)[0]
    assert not ex._fits_budget(wide, [Busy()])
    assert ex._fits_budget(wide, [])  # nothing running: always start
