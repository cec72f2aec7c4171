"""Fast DirectLiNGAM and VAR-LiNGAM kernels, equal to causal-learn's (numpy + scikit-learn).

Three pieces replace the Python loops of causal-learn's ``DirectLiNGAM(measure="pwling")`` and
``VARLiNGAM`` (``causallearn/search/FCMBased/lingam/``, read for this module):

1. **Causal order** (``DirectLiNGAM._search_causal_order``): with U the remaining variables,
   each standardised (z = (x − x̄) / sd, population sd), the residual of regressing z_i on z_j
   is r_{i|j} = z_i − (cov(z_i, z_j) / var(z_j)) z_j (causal-learn's ``_residual``: ``np.cov``
   with ddof 1 over ``np.var`` with ddof 0), and the pairwise likelihood-ratio contrast is

       d_ij = H(z_j) + H(r_{i|j} / sd r_{i|j}) − H(z_i) − H(r_{j|i} / sd r_{j|i}),
       H(u) = (1 + ln 2π) / 2 − k1 (E ln cosh u − γ)² − k2 (E u e^{−u²/2})²,

   (k1 = 79.047, k2 = 7.4129, γ = 0.37457; Hyvärinen & Smith 2013). The next variable is the
   argmin over i of M_i = Σ_{j≠i} min(0, d_ij)², after which every other remaining variable is
   replaced by its residual on it (unstandardised, same formula). Here every d_ij of a step
   comes from one (k, k, T) array; sd r_{i|j} from the closed form var z_i − 2c cov₀ + c² var z_j.
2. **Adaptive lasso** (``predict_adaptive_lasso`` and ``VARLiNGAM._pruning``): OLS weights
   w = |β̂| (``LinearRegression``), then ``LassoLarsIC(criterion="bic")`` on X·diag(w). Every
   regression here is "one column on all the columns before it" of one matrix (the causal
   order for DirectLiNGAM; the lags, then the causal order, for VAR-LiNGAM), so one QR gives
   every OLS fit (β̂ = R₁₁⁻¹ r₁₂, RSS = R_mm²) and one cross-product matrix every Gram; the
   LARS paths run batched in :mod:`bench.methods._lars`.
3. **VAR-LiNGAM** as causal-learn's ``fit``: statsmodels' VAR fit (kept: it is cheap and its
   residuals are then exactly causal-learn's), the causal order of the residuals, and either
   the pruning (``prune=True``, whose regressions overwrite every entry of B_0..B_p, so
   DirectLiNGAM's own lasso on the residuals is not needed) or B_τ = (I − B_0) M_τ.

Equality (certification)
------------------------
These kernels compute what causal-learn computes in another order of floating-point operations,
so they agree to rounding (≈ 1e-15 on d_ij, ≈ 1e-12 relative on coefficients). A discrete choice
can then only differ at a near-tie, and every choice is checked for one: the causal-order step
is accepted only if the best M_i, with every d_ij moved by ``DELTA`` against it, still beats every
other candidate moved by ``DELTA`` in its favour (min(0, d)² is monotone in d, so this bounds M
for any error |δd| ≤ DELTA); DELTA = 1e-10 is five orders of magnitude above the measured
differences (tests/methods/test_lingam_fast.py). A step with a nearly collinear pair
(residual variance below 1e-4) is not certified either, since the closed-form variance then
loses digits. A step that fails the check makes the whole order be recomputed by causal-learn's
own code; a lasso regression that fails the checks of :mod:`bench.methods._lars` is recomputed
by scikit-learn on causal-learn's exact inputs. The decisions (order, zero pattern) are
therefore causal-learn's, and the coefficients equal to rounding.

The adaptive-lasso kernel follows scikit-learn 1.9's ``_lars_path_solver`` and
``LassoLarsIC.fit``; the equality tests are what pins it to the installed version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

from bench.methods._lars import lars_lasso_path, select_bic

K1, K2, GAMMA = 79.047, 7.4129, 0.37457  # causal-learn's maximum-entropy approximation
H_GAUSS = (1.0 + np.log(2.0 * np.pi)) / 2.0
DELTA = 1e-10  # bound on |fast d_ij − causal-learn d_ij| used by the order certificate
CHUNK = 25  # regressions per batched LARS run (sorted by size; fastest on smith:4)
IC_TOL = 1e-9  # relative margin of the VAR order choice
MIN_RESIDUAL_VAR = 1e-4  # below it a step is left to causal-learn (see pairwise_contrasts)
BLOCK = 1 << 21  # elements (16 MiB of float64) of residuals evaluated at once


@dataclass
class FastStats:
    """How much of a fit the reference had to redo: order recomputations and lasso fits."""

    order_by_reference: int = 0
    lasso_by_reference: int = 0
    lasso_total: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "order_by_reference": self.order_by_reference,
            "lasso_by_reference": self.lasso_by_reference,
            "lasso_total": self.lasso_total,
        }


# --------------------------------------------------------------------------- causal order


def entropy(u: np.ndarray) -> np.ndarray:
    """causal-learn's ``_entropy`` along the last axis (maximum-entropy approximation)."""
    t = u.shape[-1]
    a = np.cosh(u)
    np.log(a, out=a)
    m1 = a.sum(axis=-1) / t
    np.multiply(u, u, out=a)
    a *= -0.5
    np.exp(a, out=a)
    a *= u
    m2 = a.sum(axis=-1) / t
    return H_GAUSS - K1 * (m1 - GAMMA) ** 2 - K2 * m2**2


def pairwise_contrasts(xu: np.ndarray) -> np.ndarray | None:
    """All d_ij ``(k, k)`` of one step from the remaining residuals ``xu`` ``(k, T)``.

    ``d[i, j]`` is causal-learn's ``_diff_mutual_info(z_i, z_j, r_{i|j}, r_{j|i})``; the
    diagonal is 0. Returns ``None`` when some var r_{i|j} < ``MIN_RESIDUAL_VAR`` (|corr| above
    0.99995): the closed-form variance then loses more digits than ``DELTA`` allows.
    """
    k, t = xu.shape
    z = (xu - xu.mean(axis=1, keepdims=True)) / xu.std(axis=1, keepdims=True)
    zc = z - z.mean(axis=1, keepdims=True)
    g = zc @ zc.T
    var = np.diag(g) / t
    c = (g / (t - 1)) / var[None, :]  # c[i, j]: coefficient of z_j in r_{i|j}
    s2 = var[:, None] - 2.0 * c * (g / t) + c * c * var[None, :]  # var r_{i|j}
    np.fill_diagonal(s2, 1.0)
    if not s2.min() >= MIN_RESIDUAL_VAR:
        return None
    a = 1.0 / np.sqrt(s2)
    b = c * a
    np.fill_diagonal(a, 0.0)
    np.fill_diagonal(b, 0.0)
    hr = np.empty((k, k))
    step = max(1, BLOCK // (k * t))  # rows of (step, k, T) at a time: bounded memory
    for lo in range(0, k, step):
        hi = min(k, lo + step)
        u = z[lo:hi, None, :] * a[lo:hi, :, None]
        u -= b[lo:hi, :, None] * z[None, :, :]
        hr[lo:hi] = entropy(u)
    hz = entropy(z)
    d = (hz[None, :] + hr) - (hz[:, None] + hr.T)
    np.fill_diagonal(d, 0.0)
    return d


def _certified_argmin(d: np.ndarray) -> tuple[int, bool]:
    """argmin_i Σ_j min(0, d_ij)² and whether it survives |δd| ≤ DELTA (module docstring)."""
    off = ~np.eye(d.shape[0], dtype=bool)

    def m(dd: np.ndarray) -> np.ndarray:
        return np.where(off, np.minimum(0.0, dd) ** 2, 0.0).sum(axis=1)

    best = int(np.argmin(m(d)))
    worst_best = m(d - DELTA)[best]
    best_others = np.delete(m(d + DELTA), best)
    return best, bool(best_others.size == 0 or worst_best < best_others.min())


def causal_order_fast(x: np.ndarray) -> tuple[list[int] | None, int]:
    """DirectLiNGAM's causal order of ``x`` ``(T, N)``, or ``None`` if a step is not certain.

    Returns ``(order, step)``; on failure ``step`` is the step that could not be certified.
    """
    xr = np.array(x.T, dtype=np.float64)  # (N, T): one contiguous row per variable
    n = xr.shape[0]
    remaining = np.arange(n)
    order: list[int] = []
    for step in range(n):
        if remaining.size == 1:
            m = int(remaining[0])
        else:
            d = pairwise_contrasts(xr[remaining])
            best, sure = (0, False) if d is None else _certified_argmin(d)
            if not sure:
                return None, step
            m = int(remaining[best])
        rest = remaining[remaining != m]
        regress_out(xr, rest, m)
        order.append(m)
        remaining = rest
    return order, n


def regress_out(xr: np.ndarray, rest: np.ndarray, m: int) -> None:
    """Rows ``rest`` of ``xr`` ``(N, T)`` replaced in place by their residuals on row ``m``.

    causal-learn's ``_residual`` (cov with ddof 1 over var with ddof 0), for all rows at once.
    """
    if rest.size:
        xm = xr[m] - xr[m].mean()
        xc = xr[rest] - xr[rest].mean(axis=1, keepdims=True)
        coef = (xc @ xm) / (xr.shape[1] - 1) / np.mean(xm * xm)
        xr[rest] -= coef[:, None] * xr[m][None, :]


def causal_order_reference(x: np.ndarray) -> list[int]:
    """The causal order by causal-learn's own methods, as its ``DirectLiNGAM.fit`` runs them."""
    from causallearn.search.FCMBased.lingam import DirectLiNGAM

    model = DirectLiNGAM()
    xr = np.copy(x)
    remaining = np.arange(x.shape[1])
    order = []
    for _ in range(x.shape[1]):
        m = model._search_causal_order(xr, remaining)
        for i in remaining:
            if i != m:
                xr[:, i] = model._residual(xr[:, i], xr[:, m])
        order.append(int(m))
        remaining = remaining[remaining != m]
    return order


def causal_order(x: np.ndarray, stats: FastStats) -> list[int]:
    """:func:`causal_order_fast`, or causal-learn's order where a step is too close to call."""
    order, _ = causal_order_fast(x)
    if order is None:
        stats.order_by_reference += 1
        return causal_order_reference(x)
    return order


# --------------------------------------------------------------------------- adaptive lasso


def adaptive_lasso_prefix(
    d: np.ndarray,
    sizes: Sequence[int],
    reference: Callable[[int], np.ndarray],
    stats: FastStats,
) -> list[np.ndarray]:
    """Adaptive lasso of column m of ``d`` on columns 0..m−1, for every m in ``sizes``.

    Returns the coefficients (length m each) as causal-learn's ``predict_adaptive_lasso``
    would (OLS weights, ``LassoLarsIC(criterion="bic")``, γ = 1). ``reference(k)`` computes
    problem k with scikit-learn on causal-learn's exact inputs; it is called for every
    regression that :mod:`bench.methods._lars` cannot certify.
    """
    n = d.shape[0]
    dc = d - d.mean(axis=0)
    r = np.linalg.qr(dc, mode="r")
    g = dc.T @ dc
    out: list[np.ndarray] = [np.empty(0)] * len(sizes)
    by_size = np.argsort(np.asarray(sizes), kind="stable")
    for chunk in np.array_split(by_size, max(1, -(-len(sizes) // CHUNK))):
        p = int(max(sizes[k] for k in chunk))
        gram = np.zeros((chunk.size, p, p))
        xy, w = np.zeros((chunk.size, p)), np.zeros((chunk.size, p))
        mask = np.zeros((chunk.size, p), dtype=bool)
        yy, sigma2 = np.zeros(chunk.size), np.zeros(chunk.size)
        for b, k in enumerate(chunk):
            m = int(sizes[k])
            w[b, :m] = np.abs(solve_triangular(r[:m, :m], r[:m, m]))
            gram[b, :m, :m] = w[b, :m, None] * g[:m, :m] * w[b, None, :m]
            xy[b, :m] = w[b, :m] * g[:m, m]
            yy[b], mask[b, :m] = g[m, m], True
            sigma2[b] = r[m, m] ** 2 / (n - m - 1)
        path = lars_lasso_path(gram, xy, n, mask)
        coef, unsure = select_bic(path, gram, xy, yy, sigma2, n)
        for b, k in enumerate(chunk):
            m = int(sizes[k])
            if unsure[b]:
                stats.lasso_by_reference += 1
                out[k] = np.asarray(reference(int(k)), dtype=np.float64)
            else:
                out[k] = coef[b, :m] * w[b, :m]
    stats.lasso_total += len(sizes)
    return out


# --------------------------------------------------------------------------- DirectLiNGAM


def direct_lingam_fast(x: np.ndarray, stats: FastStats) -> tuple[np.ndarray, list[int]]:
    """causal-learn ``DirectLiNGAM().fit(x)``: ``(adjacency_matrix_, causal_order_)``.

    ``adjacency_matrix_[i, j]`` is the effect of x_j on x_i (row = child), as causal-learn's.
    """
    n = x.shape[1]
    order = causal_order(x, stats)

    def reference(k: int) -> np.ndarray:  # causal-learn is imported only if it is needed
        from causallearn.search.FCMBased.lingam.utils import predict_adaptive_lasso

        return predict_adaptive_lasso(x, order[: k + 1], order[k + 1])

    coefs = adaptive_lasso_prefix(x[:, order], list(range(1, n)), reference, stats)
    b = np.zeros((n, n))
    for k, c in enumerate(coefs, start=1):
        b[order[k], order[:k]] = c
    return b, order


# --------------------------------------------------------------------------- VAR-LiNGAM


def var_ols(x: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """statsmodels ``VAR(x).fit(maxlags=lag, ic=None, trend="n")``, the same operations.

    The regressor matrix Z (row t: x_{t−1}, ..., x_{t−lag}) and ``np.linalg.lstsq(Z, y,
    rcond=1e-15)`` are statsmodels' own, so the coefficients ``coefs[τ − 1][i, j]`` (effect of
    x_j at t − τ on x_i) and the residuals are bit-identical to its (tested). Also returns the
    information criteria of ``VARResults.info_criteria`` (Lütkepohl 2005, §4.3).
    """
    t, n = x.shape
    z = np.concatenate([x[lag - k - 1 : t - k - 1] for k in range(lag)], axis=1)
    y = x[lag:]
    params = np.linalg.lstsq(z, y, rcond=1e-15)[0]
    resid = y - np.dot(z, params)
    coefs = params.reshape((lag, n, n)).swapaxes(1, 2).copy()
    nobs = t - lag
    df_model = n * lag
    df_resid = nobs - df_model
    sigma_u_mle = (np.dot(resid.T, resid) / df_resid) * df_resid / nobs
    ld = 2 * np.sum(np.log(np.linalg.cholesky(sigma_u_mle).diagonal()))
    free = lag * n**2
    ics = {
        "aic": ld + (2.0 / nobs) * free,
        "bic": ld + (np.log(nobs) / nobs) * free,
        "hqic": ld + (2.0 * np.log(np.log(nobs)) / nobs) * free,
        "fpe": ((nobs + df_model) / df_resid) ** n * np.exp(ld),
    }
    return coefs, resid, ics


def var_fit(
    x: np.ndarray, lags: int, criterion: str | None
) -> tuple[np.ndarray, int, np.ndarray, bool]:
    """causal-learn ``VARLiNGAM._estimate_var_coefs``: ``(M_taus, k_ar, residuals, sure)``.

    With a criterion, every order 1..lags is fitted on its own rows and the first strict
    minimum wins, as causal-learn does; ``sure`` is False when the two best criterion values
    are within 1e-9 (relative) of each other.
    """
    if criterion not in ("aic", "fpe", "hqic", "bic"):
        coefs, resid, _ = var_ols(x, lags)
        return coefs, lags, resid, True
    fits = [var_ols(x, lag) for lag in range(1, lags + 1)]
    values = np.array([f[2][criterion] for f in fits])
    best = int(np.argmin(values))
    two = np.sort(values)[:2]
    sure = bool(two.size < 2 or two[1] - two[0] > IC_TOL * max(1.0, abs(two[0])))
    return fits[best][0], best + 1, fits[best][1], sure


def _pruning_reference(x: np.ndarray, order: list[int], node: int, lags: int) -> np.ndarray:
    """One node of causal-learn's ``VARLiNGAM._pruning``, with its exact inputs and calls."""
    from sklearn.linear_model import LassoLarsIC, LinearRegression

    stacked = [np.flip(x, axis=0)]
    for _ in range(lags):
        stacked.append(np.roll(stacked[-1], -1, axis=0))
    blocks = np.array(list(zip(*stacked, strict=True)))[:-lags]
    k = order.index(node)
    exp = np.zeros((len(blocks), k + x.shape[1] * lags))
    exp[:, :k] = blocks[:, 0, order[:k]].reshape(len(blocks), -1)
    exp[:, k:] = blocks[:, 1:].reshape(len(blocks), -1)
    obj = blocks[:, 0, node]
    lr = LinearRegression()
    lr.fit(exp, obj)
    weight = np.power(np.abs(lr.coef_), 1.0)
    reg = LassoLarsIC(criterion="bic")
    reg.fit(exp * weight, obj)
    return reg.coef_ * weight


def var_pruning_fast(
    x: np.ndarray, b_taus: np.ndarray, order: list[int], lags: int, stats: FastStats
) -> np.ndarray:
    """causal-learn ``VARLiNGAM._pruning`` (``lags`` = the constructor's, as causal-learn uses).

    Node ``order[k]`` is regressed on its k predecessors at time t and on every node at lags
    1..lags (rows t = lags..T−1); the coefficients overwrite B_0[node, predecessors] and, for
    the first ``len(b_taus) − 1`` lags, B_τ[node, :].
    """
    t, n = x.shape
    lagged = [x[lags - tau : t - tau] for tau in range(1, lags + 1)]
    d = np.concatenate([*lagged, x[lags:, order]], axis=1)  # lags first, then causal order
    nl = n * lags
    coefs = adaptive_lasso_prefix(
        d,
        [nl + k for k in range(n)],
        lambda k: _reference_to_prefix(_pruning_reference(x, order, order[k], lags), k, nl),
        stats,
    )
    out = b_taus.copy()
    for k, c in enumerate(coefs):
        node = order[k]
        out[0][node, order[:k]] = c[nl:]
        for tau in range(len(out) - 1):
            out[tau + 1][node, :] = c[n * tau : n * (tau + 1)]
    return out


def _reference_to_prefix(coef: np.ndarray, k: int, nl: int) -> np.ndarray:
    """causal-learn's pruning coefficients [predecessors, lags] → this module's [lags, preds]."""
    return np.concatenate([coef[k : k + nl], coef[:k]])


def var_lingam_fast(
    x: np.ndarray, lags: int, criterion: str | None, prune: bool, stats: FastStats
) -> tuple[np.ndarray, list[int], int]:
    """causal-learn ``VARLiNGAM(lags, criterion, prune).fit(x)``.

    Returns ``(adjacency_matrices_, causal_order_, k_ar)``: B_0..B_{k_ar}, row = child.
    """
    m_taus, k_ar, resid, sure = var_fit(x, lags, criterion)
    if not sure:  # the VAR order is too close to call: causal-learn does the whole fit
        from causallearn.search.FCMBased.lingam import VARLiNGAM

        stats.order_by_reference += 1
        model = VARLiNGAM(lags=lags, criterion=criterion, prune=prune).fit(x)
        return np.asarray(model.adjacency_matrices_), list(model.causal_order_), model._lags
    n = x.shape[1]
    if prune:
        order = causal_order(resid, stats)
        b0 = np.zeros((n, n))  # every entry is overwritten by the pruning (module docstring)
    else:
        b0, order = direct_lingam_fast(resid, stats)
    b_taus = np.array([b0, *[np.dot(np.eye(n) - b0, m) for m in m_taus]])
    if prune:
        b_taus = var_pruning_fast(x, b_taus, order, lags, stats)
    return b_taus, order, int(k_ar)
