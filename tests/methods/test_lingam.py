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


# --------------------------------------------------------------------------- fast == reference


def _sem(n: int, n_nodes: int, seed: int, noise: str) -> np.ndarray:
    """A random linear acyclic SEM (i.i.d. rows) with ``noise`` disturbances."""
    rng = np.random.default_rng(seed)
    b = np.tril(rng.uniform(0.3, 0.9, (n_nodes, n_nodes)) * (rng.random((n_nodes,) * 2) < 0.5), -1)
    b *= rng.choice([-1.0, 1.0], b.shape)
    draw = {"uniform": rng.uniform, "laplace": rng.laplace, "gaussian": rng.standard_normal}
    e = draw[noise](size=(n, n_nodes))
    x = e @ np.linalg.inv(np.eye(n_nodes) - b).T
    return x[:, rng.permutation(n_nodes)]


def _svar(n: int, n_nodes: int, seed: int, noise: str) -> np.ndarray:
    """A random structural VAR(1), x_t = B0 x_t + B1 x_{t-1} + e_t, with ``noise``."""
    rng = np.random.default_rng(seed)
    b0 = np.tril(rng.uniform(0.3, 0.8, (n_nodes,) * 2) * (rng.random((n_nodes,) * 2) < 0.4), -1)
    b1 = rng.uniform(-0.4, 0.4, (n_nodes,) * 2) * (rng.random((n_nodes,) * 2) < 0.4)
    np.fill_diagonal(b1, 0.3)
    inv = np.linalg.inv(np.eye(n_nodes) - b0)
    m = inv @ b1
    m *= 0.8 / max(0.8, np.max(np.abs(np.linalg.eigvals(m))))
    draw = {"uniform": rng.uniform, "laplace": rng.laplace, "gaussian": rng.standard_normal}
    e = draw[noise](size=(n + 50, n_nodes)) @ inv.T
    x = np.zeros_like(e)
    for t in range(1, n + 50):
        x[t] = m @ x[t - 1] + e[t]
    return x[50:]


def assert_same_lingam(fast, ref) -> None:
    """Identical graphs and causal orders; scores equal to rounding (1e-8 rel., 1e-12 abs.)."""
    np.testing.assert_array_equal(fast.adjacency_, ref.adjacency_)
    assert fast.extra_["causal_order"] == ref.extra_["causal_order"]
    np.testing.assert_allclose(fast.scores_, ref.scores_, rtol=1e-8, atol=1e-12)
    lag_f, lag_r = getattr(fast, "lag_scores_", None), getattr(ref, "lag_scores_", None)
    if lag_r is not None:
        np.testing.assert_allclose(lag_f, lag_r, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize(
    ("n", "n_nodes", "seed", "noise"),
    [
        (300, 4, 0, "uniform"),
        (200, 6, 1, "laplace"),
        (150, 5, 2, "gaussian"),
        (500, 3, 3, "laplace"),
        (120, 8, 4, "uniform"),
    ],
)
def test_direct_lingam_fast_equals_reference(n, n_nodes, seed, noise) -> None:
    x = _sem(n, n_nodes, seed, noise)
    assert_same_lingam(DirectLiNGAM().fit(x), DirectLiNGAM(impl="reference").fit(x))


@pytest.mark.parametrize(
    ("n", "n_nodes", "seed", "noise", "params"),
    [
        (300, 4, 0, "uniform", {}),
        (200, 5, 1, "laplace", {"lags": 2}),
        (150, 4, 2, "gaussian", {"lags": 3, "ic": "aic"}),
        (200, 4, 3, "laplace", {"lags": 2, "ic": None}),
        (200, 5, 4, "uniform", {"prune": False}),
        (250, 4, 5, "laplace", {"coef_threshold": 0.05}),
        (200, 4, 6, "uniform", {"coef_threshold": 0.1, "prune": False, "lags": 2}),
    ],
)
def test_var_lingam_fast_equals_reference(n, n_nodes, seed, noise, params) -> None:
    x = _svar(n, n_nodes, seed, noise)
    fast, ref = VARLiNGAM(**params).fit(x), VARLiNGAM(impl="reference", **params).fit(x)
    assert_same_lingam(fast, ref)
    assert fast.extra_["lags_used"] == ref.extra_["lags_used"]


@pytest.mark.parametrize(("dataset", "subject"), [("smith:1", 0), ("smith:1", 1), ("smith:2", 0)])
@pytest.mark.parametrize("cls", [DirectLiNGAM, VARLiNGAM])
def test_fast_equals_reference_on_netsim(dataset: str, subject: int, cls) -> None:
    from bench.registry import load_dataset

    x = load_dataset(dataset).series[subject]
    fast, ref = cls().fit(x), cls(impl="reference").fit(x)
    assert_same_lingam(fast, ref)
    assert fast.extra_["order_by_reference"] == 0 and fast.extra_["lasso_by_reference"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("cls", [DirectLiNGAM, VARLiNGAM])
def test_fast_equals_reference_on_netsim_sim4(cls) -> None:
    from bench.registry import load_dataset

    x = load_dataset("smith:4").series[0]
    assert_same_lingam(cls().fit(x), cls(impl="reference").fit(x))


def test_kernel_measure_runs_causallearn(nongaussian_chain_data) -> None:
    # measure="kernel" has no fast path: both impls are causal-learn and agree exactly.
    x = nongaussian_chain_data(n=25, seed=0)
    a, b = DirectLiNGAM(measure="kernel").fit(x), DirectLiNGAM(measure="kernel", impl="reference")
    b.fit(x)
    np.testing.assert_array_equal(a.scores_, b.scores_)


# --------------------------------------------------------------------------- coef_threshold


def test_reversal_canary_var_lingam_threshold(nongaussian_chain_data) -> None:
    x = nongaussian_chain_data(n=500, seed=0, lagged=0.5, contemporaneous=0.6, autoregressive=0.3)
    est = VARLiNGAM(coef_threshold=0.1).fit(x)
    np.testing.assert_array_equal(est.adjacency_, CHAIN)
    lag = est.lag_scores_
    for tau in (0, 1):
        assert lag[tau, 0, 1] > 0.2 and lag[tau, 1, 2] > 0.2
        assert lag[tau, 1, 0] < 0.1 and lag[tau, 2, 1] < 0.1


def test_threshold_mode_uses_the_data_units(nongaussian_chain_data) -> None:
    # Scores are unstandardised coefficients: x1 -> x2 scaled by 10 / 1 when x2 is multiplied
    # by 10; the default (standardised) scores do not move.
    x = nongaussian_chain_data(n=500, seed=1, lagged=0.5, contemporaneous=0.6)
    y = x * np.array([1.0, 1.0, 10.0])
    a, b = VARLiNGAM(coef_threshold=0.05).fit(x), VARLiNGAM(coef_threshold=0.05).fit(y)
    assert b.scores_[1, 2] == pytest.approx(10 * a.scores_[1, 2], rel=1e-6)
    assert a.extra_["causal_order"] == b.extra_["causal_order"]
    s_x, s_y = VARLiNGAM().fit(x).scores_, VARLiNGAM().fit(y).scores_
    np.testing.assert_allclose(s_x, s_y, atol=1e-8)


def test_threshold_mode_is_the_lingam_package_practice(nongaussian_chain_data) -> None:
    # What a lingam user writes: VARLiNGAM on the data as given, then |B| > lower limit.
    from causallearn.search.FCMBased.lingam import VARLiNGAM as CLVARLiNGAM

    x = nongaussian_chain_data(n=400, seed=2, lagged=0.5, contemporaneous=0.6)
    x = x - x.mean(axis=0)
    b = CLVARLiNGAM(lags=1, criterion="bic", prune=True).fit(x).adjacency_matrices_
    expected = (np.abs(lingam_to_bench(b)) > 0.05).any(axis=0)
    np.fill_diagonal(expected, False)
    est = VARLiNGAM(coef_threshold=0.05).fit(x)
    np.testing.assert_array_equal(est.adjacency_, expected)
    np.testing.assert_allclose(est.lag_scores_[1], np.abs(b[1].T) * ~np.eye(3, dtype=bool))


def test_threshold_decision_is_nested(nongaussian_chain_data) -> None:
    x = nongaussian_chain_data(n=300, seed=3, lagged=0.4, contemporaneous=0.5)
    low = VARLiNGAM(coef_threshold=0.01, prune=False).fit(x)
    high = VARLiNGAM(coef_threshold=0.3, prune=False).fit(x)
    assert not (high.adjacency_ & ~low.adjacency_).any()
    np.testing.assert_array_equal(low.scores_, high.scores_)
    np.testing.assert_array_equal(high.adjacency_, high.scores_ > 0.3)


@pytest.mark.parametrize(
    "params", [{"coef_threshold": -0.1}, {"coef_threshold": True}, {"impl": "gpu"}]
)
def test_bad_new_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="var-lingam"):
        VARLiNGAM(**params).check_params()
    if "impl" in params:
        with pytest.raises(ValueError, match="direct-lingam"):
            DirectLiNGAM(**params).check_params()
