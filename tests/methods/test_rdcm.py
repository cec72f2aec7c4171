"""rDCM: the frequency-domain regression by hand, the VB fixed point, DCM's row = target
orientation, the decision rules, the TR, scale invariance and bad parameters."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bench.methods.rdcm import (
    A0,
    B0,
    P0_GRID,
    RDCM,
    fit_rdcm,
    free_energy,
    rdcm_priors,
    rdcm_regressors,
    vb_regressions,
)
from bench.types import FitContext, UnavailableError

# DCM orientation: A_DCM[k, j] = effect of region j on region k (row = target).
A_DCM = np.array([[-0.5, 0.0, 0.0], [0.4, -0.5, 0.0], [0.0, 0.4, -0.5]])
CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)  # bench: 0 -> 1 -> 2
TR = 0.5


def euler_dcm(n: int = 2000, seed: int = 0, noise: float = 0.3) -> np.ndarray:
    """Data of rDCM's own discretised model: y[t+1] = y[t] + TR·A y[t] + e[t]."""
    rng = np.random.default_rng(seed)
    y = np.zeros((n, 3))
    for t in range(n - 1):
        y[t + 1] = y[t] + TR * (A_DCM @ y[t]) + noise * rng.standard_normal(3)
    return y


def test_regressors_are_the_time_domain_products_by_parseval() -> None:
    # Re(X^H X) = T·yᵀy and Re(X^H Y_k) = T·Σ_t y_j[t]·(y_k[t+1 mod T] − y_k[t])/TR.
    rng = np.random.default_rng(1)
    y = rng.standard_normal((64, 4))
    y -= y.mean(axis=0)
    w, v, yy, n = rdcm_regressors(y, tr=2.0)
    t = y.shape[0]
    diff = (np.roll(y, -1, axis=0) - y) / 2.0
    assert n == t - 1
    np.testing.assert_allclose(w, t * y.T @ y, rtol=1e-10)
    np.testing.assert_allclose(v, t * y.T @ diff, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(yy, t * (diff**2).sum(axis=0), rtol=1e-10)


def test_priors_are_spm_one_state_priors() -> None:
    m0, l0 = rdcm_priors(4)
    np.testing.assert_array_equal(np.diag(m0), -0.5)
    np.testing.assert_array_equal(np.diag(l0), 8.0 * 4)  # variance 1/(8N)
    off = ~np.eye(4, dtype=bool)
    assert (m0[off] == 0).all() and np.allclose(l0[off], 4 / 8.0)  # variance 8/N


def test_vb_fixed_point_of_the_dense_updates() -> None:
    # At convergence μ = (τW + L0)⁻¹(τv + L0 m0) and β = b0 + ½‖Y − Xμ‖² + ½tr(WΣ), τ = α/β.
    y = euler_dcm(n=400, seed=2)
    y -= y.mean(axis=0)
    w, v, yy, n = rdcm_regressors(y, TR)
    m0, l0 = rdcm_priors(3)
    post = vb_regressions(w, v.T.copy(), yy, n, m0, l0, tol=1e-12, max_iter=500)
    assert post.alpha == A0 + n / 2
    for k in range(3):
        tau = post.alpha / post.beta[k]
        lam = tau * w + np.diag(l0[k])
        cov = np.linalg.inv(lam)
        mu = cov @ (tau * v[:, k] + l0[k] * m0[k])
        np.testing.assert_allclose(post.mean[k], mu, rtol=1e-8)
        np.testing.assert_allclose(post.sd[k], np.sqrt(np.diag(cov)), rtol=1e-8)
        rss = yy[k] - 2 * mu @ v[:, k] + mu @ w @ mu
        np.testing.assert_allclose(post.beta[k], B0 + 0.5 * rss + 0.5 * np.trace(w @ cov))


@pytest.mark.parametrize("sparse", [False, True])
def test_recovers_its_own_model_and_transposes_to_bench(sparse: bool) -> None:
    y = euler_dcm()
    res = fit_rdcm(y - y.mean(axis=0), TR, sparse=sparse)
    np.testing.assert_allclose(res["mean"][A_DCM != 0], A_DCM[A_DCM != 0], atol=0.06)
    est = RDCM(tr=TR, sparse=sparse, standardize=False).fit(y)
    np.testing.assert_array_equal(est.adjacency_, CHAIN)  # DCM's A[1, 0] is bench's 0 -> 1
    np.testing.assert_allclose(est.extra_["posterior_mean"], res["mean"].T)
    s = est.scores_
    assert s[0, 1] > 0.3 and s[1, 2] > 0.3 and s[1, 0] < 0.05 and s[2, 1] < 0.05
    assert not np.diag(s).any() and not np.diag(est.adjacency_).any()


def test_dense_decision_is_posterior_probability() -> None:
    x = euler_dcm(n=300, seed=4)
    for threshold, z in ((None, 1.6448536), (0.99, 2.3263479)):
        est = RDCM(tr=TR, threshold=threshold).fit(x)
        mean, sd = est.extra_["posterior_mean"], est.extra_["posterior_sd"]
        pp = stats.norm.cdf(np.abs(mean) / sd)
        off = ~np.eye(3, dtype=bool)
        np.testing.assert_array_equal(est.adjacency_, (pp > est.extra_["threshold"]) & off)
        np.testing.assert_array_equal(est.adjacency_[off], (np.abs(mean) / sd > z)[off])
        np.testing.assert_allclose(est.scores_[off], np.abs(mean)[off])


def test_sparse_decision_is_inclusion_probability_and_score_its_mean() -> None:
    x = euler_dcm(n=300, seed=5)
    est = RDCM(tr=TR, sparse=True).fit(x)
    z = est.extra_["inclusion_probability"]
    off = ~np.eye(3, dtype=bool)
    assert np.all(np.diag(z) == 1.0)  # self-connections are always present
    np.testing.assert_array_equal(est.adjacency_, (z > 0.5) & off)
    np.testing.assert_allclose(est.scores_[off], np.abs(z * est.extra_["posterior_mean"])[off])
    assert est.extra_["p0"] in P0_GRID
    fixed = RDCM(tr=TR, sparse=True, p0=0.3).fit(x)
    assert fixed.extra_["p0"] == 0.3


def test_sparse_p0_is_chosen_by_the_largest_free_energy() -> None:
    y = euler_dcm(n=300, seed=6)
    y -= y.mean(axis=0)
    best = fit_rdcm(y, TR, sparse=True)
    for p0 in (0.05, 0.5, 0.95):
        assert fit_rdcm(y, TR, sparse=True, p0=p0)["free_energy"] <= best["free_energy"] + 1e-9


def test_tr_comes_from_the_context_or_the_parameter() -> None:
    x = euler_dcm(n=200, seed=7)
    # without one (i.i.d. or generic data) the method does not apply: 'unavailable', not failed
    with pytest.raises(UnavailableError, match="rdcm: needs the repetition time"):
        RDCM().fit(x)
    a = RDCM().fit(x, FitContext(dataset="d", tr=TR))
    b = RDCM(tr=TR).fit(x, FitContext(dataset="d", tr=3.0))  # the parameter wins
    np.testing.assert_array_equal(a.scores_, b.scores_)
    assert a.extra_["tr"] == TR


def test_results_do_not_depend_on_node_scale() -> None:
    x = euler_dcm(n=300, seed=8)
    y = x * np.array([1000.0, 0.01, 3.0]) + 5.0
    for sparse in (False, True):
        a, b = RDCM(tr=TR, sparse=sparse).fit(x), RDCM(tr=TR, sparse=sparse).fit(y)
        np.testing.assert_array_equal(a.adjacency_, b.adjacency_)
        np.testing.assert_allclose(a.scores_, b.scores_, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize(
    "params",
    [
        {"threshold": 1.0},
        {"p0": 0.0},
        {"tr": -1.0},
        {"sparse": "yes"},
        {"tol": 0.0},
        {"max_iter": 0},
    ],
)
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="rdcm"):
        RDCM(**params).check_params()


@pytest.mark.parametrize("sparse", [False, True])
def test_free_energy_never_decreases(sparse: bool) -> None:
    # Every VB update maximises F over one factor of q, so F after k iterations is monotone in
    # k: a wrong term in F (or an update that is not F's maximiser) breaks this.
    y = euler_dcm(n=200, seed=9, noise=1.0)
    y = (y - y.mean(axis=0)) / y.std(axis=0)
    w, v, yy, n = rdcm_regressors(y, TR)
    m0, l0 = rdcm_priors(3)
    p0 = np.where(np.eye(3, dtype=bool), 1.0, 0.3) if sparse else None
    f = [
        vb_regressions(w, v.T.copy(), yy, n, m0, l0, p0=p0, tol=0.0, max_iter=k).free_energy
        for k in range(1, 12)
    ]
    assert np.all(np.diff(np.array(f), axis=0) >= -1e-8 * np.abs(f[-1]))


def _converged_dense(a0: float = A0, b0: float = B0):
    y = euler_dcm(n=200, seed=10, noise=1.0)
    y = (y - y.mean(axis=0)) / y.std(axis=0)
    w, v, yy, n = rdcm_regressors(y, TR)
    m0, l0 = rdcm_priors(3)
    post = vb_regressions(w, v.T.copy(), yy, n, m0, l0, tol=1e-12, a0=a0, b0=b0)
    return w, v, yy, n, m0, l0, post


def test_free_energy_tends_to_the_exact_evidence_for_a_known_noise_precision() -> None:
    # With a Gamma prior concentrated at τ*, q(θ) is the exact Gaussian posterior and F tends
    # to the closed-form log evidence ∫ p(Y | θ, τ*) p(θ) dθ of the same likelihood,
    # n/2 ln τ* − n/2 ln 2π − τ*/2 ‖Y‖² + ½ ln|L0| − ½ ln|Λ| − ½ m0ᵀL0m0 + ½ bᵀΛ⁻¹b,
    # with Λ = τ*W + L0 and b = τ*v + L0 m0.
    tau_star, a0 = 0.7, 1e12
    w, v, yy, n, m0, l0, post = _converged_dense(a0=a0, b0=a0 / tau_star)
    for k in range(3):
        lam = tau_star * w + np.diag(l0[k])
        rhs = tau_star * v[:, k] + l0[k] * m0[k]
        evidence = (
            n / 2 * np.log(tau_star)
            - n / 2 * np.log(2 * np.pi)
            - tau_star / 2 * yy[k]
            + 0.5 * np.log(l0[k]).sum()
            - 0.5 * np.linalg.slogdet(lam)[1]
            - 0.5 * m0[k] @ (l0[k] * m0[k])
            + 0.5 * rhs @ np.linalg.solve(lam, rhs)
        )
        np.testing.assert_allclose(post.free_energy[k], evidence, rtol=1e-6)


def test_the_noise_update_maximises_the_free_energy() -> None:
    # q(τ) = Gamma(a0 + n/2, b0 + E[½‖·‖²]) is F's maximiser over (α, β) for the final q(θ).
    w, v, yy, n, m0, l0, post = _converged_dense()
    tau = post.alpha / post.beta
    lam = tau[:, None, None] * w + l0[:, :, None] * np.eye(3)
    cov = np.linalg.inv(lam)
    mu = np.einsum("bij,bj->bi", cov, tau[:, None] * v.T + l0 * m0)
    qf = 0.5 * yy - np.einsum("bi,ib->b", mu, v) + 0.5 * np.einsum("bi,ij,bj->b", mu, w, mu)
    qf = qf + 0.5 * np.einsum("ij,bij->b", w, cov)
    logdet = np.linalg.slogdet(cov)[1]
    f = lambda a, b: free_energy(n, qf, a, b, mu, cov, logdet, m0, l0)  # noqa: E731
    best = f(post.alpha, B0 + qf)
    for fa, fb in ((1.0, 1.01), (1.0, 0.99), (1.01, 1.0), (0.99, 1.0)):
        assert np.all(f(post.alpha * fa, (B0 + qf) * fb) < best)
