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

Lag order
---------
Chosen per pair by the information criterion ``ic`` (default ``"bic"``; ``None`` fixes p at the
cap) among 0..p_max with statsmodels' ``VAR.select_order``, an order of 0 raised to 1, and
p_max = min(``max_lag``, ⌊(T − 3) / 3⌋) (the cap of ``granger`` with N = 2 nodes). A series with
p_max < 1 (T < 6) raises :class:`~bench.types.DataError`.

Test
----
The Wald / F-test of the p lag coefficients of x_i in the equation of x_j, exactly statsmodels'
``VARResults.test_causality(caused=j, causing=i, kind="f")`` on the pair's VAR
(F(p, 2 · (T − p − 2p − 1)), statsmodels' system degrees of freedom; computed by
:func:`bench.methods.granger.granger_f_tests`). One fit per unordered pair gives both
directions.

Decision and score
------------------
``A[i, j] = p_{i→j} < alpha`` after the optional ``correction`` over the N(N − 1) ordered pairs
(``"none"`` by default, ``"bonferroni"``, ``"fdr_bh"``). The score is ``−log10 p_{i→j}`` of the
uncorrected p-value, clipped to [0, 300] (as ``granger``). Both are in the bench orientation
(row = cause, column = effect); the reversal canary in tests/methods/test_granger_pairwise.py
checks it.

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


def pairwise_granger(
    x: np.ndarray, max_lag: int, ic: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bivariate Granger tests of every ordered pair of the columns of ``x`` ``(T, N)``.

    Returns ``(scores, pvals, orders)``: ``scores[i, j]`` = −log10 p of "i Granger-causes j"
    (clipped), ``pvals[i, j]`` its p-value (1 on the diagonal) and ``orders[i, j]`` the lag
    order of the pair's VAR (symmetric).
    """
    from statsmodels.tsa.api import VAR

    t, n = x.shape
    p_max = min(int(max_lag), max_estimable_lag(t, 2))
    scores, pvals = np.zeros((n, n)), np.ones((n, n))
    orders = np.zeros((n, n), dtype=int)
    for i in range(n):
        for j in range(i + 1, n):
            model = VAR(x[:, [i, j]])
            if ic is None:
                order = p_max
            else:
                sel = model.select_order(maxlags=p_max, trend="c")
                order = max(1, int(getattr(sel, ic)))
            f, p, df = granger_f_tests(model.fit(order, trend="c"))
            s = neg_log10_p(f, df)
            scores[i, j], scores[j, i] = s[0, 1], s[1, 0]
            pvals[i, j], pvals[j, i] = p[0, 1], p[1, 0]
            orders[i, j] = orders[j, i] = order
    return scores, pvals, orders


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
        ``"fpe"``), or ``None`` to use the capped ``max_lag``.
    correction : ``"none"``, ``"bonferroni"`` or ``"fdr_bh"`` over the N(N − 1) ordered pairs.
    """

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        max_lag: int = 3,
        ic: str | None = "bic",
        correction: str = "none",
    ) -> None:
        self.alpha = alpha
        self.max_lag = max_lag
        self.ic = ic
        self.correction = correction

    def check_params(self) -> None:
        check_granger_params("granger-pairwise", self.alpha, self.max_lag, self.ic, self.correction)

    def fit(self, X: Any, context: FitContext | None = None) -> GrangerPairwise:
        self.check_params()
        name = series_name(context, "granger-pairwise")
        x = check_series(X, name=name)
        t = x.shape[0]
        if max_estimable_lag(t, 2) < 1:
            raise DataError(
                f"{name}: {t} time points are too few for a bivariate VAR (needs at least 6)"
            )
        try:
            scores, pvals, orders = pairwise_granger(x, int(self.max_lag), self.ic)
        except np.linalg.LinAlgError:
            raise DataError(
                f"{name}: a pair's VAR regressors are singular (collinear nodes); "
                "pairwise Granger cannot run"
            ) from None
        padj = adjust_pvalues(pvals, self.correction)
        self.adjacency_ = zero_diagonal(padj < self.alpha)
        self.scores_ = zero_diagonal(scores)
        iu = np.triu_indices(x.shape[1], 1)
        self.extra_ = {
            "lag_orders": {str(k): v for k, v in sorted(Counter(orders[iu].tolist()).items())},
            "correction": self.correction,
            "n_tests": int(x.shape[1] * (x.shape[1] - 1)),
        }
        return self
