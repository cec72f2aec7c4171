"""Fixtures of the BrainEC-LLM tests: offline Hugging Face, one CPU thread, small data.

One torch thread: the tiny test model is made of many small ops, which run several times
faster single-threaded on a shared 2-core machine (OpenMP contention); the previous thread
count is restored after each test.
"""

from __future__ import annotations

import numpy as np
import pytest
from brainec_chain import chain_subjects

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


@pytest.fixture
def chain() -> list[np.ndarray]:
    return chain_subjects()
