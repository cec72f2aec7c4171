"""Bivariate (pairwise) Granger causality per ordered pair (statsmodels): beside the conditional
``granger``.

Model
-----
For every unordered pair {i, j} a separate VAR(p) with a constant is fitted by OLS on the two
series alone (statsmodels ``VAR``):

    [x_i, x_j]_t = c + Σ_{l=1..p} Φ_l [x_i, x_j]_{t−l} + u_t,

and node i Granger-causes node j *bivariately* when the lags of x_i do not all have zero
coefficients in the equation of x_j. No other node is conditioned on, so an indirect path
(i → k → j) or a common driver (k → i, k → j with different delays) also gives "i → j": this is
the classic pairwise test that the conditional ``granger`` improves on.

Lag rule
--------
``lag_rule="ic"`` (default): the order is chosen per pair by the information criterion ``ic``
(default ``"bic"``; ``None`` fixes p at the cap) among 0..p_max with statsmodels'
``VAR.select_order``, an order of 0 raised to 1, and p_max = min(``max_lag``, ⌊(T − 3) / 3⌋)
(the cap of ``granger`` with N = 2 nodes). The test is the Wald / F-test of the p lag
coefficients of x_i in the equation of x_j, exactly statsmodels'
``VARResults.test_causality(caused=j, causing=i, kind="f")`` on the pair's VAR
(F(p, 2 · (T − p − 2p − 1)), statsmodels' system degrees of freedom; computed by
:func:`bench.methods.granger.granger_f_tests`). One fit per unordered pair gives both
directions.

``lag_rule="min-p"``: for every ordered pair and every l = 1..p_max the ``ssr_ftest`` of
statsmodels' ``grangercausalitytests(x[:, [j, i]], maxlag=p_max)`` (each lag order fitted on its
own T − l rows; F(l, T − 3l − 1), the single-equation degrees of freedom), and the pair's
p-value is the smallest over l (``ic`` is not used). This is the rule of the widely copied
``grangers_causation_matrix`` recipe (S. Prabhakaran (2019), "Vector Autoregression (VAR) –
Comprehensive Guide with Examples in Python", machinelearningplus.com, which takes
``np.min`` of the ``grangercausalitytests`` p-values over lags 1..maxlag). It is a common
practice, not a calibrated test: the minimum of p_max p-values is not corrected for the choice
of l, so under the null it falls below alpha more often than alpha.

The cap p_max < 1 (T < 6) raises :class:`~bench.types.DataError`.

Decision and score
------------------
``A[i, j] = p_{i→j} < alpha`` after the optional ``correction`` over the N(N − 1) ordered pairs
(``"none"`` by default, ``"bonferroni"``, ``"fdr_bh"``). The score is ``−log10 p_{i→j}`` of the
uncorrected p-value (with ``"min-p"``: of the smallest p-value over the lags, i.e. the largest
per-lag score), clipped to [0, 300] (as ``granger``). Both are in the bench orientation (row =
cause, column = effect); the reversal canaries in tests/methods/test_granger_pairwise.py check
them.

Implementations
---------------
``impl="reference"`` runs statsmodels per pair (``VAR.select_order``, ``VAR.fit`` and
:func:`~bench.methods.granger.granger_f_tests`; ``grangercausalitytests`` for ``"min-p"``).
``impl="fast"`` (default) computes every pair's order selection and F-tests at once from one
centred cross-product matrix per set of rows (:mod:`bench.methods._granger_batch`); it equals
the reference to rounding (p-values ≈ 1e-10 relative, tests/methods/test_granger_pairwise.py).
Where a discrete choice is within rounding of a tie (two criterion values closer than 1e-9, an
adjusted p-value within 1e-7 · alpha of alpha, an ill-conditioned block) the affected pairs are
recomputed by the reference (with ``"fdr_bh"``, where every decision depends on every p-value,
the whole subject is), so the decisions are the reference's.

References
----------
C. W. J. Granger (1969), Investigating causal relations by econometric models and cross-spectral
methods, Econometrica 37(3). H. Lütkepohl (2005), New Introduction to Multiple Time Series
Analysis, Springer. S. Seabold, J. Perktold (2010), statsmodels, Proc. 9th Python in Science Conf.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._granger_batch import bivariate_f, ordered_pairs, select_orders
from bench.methods._graph import series_name, zero_diagonal
from bench.methods.base import Estimator, check_series
from bench.methods.granger import (
    adjust_pvalues,
    check_granger_params,
    granger_f_tests,
    max_estimable_lag,
    neg_log10_p,
)
from bench.registry import register_method
from bench.types import DataError, FitContext

LAG_RULES = ("ic", "min-p")
IMPLS = ("fast", "reference")
DECISION_TOL = 1e-7  # adjusted p-values within this fraction of alpha are left to the reference

Tests = tuple[np.ndarray, np.ndarray, np.ndarray]  # (scores, pvals, lags), each (N, N)


def _f_pvalues(f: np.ndarray, df1: Any, df2: Any) -> tuple[np.ndarray, np.ndarray]:
    """(−log10 p clipped, p) of F statistics with (broadcastable) degrees of freedom."""
    from scipy import stats

    p = stats.f.sf(f, df1, df2)
    np.fill_diagonal(p, 1.0)
    return neg_log10_p(f, (df1, df2)), p


# --------------------------------------------------------------------------- lag_rule="ic"


def _ic_pair_reference(x: np.ndarray, i: int, j: int, p_max: int, ic: str | None) -> Tests:
    """statsmodels on the pair (i, j), i < j: (scores, pvals, order) as 2 × 2 blocks."""
    from statsmodels.tsa.api import VAR

    model = VAR(x[:, [i, j]])
    if ic is None:
        order = p_max
    else:
        order = max(1, int(getattr(model.select_order(maxlags=p_max, trend="c"), ic)))
    f, p, df = granger_f_tests(model.fit(order, trend="c"))
    return neg_log10_p(f, df), p, np.full((2, 2), order)


def _set_pair(out: Tests, block: Tests, i: int, j: int) -> None:
    for arr, b in zip(out, block, strict=True):
        arr[i, j], arr[j, i] = b[0, 1], b[1, 0]


def _empty(n: int) -> Tests:
    return np.zeros((n, n)), np.ones((n, n)), np.zeros((n, n), dtype=int)


def pairwise_granger_reference(x: np.ndarray, p_max: int, ic: str | None) -> Tests:
    """Bivariate VAR Granger tests of every ordered pair of the columns of ``x``, by statsmodels.

    Returns ``(scores, pvals, orders)``: ``scores[i, j]`` = −log10 p of "i Granger-causes j"
    (clipped), ``pvals[i, j]`` its p-value (1 on the diagonal) and ``orders[i, j]`` the lag
    order of the pair's VAR (symmetric).
    """
    n = x.shape[1]
    out = _empty(n)
    for i in range(n):
        for j in range(i + 1, n):
            _set_pair(out, _ic_pair_reference(x, i, j, p_max, ic), i, j)
    return out


def pairwise_granger_fast(x: np.ndarray, p_max: int, ic: str | None) -> tuple[Tests, np.ndarray]:
    """:func:`pairwise_granger_reference` batched over all pairs (module docstring).

    Returns ``((scores, pvals, orders), unsure)``; ``unsure[i, j]`` (symmetric) marks the pairs
    whose order choice or F-test is too close to call in floating point.
    """
    n = x.shape[1]
    if ic is None:
        orders, unsure = np.full((n, n), p_max), np.zeros((n, n), dtype=bool)
    else:
        orders, unsure = select_orders(x, p_max, ic)
        orders = np.maximum(orders, 1)
    f = np.zeros((n, n))
    df2 = np.ones((n, n))
    for lag in np.unique(orders[~np.eye(n, dtype=bool)]):
        f_l, bad, df = bivariate_f(x, int(lag))
        sel = orders == lag
        f[sel], df2[sel] = f_l[sel], 2 * df
        unsure |= sel & (bad | bad.T)
    np.fill_diagonal(orders, 0)
    scores, pvals = _f_pvalues(zero_diagonal(f), np.maximum(orders, 1), df2)
    return (scores, pvals, orders), unsure


# --------------------------------------------------------------------------- lag_rule="min-p"


def _min_p_pair_reference(x: np.ndarray, i: int, j: int, p_max: int) -> tuple[float, float, int]:
    """statsmodels' ``grangercausalitytests`` for i → j: (score, min p, argmin lag)."""
    from statsmodels.tsa.stattools import grangercausalitytests

    res = grangercausalitytests(x[:, [j, i]], maxlag=p_max)
    tests = [res[lag][0]["ssr_ftest"] for lag in range(1, p_max + 1)]  # (F, p, df_resid, lag)
    pvals = [t[1] for t in tests]
    best = int(np.argmin(pvals))
    scores = [neg_log10_p(np.array([[0.0, t[0]], [0.0, 0.0]]), (t[3], t[2]))[0, 1] for t in tests]
    return float(max(scores)), float(pvals[best]), best + 1


def min_p_granger_reference(x: np.ndarray, p_max: int) -> Tests:
    """The ``"min-p"`` rule by statsmodels per ordered pair: ``(scores, pvals, lags)``.

    ``pvals[i, j]`` is the smallest ``ssr_ftest`` p-value over lags 1..p_max, ``lags[i, j]`` the
    lag that attains it, ``scores[i, j]`` its −log10 (clipped).
    """
    n = x.shape[1]
    out = _empty(n)
    for i, j in zip(*ordered_pairs(n), strict=True):
        for arr, v in zip(out, _min_p_pair_reference(x, int(i), int(j), p_max), strict=True):
            arr[i, j] = v
    return out


def min_p_granger_fast(x: np.ndarray, p_max: int) -> tuple[Tests, np.ndarray]:
    """:func:`min_p_granger_reference` batched over all pairs; also the ``unsure`` mask."""
    n = x.shape[1]
    scores = np.zeros((p_max, n, n))
    pvals = np.ones((p_max, n, n))
    unsure = np.zeros((n, n), dtype=bool)
    for lag in range(1, p_max + 1):
        f, bad, df = bivariate_f(x, lag)
        scores[lag - 1], pvals[lag - 1] = _f_pvalues(f, lag, df)
        unsure |= bad
    best = np.argmin(pvals, axis=0)
    p_min = np.take_along_axis(pvals, best[None], axis=0)[0]
    lags = zero_diagonal(best + 1)
    return (scores.max(axis=0), p_min, lags), unsure


# --------------------------------------------------------------------------- adapter


def _reference_fill(
    x: np.ndarray, tests: Tests, redo: np.ndarray, p_max: int, ic: str | None, lag_rule: str
) -> None:
    """Recompute the pairs marked in ``redo`` with the reference, in place."""
    if lag_rule == "ic":
        lo, hi = np.nonzero(np.triu(redo | redo.T, 1))
        for i, j in zip(lo.tolist(), hi.tolist(), strict=True):
            _set_pair(tests, _ic_pair_reference(x, i, j, p_max, ic), i, j)
    else:
        for i, j in zip(*np.nonzero(zero_diagonal(redo)), strict=True):
            for arr, v in zip(tests, _min_p_pair_reference(x, int(i), int(j), p_max), strict=True):
                arr[i, j] = v


def pairwise_tests(
    x: np.ndarray,
    p_max: int,
    ic: str | None,
    *,
    lag_rule: str = "ic",
    impl: str = "fast",
    alpha: float = 0.05,
    correction: str = "none",
) -> tuple[Tests, int]:
    """Every pair's tests by ``lag_rule`` and ``impl``: ``((scores, pvals, lags), redone)``.

    With ``impl="fast"``, pairs that the batched kernel cannot certify (an order choice within
    rounding of a tie, an ill-conditioned block, or a ``correction``-adjusted p-value within
    ``DECISION_TOL · alpha`` of ``alpha``) are recomputed by the reference; ``redone`` counts
    them (ordered pairs), so the decision ``adjusted p < alpha`` is the reference's.
    """
    n = x.shape[1]
    if impl == "reference":
        if lag_rule == "ic":
            return pairwise_granger_reference(x, p_max, ic), n * (n - 1)
        return min_p_granger_reference(x, p_max), n * (n - 1)
    if lag_rule == "ic":
        tests, unsure = pairwise_granger_fast(x, p_max, ic)
    else:
        tests, unsure = min_p_granger_fast(x, p_max)
    padj = adjust_pvalues(tests[1], correction)
    near = np.abs(padj - alpha) <= DECISION_TOL * alpha
    redo = zero_diagonal(unsure | near)
    if lag_rule == "ic":
        redo |= redo.T
    if correction == "fdr_bh" and redo.any():  # every BH decision depends on every p-value
        redo = ~np.eye(n, dtype=bool)
    _reference_fill(x, tests, redo, p_max, ic, lag_rule)
    return tests, int(redo.sum())


@register_method(
    "granger-pairwise",
    level="subject",
    deterministic=True,
    requires=("statsmodels",),
    citation=(
        "Granger (1969), Econometrica 37(3); Lütkepohl (2005), New Introduction to Multiple Time "
        "Series Analysis, Springer; implementation: statsmodels VAR (Seabold & Perktold 2010)"
    ),
    description=(
        "bivariate Granger causality: one VAR(p) per pair of nodes (no other node conditioned "
        "on), p by BIC up to max_lag, F-test per ordered pair; decision p < alpha (no correction)"
    ),
    scores="-log10 p of the bivariate Granger F-test (clipped at 300)",
    lagged=False,
    canary=Canary("chain-lagged"),
)
class GrangerPairwise(Estimator):
    """Bivariate Granger causality per pair; see the module docstring for the maths.

    Parameters
    ----------
    alpha : level of each test (after ``correction``).
    max_lag : largest VAR order considered per pair.
    ic : information criterion for each pair's order (``"bic"``, ``"aic"``, ``"hqic"``,
        ``"fpe"``), or ``None`` to use the capped ``max_lag``; used by ``lag_rule="ic"`` only.
    correction : ``"none"``, ``"bonferroni"`` or ``"fdr_bh"`` over the N(N − 1) ordered pairs.
    lag_rule : ``"ic"`` (one order per pair by ``ic``) or ``"min-p"`` (smallest
        ``grangercausalitytests`` ssr F-test p-value over lags 1..max_lag).
    impl : ``"fast"`` (batched kernel, default) or ``"reference"`` (statsmodels per pair).
    """

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        max_lag: int = 3,
        ic: str | None = "bic",
        correction: str = "none",
        lag_rule: str = "ic",
        impl: str = "fast",
    ) -> None:
        self.alpha = alpha
        self.max_lag = max_lag
        self.ic = ic
        self.correction = correction
        self.lag_rule = lag_rule
        self.impl = impl

    def check_params(self) -> None:
        check_granger_params("granger-pairwise", self.alpha, self.max_lag, self.ic, self.correction)
        if self.lag_rule not in LAG_RULES:
            raise ValueError(
                f"granger-pairwise: lag_rule must be one of {LAG_RULES}, got {self.lag_rule!r}"
            )
        if self.impl not in IMPLS:
            raise ValueError(f"granger-pairwise: impl must be one of {IMPLS}, got {self.impl!r}")

    def fit(self, X: Any, context: FitContext | None = None) -> GrangerPairwise:
        self.check_params()
        name = series_name(context, "granger-pairwise")
        x = check_series(X, name=name)
        t, n = x.shape
        p_max = min(int(self.max_lag), max_estimable_lag(t, 2))
        if p_max < 1:
            raise DataError(
                f"{name}: {t} time points are too few for a bivariate VAR (needs at least 6)"
            )
        try:
            (scores, pvals, lags), redone = pairwise_tests(
                x,
                p_max,
                self.ic,
                lag_rule=self.lag_rule,
                impl=self.impl,
                alpha=float(self.alpha),
                correction=self.correction,
            )
        except np.linalg.LinAlgError:
            raise DataError(
                f"{name}: a pair's VAR regressors are singular (collinear nodes); "
                "pairwise Granger cannot run"
            ) from None
        padj = adjust_pvalues(pvals, self.correction)
        self.adjacency_ = zero_diagonal(padj < self.alpha)
        self.scores_ = zero_diagonal(scores)
        if self.lag_rule == "ic":
            counted = lags[np.triu_indices(n, 1)]  # one order per unordered pair
        else:
            counted = lags[~np.eye(n, dtype=bool)]  # the lag of the smallest p, per ordered pair
        self.extra_ = {
            ("lag_orders" if self.lag_rule == "ic" else "min_p_lags"): {
                str(k): v for k, v in sorted(Counter(counted.tolist()).items())
            },
            "correction": self.correction,
            "n_tests": int(n * (n - 1)),
            "lag_rule": self.lag_rule,
            "impl": self.impl,
            "pairs_by_reference": redone,
        }
        return self
