"""Pairwise Granger: reversal canary, equality with statsmodels, bivariate vs conditional."""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods.granger import Granger
from bench.methods.granger_pairwise import GrangerPairwise
from bench.types import DataError, FitContext


def test_reversal_canary_and_indirect_edge(chain_data) -> None:
    # Lag-only chain x0 -> x1 -> x2. The bivariate test of (0, 2) ignores x1, so x0's past
    # predicts x2 through x1: pairwise Granger also decides the indirect 0 -> 2, never a reverse.
    est = GrangerPairwise().fit(chain_data(n=1000, seed=0, contemporaneous=0.0))
    expected = np.zeros((3, 3), dtype=bool)
    expected[0, 1] = expected[1, 2] = expected[0, 2] = True
    np.testing.assert_array_equal(est.adjacency_, expected)
    s = est.scores_
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1] and s[0, 2] > s[2, 0]
    # The conditional test (given x1) does not decide the indirect edge on the same data.
    assert not Granger().fit(chain_data(n=1000, seed=0, contemporaneous=0.0)).adjacency_[0, 2]


def test_scores_follow_the_chain_with_contemporaneous_effects(chain_data) -> None:
    s = GrangerPairwise().fit(chain_data(n=1000, seed=0)).scores_
    assert s[0, 1] > 10 * s[1, 0] and s[1, 2] > 10 * s[2, 1]


def test_matches_statsmodels_per_pair(var_data) -> None:
    from statsmodels.tsa.api import VAR

    x = var_data(n=200, n_nodes=4, seed=2, density=0.5)
    est = GrangerPairwise(ic=None, max_lag=2).fit(x)
    for i, j in [(0, 1), (3, 1), (2, 0)]:
        lo, hi = sorted((i, j))
        res = VAR(x[:, [lo, hi]]).fit(2, trend="c")
        ref = res.test_causality(caused=int(j > i), causing=int(i > j), kind="f")
        assert est.scores_[i, j] == pytest.approx(-np.log10(ref.pvalue), rel=1e-6)
        assert tuple(ref.df) == (2, 2 * res.df_resid)


def test_two_nodes_equal_conditional_granger(var_data) -> None:
    # With two nodes there is nothing else to condition on: both adapters must agree exactly.
    x = var_data(n=300, n_nodes=2, seed=4, density=1.0)
    a, b = GrangerPairwise().fit(x), Granger().fit(x)
    np.testing.assert_allclose(a.scores_, b.scores_, rtol=1e-10)
    np.testing.assert_array_equal(a.adjacency_, b.adjacency_)


def test_corrections_are_nested(var_data) -> None:
    x = var_data(n=300, n_nodes=5, seed=4, density=0.4)
    raw, bonf = GrangerPairwise().fit(x), GrangerPairwise(correction="bonferroni").fit(x)
    assert not (bonf.adjacency_ & ~raw.adjacency_).any()
    np.testing.assert_array_equal(raw.scores_, bonf.scores_)


def test_too_short_series_raises(var_data) -> None:
    with pytest.raises(DataError, match="sub-09.*too few"):
        GrangerPairwise().fit(var_data(n=5, n_nodes=3, seed=0), FitContext(dataset="sub-09"))
    GrangerPairwise().fit(var_data(n=6, n_nodes=3, seed=0))


@pytest.mark.parametrize(
    "params", [{"max_lag": 0}, {"ic": "xyz"}, {"correction": "holm"}, {"alpha": 2.0}]
)
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="granger-pairwise"):
        GrangerPairwise(**params).check_params()


# --------------------------------------------------------------------------- fast == reference

OFF = ~np.eye(4, dtype=bool)


def _nongaussian_var(n: int, n_nodes: int, seed: int) -> np.ndarray:
    """A random stable VAR(1) like ``make_var`` but with Laplace innovations."""
    rng = np.random.default_rng(seed)
    w = (rng.random((n_nodes, n_nodes)) < 0.4) * rng.uniform(-0.5, 0.5, (n_nodes, n_nodes))
    np.fill_diagonal(w, 0.4)
    w *= 0.8 / max(0.8, np.max(np.abs(np.linalg.eigvals(w))))
    e = rng.laplace(size=(n + 50, n_nodes))
    x = np.zeros_like(e)
    for t in range(1, n + 50):
        x[t] = x[t - 1] @ w + e[t]
    return x[50:]


def assert_same_fit(a: GrangerPairwise, b: GrangerPairwise) -> None:
    """Identical decisions and lag orders; scores equal to 1e-8 relative (1e-10 absolute)."""
    np.testing.assert_array_equal(a.adjacency_, b.adjacency_)
    np.testing.assert_allclose(a.scores_, b.scores_, rtol=1e-8, atol=1e-10)
    key = "lag_orders" if a.lag_rule == "ic" else "min_p_lags"
    assert a.extra_[key] == b.extra_[key]


def _both(x: np.ndarray, **params) -> tuple[GrangerPairwise, GrangerPairwise]:
    fast = GrangerPairwise(impl="fast", **params).fit(x)
    ref = GrangerPairwise(impl="reference", **params).fit(x)
    return fast, ref


@pytest.mark.parametrize(
    ("n", "n_nodes", "seed", "params"),
    [
        (200, 4, 0, {}),
        (120, 4, 1, {"ic": "aic", "max_lag": 4}),
        (300, 3, 2, {"ic": "hqic", "correction": "bonferroni"}),
        (80, 3, 3, {"ic": "fpe", "correction": "fdr_bh"}),
        (150, 3, 4, {"ic": None, "max_lag": 2}),
        (150, 3, 5, {"lag_rule": "min-p"}),
        (60, 3, 6, {"lag_rule": "min-p", "max_lag": 5, "correction": "fdr_bh"}),
    ],
)
@pytest.mark.parametrize("noise", ["gaussian", "laplace"])
def test_fast_equals_reference_on_random_data(var_data, n, n_nodes, seed, params, noise) -> None:
    x = var_data(n=n, n_nodes=n_nodes, seed=seed, density=0.4)
    if noise == "laplace":
        x = _nongaussian_var(n, n_nodes, seed)
    fast, ref = _both(x, **params)
    assert_same_fit(fast, ref)


def test_fast_pvalues_equal_reference(var_data) -> None:
    from bench.methods.granger_pairwise import pairwise_tests

    x = var_data(n=200, n_nodes=4, seed=7, density=0.4)
    for rule in ("ic", "min-p"):
        (s_f, p_f, lag_f), redone = pairwise_tests(x, 3, "bic", lag_rule=rule)
        (s_r, p_r, lag_r), _ = pairwise_tests(x, 3, "bic", lag_rule=rule, impl="reference")
        assert redone == 0
        np.testing.assert_allclose(p_f[OFF], p_r[OFF], rtol=1e-9, atol=1e-300)
        np.testing.assert_array_equal(lag_f, lag_r)


@pytest.mark.parametrize(
    ("dataset", "subject", "lag_rule"),
    [
        ("smith:1", 0, "ic"),
        ("smith:1", 1, "ic"),
        ("smith:2", 0, "ic"),
        ("smith:1", 0, "min-p"),
        ("smith:1", 1, "min-p"),
    ],
)
def test_fast_equals_reference_on_netsim(dataset: str, subject: int, lag_rule: str) -> None:
    # min-p's reference (one grangercausalitytests call per ordered pair) is slow on smith:2;
    # tests/benchmarks/speed_granger_pairwise.py checks every subject of smith:1-4.
    from bench.registry import load_dataset

    x = load_dataset(dataset).series[subject]
    fast, ref = _both(x, lag_rule=lag_rule)
    assert_same_fit(fast, ref)


@pytest.mark.slow
@pytest.mark.parametrize("lag_rule", ["ic", "min-p"])
def test_fast_equals_reference_on_netsim_sim4(lag_rule: str) -> None:
    from bench.registry import load_dataset

    fast, ref = _both(load_dataset("smith:4").series[0], lag_rule=lag_rule)
    assert_same_fit(fast, ref)


def test_batched_kernels_match_statsmodels(var_data) -> None:
    # Per-lag F of the batched kernel = statsmodels' ssr_ftest (grangercausalitytests) and
    # VARResults.test_causality; its order selection = VAR.select_order, for every criterion.
    from statsmodels.tsa.api import VAR
    from statsmodels.tsa.stattools import grangercausalitytests

    from bench.methods._granger_batch import bivariate_f, select_orders

    x = _nongaussian_var(150, 4, 8)
    for lag in (1, 2, 3):
        f, bad, df = bivariate_f(x, lag)
        assert not bad.any()
        for i, j in [(0, 1), (1, 0), (3, 2)]:
            ssr = grangercausalitytests(x[:, [j, i]], maxlag=lag)[lag][0]["ssr_ftest"]
            assert f[i, j] == pytest.approx(ssr[0], rel=1e-10) and df == ssr[2]
            lo, hi = sorted((i, j))
            res = VAR(x[:, [lo, hi]]).fit(lag, trend="c")
            ref = res.test_causality(caused=int(j > i), causing=int(i > j), kind="f")
            assert f[i, j] == pytest.approx(ref.test_statistic, rel=1e-10)
    for ic in ("aic", "bic", "hqic", "fpe"):
        orders, unsure = select_orders(x, 3, ic)
        assert not unsure.any()
        for i in range(4):
            for j in range(i + 1, 4):
                sel = VAR(x[:, [i, j]]).select_order(maxlags=3, trend="c")
                assert orders[i, j] == orders[j, i] == getattr(sel, ic)


def test_min_p_equals_grangercausalitytests_minimum(var_data) -> None:
    # The "min-p" rule as users write it: min over lags of grangercausalitytests' ssr_ftest.
    from statsmodels.tsa.stattools import grangercausalitytests

    x = var_data(n=150, n_nodes=3, seed=9, density=0.5)
    est = GrangerPairwise(lag_rule="min-p", max_lag=4).fit(x)
    for i, j in [(0, 1), (2, 0), (1, 2)]:
        res = grangercausalitytests(x[:, [j, i]], maxlag=4)
        p = min(res[lag][0]["ssr_ftest"][1] for lag in range(1, 5))
        assert est.scores_[i, j] == pytest.approx(-np.log10(p), rel=1e-8)
        assert est.adjacency_[i, j] == (p < 0.05)


def test_reversal_canary_min_p(chain_data) -> None:
    est = GrangerPairwise(lag_rule="min-p").fit(chain_data(n=1000, seed=0, contemporaneous=0.0))
    assert est.adjacency_[0, 1] and est.adjacency_[1, 2]
    assert not est.adjacency_[1, 0] and not est.adjacency_[2, 1]
    s = est.scores_
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1]


def test_min_p_is_monotone_in_max_lag(var_data) -> None:
    # Each lag's test is fitted on its own rows whatever max_lag is, so the minimum over
    # lags 1..3 is at most the minimum over lag 1 alone: more edges, larger scores.
    x = var_data(n=300, n_nodes=5, seed=10, density=0.3)
    one = GrangerPairwise(lag_rule="min-p", max_lag=1).fit(x)
    three = GrangerPairwise(lag_rule="min-p", max_lag=3).fit(x)
    assert not (one.adjacency_ & ~three.adjacency_).any()
    assert (three.scores_ >= one.scores_ - 1e-12).all()
    assert one.extra_["min_p_lags"] == {"1": 20}
    assert sum(three.extra_["min_p_lags"].values()) == 20


def test_near_alpha_pairs_are_decided_by_the_reference(var_data) -> None:
    # alpha placed exactly on one pair's p-value: the fast p-value could fall on either side by
    # rounding, so that pair must be recomputed by statsmodels and the decisions match it.
    from bench.methods.granger_pairwise import pairwise_tests

    x = var_data(n=200, n_nodes=4, seed=11, density=0.5)
    (_, p_ref, _), _ = pairwise_tests(x, 3, "bic", impl="reference")
    alpha = float(np.sort(p_ref[~np.eye(4, dtype=bool)])[5])
    fast, ref = _both(x, alpha=alpha)
    assert fast.extra_["pairs_by_reference"] >= 1
    assert_same_fit(fast, ref)


def test_unknown_lag_rule_and_impl() -> None:
    for params in ({"lag_rule": "max-p"}, {"impl": "numba"}):
        with pytest.raises(ValueError, match="granger-pairwise"):
            GrangerPairwise(**params).check_params()
