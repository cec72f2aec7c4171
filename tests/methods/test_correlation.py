"""Correlation and partial correlation: undirected canary, maths by hand, decisions, errors."""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods.correlation import (
    Correlation,
    PartialCorrelation,
    adjust_symmetric,
    fisher_z_pvalues,
)
from bench.registry import METHODS
from bench.types import DataError, FitContext


def _iid_chain(chain_data, n: int = 1000, seed: int = 0) -> np.ndarray:
    # x0 -> x1 -> x2 with i.i.d. samples, so x0 and x2 are independent given x1 exactly.
    return chain_data(n=n, seed=seed, lagged=0.0, autoregressive=0.0)


def test_undirected_canary_partial_correlation(chain_data) -> None:
    # Undirected methods cannot orient: the chain comes back as 0 - 1 - 2 in both directions,
    # with exactly symmetric scores; the indirect pair 0, 2 is separated by x1.
    est = PartialCorrelation().fit(_iid_chain(chain_data))
    expected = np.zeros((3, 3), dtype=bool)
    expected[0, 1] = expected[1, 0] = expected[1, 2] = expected[2, 1] = True
    np.testing.assert_array_equal(est.adjacency_, expected)
    np.testing.assert_array_equal(est.scores_, est.scores_.T)
    assert est.scores_[0, 2] < 0.1 < est.scores_[0, 1]


def test_correlation_is_symmetric_and_keeps_the_indirect_pair(chain_data) -> None:
    x = _iid_chain(chain_data)
    est = Correlation().fit(x)
    assert est.adjacency_[0, 2] and est.adjacency_[2, 0]  # marginally correlated
    np.testing.assert_array_equal(est.adjacency_, est.adjacency_.T)
    np.testing.assert_array_equal(est.scores_, est.scores_.T)
    r = np.corrcoef(x, rowvar=False)
    np.testing.assert_allclose(est.scores_, np.abs(r) - np.eye(3), atol=1e-12)
    assert est.scores_[0, 1] > est.scores_[0, 2]


def test_partial_correlation_equals_residual_correlation(var_data) -> None:
    # rho(i, j | rest) = correlation of the residuals of i and j regressed on the other nodes.
    x = var_data(n=400, n_nodes=5, seed=3, density=0.4)
    est = PartialCorrelation().fit(x)
    i, j = 1, 3
    rest = np.column_stack([np.ones(len(x)), x[:, [0, 2, 4]]])
    res = [x[:, k] - rest @ np.linalg.lstsq(rest, x[:, k], rcond=None)[0] for k in (i, j)]
    assert est.scores_[i, j] == pytest.approx(abs(np.corrcoef(*res)[0, 1]), rel=1e-8)


def test_fisher_z_by_hand() -> None:
    from scipy import stats

    r = np.array([[1.0, 0.2], [0.2, 1.0]])
    p = fisher_z_pvalues(r, t=100, k=3)
    z = np.arctanh(0.2) * np.sqrt(100 - 3 - 3)
    assert p[0, 1] == pytest.approx(2 * stats.norm.sf(z))
    assert p[0, 0] == 1.0
    assert np.isfinite(fisher_z_pvalues(np.ones((2, 2)), t=50, k=0)).all()  # |r| = 1


def test_decision_follows_alpha_and_corrections(var_data) -> None:
    x = var_data(n=200, n_nodes=6, seed=5, density=0.3)
    loose, strict = Correlation(alpha=0.2).fit(x), Correlation(alpha=0.001).fit(x)
    assert not (strict.adjacency_ & ~loose.adjacency_).any()
    assert strict.adjacency_.sum() < loose.adjacency_.sum()
    bonf = Correlation(correction="bonferroni").fit(x)
    assert not (bonf.adjacency_ & ~Correlation().fit(x).adjacency_).any()
    p = np.array([[1.0, 0.01, 0.04], [0.01, 1.0, 0.02], [0.04, 0.02, 1.0]])
    adj = adjust_symmetric(p, "bonferroni")  # 3 unordered pairs, not 6 ordered ones
    np.testing.assert_allclose(adj, [[1.0, 0.03, 0.12], [0.03, 1.0, 0.06], [0.12, 0.06, 1.0]])


def test_metadata_says_undirected() -> None:
    for name in ("correlation", "partial-correlation"):
        assert "cannot orient" in METHODS[name].description
        assert "symmetric" in METHODS[name].scores


def test_singular_and_short_series_raise(var_data) -> None:
    x = var_data(n=200, n_nodes=4, seed=0)
    x[:, 3] = x[:, 0] - 2.0 * x[:, 1]
    with pytest.raises(DataError, match="sub-07.*singular"):
        PartialCorrelation().fit(x, FitContext(dataset="sub-07"))
    Correlation().fit(x)  # correlation itself does not invert anything
    with pytest.raises(DataError, match="more time points than nodes"):
        PartialCorrelation().fit(var_data(n=6, n_nodes=8, seed=0))


@pytest.mark.parametrize("params", [{"alpha": 0.0}, {"alpha": 1.5}, {"correction": "holm"}])
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="correlation"):
        PartialCorrelation(**params).check_params()
    with pytest.raises(ValueError, match="correlation"):
        Correlation(**params).check_params()
