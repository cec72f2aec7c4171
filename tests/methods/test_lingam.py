"""LiNGAM adapters: causal-learn's row = child encoding, reversal canaries, scale, errors."""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods.lingam import DirectLiNGAM, VARLiNGAM, lingam_to_bench
from bench.types import DataError, FitContext

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)  # 0 -> 1 -> 2


def test_causallearn_encoding_is_row_child(nongaussian_chain_data) -> None:
    # Pins the library's layout: in adjacency_matrix_ the row is the child (x1 = 0.8 x0 + e1
    # appears at [1, 0]), the transpose of the bench orientation.
    from causallearn.search.FCMBased.lingam import DirectLiNGAM as CLDirectLiNGAM

    x = nongaussian_chain_data(n=500, seed=0)
    b = CLDirectLiNGAM().fit(x).adjacency_matrix_
    assert b[1, 0] == pytest.approx(0.8, abs=0.1) and b[0, 1] == 0.0
    assert b[2, 1] == pytest.approx(0.8, abs=0.1) and b[1, 2] == 0.0
    np.testing.assert_array_equal(lingam_to_bench(b), b.T)
    stack = np.stack([b, 2 * b])
    np.testing.assert_array_equal(lingam_to_bench(stack)[1], 2 * b.T)


def test_reversal_canary_direct_lingam(nongaussian_chain_data) -> None:
    est = DirectLiNGAM().fit(nongaussian_chain_data(n=500, seed=0))
    np.testing.assert_array_equal(est.adjacency_, CHAIN)
    assert est.extra_["causal_order"] == [0, 1, 2]
    s = est.scores_
    assert s[0, 1] > 0.5 and s[1, 2] > 0.5 and s[1, 0] == 0 and s[2, 1] == 0


def test_reversal_canary_var_lingam(nongaussian_chain_data) -> None:
    # Chain with lag-1 and contemporaneous effects: both B_0 and B_1 come back as 0 -> 1 -> 2.
    x = nongaussian_chain_data(n=500, seed=0, lagged=0.5, contemporaneous=0.6, autoregressive=0.3)
    est = VARLiNGAM().fit(x)
    np.testing.assert_array_equal(est.adjacency_, CHAIN)
    lag = est.lag_scores_
    assert lag.shape == (2, 3, 3)
    for tau in (0, 1):
        assert lag[tau, 0, 1] > 0.2 and lag[tau, 1, 2] > 0.2
        assert lag[tau, 1, 0] == 0 and lag[tau, 2, 1] == 0
    assert not np.diagonal(lag, axis1=1, axis2=2).any()  # autoregression is not an edge
    np.testing.assert_array_equal(est.scores_, lag.max(axis=0))


def test_results_do_not_depend_on_node_scale(nongaussian_chain_data) -> None:
    x = nongaussian_chain_data(n=400, seed=1)
    y = x * np.array([1000.0, 0.01, 3.0]) + 5.0
    a, b = DirectLiNGAM().fit(x), DirectLiNGAM().fit(y)
    np.testing.assert_array_equal(a.adjacency_, b.adjacency_)
    np.testing.assert_allclose(a.scores_, b.scores_, atol=1e-8)


def test_unpruned_var_lingam_lags_are_dense(nongaussian_chain_data) -> None:
    # Why prune=True is the default: without pruning every lagged coefficient is non-zero.
    x = nongaussian_chain_data(n=300, seed=0, lagged=0.5, contemporaneous=0.6)
    est = VARLiNGAM(prune=False).fit(x)
    assert est.adjacency_.sum() == 6


def test_short_or_collinear_series_raise(nongaussian_chain_data, var_data) -> None:
    with pytest.raises(DataError, match="sub-04.*too few"):
        DirectLiNGAM().fit(var_data(n=6, n_nodes=5, seed=0), FitContext(dataset="sub-04"))
    with pytest.raises(DataError, match="too few.*VAR-LiNGAM"):
        VARLiNGAM(lags=2).fit(var_data(n=20, n_nodes=6, seed=0))
    x = nongaussian_chain_data(n=300, seed=0)
    x[:, 2] = x[:, 0] + x[:, 1]
    for est in (DirectLiNGAM(), VARLiNGAM()):
        with pytest.raises(DataError, match="singular"):
            est.fit(x)


@pytest.mark.parametrize(
    ("cls", "params"),
    [(DirectLiNGAM, {"measure": "ica"}), (VARLiNGAM, {"lags": 0}), (VARLiNGAM, {"ic": "x"})],
)
def test_bad_parameters(cls, params: dict) -> None:
    with pytest.raises(ValueError, match="lingam"):
        cls(**params).check_params()
