"""DYNOTEARS (Pamfil et al. 2020): contemporaneous and lagged structure of a structural VAR.

Method
------
The series follows a structural VAR(p), ``x_t = Wᵀ x_t + Σ_τ A_τᵀ x_{t−τ} + e_t``. With X the
rows t = p .. T−1 and Y = [X_{t−1} | … | X_{t−p}], DYNOTEARS solves

    min_{W, A}  1/(2n) ‖X − X W − Y A‖²_F + λ_W ‖W‖₁ + λ_A ‖A‖₁   s.t.  h(W) = 0,

h(W) = tr(e^{W∘W}) − N (only the intra-slice W must be acyclic; the lagged A may hold any
pattern, autoregression included), by the NOTEARS augmented Lagrangian with L-BFGS-B
(:mod:`bench.methods._notears`; the algorithm of the authors' ``causalnex`` code,
``structure/dynotears.py``). causalnex does not install here (it requires Python < 3.11), so
this module implements the paper.

Orientation, decision, scores
-----------------------------
W[i, j] is x_i(t) → x_j(t) and A[(τ−1)·N + i, j] is x_i(t − τ) → x_j(t): row = source, the
bench orientation, no transpose. Per lag (τ = 0 for W),

    lag_scores_[0] = |W|,  lag_scores_[τ] = |A_τ|,
    decisions: |W| ≥ w_threshold,  |A_τ| ≥ a_threshold,

and the summary graph is the OR over lags of the decisions and the max over lags of the scores
(:func:`bench.methods._graph.summarize_lags`; self-links, i.e. autoregression, are dropped).

Defaults
--------
``lags = 1`` (at NetSim's TR of 3 s one lag spans 3 s); λ_W = λ_A = 0.1 (causalnex's
defaults); thresholds w_threshold = a_threshold = 0.3, NOTEARS's ω (causalnex's default is 0:
no threshold; the values of the DYNOTEARS paper's experiments could not be checked here).
Nodes are z-scored first (``standardize=True``; see ``notears`` for why: no scale artefact
orients the contemporaneous edges, and the result does not depend on the nodes' units).
Lagged edges are oriented by time; contemporaneous ones only by the least-squares score
(equal noise variances, as in NOTEARS). The paper reports no NetSim or Sanchez-Romero results.

Reference
---------
R. Pamfil, N. Sriwattanaworachai, S. Desai, P. Pilgerstorfer, P. Beaumont, K. Georgatzis,
B. Aragam (2020), DYNOTEARS: Structure learning from time-series data, AISTATS, PMLR 108,
1595–1605.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name, summarize_lags
from bench.methods._notears import lagged_design, notears_solve
from bench.methods.base import Estimator, check_series
from bench.methods.notears import check_notears_params, prepare
from bench.registry import register_method
from bench.types import DataError, FitContext


@register_method(
    "dynotears",
    level="subject",
    deterministic=True,
    requires=("scipy",),
    citation=(
        "Pamfil, Sriwattanaworachai, Desai, Pilgerstorfer, Beaumont, Georgatzis & Aragam "
        "(2020), DYNOTEARS: Structure Learning from Time-Series Data, AISTATS (PMLR 108)"
    ),
    description=(
        "DYNOTEARS (NOTEARS for a structural VAR: acyclic contemporaneous W and lagged A, "
        "l1 penalties, augmented Lagrangian + L-BFGS-B) on z-scored series; summary = OR over "
        "lags 0..p of |weight| >= 0.3"
    ),
    scores="max over lags 0..p of |DYNOTEARS weight|",
    lagged=True,
    canary=Canary("chain-lagged", n=1000, exact=True),
    slow=True,
)
class DYNOTEARS(Estimator):
    """DYNOTEARS; see the module docstring for the maths, the encoding and the defaults.

    Parameters
    ----------
    lags : VAR order p (number of inter-slice lags).
    lambda_w, lambda_a : ℓ1 penalties on W and on A.
    w_threshold, a_threshold : decision thresholds on |W| and |A|.
    max_iter : most augmented-Lagrangian (dual ascent) steps.
    standardize : z-score each node first; ``False`` only centres.
    """

    def __init__(
        self,
        *,
        lags: int = 1,
        lambda_w: float = 0.1,
        lambda_a: float = 0.1,
        w_threshold: float = 0.3,
        a_threshold: float = 0.3,
        max_iter: int = 100,
        standardize: bool = True,
    ) -> None:
        self.lags = lags
        self.lambda_w = lambda_w
        self.lambda_a = lambda_a
        self.w_threshold = w_threshold
        self.a_threshold = a_threshold
        self.max_iter = max_iter
        self.standardize = standardize

    def check_params(self) -> None:
        if not isinstance(self.lags, int) or isinstance(self.lags, bool) or self.lags < 1:
            raise ValueError(f"dynotears: lags must be an integer >= 1, got {self.lags!r}")
        check_notears_params("dynotears", self, ("lambda_w", "lambda_a"))
        a = self.a_threshold
        if isinstance(a, bool) or not isinstance(a, (int, float)) or a < 0:
            raise ValueError(f"dynotears: a_threshold must be a number >= 0, got {a!r}")

    def fit(self, X: Any, context: FitContext | None = None) -> DYNOTEARS:
        self.check_params()
        name = series_name(context, "dynotears")
        x = check_series(X, name=name)
        t, n = x.shape
        p = self.lags
        if t < p + 3:
            raise DataError(
                f"{name}: {t} time points are too few for DYNOTEARS with {p} lag(s) (needs at "
                f"least lags + 3 = {p + 3})"
            )
        target, lagged = lagged_design(prepare(x, self.standardize), p)
        res = notears_solve(
            target - target.mean(axis=0),
            lagged - lagged.mean(axis=0),
            lambda_w=float(self.lambda_w),
            lambda_a=float(self.lambda_a),
            max_iter=self.max_iter,
        )
        lag_w = np.concatenate([res.w[None], res.a.reshape(p, n, n)])  # (p + 1, N, N)
        thresholds = np.array([self.w_threshold] + [self.a_threshold] * p, dtype=float)
        decide = np.abs(lag_w) >= thresholds[:, None, None]
        self.scores_, self.adjacency_, self.lag_scores_ = summarize_lags(np.abs(lag_w), decide)
        self.extra_ = {
            "h": res.h,
            "rho": res.rho,
            "iterations": res.iterations,
            "evaluations": res.evaluations,
            "lag_weights": lag_w,
        }
        return self
