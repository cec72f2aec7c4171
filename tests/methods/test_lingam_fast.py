"""The fast LiNGAM kernels against the library code they replace, piece by piece.

``bench.methods._lingam_fast`` (causal order, adaptive lasso, VAR OLS) and
``bench.methods._lars`` (batched LARS-lasso + LassoLarsIC's BIC) must reproduce causal-learn /
scikit-learn / statsmodels: these tests pin each piece, the margins the certificates rely on,
and that every uncertified choice is handed to the reference.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bench.methods import _lars, _lingam_fast
from bench.methods._graph import standardize
from bench.methods._lingam_fast import (
    DELTA,
    FastStats,
    adaptive_lasso_prefix,
    causal_order_fast,
    causal_order_reference,
    direct_lingam_fast,
    pairwise_contrasts,
    regress_out,
    var_lingam_fast,
    var_ols,
)


def _laplace_sem(n: int, n_nodes: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    b = np.tril(rng.uniform(-0.9, 0.9, (n_nodes, n_nodes)), -1)
    return rng.laplace(size=(n, n_nodes)) @ np.linalg.inv(np.eye(n_nodes) - b).T


def _netsim(dataset: str = "smith:2", subject: int = 0) -> np.ndarray:
    from bench.registry import load_dataset

    return standardize(load_dataset(dataset).series[subject])


def _reference_contrasts(x: np.ndarray, remaining: np.ndarray) -> np.ndarray:
    from causallearn.search.FCMBased.lingam import DirectLiNGAM

    m = DirectLiNGAM()
    k = remaining.size
    d = np.zeros((k, k))
    for a, i in enumerate(remaining):
        for b, j in enumerate(remaining):
            if i != j:
                xi = (x[:, i] - np.mean(x[:, i])) / np.std(x[:, i])
                xj = (x[:, j] - np.mean(x[:, j])) / np.std(x[:, j])
                d[a, b] = m._diff_mutual_info(xi, xj, m._residual(xi, xj), m._residual(xj, xi))
    return d


@pytest.mark.parametrize("data", ["netsim", "laplace"])
def test_contrasts_equal_causallearn_far_below_delta(data: str) -> None:
    # Every step of the search: the batched d_ij on the fast path's own residuals against
    # causal-learn's _diff_mutual_info on causal-learn's residuals (both rounding errors
    # together). The certificate assumes |error| <= DELTA = 1e-10; measured ~1e-15.
    from causallearn.search.FCMBased.lingam import DirectLiNGAM

    x = _netsim("smith:1", 0) if data == "netsim" else _laplace_sem(200, 8, 0)
    model = DirectLiNGAM()
    xr, xf, remaining, worst = np.copy(x), np.array(x.T), np.arange(x.shape[1]), 0.0
    for m in causal_order_reference(x)[:-1]:
        d = pairwise_contrasts(xf[remaining])
        worst = max(worst, np.abs(d - _reference_contrasts(xr, remaining)).max())
        for i in remaining:
            if i != m:
                xr[:, i] = model._residual(xr[:, i], xr[:, m])
        remaining = remaining[remaining != m]
        regress_out(xf, remaining, m)
    assert worst < DELTA / 1000


def test_causal_order_fast_equals_reference() -> None:
    for x in (_netsim("smith:1", 2), _laplace_sem(300, 6, 1), _laplace_sem(100, 10, 2)):
        order, step = causal_order_fast(x)
        assert order == causal_order_reference(x) and step == x.shape[1]


def test_uncertain_order_step_goes_to_causallearn(monkeypatch) -> None:
    # With an absurd DELTA no step can be certified: the whole order is causal-learn's.
    x = _laplace_sem(200, 5, 3)
    monkeypatch.setattr(_lingam_fast, "DELTA", 10.0)
    assert causal_order_fast(x) == (None, 0)
    stats = FastStats()
    b, order = direct_lingam_fast(x, stats)
    assert stats.order_by_reference == 1 and order == causal_order_reference(x)


def _correlated_design(rng: np.random.Generator, n: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    base = rng.standard_normal((n, 3))
    x = base @ rng.standard_normal((3, p)) + 0.3 * rng.standard_normal((n, p))
    y = x @ (rng.standard_normal(p) * (rng.random(p) < 0.4)) + rng.standard_normal(n)
    return x, y


def test_lars_path_equals_scikit_learn_including_drops() -> None:
    # Correlated designs make the lasso drop variables; every knot must match lars_path and the
    # BIC choice LassoLarsIC.
    from sklearn.linear_model import LassoLarsIC, lars_path

    rng = np.random.default_rng(0)
    with_drops = 0
    for _ in range(15):
        n, p = 60, int(rng.integers(3, 20))
        x, y = _correlated_design(rng, n, p)
        xc, yc = x - x.mean(0), y - y.mean()
        gram, xy = xc.T @ xc, xc.T @ yc
        path = _lars.lars_lasso_path(gram[None], xy[None], n, np.ones((1, p), dtype=bool))
        assert not path.unsure[0]
        _, _, ref_path = lars_path(xc, yc, Gram=gram, method="lasso", alpha_min=0.0, max_iter=500)
        knots = np.stack([c[0] for c in path.coefs[: path.n_knots[0]]], axis=1)
        np.testing.assert_allclose(knots, ref_path, rtol=0, atol=1e-10 * np.abs(ref_path).max())
        with_drops += any(d[0] >= 0 for d in path.dropped[: path.n_knots[0]])
        sigma2 = np.sum((yc - xc @ np.linalg.lstsq(xc, yc, rcond=None)[0]) ** 2) / (n - p - 1)
        coef, unsure = _lars.select_bic(
            path, gram[None], xy[None], np.array([yc @ yc]), np.array([sigma2]), n
        )
        ref = LassoLarsIC(criterion="bic").fit(x, y).coef_
        if not unsure[0]:
            np.testing.assert_array_equal(coef[0] != 0, ref != 0)
            np.testing.assert_allclose(coef[0], ref, rtol=1e-10, atol=1e-12)
    assert with_drops >= 3


def test_lars_flags_exact_ties() -> None:
    # Two identical predictors tie exactly for entry: scikit-learn's pick depends on its
    # internal order, so the regression must be left to it.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((50, 3))
    x = np.column_stack([x, x[:, 0]])
    y = x[:, 0] + 0.5 * rng.standard_normal(50)
    gram, xy = x.T @ x, x.T @ y
    path = _lars.lars_lasso_path(gram[None], xy[None], 50, np.ones((1, 4), dtype=bool))
    assert path.unsure[0]


def test_adaptive_lasso_equals_causallearn_and_falls_back(monkeypatch) -> None:
    from causallearn.search.FCMBased.lingam.utils import predict_adaptive_lasso

    x = _netsim("smith:2", 1)
    order = list(np.random.default_rng(0).permutation(x.shape[1]))

    def reference(k: int) -> np.ndarray:
        return predict_adaptive_lasso(x, order[: k + 1], order[k + 1])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = [reference(k) for k in range(x.shape[1] - 1)]
    stats = FastStats()
    fast = adaptive_lasso_prefix(x[:, order], list(range(1, x.shape[1])), reference, stats)
    assert stats.lasso_by_reference == 0 and stats.lasso_total == x.shape[1] - 1
    for a, b in zip(fast, ref, strict=True):
        np.testing.assert_array_equal(a != 0, b != 0)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)

    # Nothing certified: every regression is scikit-learn's, bit for bit.
    def unsure_bic(*args, **kwargs):
        coef, unsure = _lars.select_bic(*args, **kwargs)
        return coef, np.ones_like(unsure)

    monkeypatch.setattr(_lingam_fast, "select_bic", unsure_bic)
    stats = FastStats()
    fast = adaptive_lasso_prefix(x[:, order], list(range(1, x.shape[1])), reference, stats)
    assert stats.lasso_by_reference == stats.lasso_total
    for a, b in zip(fast, ref, strict=True):
        np.testing.assert_array_equal(a, b)


def test_var_ols_is_statsmodels_bit_for_bit() -> None:
    from statsmodels.tsa.vector_ar.var_model import VAR

    x = _netsim("smith:2", 0)
    for lag in (1, 2, 3):
        res = VAR(x).fit(maxlags=lag, ic=None, trend="n")
        coefs, resid, ics = var_ols(x, lag)
        np.testing.assert_array_equal(coefs, res.coefs)
        np.testing.assert_array_equal(resid, res.resid)
        for name, value in ics.items():
            assert value == pytest.approx(getattr(res, name), rel=1e-12)


def test_uncertain_var_order_goes_to_causallearn(monkeypatch) -> None:
    from causallearn.search.FCMBased.lingam import VARLiNGAM

    x = _netsim("smith:1", 0)
    monkeypatch.setattr(_lingam_fast, "IC_TOL", 1e6)
    stats = FastStats()
    b_taus, order, k_ar = var_lingam_fast(x, 3, "bic", True, stats)
    ref = VARLiNGAM(lags=3, criterion="bic", prune=True).fit(x)
    assert stats.order_by_reference == 1 and k_ar == ref._lags
    np.testing.assert_array_equal(b_taus, ref.adjacency_matrices_)


def test_nearly_collinear_pair_goes_to_causallearn() -> None:
    # |corr| = 0.99999: the closed-form residual variance is not trusted to DELTA, so the
    # order is causal-learn's (and the graph equal to the reference's).
    from bench.methods.lingam import DirectLiNGAM

    x = _laplace_sem(300, 4, 5)
    x[:, 3] = x[:, 0] + 0.005 * np.random.default_rng(5).laplace(size=300) * x[:, 0].std()
    assert pairwise_contrasts(standardize(x).T) is None
    fast, ref = DirectLiNGAM().fit(x), DirectLiNGAM(impl="reference").fit(x)
    assert fast.extra_["order_by_reference"] == 1
    assert fast.extra_["causal_order"] == ref.extra_["causal_order"]
    np.testing.assert_array_equal(fast.adjacency_, ref.adjacency_)
