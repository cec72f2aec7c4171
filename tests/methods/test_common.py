"""Common checks run over every registered method (a new method gets them for free).

Covers every method in ``bench.registry.METHODS`` that is neither ``slow`` nor ``needs_gpu``;
methods whose packages are missing are skipped. Group-level methods are fitted on a list of
subjects. The reversal canaries are per adapter (test_pc.py, test_granger.py, test_pcmci.py)
because which graph a method can orient depends on the method.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone

import bench.methods  # noqa: F401  (registers the methods)
from bench.registry import METHODS, MethodInfo
from bench.types import DataError, FitContext

N_NODES = 4

COMMON = sorted(n for n, m in METHODS.items() if not m.slow and not m.needs_gpu)


def info_for(name: str) -> MethodInfo:
    info = METHODS[name]
    missing = info.missing_packages()
    if missing:
        pytest.skip(f"{name}: missing {', '.join(missing)}")
    return info


def fit(info: MethodInfo, x: Any, seed: int = 0, **params: Any) -> Any:
    """Fit one subject (subject level) or a list of subjects built from it (group level)."""
    est = info.make(**params)
    ctx = FitContext(dataset="common-check", seed=seed)
    data = [x, x[::-1].copy()] if info.level == "group" else x
    returned = est.fit(data, ctx)
    assert returned is est, f"{info.name}: fit must return self"
    return est


@pytest.fixture
def series(var_data) -> np.ndarray:
    return var_data(n=300, n_nodes=N_NODES, seed=1)


def test_methods_registered() -> None:
    assert {"pc", "granger", "pcmci"} <= set(COMMON)


@pytest.mark.parametrize("name", COMMON)
def test_fit_contract(name: str, series: np.ndarray) -> None:
    info = info_for(name)
    est = fit(info, series)
    adj = est.adjacency_
    assert isinstance(adj, np.ndarray) and adj.dtype == bool and adj.shape == (N_NODES,) * 2
    assert not np.diag(adj).any()
    scores = est.scores_
    if info.scores is None:
        assert scores is None, f"{name}: registered without scores but scores_ is set"
    else:
        assert scores is not None, f"{name}: registered with scores {info.scores!r}"
        assert scores.shape == (N_NODES,) * 2
        assert np.isfinite(scores).all() and (scores >= 0).all()
        assert not np.diag(scores).any()
    lag = getattr(est, "lag_scores_", None)
    if info.lagged:
        assert lag is not None, f"{name}: lagged method without lag_scores_"
    if lag is not None:
        assert lag.ndim == 3 and lag.shape[1:] == (N_NODES,) * 2
        assert np.isfinite(lag).all() and (lag >= 0).all()
        assert scores is not None and np.allclose(scores, lag.max(axis=0))
    json.dumps(getattr(est, "extra_", {}))  # small and JSON-able
    estimate = est.estimate()
    assert np.array_equal(estimate.adjacency, adj)


@pytest.mark.parametrize("name", COMMON)
def test_same_seed_same_result(name: str, series: np.ndarray) -> None:
    info = info_for(name)
    a, b = fit(info, series, seed=3), fit(info, series, seed=3)
    assert np.array_equal(a.adjacency_, b.adjacency_)
    if a.scores_ is None:
        assert b.scores_ is None
    else:
        np.testing.assert_array_equal(a.scores_, b.scores_)


@pytest.mark.parametrize("name", COMMON)
def test_params_round_trip(name: str) -> None:
    info = info_for(name)
    est = info.make()
    assert est.get_params() == info.defaults
    copy = clone(est)
    assert copy is not est and copy.get_params() == est.get_params()
    assert type(info.make(**est.get_params())) is info.cls


def _nan(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[10, 1] = np.nan
    return x


def _constant(x: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[:, 2] = 1.5
    return x


BAD = {"nan": _nan, "constant-node": _constant, "1-d": lambda x: x[:, 0].copy()}


@pytest.mark.parametrize("bad", sorted(BAD))
@pytest.mark.parametrize("name", COMMON)
def test_bad_input_raises_data_error(name: str, bad: str, series: np.ndarray) -> None:
    info = info_for(name)
    x = BAD[bad](series)
    est = info.make()
    data = [series, x] if info.level == "group" else x
    with pytest.raises(DataError):
        est.fit(data, FitContext(dataset="common-check"))
