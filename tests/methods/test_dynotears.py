"""DYNOTEARS: lag orientation (A's rows are sources at t − τ), the contemporaneous W, the
summary over lags, reduction to NOTEARS without lagged effects, errors and parameters."""

from __future__ import annotations

import numpy as np
import pytest

from bench.canaries import make_chain
from bench.methods._notears import lagged_design, notears_solve
from bench.methods.dynotears import DYNOTEARS
from bench.types import DataError, FitContext

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)  # 0 -> 1 -> 2


def test_lagged_chain_comes_back_in_a_lag_one() -> None:
    x = make_chain(1000, 0, contemporaneous=0.0)  # every link lagged: x(k-1)[t-1] -> xk[t]
    est = DYNOTEARS().fit(x)
    np.testing.assert_array_equal(est.adjacency_, CHAIN)
    lag = est.lag_scores_
    assert lag.shape == (2, 3, 3)
    assert lag[1, 0, 1] > 0.3 and lag[1, 1, 2] > 0.3 and lag[1, 1, 0] < 0.1
    assert not lag[0].any() or lag[0].max() < 0.3  # nothing contemporaneous
    np.testing.assert_array_equal(est.scores_, lag.max(axis=0))
    aw = est.extra_["lag_weights"]
    assert aw[1, 0, 0] > 0.2  # the autoregression sits on A's diagonal (not scored)
    assert not np.diag(est.scores_).any()


def test_contemporaneous_chain_comes_back_in_w() -> None:
    # i.i.d. equal-variance chain, raw scale: identified by the least-squares score (NOTEARS).
    x = make_chain(1000, 0, lagged=0.0, autoregressive=0.0)
    est = DYNOTEARS(standardize=False).fit(x)
    np.testing.assert_array_equal(est.adjacency_, CHAIN)
    assert est.lag_scores_[0, 0, 1] > 0.3 and est.lag_scores_[0, 1, 2] > 0.3
    assert est.lag_scores_[1].max() < 0.3


def test_without_lagged_regressors_it_is_notears() -> None:
    x = make_chain(400, 2, lagged=0.0, autoregressive=0.0)
    target, lagged = lagged_design(x - x.mean(axis=0), 1)
    with_zero_lags = notears_solve(target, np.zeros_like(lagged), lambda_w=0.1)
    plain = notears_solve(target, None, lambda_w=0.1)
    np.testing.assert_allclose(with_zero_lags.w, plain.w, atol=1e-6)
    assert np.allclose(with_zero_lags.a, 0.0)


def test_two_lags_and_thresholds() -> None:
    x = make_chain(600, 3, contemporaneous=0.0)
    est = DYNOTEARS(lags=2, a_threshold=0.2, w_threshold=0.5).fit(x)
    lag = est.lag_scores_
    assert lag.shape == (3, 3, 3)
    decide = np.concatenate([lag[:1] >= 0.5, lag[1:] >= 0.2]).any(axis=0)
    np.fill_diagonal(decide, False)
    np.testing.assert_array_equal(est.adjacency_, decide)


def test_too_short_series_raise() -> None:
    with pytest.raises(DataError, match="sub-3.*too few"):
        DYNOTEARS(lags=3).fit(make_chain(5, 0), FitContext(dataset="sub-3"))


@pytest.mark.parametrize(
    "params",
    [{"lags": 0}, {"lambda_a": -1.0}, {"a_threshold": None}, {"max_iter": 1.5}],
)
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="dynotears"):
        DYNOTEARS(**params).check_params()
