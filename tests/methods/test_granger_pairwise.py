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
