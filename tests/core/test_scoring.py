"""The driver's scoring: metrics plus the labelled oracle metrics."""

from __future__ import annotations

import numpy as np
import pytest

from bench.metrics import compute_metrics
from bench.scoring import max_f1, score
from bench.types import Estimate


def _brute_max_f1(truth: np.ndarray, scores: np.ndarray) -> float:
    off = ~np.eye(len(truth), dtype=bool)
    best = 0.0
    for theta in np.unique(scores[off]):
        decided = (scores >= theta) & off
        best = max(best, compute_metrics(truth, decided, None)["f1"])
    return best


def test_max_f1_by_hand() -> None:
    # truth 0->1, 1->2; scores rank 0->1 (0.9), 1->0 (0.5), 1->2 (0.4) ...
    t = np.zeros((3, 3), dtype=bool)
    t[0, 1] = t[1, 2] = True
    s = np.array([[0.0, 0.9, 0.3], [0.5, 0.0, 0.4], [0.4, 0.1, 0.0]])
    # θ = 0.9: TP 1, k 1 -> 2/3; θ = 0.5: TP 1, k 2 -> 1/2; θ = 0.4 (three pairs tie): TP 2, k 4
    # -> 4/6; θ = 0.3: TP 2, k 5 -> 4/7; θ = 0.1: TP 2, k 6 -> 1/2
    assert max_f1(t, s) == pytest.approx(2 / 3)


def test_max_f1_equals_scanning_every_threshold() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(2, 9))
        t = rng.random((n, n)) < 0.3
        np.fill_diagonal(t, False)
        s = np.round(rng.random((n, n)), int(rng.integers(1, 3)))  # ties
        assert max_f1(t, s) == pytest.approx(_brute_max_f1(t, s), abs=1e-12)


def test_score_adds_oracle_max_f1_only_with_scores() -> None:
    t = np.zeros((3, 3), dtype=bool)
    t[0, 1] = True
    adj = np.zeros((3, 3), dtype=bool)
    with_scores = score(t, Estimate(adjacency=adj, scores=np.eye(3)[::-1] + 0.1))
    assert "oracle_max_f1" in with_scores and with_scores["f1"] == 0.0
    assert "oracle_max_f1" not in score(t, Estimate(adjacency=adj, scores=None))
