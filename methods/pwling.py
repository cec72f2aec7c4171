"""Pairwise LiNGAM orientation (Hyvärinen & Smith 2013) of a skeleton: ``pwling``.

Method
------
The T rows of a ``(T, N)`` series are treated as i.i.d. samples of a linear SEM with
non-Gaussian disturbances; adjacencies come from a skeleton, directions from the pairwise
likelihood-ratio measure R of Hyvärinen & Smith (2013) (formulas in
:mod:`bench.methods._skew`, :func:`~bench.methods._skew.pairwise_lr`):

* ``measure="skew"`` (default): R_ij = ρ_ij Ê[x_i² x_j − x_i x_j²] on skewness-corrected
  standardised variables (their measure for skewed data, such as BOLD);
* ``measure="tanh"``: R_ij = ρ_ij Ê[x_i tanh(x_j) − tanh(x_i) x_j] (their measure for sparse,
  super-Gaussian data);
* ``measure="rskew"``: their outlier-robust skewness measure, g(u) = log cosh(max(u, 0)).

Decision rule: for every adjacent pair {i, j} of the skeleton, i → j when R_ij > 0 and j → i
when R_ij < 0 (R is antisymmetric); R_ij = 0 exactly leaves the pair unoriented and both
directions are decided. One direction per adjacency: the method cannot return a 2-cycle.

Skeleton (the choice, and why)
------------------------------
``skeleton="fas"`` (default): the FAS (PC-stable, Fisher-z at ``alpha``) skeleton of
:func:`~bench.methods._skew.fas_skeleton`, the adjacency search on which Sanchez-Romero et al.
(2019) ran Hyvärinen & Smith's measures (Tetrad's FAS followed by the pairwise orientation
rules). It is a stated statistical decision (a level ``alpha``), it removes the indirect
connections that full correlation keeps, and at 50 nodes it needs far fewer samples than the
full-order partial correlation (whose tests condition on all N − 2 other nodes).
``skeleton="partial-correlation"``: the pairs whose full-order partial correlation (Smith et
al. 2011's best network-detection method on NetSim) passes the Fisher-z test at ``alpha``
(conditioning on N − 2 nodes): an undirected network estimate in one step, without the
search's sequence of tests. ``alpha = 0.01`` as for ``fask``.

Encoding and scores
-------------------
R is built in the bench orientation (R_ij > 0: i → j, row = source), so
``adjacency_[i, j] = skeleton_ij and R_ij > 0``; nothing is transposed. The score of an
ordered pair is the strength of the adjacency assigned to the preferred direction:

    scores_[i, j] = |ρ̃_ij| if R_ij > 0 (or R_ij = 0), else 0,

ρ̃ the full-order partial correlation (from the inverse correlation matrix): non-negative,
continuous over all pairs (so AUROC ranks adjacency evidence and direction together) and
scores_[i, j] > scores_[j, i] exactly where R prefers i → j. The skewed-chain canary
(``chain-skewed``) checks the orientation. ``extra_`` holds the measure, the skeleton and the
number of adjacencies.

References
----------
A. Hyvärinen, S. M. Smith (2013), Pairwise likelihood ratios for estimation of non-Gaussian
structural equation models, JMLR 14, 111–152. S. M. Smith et al. (2011), Network modelling
methods for FMRI, NeuroImage 54(2), 875–891. R. Sanchez-Romero et al. (2019), Network
Neuroscience 3(2), 274–306.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import check_full_rank, series_name, zero_diagonal
from bench.methods._skew import IMPLS, MEASURES, fas_skeleton, pairwise_lr
from bench.methods.base import Estimator, check_series
from bench.methods.correlation import fisher_z_pvalues, partial_correlation
from bench.registry import register_method
from bench.types import DataError, FitContext

SKELETONS = ("fas", "partial-correlation")


def orient_by_lr(skeleton: np.ndarray, lr: np.ndarray) -> np.ndarray:
    """i → j for every adjacent pair with R_ij > 0; both directions where R_ij = 0."""
    skel = np.asarray(skeleton, dtype=bool)
    return zero_diagonal(skel & (lr >= 0))


@register_method(
    "pwling",
    level="subject",
    deterministic=True,
    requires=("scipy",),
    citation=(
        "Hyvärinen & Smith (2013), Pairwise likelihood ratios for estimation of non-Gaussian "
        "structural equation models, JMLR 14"
    ),
    description=(
        "FAS (PC-stable, Fisher-z) skeleton oriented by Hyvärinen & Smith's pairwise "
        "likelihood-ratio measure (skewness by default, tanh as an option); time points as "
        "i.i.d. samples; one direction per adjacency"
    ),
    scores="|partial correlation| on the direction the pairwise measure prefers, 0 on the other",
    canary=Canary("chain-skewed", n=1000, exact=True),
)
class PairwiseLiNGAM(Estimator):
    """Skeleton + pairwise likelihood-ratio orientation; see the module docstring.

    Parameters
    ----------
    measure : ``"skew"`` (default), ``"tanh"`` or ``"rskew"``.
    skeleton : ``"fas"`` (default) or ``"partial-correlation"``.
    alpha : level of the skeleton's Fisher-z tests.
    depth : largest FAS conditioning set (−1: unbounded; ``skeleton="fas"`` only).
    impl : FAS implementation, ``"fast"`` or ``"reference"`` (causal-learn).
    """

    def __init__(
        self,
        *,
        measure: str = "skew",
        skeleton: str = "fas",
        alpha: float = 0.01,
        depth: int = -1,
        impl: str = "fast",
    ) -> None:
        self.measure = measure
        self.skeleton = skeleton
        self.alpha = alpha
        self.depth = depth
        self.impl = impl

    def check_params(self) -> None:
        name = "pwling"
        if self.measure not in MEASURES:
            raise ValueError(f"{name}: measure must be one of {MEASURES}, got {self.measure!r}")
        if self.skeleton not in SKELETONS:
            raise ValueError(f"{name}: skeleton must be one of {SKELETONS}, got {self.skeleton!r}")
        a = self.alpha
        if not isinstance(a, (int, float)) or isinstance(a, bool) or not 0 < a < 1:
            raise ValueError(f"{name}: alpha must lie in (0, 1), got {a!r}")
        d = self.depth
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < -1:
            raise ValueError(f"{name}: depth must be an integer >= -1, got {d!r}")
        if self.impl not in IMPLS:
            raise ValueError(f"{name}: impl must be one of {IMPLS}, got {self.impl!r}")

    def fit(self, X: Any, context: FitContext | None = None) -> PairwiseLiNGAM:
        self.check_params()
        name = series_name(context, "pwling")
        x = check_series(X, name=name, min_length=10)
        t, n = x.shape
        check_full_rank(x, name, "pwling")
        if t - n - 1 < 1:
            raise DataError(
                f"{name}: {t} time points are too few for partial correlations on {n} nodes "
                f"(needs at least N + 2 = {n + 2})"
            )
        rho = partial_correlation(np.corrcoef(x, rowvar=False))
        rho = (rho + rho.T) / 2
        if self.skeleton == "fas":
            skel = fas_skeleton(x, self.alpha, depth=self.depth, impl=self.impl)
        else:
            skel = zero_diagonal(fisher_z_pvalues(rho, t, n - 2) < self.alpha)
        lr = pairwise_lr(x, self.measure)
        self.adjacency_ = orient_by_lr(skel, lr)
        self.scores_ = zero_diagonal(np.where(lr >= 0, np.clip(np.abs(rho), 0.0, 1.0), 0.0))
        upper = np.triu(np.ones((n, n), dtype=bool), 1)
        self.extra_ = {
            "measure": self.measure,
            "skeleton": self.skeleton,
            "n_adjacencies": int((skel & upper).sum()),
            "n_unoriented": int((skel & (lr == 0) & upper).sum()),
        }
        return self
