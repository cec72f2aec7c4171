"""Patel's conditional dependence κ and direction τ (Patel, Bowman & Rilling 2006), in the
binarised variant evaluated by Smith et al. (2011).

Preprocessing (Smith et al. 2011's variant)
-------------------------------------------
Each node's series is rescaled to [0, 1] by its own 10th and 90th percentiles, q10 and q90,

    u_t = clip((x_t − q10) / (q90 − q10), 0, 1),

and binarised, a_t = [u_t > ``threshold``] (default 0.75): a node is "active" at time t when it
is in roughly the top part of its own range. (Smith et al. also tried using u_t directly as a
probability; this adapter implements the binarised variant only.) The percentiles are those of
MATLAB's ``prctile``, which Smith et al.'s code calls: the k-th smallest of T values is the
100(k − 0.5)/T-th percentile, linear in between (numpy's ``method="hazen"``; numpy's default
"linear" puts it at 100(k − 1)/(T − 1) and moves q10 and q90 by up to 0.4 of a sample spacing
at T = 200). The rescaling is per node, so the result does not depend on each node's scale or
offset, but it does depend on the *shape* of each node's distribution (below). A node with
q90 = q10 raises :class:`~bench.types.DataError`.

Measures, for the ordered pair (a, b) = (node i, node j)
--------------------------------------------------------
With the joint activation frequencies over the T time points

    θ1 = P(a=1, b=1),  θ2 = P(a=1, b=0),  θ3 = P(a=0, b=1),  θ4 = P(a=0, b=0),

and the activation rates p_a = θ1 + θ2, p_b = θ1 + θ3:

* connection strength κ ∈ [−1, 1] (symmetric in i, j): with E = p_a p_b the value of θ1
  under independence, M = min(p_a, p_b) its maximum and m = max(0, 2θ1+θ2+θ3−1) its minimum,

      D = 1/2 + (θ1 − E) / (2 (M − E))  if θ1 ≥ E,   D = 1/2 − (θ1 − E) / (2 (E − m))  otherwise,
      κ = (θ1 − E) / (D (M − E) + (1 − D)(E − m))

  (the branch θ1 < E is that of Smith et al.'s code; κ < 0 enters no score or decision here);

* direction τ ∈ [−1, 1] (antisymmetric: τ_ji = −τ_ij):

      τ_ij = (θ1+θ3)/(θ1+θ2) − 1   if θ2 ≥ θ3,     τ_ij = 1 − (θ1+θ2)/(θ1+θ3)   otherwise,

  τ_ij > 0 means i is *ascendant* to j (i → j): j is active whenever i is, and also at other
  times (θ3 > θ2). This is the sign of Smith et al.'s code, which reports −τ₁₂ of the τ₁₂ it
  computes (also checked by the canary in tests/methods/test_patel.py).

What τ does and does not identify
---------------------------------
θ1 cancels: since θ2 − θ3 = p_a − p_b,

    τ_ij = (p_j − p_i) / max(p_i, p_j),

so τ is a function of the two activation rates alone. It says which node is active more often
(whose activity could be a superset of the other's), never whether or how the two co-vary:
shuffling each node's series in time independently leaves τ unchanged while κ falls to about 0
(tested). Under Patel's model, where a driven node is active whenever its driver is *and* when
its other inputs are, the driven node has the higher rate, so i → j ⇔ p_j > p_i. After the
per-node percentile rescaling, though, a node's rate is the fraction of its values above
q10 + threshold·(q90 − q10), which the shape of its marginal distribution fixes: at the default
threshold 0.26 for a Gaussian, 0.30 for a uniform, 0.17 for an exponential (right-skewed) and
0.48 for a mirrored exponential (left-skewed) law. Wherever the marginal shapes differ for
reasons other than Patel's activation model, τ orients by the shapes. In a linear VAR(1) chain
x0 → x1 → x2 → x3 with left-skewed innovations (1 − Exp(1)) the root is the least Gaussian and
the most often "active" node, and x0 → x1 is decided as x1 → x0 in 10 of 10 subjects
(T = 1000); in the mirrored data −x (right-skewed innovations, the same causal graph) τ points
it forwards in 9 of 10 (tests/methods/test_patel.py). Flipping the sign of the data can thus
reverse the directions. κ measures positive co-activation only: an adjacency, not a direction.

Decision and score
------------------
κ and the phi coefficient φ = (θ1θ4 − θ2θ3)/sqrt((θ1+θ2)(θ3+θ4)(θ1+θ3)(θ2+θ4)) of the 2 × 2
table have the same sign (θ1θ4 − θ2θ3 = θ1 − E), and T·φ² is Pearson's χ² statistic of
independence. The stated rule is

    A[i, j] = (√T · φ_ij > z_{1−alpha})  and  (τ_ij > 0),

i.e. a significantly positive association (one-sided large-sample test at level ``alpha``; it
treats time points as independent, so with autocorrelated BOLD it is liberal) oriented by the
sign of τ, i.e. towards the node with the higher activation rate. Positive associations only,
as Patel et al. (negative κ is not a connection here). The continuous score keeps strength and
direction apart:

    scores_[i, j] = max(κ_ij, 0) · (1 + τ_ij) / 2   ∈ [0, 1],

so the skeleton ranking follows κ, and scores_[i, j] > scores_[j, i] exactly when τ_ij > 0
(NetSim's d-accuracy then measures Patel's τ). ``extra_["active_fraction"]`` records each
node's activation rate p_i, which fixes every direction.

References
----------
R. S. Patel, F. D. Bowman, J. K. Rilling (2006), A Bayesian approach to determining
connectivity of the human brain, Human Brain Mapping 27(3), 267–276 (κ, τ); R. S. Patel,
F. D. Bowman, J. K. Rilling (2006), Determining hierarchical functional networks from auditory
stimuli fMRI, Human Brain Mapping 27(5), 462–470. S. M. Smith et al. (2011), Network modelling
methods for FMRI, NeuroImage 54(2), 875–891 (the variant and its evaluation on NetSim).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name, zero_diagonal
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import DataError, FitContext


def binarize(x: np.ndarray, threshold: float, name: str = "series") -> np.ndarray:
    """Per-node 10th–90th percentile rescaling to [0, 1], then ``> threshold`` (float 0/1).

    Percentiles as MATLAB's ``prctile`` (numpy ``method="hazen"``; module docstring).
    """
    q10, q90 = np.percentile(x, [10, 90], axis=0, method="hazen")
    flat = np.flatnonzero(q90 <= q10)
    if flat.size:
        raise DataError(
            f"{name}: node(s) {flat.tolist()} have equal 10th and 90th percentiles; Patel's "
            "rescaling to [0, 1] is undefined"
        )
    u = np.clip((x - q10) / (q90 - q10), 0.0, 1.0)
    return (u > threshold).astype(np.float64)


def patel_kappa_tau(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Patel's κ, τ and the phi coefficient of every ordered pair of binary columns ``a``.

    Returns ``(kappa, tau, phi)``, each ``(N, N)`` with a zero diagonal; ``tau[i, j] > 0``
    means i → j (module docstring). Undefined ratios (a node never or always active) give 0.
    """
    t = a.shape[0]
    th1 = a.T @ a / t
    th2 = a.T @ (1 - a) / t
    th3 = th2.T
    th4 = (1 - a).T @ (1 - a) / t
    pa, pb = th1 + th2, th1 + th3
    e = pa * pb
    hi = np.minimum(pa, pb)
    lo = np.maximum(0.0, 2 * th1 + th2 + th3 - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(th1 >= e, 0.5 + (th1 - e) / (2 * (hi - e)), 0.5 - (th1 - e) / (2 * (e - lo)))
        kappa = (th1 - e) / (d * (hi - e) + (1 - d) * (e - lo))
        tau = np.where(th2 >= th3, pb / pa - 1, 1 - pa / pb)
        phi = (th1 * th4 - th2 * th3) / np.sqrt(pa * (1 - pa) * pb * (1 - pb))
    clean = [
        zero_diagonal(np.nan_to_num(m, nan=0.0, posinf=0.0, neginf=0.0)) for m in (kappa, tau, phi)
    ]
    return clean[0], clean[1], clean[2]


@register_method(
    "patel",
    level="subject",
    deterministic=True,
    requires=(),
    citation=(
        "Patel, Bowman & Rilling (2006), A Bayesian approach to determining connectivity of the "
        "human brain, Human Brain Mapping 27(3); variant of Smith et al. (2011), NeuroImage 54(2)"
    ),
    description=(
        "Patel's kappa (strength) and tau (direction) on series rescaled to [0,1] by the 10th/90th "
        "percentiles and binarised at 0.75; decision: significantly positive association "
        "(one-sided phi test, alpha 0.05) oriented by the sign of tau. tau depends only on the "
        "two nodes' activation rates (edge towards the more often active node), which the "
        "rescaling ties to each node's distribution shape: non-Gaussian marginals can reverse it"
    ),
    scores="max(kappa, 0) * (1 + tau) / 2 (strength by kappa, direction by tau)",
    canary=Canary("chain-activation"),
)
class Patel(Estimator):
    """Patel's κ and τ; see the module docstring for the maths, variant and decision rule.

    Parameters
    ----------
    threshold : binarisation level on the [0, 1]-rescaled series (Smith et al.: 0.75).
    alpha : level of the one-sided test of positive association (φ > 0).
    """

    def __init__(self, *, threshold: float = 0.75, alpha: float = 0.05) -> None:
        self.threshold = threshold
        self.alpha = alpha

    def check_params(self) -> None:
        th = self.threshold
        if not isinstance(th, (int, float)) or isinstance(th, bool) or not 0 <= th < 1:
            raise ValueError(f"patel: threshold must lie in [0, 1), got {th!r}")
        a = self.alpha
        if not isinstance(a, (int, float)) or isinstance(a, bool) or not 0 < a < 1:
            raise ValueError(f"patel: alpha must lie in (0, 1), got {a!r}")

    def fit(self, X: Any, context: FitContext | None = None) -> Patel:
        self.check_params()
        name = series_name(context, "patel")
        x = check_series(X, name=name, min_length=10)
        from scipy import stats

        a = binarize(x, float(self.threshold), name)
        kappa, tau, phi = patel_kappa_tau(a)
        z_crit = stats.norm.isf(float(self.alpha))
        self.adjacency_ = zero_diagonal((np.sqrt(x.shape[0]) * phi > z_crit) & (tau > 0))
        self.scores_ = zero_diagonal(np.clip(kappa, 0.0, None) * (1 + tau) / 2)
        active = a.mean(axis=0)
        self.extra_ = {
            "threshold": float(self.threshold),
            "active_fraction_min": float(active.min()),
            "active_fraction_max": float(active.max()),
            "active_fraction": active,
        }
        return self
