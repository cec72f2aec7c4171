"""Two-Step (Sanchez-Romero et al. 2019): a sparse mask, then ICA estimation of a cyclic B.

Model
-----
The T rows of a ``(T, N)`` series are i.i.d. samples of the linear SEM

    x = B x + e,    e with independent non-Gaussian components,  B_ii = 0,

where ``B[i, j]`` is the direct effect of x_j on x_i (row = child); B may have cycles and
2-cycles. With W = I − B the disturbances are e = W x, so W is an ICA de-mixing matrix whose
diagonal is fixed to 1 (this removes ICA's scaling and permutation indeterminacies for a B
without self-loops). Each node is standardised first (mean 0, s.d. with T − 1).

Step 1: the mask (which B_ij may be non-zero)
---------------------------------------------
``mask="alasso"`` (default): each x_i is regressed on the other nodes by adaptive lasso
(Zou 2006) with the authors' penalised likelihood,

    min_β  ‖x_i − X_{−i} β‖² / (2 σ_i²) + λ₁ Σ_j |β_j| / |β̂_j|,
    σ_i² = 0.65² · var(x_i),   λ₁ = ``alasso_lambda`` · log T  (0.5 · log T),

β̂ the OLS fit; the lasso is then repeated on the selected regressors with their refreshed OLS
weights (the authors' second pass), and x_j is kept when |β_j| > 0.01 (reweighted coefficient
and coefficient, as in the authors' ``betaAlasso_grad_2step``). When T < 4N only the ⌊N/4⌋
regressors most correlated with x_i enter. The mask is the union M_ij = M_ji = (j kept for i)
or (i kept for j): both directions of every selected adjacency stay possible.
``mask="fas"``: M = the FAS (PC-stable, Fisher-z at ``alpha``) skeleton of ``_skew.py``
(the paper's "Two-Step (FAS)").

The lasso is solved exactly by coordinate descent (scikit-learn's ``Lasso`` on the reweighted
regressors x_j β̂_j, α = σ_i² λ₁ / T), where the authors' Matlab iterates a reweighted ridge
until it stabilises; the two solve the same problem.

Step 2: penalised maximum-likelihood ICA on the mask
----------------------------------------------------
Maximise over the W_ij, (i, j) ∈ M (all other off-diagonal entries 0, W_ii = 1):

    ℓ(W) = −Σ_i Ĥ(y_i) + log |det W| − (λ₂ / T) Σ_{(i,j)∈M} ω_ij |W_ij|,   y_i = w_i · x,

the ICA log-likelihood with each component's log-density replaced by its nonparametric
entropy estimate Ĥ (Ê_t log p̂_i(y_it) = −Ĥ(y_i)); λ₂ = ``ica_lambda`` · log T (2 · log T, the
authors' "original lambda = 2"); adaptive weights ω_ij = 1 / |W̃_ij| from the unpenalised fit
W̃ (capped at 3 · their mean, as the authors do); |w| smoothed to log cosh(60 w) / 60, whose
derivative tanh(60 w) is the authors'. Ĥ is Pham's (2004) binned kernel estimate (quadratic
B-spline kernel, bandwidth h = 2 (11 √π / 20)^{1/5} (4 / (3T))^{1/5} s.d.(y_i);
:func:`entropy_and_score`), and

    ∂ℓ/∂W = Ê[φ(y) xᵀ] + W⁻ᵀ − (λ₂ / T) ω ∘ tanh(60 W),

φ_i = −T ∂Ĥ/∂y_i the estimated score (log p_i)' of y_i: the authors' gradient, whose score is
Pham's estimate with Stein's identities (Ê[φ] = 0, Ê[φ(y)(y − ȳ)] = −1). The fit has three
phases, from the authors' code:

1. unpenalised ICA from W⁰ = (V + Vᵀ)/2, V = I − ½ (OLS coefficients of each node on its
   mask neighbours), giving W̃ and ω;
2. penalised ICA from W̃ (λ₂ as above);
3. refinement: entries with |W_ij| ≤ 0.02 are set to 0 and frozen, the others refitted without
   penalty (the authors leave those entries at their small values; here they are exactly 0,
   the penalty's selection).

Decision, encoding and scores
-----------------------------
B = I − W. An edge j → i is decided when |B_ij| > ``threshold`` (0.15: Tetrad's
re-implementation of Two-Step records "paper suggests ~0.15" for the final pruning of |B|; the
authors' Matlab returns B unthresholded). **Encoding**: B is row = child, the transpose of the
bench orientation, so

    adjacency_[j, i] = |B_ij| > threshold,    scores_[j, i] = |B_ij|,   i.e. A = (|B| > t)ᵀ.

A pair with both B_ij and B_ji above the threshold is a 2-cycle and sets both directions. The
skewed-chain canary (``chain-skewed``) checks the transpose. ``extra_`` has the iterations, the
convergence flags, the mask size and the edge counts.

Optimisation and speed
----------------------
The authors climb ℓ with per-entry adaptive gradient steps (up to 6000 + 10 000 iterations,
the score refreshed every 12 iterations and carried by rank in between). The estimate is the
maximiser, not the path: Ĥ is continuously differentiable in the data and the gradient above
is exact (the Stein-corrected score is the chain rule through the standardisation, see
:func:`entropy_and_score`; checked against finite differences in the tests), so each phase
here maximises the same ℓ by L-BFGS-B (scipy) from the same start, to a largest |gradient|
below ``tol`` (1e-4), in about 20–300 iterations of at most ``max_iter``.

A fit still costs about 0.1–0.3 s on a 5-node NetSim subject and seconds on a 50-node one
(``tests/benchmarks/fas_skeleton.py`` prints the figures), far over the main job's budget
(about 0.02 s per small fit), hence ``slow=True``: left out of ``--methods all``, run with
``--methods two-step``. On simulated linear SEMs with skewed, Laplace or uniform noise and a
2-cycle it recovers the graph exactly and B to within 0.05 at T = 5000
(``tests/methods/test_two_step.py``).

Determinism: no randomness (the start is a regression; the steps are deterministic).

Reference
---------
R. Sanchez-Romero, J. D. Ramsey, K. Zhang, M. R. K. Glymour, B. Huang, C. Glymour (2019),
Estimating feedforward and feedback effective connections from fMRI time series: Assessments
of statistical methods, Network Neuroscience 3(2), 274–306 (Two-Step; Matlab code by K. Zhang,
https://github.com/cabal-cmu/Two-Step, read to check details, not copied). H. Zou (2006), The
adaptive lasso and its oracle properties, JASA 101(476). D.-T. Pham (2004), Fast algorithms for
mutual information based independent component analysis, IEEE Trans. Signal Process. 52(10).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import check_full_rank, series_name
from bench.methods._skew import IMPLS, fas_skeleton, standardize_ddof1
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import DataError, FitContext

MASKS = ("alasso", "fas")
_NOISE_FRACTION = 0.65  # σ_i = 0.65 · s.d.(x_i) in the mask regressions (authors' value)
_KEEP = 0.01  # |β| above which a regressor enters the mask (authors' value)
_REFINE = 0.02  # |W| at or below which an entry is set to 0 before the refit (authors' value)
_SMOOTH = 60.0  # tanh(60 w) approximates sign(w) in the penalty's gradient (authors' value)


# --------------------------------------------------------------------------- step 1: mask


def _alasso(
    x: np.ndarray, y: np.ndarray, var_noise: float, lam: float
) -> tuple[np.ndarray, np.ndarray]:
    """Adaptive lasso of ``y`` (T,) on ``x`` (T, p): min ‖y − xβ‖²/(2σ²) + λ Σ|β_j|/|β̂_j|.

    Returns ``(w, β̂)``: the reweighted coefficients w (β = w ∘ β̂) and the OLS fit β̂.
    """
    from sklearn.linear_model import Lasso

    t = len(y)
    beta_ols = np.linalg.lstsq(x, y, rcond=None)[0]
    z = x * beta_ols  # regressors reweighted by the OLS coefficients
    fit = Lasso(alpha=var_noise * lam / t, fit_intercept=False, tol=1e-10, max_iter=100_000)
    w = fit.fit(z, y).coef_
    return w, beta_ols


def alasso_row(x: np.ndarray, y: np.ndarray, var_noise: float, lam: float) -> np.ndarray:
    """The two-pass adaptive-lasso coefficients of ``y`` on ``x`` (the mask regression)."""
    beta = np.zeros(x.shape[1])
    w1, _ = _alasso(x, y, var_noise, lam)
    keep = np.flatnonzero(np.abs(w1) > 1e-8)
    if keep.size == 0:
        return beta
    w2, beta_ols2 = _alasso(x[:, keep], y, var_noise, lam)
    w2 = np.where(np.abs(w2) > _KEEP, w2, 0.0)
    beta[keep] = w2 * beta_ols2
    return beta


def alasso_mask(z: np.ndarray, *, lam: float) -> np.ndarray:
    """Symmetric bool mask (N, N) from the adaptive-lasso regressions of each node (Step 1)."""
    t, n = z.shape
    mask = np.zeros((n, n), dtype=bool)
    for i in range(n):
        others = np.delete(np.arange(n), i)
        if t < 4 * n:  # too few samples: pre-select the ⌊N/4⌋ most correlated regressors
            r = np.abs([np.corrcoef(z[:, i], z[:, j])[0, 1] for j in others])
            others = others[np.argsort(-r, kind="stable")[: max(n // 4, 1)]]
        var_noise = _NOISE_FRACTION**2 * z[:, i].var(ddof=1)
        beta = alasso_row(z[:, others], z[:, i], var_noise, lam)
        mask[i, others[np.abs(beta) > _KEEP]] = True
    return mask | mask.T


# --------------------------------------------------------------------------- step 2: ICA


def entropy_and_score(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pham's (2004) binned kernel entropy estimate of each row of ``y`` (N, T), and its score.

    u = standardised y (population s.d.), cells of width h (module docstring); each sample is
    spread over three consecutive cells by the quadratic B-spline weights
    ((1 − f)²/2, 1/2 + f(1 − f), f²/2), f its position in its cell; with p_c the cell
    probabilities,

        Ĥ(y) = −Σ_c p_c log p_c + log s.d.(y)   (+ log h, a constant, omitted).

    The weights are continuously differentiable in the data, so Ĥ is too; the second output is
    the score φ = −T ∂Ĥ/∂y (N, T), an estimate of (log p)' at every sample: with
    ψ_t = −(1/h) Σ_c log p_c ∂w_c/∂f (T ∂Ĥ/∂u_t), the chain rule through the standardisation
    gives φ = −(ψ − Ê[ψ] − u (Ê[ψ u] − 1)) / s.d.(y), i.e. Pham's score with Stein's identities
    Ê[φ] = 0, Ê[φ(y)(y − ȳ)] = −1.
    """
    n, t = y.shape
    mu = y.mean(axis=1, keepdims=True)
    sd = y.std(axis=1, keepdims=True)
    u = (y - mu) / sd
    h = 2 * (11 * np.sqrt(np.pi) / 20) ** 0.2 * (4 / (3 * t)) ** 0.2
    r = u / h
    k = np.floor(r)
    f = r - k
    k = (k - k.min(axis=1, keepdims=True)).astype(np.intp)
    width = int(k.max()) + 3
    cell = k + width * np.arange(n)[:, None]
    weights = ((1 - f) ** 2 / 2, 0.5 + f * (1 - f), f**2 / 2)
    slopes = (f - 1, 1 - 2 * f, f)  # ∂w/∂f of the three weights
    p = np.zeros(n * width)
    for off, w in enumerate(weights):
        p += np.bincount((cell + off).ravel(), weights=w.ravel(), minlength=n * width)
    p /= t
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0).reshape(n, width)
    entropy = -plogp.sum(axis=1) + np.log(sd[:, 0])
    logp = np.log(np.maximum(p, 1e-300))
    psi = -sum(logp[cell + off] * s for off, s in enumerate(slopes)) / h
    psi -= psi.mean(axis=1, keepdims=True)
    psi -= u * ((psi * u).mean(axis=1, keepdims=True) - 1.0)
    return entropy, -psi / sd


def ica_objective(
    w: np.ndarray, x: np.ndarray, penalty: np.ndarray | None
) -> tuple[float, np.ndarray]:
    """ℓ(W) = −Σ_i Ĥ(w_i x) + log|det W| − Σ penalty ∘ log cosh(60 W)/60, and ∂ℓ/∂W.

    ``x`` (N, T); ``penalty`` = λ₂ ω / T (N, N) or None. The smooth |w| ≈ log cosh(60 w)/60 has
    the authors' derivative tanh(60 w).
    """
    t = x.shape[1]
    y = w @ x
    entropy, phi = entropy_and_score(y)
    sign, logdet = np.linalg.slogdet(w)
    if sign == 0:
        return -np.inf, np.zeros_like(w)
    value = -entropy.sum() + logdet
    grad = phi @ x.T / t + np.linalg.inv(w).T
    if penalty is not None:
        a = _SMOOTH * w
        value -= float((penalty * (np.logaddexp(a, -a) - np.log(2.0))).sum()) / _SMOOTH
        grad -= penalty * np.tanh(a)
    return float(value), grad


def ica_fit(
    x: np.ndarray,
    w0: np.ndarray,
    mask: np.ndarray,
    penalty: np.ndarray | None,
    *,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, int, bool]:
    """Maximise :func:`ica_objective` over the ``mask`` entries of W, from ``w0``.

    L-BFGS-B (scipy) on the free entries, stopped when the largest |gradient| is below
    ``tol``; returns (W, iterations, converged).
    """
    from scipy.optimize import minimize

    if not mask.any():
        return w0.copy(), 0, True

    def negative(v: np.ndarray) -> tuple[float, np.ndarray]:
        w = w0.copy()
        w[mask] = v
        value, grad = ica_objective(w, x, penalty)
        if not np.isfinite(value):
            return np.inf, np.zeros_like(v)
        return -value, -grad[mask]

    res = minimize(
        negative,
        w0[mask],
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-12, "maxcor": 20},
    )
    w = w0.copy()
    w[mask] = res.x
    return w, int(res.nit), bool(res.success)


def initial_w(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """W⁰ = (V + Vᵀ)/2, V = I with row i's mask entries −½ · OLS coefficients of x_i on them."""
    n = x.shape[0]
    v = np.eye(n)
    for i in range(n):
        nb = np.flatnonzero(mask[i])
        if nb.size:
            v[i, nb] = -0.5 * np.linalg.lstsq(x[nb].T, x[i], rcond=None)[0]
    return (v + v.T) / 2


def two_step_b(
    z: np.ndarray,
    mask: np.ndarray,
    *,
    ica_lambda: float,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Step 2 on standardised ``z`` (T, N) and ``mask``: B (row = child) and fit details."""
    x = z.T
    n, t = x.shape
    w_u, it_u, conv_u = ica_fit(x, initial_w(x, mask), mask, None, max_iter=max_iter, tol=tol)
    omega = np.zeros((n, n))
    if mask.any():
        om = 1.0 / np.maximum(np.abs(w_u[mask]), 1e-300)
        omega[mask] = np.minimum(om, 3 * om.mean())
    penalty = ica_lambda * np.log(t) / t * omega
    w_p, it_p, conv_p = ica_fit(x, w_u, mask, penalty, max_iter=max_iter, tol=tol)
    keep = mask & (np.abs(w_p) > _REFINE)
    w_p[mask & ~keep] = 0.0
    w_f, it_f, conv_f = ica_fit(x, w_p, keep, None, max_iter=max_iter, tol=tol)
    info = {
        "iterations": [it_u, it_p, it_f],
        "converged": bool(conv_u and conv_p and conv_f),
        "n_refit_entries": int(keep.sum()),
    }
    return np.eye(n) - w_f, info


# --------------------------------------------------------------------------- estimator


@register_method(
    "two-step",
    level="subject",
    deterministic=True,
    requires=("sklearn",),
    citation=(
        "Sanchez-Romero, Ramsey, Zhang, Glymour, Huang & Glymour (2019), Estimating feedforward "
        "and feedback effective connections from fMRI time series, Network Neuroscience 3(2)"
    ),
    description=(
        "Two-Step: adaptive-lasso (or FAS) mask, then penalised ML ICA of x = Bx + e on the "
        "mask (cycles and 2-cycles allowed); decision |B| > threshold; time points as i.i.d.; "
        "slow (an iterative nonparametric ICA per subject)"
    ),
    scores="|B| (standardised Two-Step coefficient)",
    canary=Canary("chain-skewed", n=1000, exact=True),
    slow=True,
)
class TwoStep(Estimator):
    """Two-Step; see the module docstring for the maths, the encoding and the defaults.

    Parameters
    ----------
    mask : ``"alasso"`` (adaptive-lasso regressions, default) or ``"fas"`` (FAS skeleton).
    alasso_lambda : λ₁ / log T of the mask regressions.
    ica_lambda : λ₂ / log T of the ICA penalty.
    threshold : |B_ij| above which j → i is decided.
    alpha, depth, impl : the FAS test level, depth and implementation (``mask="fas"`` only).
    max_iter : iterations of each of the three L-BFGS fits.
    tol : convergence threshold of the largest |gradient| of a fit.
    """

    def __init__(
        self,
        *,
        mask: str = "alasso",
        alasso_lambda: float = 0.5,
        ica_lambda: float = 2.0,
        threshold: float = 0.15,
        alpha: float = 0.01,
        depth: int = -1,
        impl: str = "fast",
        max_iter: int = 1000,
        tol: float = 1e-4,
    ) -> None:
        self.mask = mask
        self.alasso_lambda = alasso_lambda
        self.ica_lambda = ica_lambda
        self.threshold = threshold
        self.alpha = alpha
        self.depth = depth
        self.impl = impl
        self.max_iter = max_iter
        self.tol = tol

    def check_params(self) -> None:
        name = "two-step"
        if self.mask not in MASKS:
            raise ValueError(f"{name}: mask must be one of {MASKS}, got {self.mask!r}")
        for p in ("alasso_lambda", "ica_lambda", "threshold"):
            v = getattr(self, p)
            if not _real(v) or v < 0:
                raise ValueError(f"{name}: {p} must be a number >= 0, got {v!r}")
        if not _real(self.alpha) or not 0 < self.alpha < 1:
            raise ValueError(f"{name}: alpha must lie in (0, 1), got {self.alpha!r}")
        if not _int(self.depth) or self.depth < -1:
            raise ValueError(f"{name}: depth must be an integer >= -1, got {self.depth!r}")
        if self.impl not in IMPLS:
            raise ValueError(f"{name}: impl must be one of {IMPLS}, got {self.impl!r}")
        if not _int(self.max_iter) or self.max_iter < 1:
            raise ValueError(f"{name}: max_iter must be an integer >= 1, got {self.max_iter!r}")
        if not _real(self.tol) or self.tol <= 0:
            raise ValueError(f"{name}: tol must be > 0, got {self.tol!r}")

    def fit(self, X: Any, context: FitContext | None = None) -> TwoStep:
        self.check_params()
        name = series_name(context, "two-step")
        x = check_series(X, name=name, min_length=10)
        t, n = x.shape
        if t < n + 2:
            raise DataError(
                f"{name}: {t} time points are too few for Two-Step's regressions on {n} nodes "
                f"(needs at least N + 2 = {n + 2})"
            )
        check_full_rank(x, name, "two-step")
        z = standardize_ddof1(x)
        if self.mask == "fas":
            mask = fas_skeleton(z, self.alpha, depth=self.depth, impl=self.impl)
        else:
            mask = alasso_mask(z, lam=self.alasso_lambda * np.log(t))
        b, info = two_step_b(
            z, mask, ica_lambda=self.ica_lambda, max_iter=self.max_iter, tol=self.tol
        )
        np.fill_diagonal(b, 0.0)
        decided = np.abs(b) > self.threshold
        upper = np.triu(np.ones((n, n), dtype=bool), 1)
        self.adjacency_ = decided.T.copy()  # B[i, j] is j -> i: transpose to row = source
        self.scores_ = np.abs(b).T.copy()
        self.extra_ = {
            **info,
            "n_mask_pairs": int((mask & upper).sum()),
            "n_edges": int(decided.sum()),
            "n_two_cycles": int((decided & decided.T & upper).sum()),
        }
        return self


def _real(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)


def _int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)
