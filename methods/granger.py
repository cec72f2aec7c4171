"""Conditional multivariate Granger causality from a VAR (statsmodels): a lag-based baseline.

Model
-----
One VAR(p) with a constant over all N nodes, fitted by OLS (statsmodels ``VAR``):

    x_t = c + Σ_{l=1..p} Φ_l x_{t−l} + u_t,    u_t ~ (0, Σ_u),

``Φ_l[j, i]`` being the effect of node i at lag l on node j. Node i Granger-causes node j
*conditionally on all other nodes* when Φ_1[j, i] = ... = Φ_p[j, i] = 0 is rejected.

Lag order
---------
p is chosen by an information criterion (``ic``, default ``"bic"``; ``"aic"``, ``"hqic"`` and
``"fpe"`` also work; ``None`` fixes p at the cap) among 0..p_max by statsmodels'
``VAR.select_order`` (all orders fitted on the same T − p_max rows); an order of 0 is raised to 1
so that a test exists. The cap is

    p_max = min(max_lag, ⌊(T − N − 1) / (N + 1)⌋),

the largest order statsmodels can select with (T − p ≥ N·p + N + 1, i.e. at least N residual
degrees of freedom per equation so that Σ_u is invertible; this implies the bare estimability
condition T − p > N·p + 1). A series with p_max < 1 (T < 2N + 2) raises ``DataError``.

Test (Lütkepohl 2005, §3.6.1; statsmodels ``VARResults.test_causality(caused=j, causing=i,
kind="f")``)
------------------------------------------------------------------------------------------------
With b = (Φ_1[j, i], ..., Φ_p[j, i]) and M_i the p × p block of (Z'Z)⁻¹ for the lags of node i
(Z the (T − p) × (1 + N·p) regressor matrix), the Wald statistic and its F form are

    W_{i→j} = b' (σ_jj · M_i)⁻¹ b,    F_{i→j} = W_{i→j} / p ~ F(p, N · (T − p − N·p − 1)),

σ_jj the unbiased residual variance of equation j. The restriction matrix of the joint test
selects coefficients of equation j only, so its block of Cov(vec B) = (Z'Z)⁻¹ ⊗ Σ_u is
σ_jj · M_i; :func:`granger_f_tests` computes all N(N − 1) tests from one fit with N inversions of
a p × p matrix (statsmodels forms the full (N(Np + 1))² covariance per pair). The second degrees
of freedom, N times the per-equation residual df, is statsmodels' system convention; the tests
match ``test_causality`` to rounding (tests/methods/test_granger.py).

Decision and score
------------------
``A[i, j] = p_{i→j} < alpha`` after the optional multiple-testing ``correction`` over the
N(N − 1) ordered pairs: ``"none"`` (default: each pair at level alpha, as the classical baseline is
usually run), ``"bonferroni"`` (p · N(N − 1)) or ``"fdr_bh"`` (Benjamini–Hochberg adjusted
p-values). The score is ``−log10 p`` of the uncorrected p-value (computed from the log survival
function, so it does not underflow), clipped to [0, 300]. 1 − p would tie every strong edge at 1;
−log10 p keeps the order (both corrections are monotone in p, so the ranking is the same with
any correction). The F-test is joint over lags 1..p, so there are no per-lag scores.

References
----------
C. W. J. Granger (1969), Investigating causal relations by econometric models and cross-spectral
methods, Econometrica 37(3). H. Lütkepohl (2005), New Introduction to Multiple Time Series
Analysis, Springer. S. Seabold, J. Perktold (2010), statsmodels, Proc. 9th Python in Science Conf.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name, zero_diagonal
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import DataError, FitContext

SCORE_CLIP = 300.0
ICS = ("aic", "bic", "hqic", "fpe")
CORRECTIONS = ("none", "bonferroni", "fdr_bh")


def check_granger_params(name: str, alpha: Any, max_lag: Any, ic: Any, correction: Any) -> None:
    """One-line ``ValueError`` for an invalid parameter of a Granger adapter named ``name``."""
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"{name}: alpha must lie in (0, 1), got {alpha!r}")
    if not isinstance(max_lag, int) or isinstance(max_lag, bool) or max_lag < 1:
        raise ValueError(f"{name}: max_lag must be an integer >= 1, got {max_lag!r}")
    if ic is not None and ic not in ICS:
        raise ValueError(f"{name}: ic must be one of {ICS} or None, got {ic!r}")
    if correction not in CORRECTIONS:
        raise ValueError(f"{name}: correction must be one of {CORRECTIONS}, got {correction!r}")


def max_estimable_lag(t: int, n: int) -> int:
    """The largest VAR order statsmodels can select with on T points and N nodes (module doc)."""
    return (t - n - 1) // (n + 1)


def granger_f_tests(results: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """All pairwise conditional Granger F-tests of a fitted statsmodels VAR (constant trend).

    Returns ``(F, p, (df1, df2))`` with ``F[i, j]`` and ``p[i, j]`` for "i Granger-causes j"
    (bench orientation; zero F and unit p on the diagonal), equal to
    ``results.test_causality(caused=j, causing=i, kind="f")``.
    """
    from scipy import stats

    k, p = int(results.neqs), int(results.k_ar)
    n_det = int(results.k_exog)  # deterministic terms before the lags (1 for a constant)
    params = np.asarray(results.params)  # (n_det + k·p, k): row n_det + k·l + i, column j
    z = np.asarray(results.endog_lagged)
    zz_inv = np.linalg.inv(z.T @ z)  # as statsmodels' cov_params
    sigma = np.diag(np.asarray(results.sigma_u))  # unbiased residual variances σ_jj
    wald = np.zeros((k, k))
    for i in range(k):
        rows = n_det + k * np.arange(p) + i
        b = params[rows, :]  # (p, k): lags of node i in every equation j
        m_inv = np.linalg.inv(zz_inv[np.ix_(rows, rows)])
        wald[i] = np.einsum("lj,lm,mj->j", b, m_inv, b) / sigma
    df1, df2 = p, k * int(results.df_resid)
    f = zero_diagonal(wald / df1)
    pvals = stats.f.sf(f, df1, df2)
    np.fill_diagonal(pvals, 1.0)
    return f, pvals, (df1, df2)


def neg_log10_p(f: np.ndarray, df: tuple[int, int]) -> np.ndarray:
    """``−log10`` of the F-test p-values, from the log survival function, clipped to [0, 300]."""
    from scipy import stats

    s = -stats.f.logsf(f, *df) / np.log(10.0)
    return zero_diagonal(np.clip(np.nan_to_num(s, nan=0.0, posinf=SCORE_CLIP), 0.0, SCORE_CLIP))


def adjust_pvalues(pvals: np.ndarray, correction: str) -> np.ndarray:
    """Off-diagonal p-values adjusted by ``correction`` (``none``, ``bonferroni``, ``fdr_bh``)."""
    if correction == "none":
        return pvals.copy()
    from statsmodels.stats.multitest import multipletests

    off = ~np.eye(pvals.shape[0], dtype=bool)
    out = np.ones_like(pvals)
    out[off] = multipletests(pvals[off], method=correction)[1]
    return out


@register_method(
    "granger",
    level="subject",
    deterministic=True,
    requires=("statsmodels",),
    citation=(
        "Granger (1969), Econometrica 37(3); Lütkepohl (2005), New Introduction to Multiple Time "
        "Series Analysis, Springer; implementation: statsmodels VAR (Seabold & Perktold 2010)"
    ),
    description=(
        "conditional multivariate Granger causality: one VAR(p), p by BIC up to max_lag, "
        "F-test of each ordered pair given all other nodes; decision p < alpha (no correction)"
    ),
    scores="-log10 p of the Granger F-test (clipped at 300)",
    lagged=False,
    canary=Canary("chain-mixed"),
)
class Granger(Estimator):
    """Conditional Granger causality from one VAR; see the module docstring for the maths.

    Parameters
    ----------
    alpha : level of each pairwise test (after ``correction``).
    max_lag : largest VAR order considered (capped by the series length, see module docstring).
    ic : information criterion for the order (``"bic"``, ``"aic"``, ``"hqic"``, ``"fpe"``), or
        ``None`` to use the capped ``max_lag``.
    correction : ``"none"``, ``"bonferroni"`` or ``"fdr_bh"`` over the N(N − 1) pairs.
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
        check_granger_params("granger", self.alpha, self.max_lag, self.ic, self.correction)

    def fit(self, X: Any, context: FitContext | None = None) -> Granger:
        self.check_params()
        name = series_name(context, "granger")
        x = check_series(X, name=name)
        t, n = x.shape
        p_max = min(int(self.max_lag), max_estimable_lag(t, n))
        if p_max < 1:
            raise DataError(
                f"{name}: {t} time points are too few for a VAR on {n} nodes "
                f"(Granger needs at least 2N + 2 = {2 * n + 2})"
            )
        from statsmodels.tsa.api import VAR

        model = VAR(x)
        try:
            ic_order = None
            if self.ic is None:
                order = p_max
            else:
                ic_order = int(getattr(model.select_order(maxlags=p_max, trend="c"), self.ic))
                order = max(1, ic_order)
            results = model.fit(order, trend="c")
            f, pvals, df = granger_f_tests(results)
        except np.linalg.LinAlgError:
            raise DataError(
                f"{name}: the VAR regressors are singular (collinear nodes); Granger cannot run"
            ) from None
        padj = adjust_pvalues(pvals, self.correction)
        self.adjacency_ = zero_diagonal(padj < self.alpha)
        self.scores_ = neg_log10_p(f, df)
        self.extra_ = {
            "lag_order": order,
            "ic_order": ic_order,
            "max_lag_used": p_max,
            "df": list(df),
            "correction": self.correction,
            "n_tests": n * (n - 1),
        }
        return self
