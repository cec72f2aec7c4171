"""The worker-side fit: a fit whose maths went non-finite is never ok; a worker that dies before
it receives its job costs only that fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.executor import Job, LocalExecutor, _Worker
from bench.fitting import execute_fit
from bench.registry import get_method

PLUGIN = str(Path(__file__).resolve().parent.parent / "plugins" / "faulty.py")


def _overflowing(seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(200, 4))
    x[:, 1] *= 1e300  # passes the finite check; its squares overflow float64
    return x


@pytest.mark.parametrize("method", ["pc", "correlation", "granger", "direct-lingam"])
def test_non_finite_maths_fails_the_fit_and_says_so(method: str) -> None:
    out = execute_fit(
        method, get_method(method).defaults, {"dataset": "d"}, ("s1", None, _overflowing())
    )
    assert out.status == "failed" and out.estimate is None
    assert "the fit's maths went non-finite: overflow encountered" in out.error
    assert "\n" not in out.error


def test_healthy_fit_is_ok_with_its_warnings_collected(var_data) -> None:
    out = execute_fit("pc", get_method("pc").defaults, {"dataset": "d"}, ("s1", None, var_data()))
    assert out.status == "ok" and out.estimate is not None and out.error == ""


def test_worker_dying_before_its_job_costs_only_that_fit(monkeypatch, var_data) -> None:
    monkeypatch.setenv("BENCH_PLUGINS", PLUGIN)
    original = _Worker.submit
    killed: list[int] = []

    def submit_to_a_dead_worker(self: _Worker, job: Job) -> bool:
        if job.id == 1 and not killed:  # the worker dies between its start and the job
            self.proc.kill()
            self.proc.join(5)
            killed.append(job.id)
        return original(self, job)

    monkeypatch.setattr(_Worker, "submit", submit_to_a_dead_worker)
    x = var_data(n=100, n_nodes=3)
    jobs = [
        Job(
            id=k,
            method="granger",
            params=get_method("granger").defaults,
            context={"dataset": "d"},
            item=(f"s{k}", None, x),
        )
        for k in range(4)
    ]
    outcomes: dict[int, str] = {}
    LocalExecutor(jobs=1).run(jobs, lambda job, out: outcomes.__setitem__(job.id, out.status))
    assert killed == [1]
    assert outcomes == {0: "ok", 1: "crashed", 2: "ok", 3: "ok"}
