"""Batched bivariate Granger regressions: every ordered pair of nodes at once (numpy).

The pairwise adapter (``granger-pairwise``) runs, for every pair of nodes, small OLS fits with a
constant: a VAR(p) on the two series for the lag-order selection, and the single equations of
the Granger F-test. They all use the same few lagged columns of the data, so one centred
cross-product matrix per set of rows holds everything: with the lag stack

    L_t = [x_t, x_{t−1}, ..., x_{t−m}]    (column k·N + n holds x_n at lag k),

centred over the rows t = r0..T−1 of a fit, ``G = L̃ᵀ L̃``. Centring every column over the fit
rows is the constant of the regression (Frisch–Waugh), so each fit is a small linear system in
a block of G, solved for all pairs in one batched call.

Single-equation test of "i Granger-causes j" with l lags on the rows t = l..T−1 (the rows of
statsmodels ``VAR(x[:, [i, j]]).fit(l)`` and of ``grangercausalitytests`` at lag l): with
A = G[own, own] (the l lags of x_j), C = G[cross, own] (the l lags of x_i against them),
D = G[cross, cross], g_o = G[own, y], g_c = G[cross, y], y = x_j at lag 0,

    SSR_r = G[y, y] − g_oᵀ A⁻¹ g_o                     (AR(l) of x_j alone)
    S = D − C A⁻¹ Cᵀ,   h = g_c − C A⁻¹ g_o             (Schur complement of the own lags)
    SSR_r − SSR_u = hᵀ S⁻¹ h                           (no cancellation: a PSD quadratic form)
    F_{i→j} = (SSR_r − SSR_u) / l / (SSR_u / df),   df = (T − l) − (2l + 1).

This F is statsmodels' ``VARResults.test_causality(kind="f")`` statistic of the pair's VAR(l)
(the Wald form b'(σ_jj M)⁻¹b / l equals it exactly, by the partitioned inverse) and the
``ssr_ftest`` statistic of ``grangercausalitytests``; the two differ only in the second degrees
of freedom (2·df and df). The lag-order selection is statsmodels' ``VAR.select_order``: every
order 0..p_max fitted on the same rows p_max..T−1, Σ̂ = SSE / nobs the 2 × 2 ML residual
covariance, and (Lütkepohl 2005, §4.3)

    aic = ln|Σ̂| + 2 f / nobs,   bic = ln|Σ̂| + ln(nobs) f / nobs,
    hqic = ln|Σ̂| + 2 ln ln(nobs) f / nobs,   fpe = ((nobs + 2p + 1) / (nobs − 2p − 1))² |Σ̂|,

f = 4p + 2 free parameters. The first minimum wins, as in statsmodels.

Certification. The kernels agree with statsmodels to rounding (≈ 1e-12 relative), so a discrete
choice can differ only when two candidates are within rounding of each other. Each function
therefore also returns a mask of pairs whose choice had a margin below ``TIE_TOL`` (or whose
blocks are ill-conditioned); the adapter recomputes those pairs with statsmodels itself.
"""

from __future__ import annotations

import numpy as np

TIE_TOL = 1e-9  # relative margin below which a choice is left to the reference (statsmodels)
MAX_COND = 1e10  # condition number of a block above which a pair is left to the reference
ICS = ("aic", "bic", "hqic", "fpe")


def centred_gram(x: np.ndarray, lags: int, first_row: int) -> np.ndarray:
    """``L̃ᵀ L̃`` of the lag stack [x_t, ..., x_{t−lags}] over rows t = first_row..T−1, centred.

    Column k·N + n of the stack is x_n at lag k; ``first_row >= lags``.
    """
    t, n = x.shape
    stack = np.concatenate([x[first_row - k : t - k] for k in range(lags + 1)], axis=1)
    stack = stack - stack.mean(axis=0)
    return stack.T @ stack


def ordered_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sources and targets ``(i, j)`` of the N(N − 1) ordered pairs i ≠ j, row-major."""
    i, j = np.nonzero(~np.eye(n, dtype=bool))
    return i, j


def _lag_columns(n: int, nodes: np.ndarray, lags: int) -> np.ndarray:
    """Column indices ``(len(nodes), lags)`` of lags 1..lags of each node in the lag stack."""
    return n * np.arange(1, lags + 1)[None, :] + nodes[:, None]


def _ill_conditioned(m: np.ndarray) -> np.ndarray:
    """Per matrix of a stack of symmetric PSD blocks: non-finite or condition above MAX_COND."""
    ev = np.linalg.eigvalsh(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        bad = ~(ev[..., 0] > ev[..., -1] / MAX_COND)
    return bad | ~np.isfinite(ev).all(axis=-1)


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched ``a⁻¹ b`` for a stack of matrices ``a`` and vectors or matrices ``b``."""
    if b.ndim == a.ndim - 1:
        return np.linalg.solve(a, b[..., None])[..., 0]
    return np.linalg.solve(a, b)


def bivariate_f(x: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray, int]:
    """F statistics of "i Granger-causes j" with ``lags`` lags for every ordered pair.

    Returns ``(F, bad, df)``: ``F[i, j]`` (zero diagonal), ``bad[i, j]`` True where a block was
    ill-conditioned (F is then not to be trusted) and the residual degrees of freedom
    df = (T − lags) − (2·lags + 1) of the unrestricted equation. See the module docstring.
    """
    t, n = x.shape
    g = centred_gram(x, lags, lags)
    own = _lag_columns(n, np.arange(n), lags)  # (N, l): own lags of each node
    a = g[own[:, :, None], own[:, None, :]]  # (N, l, l)
    g_o = g[own, np.arange(n)[:, None]]  # (N, l): own lags against x_j
    bad_a = _ill_conditioned(a)
    a_safe = np.where(bad_a[:, None, None], np.eye(lags), a)
    ainv_go = _solve(a_safe, g_o)  # (N, l)
    ssr_r = np.diag(g)[:n] - np.einsum("jl,jl->j", g_o, ainv_go)

    src, dst = ordered_pairs(n)
    c = g[own[src][:, :, None], own[dst][:, None, :]]  # (P, l, l): lags of i x lags of j
    d = a[src]
    g_c = g[own[src], dst[:, None]]  # (P, l): lags of i against x_j
    ainv_ct = _solve(a_safe[dst], np.swapaxes(c, -1, -2))  # (P, l, l)
    s = d - c @ ainv_ct
    s = 0.5 * (s + np.swapaxes(s, -1, -2))
    h = g_c - np.einsum("pab,pb->pa", c, ainv_go[dst])
    bad = bad_a[src] | bad_a[dst] | _ill_conditioned(s)
    s_safe = np.where(bad[:, None, None], np.eye(lags), s)
    diff = np.einsum("pa,pa->p", h, _solve(s_safe, h))
    ssr_u = ssr_r[dst] - diff
    df = (t - lags) - (2 * lags + 1)
    bad |= ~(ssr_u > 0) | ~(diff >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        f_pairs = np.where(bad, 0.0, diff / lags / (ssr_u / df))
    f = np.zeros((n, n))
    f[src, dst] = f_pairs
    bad_m = np.zeros((n, n), dtype=bool)
    bad_m[src, dst] = bad
    return f, bad_m, df


def select_orders(x: np.ndarray, p_max: int, ic: str) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels ``VAR(x[:, [i, j]]).select_order(p_max, trend="c")`` for every pair i < j.

    Returns ``(orders, unsure)``, both ``(N, N)`` and symmetric: the order chosen by ``ic``
    among 0..p_max (not yet raised to 1) and True where the best and second-best criterion
    values are closer than ``TIE_TOL`` (relative for ``fpe``, absolute for the log-scale ones)
    or a block is ill-conditioned.
    """
    if ic not in ICS:
        raise ValueError(f"ic must be one of {ICS}, got {ic!r}")
    t, n = x.shape
    g = centred_gram(x, p_max, p_max)
    nobs = t - p_max
    lo, hi = np.triu_indices(n, 1)
    y_idx = np.stack([lo, hi], axis=1)  # (Q, 2): the two series at lag 0
    g_yy = g[y_idx[:, :, None], y_idx[:, None, :]]  # (Q, 2, 2)
    values = np.empty((lo.size, p_max + 1))
    unsure = np.zeros(lo.size, dtype=bool)
    for p in range(p_max + 1):
        if p == 0:
            sse = g_yy
        else:
            z = np.concatenate([_lag_columns(n, lo, p), _lag_columns(n, hi, p)], axis=1)
            g_zz = g[z[:, :, None], z[:, None, :]]
            g_zy = g[z[:, :, None], y_idx[:, None, :]]
            bad = _ill_conditioned(g_zz)
            unsure |= bad
            g_zz = np.where(bad[:, None, None], np.eye(2 * p), g_zz)
            sse = g_yy - np.swapaxes(g_zy, -1, -2) @ _solve(g_zz, g_zy)
        a, b, d = sse[:, 0, 0], sse[:, 0, 1], sse[:, 1, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            ld = np.log(a) + np.log(d - b * b / a) - 2.0 * np.log(nobs)
        unsure |= ~np.isfinite(ld)
        free = 4 * p + 2
        if ic == "aic":
            values[:, p] = ld + 2.0 / nobs * free
        elif ic == "bic":
            values[:, p] = ld + np.log(nobs) / nobs * free
        elif ic == "hqic":
            values[:, p] = ld + 2.0 * np.log(np.log(nobs)) / nobs * free
        else:
            df_model = 2 * p + 1
            values[:, p] = ((nobs + df_model) / (nobs - df_model)) ** 2 * np.exp(ld)
    values = np.where(np.isfinite(values), values, np.inf)
    best = np.argmin(values, axis=1)
    if p_max > 0:
        two = np.sort(values, axis=1)[:, :2]
        gap = two[:, 1] - two[:, 0]
        scale = np.abs(two[:, 0]) if ic == "fpe" else 1.0
        unsure |= ~(gap > TIE_TOL * scale)
    orders = np.zeros((n, n), dtype=int)
    orders[lo, hi] = orders[hi, lo] = best
    unsure_m = np.zeros((n, n), dtype=bool)
    unsure_m[lo, hi] = unsure_m[hi, lo] = unsure
    return orders, unsure_m
