"""Common checks run over every registered method (a new method gets them for free).

Covers every method in ``bench.registry.METHODS`` that is not ``slow``, GPU methods included
(fitted on the CPU with their registered ``test_params``, e.g. BrainEC-LLM's tiny backbone);
methods whose packages are missing are skipped. Group-level methods are fitted on a list of
subjects. Every method's registered reversal canary (:mod:`bench.canaries`) runs here, so no
adapter can leave it out; slow canaries carry the ``slow`` marker and a canary registered with
``xfail`` (a measured, recorded failure) is a non-strict expected failure.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone

import bench.methods  # noqa: F401  (registers the methods)
from bench.canaries import canary_data, check_canary, check_data_free
from bench.registry import METHODS, MethodInfo
from bench.types import DataError, FitContext

N_NODES = 4

COMMON = sorted(n for n, m in METHODS.items() if not m.slow)


def info_for(name: str) -> MethodInfo:
    info = METHODS[name]
    missing = info.missing_packages()
    if missing:
        pytest.skip(f"{name}: missing {', '.join(missing)}")
    return info


def fit(info: MethodInfo, x: Any, seed: int = 0, **params: Any) -> Any:
    """Fit one subject (subject level) or a list of subjects built from it (group level)."""
    est = info.make(**{**info.test_params, **params})
    ctx = FitContext(dataset="common-check", seed=seed)
    data = [x, x[::-1].copy()] if info.level == "group" else x
    returned = est.fit(data, ctx)
    assert returned is est, f"{info.name}: fit must return self"
    return est


@pytest.fixture
def series(var_data) -> np.ndarray:
    return var_data(n=300, n_nodes=N_NODES, seed=1)


def test_methods_registered() -> None:
    assert {"pc", "granger", "pcmci", "brainec-llm"} <= set(COMMON)
    assert all(m.canary is not None for m in METHODS.values())


def test_registration_without_canary_is_refused() -> None:
    from bench.registry import register_method

    with pytest.raises(ValueError, match="canary"):
        register_method("no-canary", citation="c", description="d", scores=None)


def _canary_cases() -> list[Any]:
    cases = []
    for name, info in sorted(METHODS.items()):
        c = info.canary
        marks = []
        if c.slow or info.slow:
            marks.append(pytest.mark.slow)
        if c.xfail:
            marks.append(pytest.mark.xfail(strict=False, reason=c.xfail))
        cases.append(pytest.param(name, marks=marks, id=name))
    return cases


@pytest.mark.parametrize("name", _canary_cases())
def test_reversal_canary(name: str) -> None:
    """x0 -> x1 -> x2 (or the method's registered structure) comes back in its direction."""
    info = info_for(name)
    canary = info.canary
    x, truth = canary_data(canary, info.level)
    params = {**info.test_params, **canary.params}
    ctx = FitContext(dataset=f"canary {canary.data}", seed=canary.seed)
    est = info.make(**params).fit(x, ctx)
    if canary.check == "data-free":
        flipped = [s[:, ::-1].copy() for s in x] if info.level == "group" else x[:, ::-1].copy()
        other = info.make(**params).fit(flipped, ctx)
        problems = check_data_free(est, other)
        assert not info.orients, f"{name}: a data-free method must be registered orients=False"
    else:
        problems = check_canary(canary, est.adjacency_, est.scores_, truth)
        if canary.check == "undirected":
            assert not info.orients, f"{name}: an undirected canary needs orients=False"
    assert not problems, f"{name} on {canary.data}: " + "; ".join(problems)


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
    # small extras are JSON-able; arrays (e.g. per-epoch matrices) go to the record's .npz
    extra = getattr(est, "extra_", {}) or {}
    json.dumps({k: v for k, v in extra.items() if not isinstance(v, np.ndarray)})
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
    est = info.make(**info.test_params)
    data = [series, x] if info.level == "group" else x
    with pytest.raises(DataError):
        est.fit(data, FitContext(dataset="common-check"))
