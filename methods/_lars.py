"""Batched LARS-lasso with the BIC of scikit-learn's ``LassoLarsIC``: many regressions at once.

causal-learn's DirectLiNGAM and VAR-LiNGAM prune every node's regression by the *adaptive
lasso*: an OLS fit gives weights w = |β̂_OLS|, then ``LassoLarsIC(criterion="bic")`` is fitted on
the reweighted predictors X·diag(w) and the coefficients are β = w ⊙ β̃. This module computes
the same thing for a batch of regressions from their centred cross-product matrices.

The path (scikit-learn ``_lars_path_solver``, ``method="lasso"``, Gram given, ``alpha_min=0``,
``max_iter=500``; Efron, Hastie, Johnstone & Tibshirani 2004)
----------------------------------------------------------------------------------------------
With G = X̃ᵀX̃ and c = X̃ᵀỹ (X̃, ỹ centred), the correlations Cov = c − G β of the inactive
predictors are tracked. Each iteration: C = max |Cov_j| over the inactive j (the argmax enters
with sign s_j = sign Cov_j, unless the previous step dropped a variable), α = C / n is the knot
(the path stops when α ≤ float32 eps or every predictor is active); the equiangular direction
is u = A_A G_AA⁻¹ s_A with A_A = (s_Aᵀ G_AA⁻¹ s_A)^(−1/2), its correlations a = G_{·A} u
(rounded to 15 decimals as scikit-learn does), and the step

    γ = min⁺ { (C − Cov_j) / (A_A − a_j), (C + Cov_j) / (A_A + a_j) : j inactive;  C / A_A },

or, if smaller, the first zero crossing z = min⁺ (−β_A / u) of an active coefficient, which is
then dropped (the lasso modification). β_A += γ u, Cov −= γ a. scikit-learn keeps the
Cholesky factor L of G_AA; here its inverse L⁻¹ is kept (G_AA⁻¹ = L⁻ᵀL⁻¹), which gains one row
when a predictor enters (w = L⁻¹ g_j, d = √(G_jj − wᵀw), new row (−wᵀL⁻¹, 1) / d) and is
refactored when one leaves (rare), for all regressions of a batch in lockstep: one numpy
operation per step for the whole batch instead of one Python iteration per regression.

The selection (``LassoLarsIC.fit``)
-----------------------------------
Over the knots k of the path, with σ̂² = RSS_OLS / (n − p − 1) (the OLS fit on the same
predictors) and df_k = #{j : |β̃_kj| > float64 eps},

    BIC_k = n ln(2π σ̂²) + RSS_k / σ̂² + ln(n) · df_k,

and the first minimum is returned.

Certification
-------------
The kernel agrees with scikit-learn to rounding (≈ 1e-12 relative; more where G_AA is
ill-conditioned, since both solve its normal equations), so a discrete outcome can differ only
at a near-tie. Each regression is therefore marked *unsure*, and left to scikit-learn by the
caller, when any of these holds: two inactive |Cov_j| within ``TAU`` (relative) of the maximum;
the two smallest step candidates within ``TAU``; two consecutive knots' α within ``TAU``; a
Cholesky pivot below 10 × scikit-learn's degeneracy threshold 1e-7; a non-finite A_A; the
iteration cap; or, at the end, a chosen knot that is a drop knot (scikit-learn leaves a
rounding residue there, whose zero-ness decides an edge), carries a coefficient below 1e-9 of
the path's scale, or has a BIC within 1e-7 (relative) of another knot's BIC with its df counted
either way. Otherwise every choice had a margin orders of magnitude above rounding and the
result has scikit-learn's exact zero pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TAU = 1e-8  # relative margin of every discrete choice (rounding is ~1e-13)
AMBIGUOUS = 1e-9  # coefficients below this fraction of the path's scale are "maybe zero"
BIC_MARGIN = 1e-7  # relative BIC margin of the chosen knot
MAX_ITER = 500  # LassoLarsIC's default
_EPS = np.finfo(np.float64).eps
_EPS32 = float(np.finfo(np.float32).eps)
_TINY32 = float(np.finfo(np.float32).tiny)
_BIG = np.finfo(np.float64).max
_DECIMALS = np.finfo(np.float64).precision  # 15: scikit-learn rounds corr_eq_dir to this


@dataclass
class LassoPath:
    """The knots of a batch of paths.

    ``coefs[k]`` ``(B, P)`` are the coefficients at knot k, ``dropped[k]`` ``(B,)`` the
    predictor that the step into knot k dropped (its coefficient there is a rounding residue)
    or −1, ``n_knots`` ``(B,)`` the number of knots of each path and ``unsure`` ``(B,)`` the
    paths with a choice too close to call.
    """

    coefs: list[np.ndarray]
    dropped: list[np.ndarray]
    n_knots: np.ndarray
    unsure: np.ndarray


def _two_smallest(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.shape[-1] < 2:
        return x.min(axis=-1), np.full(x.shape[:-1], _BIG)
    part = np.partition(x, 1, axis=-1)
    return part[..., 0], part[..., 1]


class _Paths:
    """The lockstep state of a batch of LARS-lasso paths (see :func:`lars_lasso_path`).

    The active predictors of regression b are kept in the order they entered: ``act[b, :k_b]``
    are their indices, ``sgn_pos[b, :k_b]`` their signs and ``linv[b, :k_b, :k_b]`` the inverse
    of the lower Cholesky factor of G_AA in that order (so G_AA⁻¹ = L⁻ᵀ L⁻¹), ``y[b, :k_b]`` =
    L⁻¹ s_A. Entering appends a row to L⁻¹ and to y; a drop (rare) refactors that regression's
    G_AA.
    """

    def __init__(self, gram: np.ndarray, xy: np.ndarray, mask: np.ndarray) -> None:
        b_size, p_size = xy.shape
        self.gram, self.xy, self.mask = gram, xy, mask
        self.rows = np.arange(b_size)
        self.n_feat = mask.sum(axis=1)
        self.active = np.zeros((b_size, p_size), dtype=bool)
        self.act = np.zeros((b_size, p_size), dtype=int)
        self.k = np.zeros(b_size, dtype=int)
        self.sgn_pos = np.zeros((b_size, p_size))
        self.linv = np.zeros((b_size, p_size, p_size))
        self.y = np.zeros((b_size, p_size))  # L⁻¹ s_A, kept up to date
        self.cov = xy.copy()
        self.coef = np.zeros((b_size, p_size))
        self.corr = np.zeros((b_size, p_size))  # a = G u of the current direction
        self.unsure = np.zeros(b_size, dtype=bool)

    def add(self, add: np.ndarray, j: np.ndarray) -> None:
        """Predictor ``j[b]`` enters regression b where ``add[b]``, with the sign of its Cov."""
        rows, pos = self.rows, self.k
        in_a = np.arange(self.act.shape[1])[None, :] < pos[:, None]
        g = np.where(in_a, self.gram[rows[:, None], self.act, j[:, None]], 0.0)
        w = (self.linv @ g[:, :, None])[:, :, 0]
        diag = np.sqrt(np.abs(self.gram[rows, j, j] - np.einsum("bp,bp->b", w, w)))
        degenerate = add & ~(diag >= 1e-6)  # near scikit-learn's 1e-7 degeneracy test
        self.unsure |= degenerate
        ok = add & ~degenerate
        ra, pa, ja = rows[ok], pos[ok], j[ok]
        new_row = -(w[:, None, :] @ self.linv)[:, 0, :] / diag[:, None]  # −wᵀ L⁻¹ / d
        new_row = new_row[ok]
        new_row[np.arange(ra.size), pa] = 1.0 / diag[ok]
        self.linv[ra, pa, :] = new_row
        self.act[ra, pa] = ja
        self.sgn_pos[ra, pa] = np.sign(self.cov[ra, ja])
        self.y[ra, pa] = np.einsum("bp,bp->b", new_row, self.sgn_pos[ra])  # L⁻¹ s: one more row
        self.active[ra, ja] = True
        self.k[ra] += 1

    def direction(self) -> tuple[np.ndarray, np.ndarray]:
        """Equiangular ``(A_A, u)``: u = A_A G_AA⁻¹ s_A in the original indexing (0 off A)."""
        ls_pos = (self.y[:, None, :] @ self.linv)[:, 0, :]  # L⁻ᵀ L⁻¹ s
        aa = 1.0 / np.sqrt(np.einsum("bp,bp->b", ls_pos, self.sgn_pos))
        ls = np.zeros_like(self.coef)
        r, p = np.nonzero(np.arange(ls.shape[1])[None, :] < self.k[:, None])
        ls[r, self.act[r, p]] = ls_pos[r, p]
        return aa, ls * np.where(np.isfinite(aa), aa, 0.0)[:, None]

    def advance(
        self, gamma: np.ndarray, ls: np.ndarray, drop: np.ndarray, d_idx: np.ndarray
    ) -> None:
        """β_A += γ u (a new knot: zero off A), Cov −= γ a on the inactive; then the drops."""
        inactive = self.mask & ~self.active
        self.coef = np.where(self.active, self.coef + gamma[:, None] * ls, 0.0)
        self.cov = np.where(inactive, self.cov - gamma[:, None] * self.corr, self.cov)
        for b in self.rows[drop]:
            self.drop(int(b), int(d_idx[b]))

    def drop(self, b: int, j: int) -> None:
        """Predictor ``j`` leaves regression ``b``: its Cov is recomputed, L⁻¹ refactored."""
        k = int(self.k[b])
        keep = [int(a) for a in self.act[b, :k] if a != j]
        self.active[b, j] = False
        self.cov[b, j] = self.xy[b, j] - self.gram[b, j] @ self.coef[b]
        signs = {int(a): s for a, s in zip(self.act[b, :k], self.sgn_pos[b, :k], strict=True)}
        self.k[b] = k - 1
        self.act[b, :] = 0
        self.act[b, : k - 1] = keep
        self.sgn_pos[b, :] = 0.0
        self.sgn_pos[b, : k - 1] = [signs[a] for a in keep]
        self.linv[b] = 0.0
        if keep:
            try:
                chol = np.linalg.cholesky(self.gram[b][np.ix_(keep, keep)])
            except np.linalg.LinAlgError:  # degenerate active set: left to scikit-learn
                self.unsure[b] = True
                return
            self.linv[b, : k - 1, : k - 1] = np.linalg.inv(chol)
        self.y[b] = self.linv[b] @ self.sgn_pos[b]


def lars_lasso_path(
    gram: np.ndarray, xy: np.ndarray, n_samples: int, mask: np.ndarray
) -> LassoPath:
    """LARS-lasso paths of a batch of regressions (module docstring).

    ``gram`` ``(B, P, P)`` and ``xy`` ``(B, P)`` are the centred cross-products of each
    regression's (padded) predictors; ``mask`` ``(B, P)`` marks the real predictors (padding
    rows and columns of ``gram`` are zero). Returns every knot's coefficients and the
    ``unsure`` flags of the path (the selection adds its own).
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _lars_loop(_Paths(gram, xy, mask), n_samples)


def _lars_loop(st: _Paths, n_samples: int) -> LassoPath:
    """The iterations of scikit-learn's ``_lars_path_solver`` (Gram, lasso), batched."""
    b_size, p_size = st.xy.shape
    rows = st.rows
    drop = np.zeros(b_size, dtype=bool)
    was_drop = np.full(b_size, -1)  # the predictor dropped by the previous step, or -1
    live = np.ones(b_size, dtype=bool)
    n_knots = np.zeros(b_size, dtype=int)
    prev_alpha = np.full(b_size, np.inf)
    coefs: list[np.ndarray] = []
    dropped: list[np.ndarray] = []
    for n_iter in range(MAX_ITER + 1):
        absc = np.where(st.mask & ~st.active, np.abs(st.cov), -1.0)
        c_idx = np.argmax(absc, axis=1)
        c_val = np.maximum(absc[rows, c_idx], 0.0)  # C: the largest inactive |Cov|
        alpha = c_val / n_samples
        coefs.append(np.where(live[:, None], st.coef, 0.0))  # the knot
        dropped.append(np.where(live, was_drop, -1))
        n_knots += live
        finish = (alpha <= _EPS32) | (st.k >= st.n_feat)
        if n_iter == MAX_ITER:
            st.unsure |= live & ~finish
            break
        live &= ~finish
        if p_size > 1:  # the entering predictor (or C) must be clear of the runner-up
            second = np.partition(absc, p_size - 2, axis=1)[:, p_size - 2]
            st.unsure |= live & (second >= 0) & ~(second < c_val * (1 - TAU))
        add = live & ~drop & ~st.unsure
        if add.any():
            st.add(add, c_idx)
        # scikit-learn stops (with a warning) when alpha grew; near-equal alphas are unsure
        st.unsure |= live & (n_iter > 0) & ~(prev_alpha > alpha * (1 + TAU))
        aa, ls = st.direction()
        st.unsure |= live & ~np.isfinite(aa)
        live &= ~st.unsure
        if not live.any():
            break
        gamma, drop, d_idx = _step(st, c_val, np.where(live, aa, 1.0), ls, live)
        live &= ~st.unsure
        drop &= live
        st.advance(np.where(live, gamma, 0.0), ls, drop, d_idx)
        was_drop = np.where(drop, d_idx, -1)
        prev_alpha = np.where(live, alpha, prev_alpha)
    return LassoPath(coefs, dropped, n_knots, st.unsure)


def _step(
    st: _Paths, c_val: np.ndarray, aa: np.ndarray, ls: np.ndarray, live: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The step γ along u, whether it drops a predictor, and which: ``(gamma, drop, d_idx)``.

    γ = min⁺ of (C − Cov_j) / (A_A − a_j) and (C + Cov_j) / (A_A + a_j) over the inactive j and
    C / A_A, unless the first zero crossing −β_j / u_j of an active coefficient comes first
    (module docstring); a = G u rounded to 15 decimals, ``tiny32`` in the denominators, as in
    scikit-learn. Marks ``unsure`` where the two smallest candidates are within ``TAU``.
    """
    p_size = st.xy.shape[1]
    corr = np.around((st.gram @ ls[:, :, None])[:, :, 0], decimals=_DECIMALS)
    st.corr = corr
    inactive = st.mask & ~st.active
    c_col, aa = c_val[:, None], aa[:, None]
    steps = np.concatenate(  # candidates: enter (two signs), end of path, zero crossing
        [
            (c_col - st.cov) / (aa - corr + _TINY32),
            (c_col + st.cov) / (aa + corr + _TINY32),
            c_col / aa,
            -st.coef / (ls + _TINY32),
        ],
        axis=1,
    )
    valid = np.concatenate([inactive, inactive, live[:, None], st.active], axis=1)
    steps = np.where(valid & (steps > 0), steps, _BIG)
    first, runner_up = _two_smallest(steps)
    st.unsure |= live & ~(runner_up > first * (1 + TAU))
    gamma = steps[:, : 2 * p_size + 1].min(axis=1)
    z = steps[:, 2 * p_size + 1 :]
    d_idx = np.argmin(z, axis=1)
    z_pos = z[st.rows, d_idx]
    drop = z_pos < gamma
    return np.where(drop, z_pos, gamma), drop, d_idx


def select_bic(
    path: LassoPath,
    gram: np.ndarray,
    xy: np.ndarray,
    yy: np.ndarray,
    sigma2: np.ndarray,
    n_samples: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``LassoLarsIC(criterion="bic")``'s choice among the knots: ``(coef (B, P), unsure (B,))``.

    ``yy`` is ỹᵀỹ and ``sigma2`` the OLS noise variance σ̂² of each regression; RSS_k is
    ỹᵀỹ − 2 β_kᵀ c + β_kᵀ G β_k. See the module docstring for the certification.
    """
    coefs = np.stack(path.coefs, axis=1)  # (B, K, P)
    dropped = np.stack(path.dropped, axis=1)  # (B, K)
    drop_knot = dropped >= 0
    b_size, k_size, p_size = coefs.shape
    exists = np.arange(k_size)[None, :] < path.n_knots[:, None]
    quad = np.einsum("bkp,bkp->bk", coefs @ gram, coefs)
    rss = yy[:, None] - 2.0 * np.einsum("bkp,bp->bk", coefs, xy) + quad
    log_n = np.log(n_samples)
    base = n_samples * np.log(2.0 * np.pi * sigma2)[:, None] + rss / sigma2[:, None]
    df = (np.abs(coefs) > _EPS).sum(axis=2)
    bic = np.where(exists, base + log_n * df, np.inf)
    best = np.argmin(bic, axis=1)
    rows = np.arange(b_size)
    scale = np.abs(coefs).max(axis=(1, 2))
    nonzero = coefs != 0
    tiny = nonzero & (np.abs(coefs) <= AMBIGUOUS * scale[:, None, None])
    tiny |= np.arange(p_size)[None, None, :] == dropped[:, :, None]  # a residue: maybe zero
    df_lo = (nonzero & ~tiny).sum(axis=2)
    bic_lo = np.where(exists, base + log_n * df_lo, np.inf)
    bic_lo[rows, best] = np.inf
    chosen = bic[rows, best]
    unsure = path.unsure.copy()
    unsure |= drop_knot[rows, best] | tiny[rows, best].any(axis=1)
    unsure |= ~(bic_lo.min(axis=1) > chosen + BIC_MARGIN * (1.0 + np.abs(chosen)))
    return coefs[rows, best], unsure
