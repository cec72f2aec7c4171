"""The NOTEARS optimiser shared by ``notears`` and ``dynotears``.

Problem (Zheng et al. 2018; with lags, Pamfil et al. 2020)
----------------------------------------------------------
For data X ``(n, d)`` (centred) and optional lagged data Y ``(n, p·d)`` = [X_{t−1} | … | X_{t−p}],
find the intra-slice matrix W ``(d, d)`` and the inter-slice matrix A ``(p·d, d)`` that solve

    min ½n⁻¹ ‖X − X W − Y A‖²_F + λ_W ‖W‖₁ + λ_A ‖A‖₁   s.t.  h(W) = tr(e^{W∘W}) − d = 0,

with W[i, j] the effect of x_i on x_j at the same time and A[(τ−1)·d + i, j] that of x_i at
t − τ on x_j at t (row = source, as bench). h(W) = 0 exactly when W is a DAG; its gradient is
∇h = (e^{W∘W})ᵀ ∘ 2W. The diagonal of W is fixed at 0; A's diagonal (autoregression) is free.

With Z = [X | Y] and B = [W; A], the loss and its gradient use the Gram matrices only,
C = ZᵀZ/n and c = ZᵀX/n:  ½‖X − ZB‖²/n = ½ tr(BᵀCB) − tr(Bᵀc) + ½ tr(XᵀX)/n, ∇ = CB − c
(the same numbers as the residual form, up to rounding; a test checks it).

Augmented Lagrangian (the authors' algorithm): with ρ = 1, α = 0, h = ∞, repeat up to
``max_iter`` times: minimise  F(W, A) + ρ/2 h(W)² + α h(W)  by L-BFGS-B from the current
estimate, multiplying ρ by 10 and re-solving while the new h exceeds h/4 (and ρ < ρ_max);
then α ← α + ρ h; stop once h ≤ ``h_tol`` (1e-8) or ρ ≥ ρ_max (1e16). The ℓ1 terms are made
smooth by the split B = B⁺ − B⁻ with B± ≥ 0 (L-BFGS-B bounds), so ‖B‖₁ = Σ(B⁺ + B⁻).
L-BFGS-B (scipy) runs with its default settings, as in the authors' code; everything is
deterministic (no random start).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as slin
import scipy.optimize as sopt

H_TOL = 1e-8
RHO_MAX = 1e16


def acyclicity(w: np.ndarray) -> tuple[float, np.ndarray]:
    """NOTEARS's h(W) = tr(exp(W∘W)) − d and its gradient (exp(W∘W))ᵀ ∘ 2W."""
    e = slin.expm(w * w)
    return float(np.trace(e) - w.shape[0]), e.T * w * 2.0


@dataclass
class NotearsResult:
    """Unthresholded W ``(d, d)`` and A ``(p·d, d)``; final h(W), ρ, outer iterations and the
    number of objective evaluations."""

    w: np.ndarray
    a: np.ndarray
    h: float
    rho: float
    iterations: int
    evaluations: int


def lagged_design(x: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray]:
    """Targets ``x[p:]`` ``(T − p, d)`` and lagged regressors [x_{t−1} | … | x_{t−p}]."""
    t = x.shape[0]
    target = x[lags:]
    lagged = [x[lags - tau : t - tau] for tau in range(1, lags + 1)]
    return target, (np.concatenate(lagged, axis=1) if lagged else np.zeros((t - lags, 0)))


def least_squares(
    b: np.ndarray, gram: np.ndarray, cross: np.ndarray, half_ss: float
) -> tuple[float, np.ndarray]:
    """½‖X − ZB‖²/n and its gradient from C = ZᵀZ/n, c = ZᵀX/n and ½tr(XᵀX)/n."""
    cb = gram @ b
    loss = 0.5 * float(np.einsum("ij,ij->", b, cb)) - float(np.einsum("ij,ij->", b, cross))
    return loss + half_ss, cb - cross


class AugmentedLagrangian:
    """The smooth objective of one L-BFGS-B solve, on the split variables v = [B⁺; B⁻].

    F(v) = ½‖X − ZB‖²/n + ρ/2 h(W)² + α h(W) + Σ penalty·v with B = B⁺ − B⁻ ``(k, d)``,
    W = B[:d]; :meth:`__call__` returns F and ∇F (what ``scipy.optimize.minimize`` with
    ``jac=True`` takes). ``rho`` and ``alpha`` are set by the outer loop.
    """

    def __init__(
        self, x: np.ndarray, y: np.ndarray | None, lambda_w: float, lambda_a: float
    ) -> None:
        n, d = x.shape
        z = x if y is None or y.shape[1] == 0 else np.concatenate([x, y], axis=1)
        self.d, self.k = d, z.shape[1]
        self.gram = z.T @ z / n
        self.cross = z.T @ x / n
        self.half_ss = 0.5 * float(np.einsum("ij,ij->", x, x)) / n
        self.m = self.k * d  # entries of B
        nw = d * d
        penalty = np.concatenate([np.full(nw, lambda_w), np.full(self.m - nw, lambda_a)])
        self.penalty = np.concatenate([penalty, penalty])
        diag = np.zeros((self.k, d), dtype=bool)
        diag[np.arange(d), np.arange(d)] = True  # W's diagonal is fixed at 0
        fixed = np.concatenate([diag.ravel(), diag.ravel()])
        self.bounds = [(0.0, 0.0) if f else (0.0, None) for f in fixed]
        self.rho, self.alpha, self.evaluations = 1.0, 0.0, 0

    def unpack(self, v: np.ndarray) -> np.ndarray:
        """B = B⁺ − B⁻ as a ``(k, d)`` matrix."""
        return (v[: self.m] - v[self.m :]).reshape(self.k, self.d)

    def __call__(self, v: np.ndarray) -> tuple[float, np.ndarray]:
        self.evaluations += 1
        b = self.unpack(v)
        loss, grad = least_squares(b, self.gram, self.cross, self.half_ss)
        h, gh = acyclicity(b[: self.d])
        grad[: self.d] += (self.rho * h + self.alpha) * gh
        obj = loss + 0.5 * self.rho * h * h + self.alpha * h + float(self.penalty @ v)
        g = grad.ravel()
        return obj, np.concatenate([g, -g]) + self.penalty


def notears_solve(
    x: np.ndarray,
    y: np.ndarray | None = None,
    *,
    lambda_w: float = 0.1,
    lambda_a: float = 0.1,
    max_iter: int = 100,
    h_tol: float = H_TOL,
    rho_max: float = RHO_MAX,
) -> NotearsResult:
    """Solve the problem of the module docstring for targets ``x`` and lagged data ``y``.

    ``x`` ``(n, d)`` and ``y`` ``(n, p·d)`` (or ``None`` for plain NOTEARS) are used as given
    (the caller centres them). Returns the unthresholded estimate.
    """
    d = x.shape[1]
    f = AugmentedLagrangian(x, y, lambda_w, lambda_a)
    v_est = np.zeros(2 * f.m)
    h = np.inf
    iterations = 0
    for _ in range(max_iter):
        iterations += 1
        v_new, h_new = v_est, h
        while f.rho < rho_max:
            sol = sopt.minimize(f, v_est, method="L-BFGS-B", jac=True, bounds=f.bounds)
            v_new = sol.x
            h_new, _ = acyclicity(f.unpack(v_new)[:d])
            if h_new > 0.25 * h:
                f.rho *= 10.0
            else:
                break
        v_est, h = v_new, h_new
        f.alpha += f.rho * h
        if h <= h_tol or f.rho >= rho_max:
            break
    b = f.unpack(v_est)
    return NotearsResult(
        w=b[:d].copy(),
        a=b[d:].copy(),
        h=float(h),
        rho=float(f.rho),
        iterations=iterations,
        evaluations=f.evaluations,
    )
