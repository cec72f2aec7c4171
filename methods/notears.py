"""Linear NOTEARS (Zheng, Aragam, Ravikumar & Xing 2018): a DAG by continuous optimisation.

Method
------
The T rows of a ``(T, N)`` series are i.i.d. samples of a linear SEM ``x = Wᵀx + e``; W is
estimated by the ℓ1-penalised least squares under the smooth acyclicity constraint

    min_W  1/(2T) ‖X − X W‖²_F + λ ‖W‖₁   s.t.  h(W) = tr(e^{W∘W}) − N = 0,

solved by the augmented Lagrangian with L-BFGS-B of the authors' code (``xunzheng/notears``,
``notears_linear``; see :mod:`bench.methods._notears` for the algorithm and its settings).
Then, as in the paper, entries with |W[i, j]| < ``w_threshold`` = 0.3 are set to zero
(the paper's threshold ω = 0.3; λ = 0.1 is the value of its ℓ1 experiments and of the
authors' example). X is centred first (the authors' ``l2`` loss does it).

Orientation, decision, scores
-----------------------------
``X ≈ X W`` regresses column j on the columns i with W[i, j] ≠ 0, so W[i, j] is the edge
i → j: NOTEARS's W is already in the bench orientation (row = source), no transpose.

    adjacency_[i, j] = |W[i, j]| ≥ w_threshold,    scores_[i, j] = |W[i, j]| (unthresholded).

Identifiability: what orients the edges
---------------------------------------
In a linear-Gaussian SEM the direction of an edge is identifiable only under extra
assumptions; least squares recovers the true DAG when the noise variances are equal (Peters &
Bühlmann 2014, Loh & Bühlmann 2014), the setting of the paper's simulations. On such
simulations the marginal variance grows along the causal order ("varsortability", Reisach,
Seiler & Weichwald 2021, NeurIPS), and the least-squares score favours the order of increasing
variance: NOTEARS's directions then come from the data's scale, not from anything causal, and
rescaling a node can flip them. Hence ``standardize=True`` (default, as Reisach et al. advise
for benchmarks): each node is z-scored, so the result does not depend on the nodes' units (fMRI
scales are arbitrary), λ and ω are in units of standardised effects, and no scale artefact
orients the edges; what remains to orient them is the equal-noise-variance assumption applied
to the standardised data, which fMRI data need not meet. ``standardize=False`` gives the
authors' centring only.

The T time points are treated as i.i.d. (no lags; see ``dynotears`` for the dynamic version).
The paper reports no NetSim or Sanchez-Romero results.

Reference
---------
X. Zheng, B. Aragam, P. Ravikumar, E. P. Xing (2018), DAGs with NO TEARS: Continuous
optimization for structure learning, NeurIPS 31. A. G. Reisach, C. Seiler, S. Weichwald (2021),
Beware of the simulated DAG! Causal discovery benchmarks may be easy to game, NeurIPS 34.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name, standardize
from bench.methods._notears import notears_solve
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import FitContext


def check_notears_params(name: str, est: Any, lambdas: tuple[str, ...]) -> None:
    """The parameter checks shared by ``notears`` and ``dynotears`` (one-line ``ValueError``)."""
    for key in (*lambdas, "w_threshold"):
        value = getattr(est, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{name}: {key} must be a number >= 0, got {value!r}")
    if not isinstance(est.max_iter, int) or isinstance(est.max_iter, bool) or est.max_iter < 1:
        raise ValueError(f"{name}: max_iter must be an integer >= 1, got {est.max_iter!r}")
    if not isinstance(est.standardize, bool):
        raise ValueError(f"{name}: standardize must be True or False, got {est.standardize!r}")


def prepare(x: np.ndarray, standardize_nodes: bool) -> np.ndarray:
    """Centred (and, with ``standardize_nodes``, unit-variance) copy of ``x``."""
    return standardize(x) if standardize_nodes else x - x.mean(axis=0)


@register_method(
    "notears",
    level="subject",
    deterministic=True,
    requires=("scipy",),
    citation=(
        "Zheng, Aragam, Ravikumar & Xing (2018), DAGs with NO TEARS: Continuous Optimization "
        "for Structure Learning, NeurIPS 31"
    ),
    description=(
        "linear NOTEARS (l1-penalised least squares, tr(exp(W*W)) = d by augmented Lagrangian "
        "and L-BFGS-B) on z-scored time points as i.i.d. samples; decision = |W| >= 0.3"
    ),
    scores="|W| (unthresholded NOTEARS weight)",
    canary=Canary("chain-iid", n=1000, params={"standardize": False}, exact=True),
    slow=True,
)
class NOTEARS(Estimator):
    """Linear NOTEARS; see the module docstring for the maths, identifiability and defaults.

    Parameters
    ----------
    lambda1 : ℓ1 penalty λ (0.1, the paper's).
    w_threshold : decision threshold ω on |W| (0.3, the paper's).
    max_iter : most augmented-Lagrangian (dual ascent) steps (100, the authors').
    standardize : z-score each node first (see the module docstring); ``False`` only centres.
    """

    def __init__(
        self,
        *,
        lambda1: float = 0.1,
        w_threshold: float = 0.3,
        max_iter: int = 100,
        standardize: bool = True,
    ) -> None:
        self.lambda1 = lambda1
        self.w_threshold = w_threshold
        self.max_iter = max_iter
        self.standardize = standardize

    def check_params(self) -> None:
        check_notears_params("notears", self, ("lambda1",))

    def fit(self, X: Any, context: FitContext | None = None) -> NOTEARS:
        self.check_params()
        x = check_series(X, name=series_name(context, "notears"))
        res = notears_solve(
            prepare(x, self.standardize),
            lambda_w=float(self.lambda1),
            max_iter=self.max_iter,
        )
        w = res.w.copy()
        np.fill_diagonal(w, 0.0)
        self.scores_ = np.abs(w)
        self.adjacency_ = self.scores_ >= float(self.w_threshold)
        self.extra_ = {
            "h": res.h,
            "rho": res.rho,
            "iterations": res.iterations,
            "evaluations": res.evaluations,
            "weights": w,
        }
        return self
