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

Decision by a coefficient threshold (``var-lingam``, ``coef_threshold``)
------------------------------------------------------------------------
Users of the ``lingam`` package (Ikeuchi, Ide, Zeng, Maeda & Shimizu 2023, the LiNGAM
project's own library) read a VAR-LiNGAM graph off the coefficients fitted on their data as
given, drawing an edge where |B_τ[i, j]| exceeds a lower limit (its tutorials and ``make_dot``
use ``lower_limit=0.05``). With ``coef_threshold=c`` (default ``None``: the adaptive-lasso
decision above) the series are only centred (the VAR has no constant; NetSim series are
already zero-mean, so this is the data as given), not scaled, and

    adjacency_[i, j] = OR_τ |B_τ[j, i]| > c,    scores_[i, j] = max_τ |B_τ[j, i]|,

with B_τ as fitted by causal-learn with the same ``lags``, ``ic`` and ``prune`` (pruned
coefficients are thresholded when ``prune=True``). The scores are then unstandardised
coefficients in the units of the data (effect of one unit of x_i on x_j), not comparable
across nodes of different scales, and the decision depends on those scales: that is the
practice this option reproduces, not a recommendation.

Implementations (``impl``)
--------------------------
``impl="reference"`` calls causal-learn (``DirectLiNGAM``, ``VARLiNGAM``) as installed.
``impl="fast"`` (default) runs :mod:`bench.methods._lingam_fast`: the causal-order search
vectorised over all candidate pairs, every adaptive-lasso regression of a fit from one QR and
one batched LARS-lasso path (:mod:`bench.methods._lars`), and the VAR OLS with statsmodels'
own operations. Every discrete choice (causal order, VAR order, lasso path events, BIC knot) is
certified to have a margin far above rounding, and whatever is not is recomputed by
causal-learn / scikit-learn on their exact inputs; so the graphs and causal orders are
causal-learn's and the coefficients equal them to rounding (≈ 1e-15 absolute on the NetSim
subjects; tests/methods/test_lingam.py and tests/benchmarks/speed_lingam.py). ``measure=
"kernel"`` has no fast path and always runs causal-learn.

References
----------
S. Shimizu, T. Inazumi, Y. Sogawa, A. Hyvärinen, Y. Kawahara, T. Washio, P. O. Hoyer, K. Bollen
(2011), DirectLiNGAM, JMLR 12, 1225–1248. A. Hyvärinen, S. M. Smith (2013), Pairwise likelihood
ratios for estimation of non-Gaussian structural equation models, JMLR 14, 111–152.
A. Hyvärinen, K. Zhang, S. Shimizu, P. O. Hoyer (2010), Estimation of a structural vector
autoregression model using non-Gaussianity, JMLR 11, 1709–1731. Implementation: Y. Zheng et al.
(2024), causal-learn, JMLR 25(60). T. Ikeuchi, M. Ide, Y. Zeng, T. N. Maeda, S. Shimizu (2023),
Python package for causal discovery based on LiNGAM, JMLR 24(14).
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
from bench.methods._lingam_fast import FastStats, direct_lingam_fast, var_lingam_fast
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import DataError, FitContext

ICS = ("aic", "bic", "hqic", "fpe")
IMPLS = ("fast", "reference")
_CAUSALLEARN = "implementation: Zheng et al. (2024), causal-learn, JMLR 25(60)"


def lingam_to_bench(b: np.ndarray) -> np.ndarray:
    """causal-learn LiNGAM coefficients (row = child) → bench orientation (row = source).

    Works on one ``(N, N)`` matrix or a stack ``(L, N, N)``: transposes the last two axes.
    """
    return np.swapaxes(np.asarray(b, dtype=np.float64), -1, -2).copy()


def _check_impl(method: str, impl: Any) -> None:
    if impl not in IMPLS:
        raise ValueError(f"{method}: impl must be one of {IMPLS}, got {impl!r}")


def fit_direct_lingam(
    x: np.ndarray, measure: str = "pwling", impl: str = "fast"
) -> tuple[np.ndarray, list[int], dict[str, int]]:
    """causal-learn ``DirectLiNGAM(measure).fit(x)`` by ``impl``: ``(B, causal_order, stats)``.

    ``B[i, j]`` is the effect of x_j on x_i (causal-learn's row = child layout); ``stats``
    counts what the fast path left to the reference (empty for the reference).
    """
    if impl == "fast" and measure == "pwling":
        stats = FastStats()
        b, order = direct_lingam_fast(x, stats)
        return b, order, stats.as_dict()
    from causallearn.search.FCMBased.lingam import DirectLiNGAM as _DirectLiNGAM

    model = _DirectLiNGAM(measure=measure).fit(x)
    return np.asarray(model.adjacency_matrix_), [int(k) for k in model.causal_order_], {}


def fit_var_lingam(
    x: np.ndarray, lags: int, ic: str | None, prune: bool, impl: str = "fast"
) -> tuple[np.ndarray, list[int], dict[str, int]]:
    """causal-learn ``VARLiNGAM(lags, ic, prune).fit(x)`` by ``impl``: ``(B_taus, order, stats)``.

    ``B_taus[τ][i, j]`` is the effect of x_j at t − τ on x_i at t (row = child), τ = 0..p.
    """
    if impl == "fast":
        stats = FastStats()
        b_taus, order, _ = var_lingam_fast(x, lags, ic, prune, stats)
        return b_taus, order, stats.as_dict()
    from causallearn.search.FCMBased.lingam import VARLiNGAM as _VARLiNGAM

    model = _VARLiNGAM(lags=lags, criterion=ic, prune=prune).fit(x)
    return np.asarray(model.adjacency_matrices_), [int(k) for k in model.causal_order_], {}


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
        or ``"kernel"`` (much slower; always by causal-learn).
    impl : ``"fast"`` (default; equal to causal-learn, see the module docstring) or
        ``"reference"`` (causal-learn itself).
    """

    def __init__(self, *, measure: str = "pwling", impl: str = "fast") -> None:
        self.measure = measure
        self.impl = impl

    def check_params(self) -> None:
        if self.measure not in ("pwling", "kernel"):
            raise ValueError(
                f"direct-lingam: measure must be 'pwling' or 'kernel', got {self.measure!r}"
            )
        _check_impl("direct-lingam", self.impl)

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
        b, order, stats = fit_direct_lingam(standardize(x), self.measure, self.impl)
        b = zero_diagonal(lingam_to_bench(b))
        self.adjacency_ = b != 0
        self.scores_ = np.abs(b)
        self.extra_ = {"causal_order": order, "impl": self.impl, **stats}
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
    coef_threshold : ``None`` (default: the decision is a non-zero standardised coefficient) or
        a positive float: fit on the centred, unscaled series and decide |B_τ| > threshold
        (the ``lingam`` package's practice; see the module docstring).
    impl : ``"fast"`` (default; equal to causal-learn, see the module docstring) or
        ``"reference"`` (causal-learn itself).
    """

    def __init__(
        self,
        *,
        lags: int = 1,
        ic: str | None = "bic",
        prune: bool = True,
        coef_threshold: float | None = None,
        impl: str = "fast",
    ) -> None:
        self.lags = lags
        self.ic = ic
        self.prune = prune
        self.coef_threshold = coef_threshold
        self.impl = impl

    def check_params(self) -> None:
        if not isinstance(self.lags, int) or isinstance(self.lags, bool) or self.lags < 1:
            raise ValueError(f"var-lingam: lags must be an integer >= 1, got {self.lags!r}")
        if self.ic is not None and self.ic not in ICS:
            raise ValueError(f"var-lingam: ic must be one of {ICS} or None, got {self.ic!r}")
        c = self.coef_threshold
        if c is not None and (
            isinstance(c, bool) or not isinstance(c, (int, float)) or not 0 < c < np.inf
        ):
            raise ValueError(
                f"var-lingam: coef_threshold must be None or a positive number, got {c!r}"
            )
        _check_impl("var-lingam", self.impl)

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
        thr = self.coef_threshold
        data = standardize(x) if thr is None else x - x.mean(axis=0)
        try:
            b_taus, order, stats = fit_var_lingam(data, p, self.ic, bool(self.prune), self.impl)
        except np.linalg.LinAlgError:
            raise DataError(
                f"{name}: the VAR regressors are singular (collinear nodes); VAR-LiNGAM cannot run"
            ) from None
        lag_b = lingam_to_bench(b_taus)  # (p_used + 1, N, N), bench order
        decided = lag_b != 0 if thr is None else np.abs(lag_b) > float(thr)
        self.scores_, self.adjacency_, self.lag_scores_ = summarize_lags(np.abs(lag_b), decided)
        self.extra_ = {
            "lags_used": int(lag_b.shape[0] - 1),
            "causal_order": order,
            "prune": bool(self.prune),
            "coef_threshold": None if thr is None else float(thr),
            "impl": self.impl,
            **stats,
        }
        return self
