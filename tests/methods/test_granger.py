"""Granger adapter: reversal canary, F-tests equal to statsmodels, lag order, short series."""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods.granger import (
    SCORE_CLIP,
    Granger,
    adjust_pvalues,
    granger_f_tests,
    max_estimable_lag,
    neg_log10_p,
)
from bench.types import DataError, FitContext


def test_reversal_canary(chain_data) -> None:
    # Chain x0 -> x1 -> x2 with lag-1 and contemporaneous effects. The past of x1 does not help
    # predict x0 given x0's own past (nor x2 for x1), so the reverse edges are not decided.
    # (0 -> 2 may be: x0's past reaches x2 through the contemporaneous x1 effect.)
    est = Granger().fit(chain_data(n=1000, seed=0))
    a, s = est.adjacency_, est.scores_
    assert a[0, 1] and a[1, 2]
    assert not a[1, 0] and not a[2, 1]
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1]


@pytest.mark.parametrize(("n_nodes", "order"), [(3, 1), (4, 2), (6, 3)])
def test_vectorised_f_tests_match_statsmodels(var_data, n_nodes: int, order: int) -> None:
    from statsmodels.tsa.api import VAR

    x = var_data(n=200, n_nodes=n_nodes, seed=order, density=0.4)
    results = VAR(x).fit(order, trend="c")
    f, p, df = granger_f_tests(results)
    for i in range(n_nodes):
        for j in range(n_nodes):
            if i == j:
                continue
            ref = results.test_causality(caused=j, causing=i, kind="f")
            assert f[i, j] == pytest.approx(ref.test_statistic, rel=1e-9)
            assert p[i, j] == pytest.approx(ref.pvalue, rel=1e-7, abs=1e-300)
            assert df == tuple(ref.df)


def test_score_is_clipped_neg_log10_p(var_data) -> None:
    from scipy import stats

    f = np.array([[0.0, 2.0], [1e30, 0.0]])
    s = neg_log10_p(f, (1, 100))
    assert s[0, 1] == pytest.approx(-np.log10(stats.f.sf(2.0, 1, 100)))
    assert s[1, 0] == SCORE_CLIP  # p far below 1e-300 (no underflow to inf)
    assert s[0, 0] == 0.0
    est = Granger().fit(var_data(n=300, n_nodes=4, seed=0))
    assert np.isfinite(est.scores_).all() and (est.scores_ >= 0).all()


def test_lag_order_respects_max_lag(var_data) -> None:
    # A VAR(1) with strong dynamics; lag orders are chosen <= max_lag and >= 1.
    x = var_data(n=400, n_nodes=4, seed=2, density=0.5)
    for max_lag in (1, 2, 4):
        for ic in ("bic", "aic"):
            extra = Granger(max_lag=max_lag, ic=ic).fit(x).extra_
            assert 1 <= extra["lag_order"] <= max_lag
            assert extra["max_lag_used"] == max_lag
    assert Granger(max_lag=3, ic=None).fit(x).extra_["lag_order"] == 3


def test_order_zero_is_raised_to_one() -> None:
    x = np.random.default_rng(0).standard_normal((300, 3))  # white noise: BIC picks 0
    extra = Granger().fit(x).extra_
    assert extra["ic_order"] == 0 and extra["lag_order"] == 1


def test_max_lag_capped_by_series_length(var_data) -> None:
    x = var_data(n=20, n_nodes=5, seed=0)
    assert max_estimable_lag(20, 5) == 2  # T - p >= N p + N + 1
    extra = Granger(max_lag=5, ic=None).fit(x).extra_
    assert extra["max_lag_used"] == 2 and extra["lag_order"] == 2


def test_too_short_series_raises(var_data) -> None:
    x = var_data(n=11, n_nodes=5, seed=0)  # needs 2N + 2 = 12
    with pytest.raises(DataError, match="sub-01.*too few"):
        Granger().fit(x, FitContext(dataset="sub-01"))
    Granger().fit(var_data(n=12, n_nodes=5, seed=0))


def test_corrections(var_data) -> None:
    x = var_data(n=300, n_nodes=5, seed=4, density=0.4)
    raw = Granger().fit(x)
    bonf = Granger(correction="bonferroni").fit(x)
    fdr = Granger(correction="fdr_bh").fit(x)
    assert not (bonf.adjacency_ & ~fdr.adjacency_).any()  # Bonferroni is the stricter
    assert not (fdr.adjacency_ & ~raw.adjacency_).any()
    np.testing.assert_array_equal(raw.scores_, bonf.scores_)  # scores use the raw p-values
    p = np.array([[1.0, 0.01], [0.03, 1.0]])
    np.testing.assert_allclose(adjust_pvalues(p, "bonferroni"), [[1.0, 0.02], [0.06, 1.0]])
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_bh"), [[1.0, 0.02], [0.03, 1.0]])


@pytest.mark.parametrize(
    "params", [{"max_lag": 0}, {"ic": "xyz"}, {"correction": "holm-ish"}, {"max_lag": 1.5}]
)
def test_bad_parameters(var_data, params: dict) -> None:
    with pytest.raises(ValueError, match="granger"):
        Granger(**params).fit(var_data(n=100, n_nodes=3, seed=0))
