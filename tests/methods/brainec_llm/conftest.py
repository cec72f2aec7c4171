"""Fixtures of the BrainEC-LLM tests: offline Hugging Face, one CPU thread, small data.

One torch thread: the tiny test model is made of many small ops, which run several times
faster single-threaded on a shared 2-core machine (OpenMP contention); the previous thread
count is restored after each test.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")


@pytest.fixture(autouse=True)
def _offline_one_thread(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.delenv("BENCH_LLM_PATH", raising=False)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def chain_subjects(n_subjects: int = 4, t: int = 64, seed: int = 0) -> list[np.ndarray]:
    """Subjects of the 3-node chain x0 -> x1 -> x2 (lag-1 and contemporaneous links)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_subjects):
        e = rng.standard_normal((t + 50, 3))
        x = np.zeros_like(e)
        for k in range(1, t + 50):
            x[k, 0] = 0.3 * x[k - 1, 0] + e[k, 0]
            x[k, 1] = 0.3 * x[k - 1, 1] + 0.5 * x[k - 1, 0] + 0.5 * x[k, 0] + e[k, 1]
            x[k, 2] = 0.3 * x[k - 1, 2] + 0.5 * x[k - 1, 1] + 0.5 * x[k, 1] + e[k, 2]
        out.append(x[50:])
    return out


@pytest.fixture
def chain() -> list[np.ndarray]:
    return chain_subjects()


@pytest.fixture
def make_chain_subjects():
    """The generator :func:`chain_subjects` (pick sizes and seed in the test)."""
    return chain_subjects
