"""Full and partial correlation: the undirected references (they cannot orient any edge).

Method
------
The T rows of a ``(T, N)`` series are treated as samples (time order is ignored). With C the
sample correlation matrix of the nodes:

* ``correlation``: r_ij = C_ij (Pearson; Smith et al. 2011's "full correlation");
* ``partial-correlation``: the correlation of i and j given all N − 2 other nodes, from the
  precision matrix P = C⁻¹,

      ρ_ij = −P_ij / sqrt(P_ii · P_jj)

  (Smith et al. 2011's "partial correlation", with no regularisation). It needs T > N and a
  non-singular C; otherwise :class:`~bench.types.DataError` is raised, never a pseudo-inverse.

Decision (stated rule)
----------------------
Fisher-z test of r = 0 (resp. ρ = 0), with k conditioning nodes (k = 0 for ``correlation``,
k = N − 2 for ``partial-correlation``):

    z = atanh(r) · sqrt(T − k − 3),    p = 2 · (1 − Φ(|z|)),

and the pair is decided when p < ``alpha`` after the optional ``correction`` over the
N(N − 1) / 2 unordered pairs (``"none"``, ``"bonferroni"``, ``"fdr_bh"``). The test assumes
independent samples: BOLD series are autocorrelated, so the effective sample size is smaller
than T and the test is liberal (as it is for PC's Fisher-z test).

These methods are **undirected**: a decided pair sets both ``A[i, j]`` and ``A[j, i]``, so over
a true i → j it gives one true positive and one false positive, and orientation metrics
(d-accuracy, orientation accuracy) are at chance by construction. Scores are symmetric,
``scores_[i, j] = scores_[j, i] = |r_ij|`` (resp. ``|ρ_ij|``), so every threshold also decides
both directions.

References
----------
S. M. Smith, K. L. Miller, G. Salimi-Khorshidi, M. Webster, C. F. Beckmann, T. E. Nichols,
J. D. Ramsey, M. W. Woolrich (2011), Network modelling methods for FMRI, NeuroImage 54(2),
875–891. R. A. Fisher (1924), The distribution of the partial correlation coefficient, Metron 3.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import check_full_rank, series_name, zero_diagonal
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import DataError, FitContext

CORRECTIONS = ("none", "bonferroni", "fdr_bh")


def partial_correlation(corr: np.ndarray) -> np.ndarray:
    """Partial correlations ρ_ij = −P_ij / sqrt(P_ii P_jj) from a correlation matrix (P = C⁻¹)."""
    prec = np.linalg.inv(corr)
    d = np.sqrt(np.diag(prec))
    out = -prec / np.outer(d, d)
    np.fill_diagonal(out, 1.0)
    return out


def fisher_z_pvalues(r: np.ndarray, t: int, k: int) -> np.ndarray:
    """Two-sided Fisher-z p-values of r = 0 with ``k`` conditioning variables (unit diagonal)."""
    from scipy import stats

    rc = np.clip(r, -1.0 + 1e-15, 1.0 - 1e-15)
    z = np.arctanh(rc) * np.sqrt(t - k - 3)
    p = 2.0 * stats.norm.sf(np.abs(z))
    np.fill_diagonal(p, 1.0)
    return p


def adjust_symmetric(pvals: np.ndarray, correction: str) -> np.ndarray:
    """Symmetric p-values adjusted over the N(N − 1)/2 unordered pairs (upper triangle)."""
    if correction == "none":
        return pvals.copy()
    from statsmodels.stats.multitest import multipletests

    iu = np.triu_indices(pvals.shape[0], 1)
    out = np.ones_like(pvals)
    out[iu] = multipletests(pvals[iu], method=correction)[1]
    return np.minimum(out, out.T)


class _Correlation(Estimator):
    """Shared fit of the two undirected references (``partial`` selects the variant)."""

    partial: bool = False

    def __init__(self, *, alpha: float = 0.05, correction: str = "none") -> None:
        self.alpha = alpha
        self.correction = correction

    def check_params(self) -> None:
        if not isinstance(self.alpha, (int, float)) or not 0 < self.alpha < 1:
            raise ValueError(f"{self.method_name}: alpha must lie in (0, 1), got {self.alpha!r}")
        if self.correction not in CORRECTIONS:
            raise ValueError(
                f"{self.method_name}: correction must be one of {CORRECTIONS}, "
                f"got {self.correction!r}"
            )

    def fit(self, X: Any, context: FitContext | None = None) -> _Correlation:
        self.check_params()
        name = series_name(context, self.method_name)
        x = check_series(X, name=name, min_length=4)
        t, n = x.shape
        corr = np.corrcoef(x, rowvar=False)
        if self.partial:
            check_full_rank(x, name, self.method_name)
            k = n - 2
            if t - k - 3 < 1:
                raise DataError(
                    f"{name}: {t} time points are too few for the partial-correlation test on "
                    f"{n} nodes (needs at least N + 2 = {n + 2})"
                )
            r = partial_correlation(corr)
        else:
            k, r = 0, corr
        r = (r + r.T) / 2  # exactly symmetric (floating-point sums can differ in the last bit)
        pvals = adjust_symmetric(fisher_z_pvalues(r, t, k), self.correction)
        self.adjacency_ = zero_diagonal(pvals < self.alpha)
        self.scores_ = zero_diagonal(np.clip(np.abs(r), 0.0, 1.0))
        self.extra_ = {
            "conditioning_nodes": k,
            "correction": self.correction,
            "undirected_rule": "undirected: every decided pair sets both A[i,j] and A[j,i]",
        }
        return self


_CITATION = (
    "Smith, Miller, Salimi-Khorshidi, Webster, Beckmann, Nichols, Ramsey & Woolrich (2011), "
    "Network modelling methods for FMRI, NeuroImage 54(2)"
)


@register_method(
    "correlation",
    level="subject",
    deterministic=True,
    requires=(),
    citation=_CITATION,
    description=(
        "undirected reference: Pearson (full) correlation, decision Fisher-z p < alpha; "
        "cannot orient: scores symmetric, every decided pair set in both directions"
    ),
    scores="|Pearson correlation| (symmetric)",
    canary=Canary("chain-iid", check="undirected"),
    orients=False,
)
class Correlation(_Correlation):
    """Full correlation; see the module docstring (undirected: cannot orient).

    Parameters
    ----------
    alpha : level of each Fisher-z test (after ``correction``).
    correction : ``"none"``, ``"bonferroni"`` or ``"fdr_bh"`` over the N(N − 1)/2 pairs.
    """

    partial = False


@register_method(
    "partial-correlation",
    level="subject",
    deterministic=True,
    requires=(),
    citation=_CITATION,
    description=(
        "undirected reference: partial correlation given all other nodes (inverse correlation "
        "matrix), decision Fisher-z p < alpha; cannot orient: scores symmetric, every decided "
        "pair set in both directions"
    ),
    scores="|partial correlation| given all other nodes (symmetric)",
    canary=Canary("chain-iid", check="undirected"),
    orients=False,
)
class PartialCorrelation(_Correlation):
    """Partial correlation given all other nodes; see the module docstring (undirected).

    Parameters
    ----------
    alpha : level of each Fisher-z test (after ``correction``).
    correction : ``"none"``, ``"bonferroni"`` or ``"fdr_bh"`` over the N(N − 1)/2 pairs.
    """

    partial = True
