"""Two-Step: the score estimator, the exact gradient, the adaptive lasso, recovery, encoding.

Two-Step is registered ``slow``, so the common checks leave it out of the default suite; its
fit contract and its reversal canary are checked here on small data instead.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.canaries import Canary, canary_data, check_canary
from bench.methods.two_step import (
    TwoStep,
    _alasso,
    alasso_mask,
    entropy_and_score,
    ica_objective,
)
from bench.types import DataError


def sem(b: np.ndarray, t: int, seed: int, noise: str = "exp") -> np.ndarray:
    """x = B x + e (``b`` row = child), (T, N), disturbances of unequal scales."""
    rng = np.random.default_rng(seed)
    n = len(b)
    if noise == "exp":
        e = rng.exponential(1.0, (t, n)) - 1.0
    elif noise == "laplace":
        e = rng.laplace(size=(t, n))
    else:
        e = rng.uniform(-1.0, 1.0, (t, n))
    e *= rng.uniform(0.5, 1.5, n)
    return e @ np.linalg.inv(np.eye(n) - b).T


def test_score_is_gaussian_for_gaussian_data() -> None:
    # the score (log p)' of N(0, 1) is −u
    u = np.random.default_rng(0).standard_normal((1, 20000))
    _, phi = entropy_and_score(u)
    assert np.corrcoef(phi[0], -u[0])[0, 1] > 0.99


def test_score_satisfies_steins_identities() -> None:
    y = np.random.default_rng(1).exponential(2.0, (3, 500)) + 5.0
    _, phi = entropy_and_score(y)
    np.testing.assert_allclose(phi.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose((phi * (y - y.mean(axis=1, keepdims=True))).mean(axis=1), -1.0)


def test_entropy_orders_distributions() -> None:
    # at equal variance the Gaussian has the largest entropy
    rng = np.random.default_rng(2)
    g = rng.standard_normal(5000)
    lap = rng.laplace(size=5000) / np.sqrt(2)
    exp = rng.exponential(size=5000)
    h, _ = entropy_and_score(np.vstack([g, lap, exp]))
    assert h[0] > h[1] and h[0] > h[2]


def test_gradient_matches_finite_differences() -> None:
    b = np.zeros((3, 3))
    b[1, 0], b[2, 1] = 0.5, 0.4
    x = sem(b, 300, 3).T
    x = (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, ddof=1, keepdims=True)
    rng = np.random.default_rng(4)
    w = np.eye(3) + 0.2 * rng.standard_normal((3, 3))
    penalty = 0.05 * rng.random((3, 3))
    _, grad = ica_objective(w, x, penalty)
    step = 1e-6
    for i, j in [(0, 1), (1, 0), (2, 1), (0, 2)]:
        wp, wm = w.copy(), w.copy()
        wp[i, j] += step
        wm[i, j] -= step
        fd = (ica_objective(wp, x, penalty)[0] - ica_objective(wm, x, penalty)[0]) / (2 * step)
        assert grad[i, j] == pytest.approx(fd, rel=1e-4, abs=1e-7), (i, j)


def test_adaptive_lasso_closed_form_on_an_orthogonal_design() -> None:
    # X'X = T I: β_j = β̂_j max(0, 1 − α / β̂_j²), α = σ² λ / T (soft threshold on the weights)
    rng = np.random.default_rng(5)
    t = 400
    q, _ = np.linalg.qr(rng.standard_normal((t, 3)))
    x = q * np.sqrt(t)
    y = x @ np.array([0.8, -0.3, 0.0]) + 0.3 * rng.standard_normal(t)
    var_noise, lam = 0.2, 3.0
    w, beta_ols = _alasso(x, y, var_noise, lam)
    alpha = var_noise * lam / t
    expected = beta_ols * np.maximum(0.0, 1.0 - alpha / beta_ols**2)
    assert expected[0] != 0 and expected[1] != 0 and expected[2] == 0  # both regimes
    np.testing.assert_allclose(w * beta_ols, expected, atol=1e-8)
    assert (w * beta_ols)[2] == 0.0  # exactly zero: selected out


def test_alasso_mask_is_the_symmetric_union() -> None:
    b = np.zeros((4, 4))
    b[1, 0], b[2, 1], b[3, 2] = 0.7, 0.7, 0.7
    z = sem(b, 2000, 6)
    z = (z - z.mean(axis=0)) / z.std(axis=0, ddof=1)
    mask = alasso_mask(z, lam=0.5 * np.log(2000))
    expected = (b != 0) | (b != 0).T
    np.testing.assert_array_equal(mask, expected)


@pytest.mark.parametrize(
    "noise",
    [
        "exp",
        pytest.param("laplace", marks=pytest.mark.slow),
        pytest.param("uniform", marks=pytest.mark.slow),
    ],
)
def test_recovers_b_with_a_two_cycle(noise: str) -> None:
    b = np.zeros((5, 5))  # row = child: 0 -> 1, 1 <-> 2, 2 -> 3, 3 -> 4, 0 -> 4
    b[1, 0], b[2, 1], b[1, 2], b[3, 2], b[4, 3], b[4, 0] = 0.6, 0.5, -0.4, 0.7, 0.5, -0.5
    x = sem(b, 5000, 8, noise)  # (a draw where the 2-cycle does not cancel the correlation)
    est = TwoStep().fit(x)
    sd = x.std(axis=0, ddof=1)
    b_std = b * sd[None, :] / sd[:, None]  # the standardised coefficients
    # within sampling error: the coefficients' s.e. at T = 5000 is about 0.01-0.02
    np.testing.assert_allclose(est.scores_, np.abs(b_std).T, atol=0.05)
    np.testing.assert_array_equal(est.adjacency_, (b != 0).T)  # bench A = B transposed
    assert est.extra_["n_two_cycles"] == 1 and est.extra_["converged"]


def test_reversal_canary_and_fit_contract() -> None:
    canary = Canary("chain-skewed", n=1000, exact=True)
    x, truth = canary_data(canary)
    est = TwoStep().fit(x)
    assert check_canary(canary, est.adjacency_, est.scores_, truth) == []
    assert est.adjacency_.dtype == bool and not np.diag(est.adjacency_).any()
    assert (est.scores_ >= 0).all() and not np.diag(est.scores_).any()
    np.testing.assert_array_equal(est.scores_, TwoStep().fit(x).scores_)  # deterministic
    estimate = est.estimate()
    assert np.array_equal(estimate.adjacency, est.adjacency_)


def test_fas_mask_and_reference_impl() -> None:
    x = canary_data(Canary("chain-skewed", n=1000))[0]
    fast = TwoStep(mask="fas").fit(x)
    ref = TwoStep(mask="fas", impl="reference").fit(x)
    np.testing.assert_array_equal(fast.scores_, ref.scores_)
    assert fast.extra_["n_mask_pairs"] == 2


def test_threshold_is_the_decision() -> None:
    x = canary_data(Canary("chain-skewed", n=1000))[0]
    est = TwoStep(threshold=0.0).fit(x)
    np.testing.assert_array_equal(est.adjacency_, est.scores_ > 0)
    high = TwoStep(threshold=5.0).fit(x)
    assert not high.adjacency_.any()


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"mask": "glasso"}, "mask"),
        ({"ica_lambda": -1.0}, "ica_lambda"),
        ({"alasso_lambda": "x"}, "alasso_lambda"),
        ({"threshold": -0.1}, "threshold"),
        ({"alpha": 0.0}, "alpha"),
        ({"depth": -3}, "depth"),
        ({"impl": "matlab"}, "impl"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": 0.0}, "tol"),
    ],
)
def test_bad_params_raise(params: dict, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        TwoStep(**params).check_params()


def test_too_short_series_raise() -> None:
    x = np.random.default_rng(0).standard_normal((12, 11))
    with pytest.raises(DataError, match="too few"):
        TwoStep().fit(x)
