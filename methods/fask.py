"""FASK: Fast Adjacency Skewness (Sanchez-Romero et al. 2019), with 2-cycles.

Method
------
The T rows of a ``(T, N)`` series are treated as i.i.d. samples of a linear, possibly cyclic,
SEM with skewed (non-Gaussian) disturbances. Each node is standardised (mean 0, s.d. with
T − 1); "x > 0" below selects the time points where x is above its mean, Ê[· | x > 0] is the
sample mean over them and corr(·, · | x > 0) the sample correlation over them.

1. **Adjacencies.** G₀ = the FAS (PC-stable) skeleton with Fisher-z tests at level ``alpha``
   (:func:`bench.methods._skew.fas_skeleton`; conditioning sets up to ``depth``). FASK adds
   the pairs whose conditional correlations differ:

       |corr(X, Y | X > 0) − corr(X, Y | Y > 0)| > ``skew_edge_threshold``   (0.3),

   a difference that is non-zero only if X and Y are connected by some path (paper, "FASK").
   X and Y are adjacent in the output when (``use_fas_adjacencies`` and X — Y ∈ G₀) or
   (``use_skew_adjacencies`` and the difference exceeds the threshold).
2. **2-cycles.** For an adjacent pair, with A = adj_{G₀}(X) ∪ adj_{G₀}(Y) \\ {X, Y}, and for
   *every* Z ⊆ A (|Z| ≤ ``depth`` unless −1; sizes in increasing order), compare the partial
   correlation ρ = ρ(X, Y | Z) on all T points with ρ₁ on the points X > 0 (n₁ of them) and ρ₂
   on the points Y > 0 (n₂) by Fisher's z:

       z_k = (atanh ρ − atanh ρ_k) / sqrt(1 / (T − 3) + 1 / (n_k − 3)),   k = 1, 2,

   "rejected_k" when |z_k| > c, c = Φ⁻¹(1 − ``two_cycle_alpha`` / 2). Z supports a 2-cycle
   when (z₁ < 0 < z₂ and rejected₁) or (z₁ > 0 > z₂ and rejected₂) or (rejected₁ and
   rejected₂). X ⇄ Y is decided when every Z supports it (one Z that does not rules it out).
   ``two_cycle_alpha = 0`` turns the detection off.
3. **Left-right orientation** of the other adjacencies:

       LR(X, Y) = Ê[XY | X > 0] / sqrt(Ê[X² | X > 0] Ê[Y² | X > 0])
                − Ê[XY | Y > 0] / sqrt(Ê[X² | Y > 0] Ê[Y² | Y > 0])

   (uncentred moments of the standardised data). With r = corr(X, Y) · sign(skew X) ·
   sign(skew Y) (the correlation of the skewness-corrected pair), LR is multiplied by sign(r),
   and once more by −1 when r < ``delta`` (−0.2): the correction for negative coefficients.
   Then X → Y if LR > 0, else Y → X (X the lower index). LR is antisymmetric, so the rule does
   not depend on the order of the pair.

Defaults, their source, and the open choices
--------------------------------------------
The rules, the 2-cycle test, ``skew_edge_threshold = 0.3``, ``two_cycle_alpha = 1e-6`` and
``delta = −0.2`` follow the paper's FASK as implemented in Tetrad's ``Fask`` (cmu-phil/tetrad,
``edu.cmu.tetrad.search.Fask``, revision 8f38b84 of 2018, the version of the paper; the code was
read to check the details, none is copied). Tetrad runs FAS with a SEM-BIC score test (penalty
discount c): adding a parent is accepted when −T log(1 − r²) > c log T, i.e. a threshold on the
partial correlation. ``bench`` uses causal-learn's Fisher-z test instead (the PC-stable
skeleton) with ``alpha = 0.01``, close to the BIC threshold at c = 1 (marginal correlations:
BIC |r| > 0.111 at T = 500, Fisher-z at 0.01 |r| > 0.115; at T = 200, 0.162 and 0.181).
Tetrad's ``StatUtils.getZForAlpha`` of that revision finds c by bisection; here it is exact.

Encoding
--------
Output graphs are built directly in the bench orientation: X → Y sets ``adjacency_[X, Y]``;
X ⇄ Y sets both ``adjacency_[X, Y]`` and ``adjacency_[Y, X]`` (a 2-cycle: the metrics score
each ordered pair, so both directions count). Nothing is read from a library's graph except
causal-learn's skeleton in ``impl="reference"``, whose symmetric adjacency has no direction to
transpose. The chain canary (skewed noise, recipe ``chain-skewed``) checks the orientation.

Scores
------
FASK is a decision procedure (a test, a threshold, a sign): it has no single continuous
statistic over all ordered pairs, so ``scores_`` is ``None`` and AUROC/AUPRC are not applicable
(as for PC). ``extra_`` counts the FAS adjacencies, the ones added by the skewness rule, the
2-cycles and the one-way edges.

Implementation and speed
------------------------
``impl="fast"`` (default) runs the FAS step with the batched kernel of ``_skew.py``;
``impl="reference"`` with causal-learn (identical skeletons, see ``_skew.py``). The conditional
moments are computed once for every node (N subsets of the rows), so the orientation and the
skewness adjacencies are matrix products; each 2-cycle candidate's conditioning sets are tested
in one batch per size. The number of sets is 2^|A|, but a pair leaves the test at the first set
that does not support a 2-cycle (usually Z = ∅).

Reference
---------
R. Sanchez-Romero, J. D. Ramsey, K. Zhang, M. R. K. Glymour, B. Huang, C. Glymour (2019),
Estimating feedforward and feedback effective connections from fMRI time series: Assessments
of statistical methods, Network Neuroscience 3(2), 274–306. Tetrad: J. D. Ramsey et al.,
https://github.com/cmu-phil/tetrad.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import check_full_rank, series_name
from bench.methods._skew import IMPLS, fas_skeleton, skew_signs, standardize_ddof1
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import DataError, FitContext


def conditional_moments(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Moments of ``z`` (T, N) on the rows where each node is positive.

    Returns ``(n_pos, cov, corr, second)``: ``n_pos[k]`` = #{t: z[t, k] > 0}; ``cov[k]``,
    ``corr[k]`` the (N, N) sample covariance (T − 1 convention) and correlation of all nodes on
    those rows; ``second[k]`` the uncentred second moments Ê[z_i z_j | z_k > 0].
    """
    t, n = z.shape
    pos = z > 0
    n_pos = pos.sum(axis=0)
    cov = np.empty((n, n, n))
    second = np.empty((n, n, n))
    for k in range(n):
        rows = z[pos[:, k]]
        m = n_pos[k]
        second[k] = rows.T @ rows / m
        mean = rows.mean(axis=0)
        cov[k] = (second[k] - np.outer(mean, mean)) * (m / (m - 1))
    sd = np.sqrt(np.einsum("kii->ki", cov))
    corr = cov / (sd[:, :, None] * sd[:, None, :])
    return n_pos, cov, corr, second


def left_right(z: np.ndarray, second: np.ndarray, delta: float) -> np.ndarray:
    """FASK's corrected left-right statistic LR[i, j] (> 0: i → j) from the module docstring."""
    diag = np.einsum("kii->ki", second)  # diag[k, i] = Ê[z_i² | z_k > 0]
    cross = np.einsum("iij->ij", second)  # cross[i, j] = Ê[z_i z_j | z_i > 0]
    left = cross / np.sqrt(np.diag(diag)[:, None] * diag)  # row i: conditioned on z_i > 0
    right = left.T  # right[i, j] = Ê[z_i z_j | z_j > 0] / sqrt(...) = left[j, i]
    lr = left - right
    s = skew_signs(z)
    r = np.corrcoef(z, rowvar=False) * np.outer(s, s)
    lr = lr * np.sign(r)
    lr = np.where(r < delta, -lr, lr)
    np.fill_diagonal(lr, 0.0)
    return lr


def _partial_corr_batch(cov: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """ρ(v₀, v₁ | v₂..) for each row v of ``idx`` (K, m) from the covariance ``cov``.

    A singular conditioning matrix gives NaN for that row (Tetrad skips such a set).
    """
    return _partial_corr_stack(cov[idx[:, :, None], idx[:, None, :]])


def _partial_corr_stack(sub: np.ndarray) -> np.ndarray:
    """ρ(0, 1 | 2..) of each covariance matrix of the stack ``sub`` (K, m, m); NaN if singular."""
    try:
        p = np.linalg.inv(sub)
    except np.linalg.LinAlgError:
        p = np.full_like(sub, np.nan)
        for k in range(len(sub)):
            try:
                p[k] = np.linalg.inv(sub[k])
            except np.linalg.LinAlgError:
                pass
    return -p[:, 0, 1] / np.sqrt(p[:, 0, 0] * p[:, 1, 1])


def _supports(
    z0: np.ndarray, z1: np.ndarray, z2: np.ndarray, se1: np.ndarray, se2: np.ndarray, cutoff: float
) -> np.ndarray:
    """Whether each conditioning set supports a 2-cycle (the rule of the module docstring).

    A set with a non-finite z value (a singular conditioning matrix) supports it: Tetrad skips
    such a set.
    """
    zv1 = (z0 - z1) / se1
    zv2 = (z0 - z2) / se2
    rej1, rej2 = np.abs(zv1) > cutoff, np.abs(zv2) > cutoff
    supports = ((zv1 < 0) & (zv2 > 0) & rej1) | ((zv1 > 0) & (zv2 < 0) & rej2) | (rej1 & rej2)
    return supports | ~(np.isfinite(zv1) & np.isfinite(zv2))


def is_two_cycle(
    i: int,
    j: int,
    others: np.ndarray,
    covs: tuple[np.ndarray, np.ndarray, np.ndarray],
    counts: tuple[int, int, int],
    cutoff: float,
    depth: int,
    start: int = 0,
) -> bool:
    """FASK's 2-cycle test of the pair (i, j) over every Z ⊆ ``others`` (module docstring).

    ``covs`` = (covariance on all rows, on rows z_i > 0, on rows z_j > 0), ``counts`` their
    numbers of rows. True when every conditioning set of ``start`` or more nodes supports a
    2-cycle (``start = 1`` when Z = ∅ was already checked, see :func:`fask_graph`).
    """
    n_all, n1, n2 = counts
    se1 = np.sqrt(1.0 / (n_all - 3) + 1.0 / (n1 - 3))
    se2 = np.sqrt(1.0 / (n_all - 3) + 1.0 / (n2 - 3))
    top = len(others) if depth < 0 else min(depth, len(others))
    for size in range(start, top + 1):
        sets = np.array(list(combinations(others.tolist(), size)), dtype=np.intp)
        idx = np.empty((len(sets), size + 2), dtype=np.intp)
        idx[:, 0], idx[:, 1] = i, j
        idx[:, 2:] = sets.reshape(len(sets), size)
        z0, z1, z2 = (np.arctanh(_partial_corr_batch(c, idx)) for c in covs)
        if not _supports(z0, z1, z2, se1, se2, cutoff).all():
            return False
    return True


def empty_set_supports(
    pairs: np.ndarray,
    cov_all: np.ndarray,
    cov_pos: np.ndarray,
    n_pos: np.ndarray,
    t: int,
    cutoff: float,
) -> np.ndarray:
    """The Z = ∅ step of :func:`is_two_cycle` for many pairs (K, 2) at once (same arithmetic)."""
    i, j = pairs[:, 0], pairs[:, 1]
    two = np.stack([i, j], axis=1)
    sub_all = cov_all[two[:, :, None], two[:, None, :]]
    sub_1 = cov_pos[i[:, None, None], two[:, :, None], two[:, None, :]]
    sub_2 = cov_pos[j[:, None, None], two[:, :, None], two[:, None, :]]
    z0, z1, z2 = (np.arctanh(_partial_corr_stack(s)) for s in (sub_all, sub_1, sub_2))
    se1 = np.sqrt(1.0 / (t - 3) + 1.0 / (n_pos[i] - 3))
    se2 = np.sqrt(1.0 / (t - 3) + 1.0 / (n_pos[j] - 3))
    return _supports(z0, z1, z2, se1, se2, cutoff)


def fask_graph(
    x: np.ndarray,
    *,
    alpha: float = 0.01,
    depth: int = -1,
    skew_edge_threshold: float = 0.3,
    two_cycle_alpha: float = 1e-6,
    delta: float = -0.2,
    use_fas_adjacencies: bool = True,
    use_skew_adjacencies: bool = True,
    impl: str = "fast",
) -> tuple[np.ndarray, dict[str, int]]:
    """FASK on ``x`` (T, N): the bench adjacency (``A[i, j]`` = i → j) and edge counts.

    Parameters as in :class:`FASK`; the maths is in the module docstring. The caller validates
    the data (every node needs more than 3 points above its mean).
    """
    from scipy.stats import norm

    z = standardize_ddof1(np.asarray(x, dtype=np.float64))
    t, n = z.shape
    g0 = fas_skeleton(z, alpha, depth=depth, impl=impl)
    n_pos, cov_pos, corr_pos, second = conditional_moments(z)
    idx = np.arange(n)
    c1 = corr_pos[idx, idx, :]  # c1[i, j] = corr(z_i, z_j | z_i > 0)
    skew_adj = np.abs(c1 - c1.T) > skew_edge_threshold
    np.fill_diagonal(skew_adj, False)
    adjacent = (g0 & use_fas_adjacencies) | (skew_adj & use_skew_adjacencies)
    lr = left_right(z, second, delta)
    cov_all = np.cov(z, rowvar=False)
    cutoff = float(norm.ppf(1.0 - two_cycle_alpha / 2.0)) if two_cycle_alpha > 0 else np.inf
    out = np.zeros((n, n), dtype=bool)
    n_two = 0
    pairs = np.argwhere(np.triu(adjacent, 1))
    if np.isfinite(cutoff) and len(pairs):
        candidate = empty_set_supports(pairs, cov_all, cov_pos, n_pos, t, cutoff)
    else:
        candidate = np.zeros(len(pairs), dtype=bool)
    for (i, j), cand in zip(pairs, candidate, strict=True):
        others = np.flatnonzero((g0[i] | g0[j]) & (idx != i) & (idx != j))
        covs = (cov_all, cov_pos[i], cov_pos[j])
        counts = (t, int(n_pos[i]), int(n_pos[j]))
        if cand and is_two_cycle(i, j, others, covs, counts, cutoff, depth, start=1):
            out[i, j] = out[j, i] = True
            n_two += 1
        elif lr[i, j] > 0:
            out[i, j] = True
        else:
            out[j, i] = True
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    counts_out = {
        "n_fas_adjacencies": int((g0 & upper).sum()),
        "n_skew_adjacencies_added": int((skew_adj & ~g0 & upper).sum())
        if use_skew_adjacencies
        else 0,
        "n_adjacencies": int((adjacent & upper).sum()),
        "n_two_cycles": n_two,
        "n_one_way_edges": int((adjacent & upper).sum()) - n_two,
    }
    return out, counts_out


@register_method(
    "fask",
    level="subject",
    deterministic=True,
    requires=("scipy",),
    citation=(
        "Sanchez-Romero, Ramsey, Zhang, Glymour, Huang & Glymour (2019), Estimating feedforward "
        "and feedback effective connections from fMRI time series, Network Neuroscience 3(2)"
    ),
    description=(
        "FASK: FAS (PC-stable, Fisher-z) adjacencies plus skewness-difference adjacencies, "
        "2-cycle test on conditional partial correlations, left-right skewness orientation; "
        "time points as i.i.d. samples"
    ),
    scores=None,
    canary=Canary("chain-skewed", n=1000),
)
class FASK(Estimator):
    """FASK; see the module docstring for the maths, the defaults and their source.

    Parameters
    ----------
    alpha : level of the Fisher-z tests of the FAS adjacency search.
    depth : largest conditioning set of FAS and of the 2-cycle test (−1: unbounded).
    skew_edge_threshold : threshold t of |corr(X,Y | X>0) − corr(X,Y | Y>0)| for the added
        adjacencies.
    two_cycle_alpha : level of the 2-cycle z tests (0 turns 2-cycle detection off).
    delta : correlation below which the left-right decision is reversed once more (negative
        coefficients).
    use_fas_adjacencies, use_skew_adjacencies : which adjacencies enter the output.
    impl : ``"fast"`` (batched FAS kernel) or ``"reference"`` (causal-learn's skeleton).
    """

    def __init__(
        self,
        *,
        alpha: float = 0.01,
        depth: int = -1,
        skew_edge_threshold: float = 0.3,
        two_cycle_alpha: float = 1e-6,
        delta: float = -0.2,
        use_fas_adjacencies: bool = True,
        use_skew_adjacencies: bool = True,
        impl: str = "fast",
    ) -> None:
        self.alpha = alpha
        self.depth = depth
        self.skew_edge_threshold = skew_edge_threshold
        self.two_cycle_alpha = two_cycle_alpha
        self.delta = delta
        self.use_fas_adjacencies = use_fas_adjacencies
        self.use_skew_adjacencies = use_skew_adjacencies
        self.impl = impl

    def check_params(self) -> None:
        name = "fask"
        if not _real(self.alpha) or not 0 < self.alpha < 1:
            raise ValueError(f"{name}: alpha must lie in (0, 1), got {self.alpha!r}")
        if not _int(self.depth) or self.depth < -1:
            raise ValueError(f"{name}: depth must be an integer >= -1, got {self.depth!r}")
        if not _real(self.skew_edge_threshold) or self.skew_edge_threshold < 0:
            raise ValueError(
                f"{name}: skew_edge_threshold must be >= 0, got {self.skew_edge_threshold!r}"
            )
        if not _real(self.two_cycle_alpha) or not 0 <= self.two_cycle_alpha < 1:
            raise ValueError(
                f"{name}: two_cycle_alpha must lie in [0, 1), got {self.two_cycle_alpha!r}"
            )
        if not _real(self.delta) or not -1 <= self.delta <= 1:
            raise ValueError(f"{name}: delta must lie in [-1, 1], got {self.delta!r}")
        for flag in ("use_fas_adjacencies", "use_skew_adjacencies"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(
                    f"{name}: {flag} must be True or False, got {getattr(self, flag)!r}"
                )
        if self.impl not in IMPLS:
            raise ValueError(f"{name}: impl must be one of {IMPLS}, got {self.impl!r}")

    def fit(self, X: Any, context: FitContext | None = None) -> FASK:
        self.check_params()
        name = series_name(context, "fask")
        x = check_series(X, name=name, min_length=10)
        check_full_rank(x, name, "fask")
        check_positive_halves(x, name, "fask")
        adj, counts = fask_graph(
            x,
            alpha=self.alpha,
            depth=self.depth,
            skew_edge_threshold=self.skew_edge_threshold,
            two_cycle_alpha=self.two_cycle_alpha,
            delta=self.delta,
            use_fas_adjacencies=self.use_fas_adjacencies,
            use_skew_adjacencies=self.use_skew_adjacencies,
            impl=self.impl,
        )
        self.adjacency_ = adj
        self.scores_ = None
        self.extra_ = {**counts, "two_cycle_rule": "X<->Y sets both A[X,Y] and A[Y,X]"}
        return self


def check_positive_halves(x: np.ndarray, name: str, method: str, *, minimum: int = 10) -> None:
    """Raise :class:`DataError` when some node has fewer than ``minimum`` points above its mean
    (the conditional moments on "x > 0" would be undefined or meaningless)."""
    above = (x > x.mean(axis=0)).sum(axis=0)
    low = np.flatnonzero(above < minimum)
    if low.size:
        raise DataError(
            f"{name}: node(s) {low.tolist()} have fewer than {minimum} time points above their "
            f"mean; {method}'s conditional moments need more"
        )


def _real(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)


def _int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)
