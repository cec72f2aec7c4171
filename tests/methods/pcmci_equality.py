"""Shared checks that the fast PCMCI / PCMCI+ path equals tigramite (``impl="reference"``).

Tolerances (justified in bench.methods._parcorr): the partial correlations, hence the scores,
agree to 1e-10 absolute and the p-values to 1e-8 relative; the binary graphs and the link
counts agree exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from bench.registry import load_dataset

SCORE_ATOL = 1e-10
P_RTOL = 1e-8


@cache
def netsim(sim: int, subject: int) -> np.ndarray:
    """Subject number ``subject`` (1-based) of NetSim ``smith:sim``."""
    return load_dataset(f"smith:{sim}").series[subject - 1]


def assert_same_fit(ref: Any, fast: Any) -> None:
    """Identical adjacency and link counts; scores and p-values equal to the tolerances."""
    np.testing.assert_array_equal(fast.adjacency_, ref.adjacency_)
    np.testing.assert_allclose(fast.scores_, ref.scores_, rtol=0, atol=SCORE_ATOL)
    np.testing.assert_allclose(fast.lag_scores_, ref.lag_scores_, rtol=0, atol=SCORE_ATOL)
    np.testing.assert_allclose(fast.lag_pvalues_, ref.lag_pvalues_, rtol=P_RTOL, atol=0)
    counts = [k for k in ref.extra_ if k.startswith("n_")]
    assert {k: fast.extra_[k] for k in counts} == {k: ref.extra_[k] for k in counts}


def fit_both(make: Callable[..., Any], x: np.ndarray) -> tuple[Any, Any]:
    """``make(impl=...)`` fitted on ``x`` both ways; the fast fit must not have fallen back."""
    ref = make(impl="reference").fit(x)
    fast = make(impl="fast").fit(x)
    assert ref.extra_["impl"] == "reference"
    assert fast.extra_["impl"] == "fast"
    assert_same_fit(ref, fast)
    return ref, fast
