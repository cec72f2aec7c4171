"""The LiNGAM family (causal-learn): DirectLiNGAM and VAR-LiNGAM.

DirectLiNGAM (Shimizu et al. 2011)
----------------------------------
The T rows of a ``(T, N)`` series are treated as i.i.d. samples of a linear acyclic SEM with
independent **non-Gaussian** disturbances,

    x = B x + e,    B strictly lower triangular after a permutation (the causal order),

``B[i, j]`` being the direct effect of x_j on x_i. The causal order is found one exogenous
variable at a time: the candidate whose residuals are most independent of the others by the
pairwise likelihood-ratio measure of Hyvärinen & Smith (2013) (``measure="pwling"``, an
entropy-approximation contrast); then each node is regressed on its predecessors in the order by
adaptive lasso (an OLS fit gives weights |β̂|, then ``LassoLarsIC(criterion="bic")`` on the
reweighted predictors), which sets absent edges to exactly 0. Gaussian disturbances make the
order unidentifiable; the method then still returns a DAG, whose directions are arbitrary.

VAR-LiNGAM (Hyvärinen, Zhang, Shimizu & Hoyer 2010)
---------------------------------------------------
A structural VAR with non-Gaussian innovations,

    x_t = B_0 x_t + Σ_{τ=1..p} B_τ x_{t−τ} + e_t.

An OLS VAR(p) without a constant (statsmodels, ``trend="n"``; the series are centred first)
gives M_τ and residuals n_t; DirectLiNGAM on n_t gives B_0; then B_τ = (I − B_0) M_τ. With
``prune=True`` (default) every node is regressed by adaptive lasso on its contemporaneous
predecessors and all lagged values, which zeroes absent edges in every B_τ (without pruning
the lagged B_τ are dense OLS products and the decision would be the complete graph). ``lags`` is
the largest order; with ``ic`` set, causal-learn picks the order among 1..lags by that criterion
(each candidate fitted on its own T − p rows, as causal-learn does).

Encoding conversion (CHECKED in the installed causal-learn source and by the canaries in
tests/methods/test_lingam.py)
-------------------------------------------------------------------------------------------
``_BaseLiNGAM._estimate_adjacency_matrix`` writes ``B[target, predictors] = coef``: in
``adjacency_matrix_[i, j]`` **the row is the child** (effect of j on i), the transpose of the
bench orientation. VAR-LiNGAM's ``adjacency_matrices_[τ][i, j]`` is the effect of x_j at t − τ
on x_i at t (row = child, τ = 0 contemporaneous, built from statsmodels ``coefs[τ − 1]``, also
row = equation = child). Hence

    bench  lag_B[τ][i, j] = adjacency_matrices_[τ][j, i],    A = |adjacency_matrix_|ᵀ.

Standardisation, decision and scores
------------------------------------
Each node is z-scored before fitting, so the coefficients are standardised effects and
comparable across pairs (the causal order and the lasso selection do not depend on the scale;
the coefficient magnitudes do). Then

* ``direct-lingam``: ``adjacency_[i, j] = B[j, i] ≠ 0``, ``scores_[i, j] = |B[j, i]|``;
* ``var-lingam``: ``lag_scores_[τ, i, j] = |B_τ[j, i]|`` for τ = 0..p, ``scores_`` the max over
  τ, ``adjacency_`` the OR over τ of ``B_τ[j, i] ≠ 0``, self-links (τ ≥ 1) excluded.

Both need more time points than regressors and a non-singular covariance; otherwise
:class:`~bench.types.DataError` is raised.

References
----------
S. Shimizu, T. Inazumi, Y. Sogawa, A. Hyvärinen, Y. Kawahara, T. Washio, P. O. Hoyer, K. Bollen
(2011), DirectLiNGAM, JMLR 12, 1225–1248. A. Hyvärinen, S. M. Smith (2013), Pairwise likelihood
ratios for estimation of non-Gaussian structural equation models, JMLR 14, 111–152.
A. Hyvärinen, K. Zhang, S. Shimizu, P. O. Hoyer (2010), Estimation of a structural vector
autoregression model using non-Gaussianity, JMLR 11, 1709–1731. Implementation: Y. Zheng et al.
(2024), causal-learn, JMLR 25(60).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import (
    check_full_rank,
    series_name,
    standardize,
    summarize_lags,
    zero_diagonal,
)
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import DataError, FitContext

ICS = ("aic", "bic", "hqic", "fpe")
_CAUSALLEARN = "implementation: Zheng et al. (2024), causal-learn, JMLR 25(60)"


def lingam_to_bench(b: np.ndarray) -> np.ndarray:
    """causal-learn LiNGAM coefficients (row = child) → bench orientation (row = source).

    Works on one ``(N, N)`` matrix or a stack ``(L, N, N)``: transposes the last two axes.
    """
    return np.swapaxes(np.asarray(b, dtype=np.float64), -1, -2).copy()


@register_method(
    "direct-lingam",
    level="subject",
    deterministic=True,
    requires=("causallearn", "sklearn"),
    citation=(
        "Shimizu, Inazumi, Sogawa, Hyvärinen, Kawahara, Washio, Hoyer & Bollen (2011), "
        "DirectLiNGAM, JMLR 12; Hyvärinen & Smith (2013), JMLR 14; " + _CAUSALLEARN
    ),
    description=(
        "DirectLiNGAM (causal-learn, pwling measure, adaptive-lasso pruning) on z-scored time "
        "points as i.i.d. samples; decision = non-zero standardised coefficient"
    ),
    scores="|standardised DirectLiNGAM coefficient|",
    canary=Canary("chain-nongaussian", n=500, exact=True),
)
class DirectLiNGAM(Estimator):
    """DirectLiNGAM; see the module docstring for the maths and the encoding.

    Parameters
    ----------
    measure : causal-learn's independence measure for the causal order, ``"pwling"`` (default)
        or ``"kernel"`` (much slower).
    """

    def __init__(self, *, measure: str = "pwling") -> None:
        self.measure = measure

    def check_params(self) -> None:
        if self.measure not in ("pwling", "kernel"):
            raise ValueError(
                f"direct-lingam: measure must be 'pwling' or 'kernel', got {self.measure!r}"
            )

    def fit(self, X: Any, context: FitContext | None = None) -> DirectLiNGAM:
        self.check_params()
        name = series_name(context, "direct-lingam")
        x = check_series(X, name=name)
        t, n = x.shape
        if t < n + 2:
            raise DataError(
                f"{name}: {t} time points are too few for DirectLiNGAM's regressions on {n} "
                f"nodes (needs at least N + 2 = {n + 2})"
            )
        check_full_rank(x, name, "direct-lingam")
        from causallearn.search.FCMBased.lingam import DirectLiNGAM as _DirectLiNGAM

        model = _DirectLiNGAM(measure=self.measure).fit(standardize(x))
        b = zero_diagonal(lingam_to_bench(model.adjacency_matrix_))
        self.adjacency_ = b != 0
        self.scores_ = np.abs(b)
        self.extra_ = {"causal_order": [int(k) for k in model.causal_order_]}
        return self


@register_method(
    "var-lingam",
    level="subject",
    deterministic=True,
    requires=("causallearn", "statsmodels", "sklearn"),
    citation=(
        "Hyvärinen, Zhang, Shimizu & Hoyer (2010), Estimation of a structural vector "
        "autoregression model using non-Gaussianity, JMLR 11; " + _CAUSALLEARN
    ),
    description=(
        "VAR-LiNGAM (causal-learn: VAR(p) + DirectLiNGAM on the residuals, adaptive-lasso "
        "pruning) on z-scored series; summary = OR over lags 0..p of non-zero coefficients"
    ),
    scores="max over lags 0..p of |standardised VAR-LiNGAM coefficient|",
    lagged=True,
    canary=Canary("chain-mixed-nongaussian", n=500, exact=True),
)
class VARLiNGAM(Estimator):
    """VAR-LiNGAM; see the module docstring for the maths and the encoding.

    Parameters
    ----------
    lags : largest VAR order (1 by default: at TR = 3 s one lag already spans 3 s).
    ic : criterion for the order among 1..lags (``"bic"``, ``"aic"``, ``"hqic"``, ``"fpe"``) or
        ``None`` to use ``lags``.
    prune : adaptive-lasso pruning of B_0..B_p (without it the lagged B_τ are dense).
    """

    def __init__(self, *, lags: int = 1, ic: str | None = "bic", prune: bool = True) -> None:
        self.lags = lags
        self.ic = ic
        self.prune = prune

    def check_params(self) -> None:
        if not isinstance(self.lags, int) or isinstance(self.lags, bool) or self.lags < 1:
            raise ValueError(f"var-lingam: lags must be an integer >= 1, got {self.lags!r}")
        if self.ic is not None and self.ic not in ICS:
            raise ValueError(f"var-lingam: ic must be one of {ICS} or None, got {self.ic!r}")

    def fit(self, X: Any, context: FitContext | None = None) -> VARLiNGAM:
        self.check_params()
        name = series_name(context, "var-lingam")
        x = check_series(X, name=name)
        t, n = x.shape
        p = int(self.lags)
        need = n * (p + 1) + p + 2  # pruning regresses each node on up to N·(p + 1) − 1 terms
        if t < need:
            raise DataError(
                f"{name}: {t} time points are too few for VAR-LiNGAM with {p} lag(s) on {n} "
                f"nodes (needs at least N·(p + 1) + p + 2 = {need})"
            )
        check_full_rank(x, name, "var-lingam")
        from causallearn.search.FCMBased.lingam import VARLiNGAM as _VARLiNGAM

        model = _VARLiNGAM(lags=p, criterion=self.ic, prune=bool(self.prune))
        try:
            model.fit(standardize(x))
        except np.linalg.LinAlgError:
            raise DataError(
                f"{name}: the VAR regressors are singular (collinear nodes); VAR-LiNGAM cannot run"
            ) from None
        lag_b = lingam_to_bench(model.adjacency_matrices_)  # (p_used + 1, N, N), bench order
        self.scores_, self.adjacency_, self.lag_scores_ = summarize_lags(np.abs(lag_b), lag_b != 0)
        self.extra_ = {
            "lags_used": int(lag_b.shape[0] - 1),
            "causal_order": [int(k) for k in model.causal_order_],
            "prune": bool(self.prune),
        }
        return self
