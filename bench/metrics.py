"""Scores of an estimated EC graph against a ground-truth graph.

Orientation: ``A[i, j]`` is the edge **i → j** (row = source, column = target), for the truth,
the binary estimate and the continuous scores alike. The diagonal (self-loops) is never scored.

Pairs. With ``N`` nodes there are ``N(N−1)`` off-diagonal *ordered* pairs ``(i, j)``, ``i ≠ j``,
and ``N(N−1)/2`` *unordered* pairs ``{i, j}``. Graphs may contain cycles and 2-cycles
(``i ⇄ j``): every ordered pair is scored on its own and no metric assumes a DAG. The *state*
of an unordered pair ``{i, j}`` (``i < j``) in a graph ``G`` is the tuple
``(G[i, j], G[j, i])``: none, ``i → j``, ``j → i`` or ``i ⇄ j``.

With ``T`` the truth and ``E`` the estimate over ordered off-diagonal pairs::

    TP = #{(i, j): T[i, j] = 1 and E[i, j] = 1}        n_true = #{T[i, j] = 1} = TP + FN
    FP = #{(i, j): T[i, j] = 0 and E[i, j] = 1}        n_pred = #{E[i, j] = 1} = TP + FP
    FN = #{(i, j): T[i, j] = 1 and E[i, j] = 0}

A reversed edge (truth ``i → j``, estimate ``j → i``) is one FP and one FN.

Zero-denominator conventions (no metric returns NaN; ``None`` means "not applicable" and is
shown as n/a in tables):

* precision = TP / n_pred; when n_pred = 0 (empty estimate) it is 1 if the truth is empty too
  (nothing claimed, nothing missed) and 0 otherwise (by convention: an empty estimate of a
  non-empty truth gets no credit; tables footnote the cells where this occurs).
* recall = TP / n_true; when n_true = 0 (empty truth) it is 1 (nothing to find).
* F1 = 2·P·R / (P + R); 0 when P + R = 0.
  Hence empty estimate vs empty truth: P = R = F1 = 1; empty estimate vs non-empty truth:
  P = R = F1 = 0; non-empty estimate vs empty truth: P = 0, R = 1, F1 = 0.
* The skeleton metrics follow the same three rules over unordered pairs.
* orientation_accuracy is ``None`` when no true adjacency was found (empty truth or no overlap
  of the skeletons): it is a conditional rate with nothing to condition on.
* two_cycle_recall is ``None`` when the truth has no 2-cycle.
* Score metrics (auroc, auprc, c_sensitivity, d_accuracy) are ``None`` when ``scores`` is
  ``None``: a method without a continuous score is reported as not applicable, never scored from
  its binary decision (that would be a single ROC point, not an AUROC). They are also ``None``
  where the quantity is undefined: AUROC with one class only (empty or all-positive truth),
  AUPRC with no positive pair, c-sensitivity without a true connection or without a pair free
  of true edges, d-accuracy without a one-way true edge.
* auprc_null (the edge density) needs no scores and is always defined (``N ≥ 2``).

Counts (tp, fp, fn, n_pred, n_true) are returned as floats so that every value averages alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bench.registry import did_you_mean

__all__ = ["METRICS", "MetricInfo", "compute_metrics", "get_metric"]


@dataclass(frozen=True)
class MetricInfo:
    """Metadata of a registered metric.

    ``label`` is the short name used in tables (``"F1"``, ``"SHD"``). ``higher_is_better`` is the
    direction the tables use to mark the best value. ``needs_scores`` is true when the metric
    uses the continuous scores (and is ``None`` for a method without them). ``integer`` marks
    count-like metrics (SHD, counts), printed with one decimal in tables. ``ranked`` is false
    for descriptive values that have no "best" (n_pred, n_true, the null AUPRC): tables mark
    nothing for them.
    """

    name: str
    label: str
    higher_is_better: bool
    needs_scores: bool
    description: str
    integer: bool = False
    ranked: bool = True


@dataclass(frozen=True)
class _Graphs:
    """Validated inputs: boolean truth and estimate with a False diagonal, optional scores."""

    truth: np.ndarray
    est: np.ndarray
    scores: np.ndarray | None
    offdiag: np.ndarray  # boolean (N, N) mask of the ordered off-diagonal pairs
    upper: tuple[np.ndarray, np.ndarray]  # indices (i, j) with i < j: the unordered pairs

    @property
    def tp(self) -> int:
        return int(np.sum(self.truth & self.est))

    @property
    def fp(self) -> int:
        return int(np.sum(~self.truth & self.est & self.offdiag))

    @property
    def fn(self) -> int:
        return int(np.sum(self.truth & ~self.est))

    def pair_states(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(g[i, j], g[j, i])`` for every unordered pair ``i < j``."""
        i, j = self.upper
        return g[i, j], g[j, i]


MetricFn = Callable[[_Graphs], "float | None"]

METRICS: dict[str, MetricInfo] = {}
_FUNCS: dict[str, MetricFn] = {}


def _metric(
    name: str,
    label: str,
    *,
    higher_is_better: bool,
    needs_scores: bool = False,
    integer: bool = False,
    ranked: bool = True,
) -> Callable[[MetricFn], MetricFn]:
    """Register a metric function; registration order is the display order.

    The function's docstring (first paragraph) becomes the metric's description.
    """

    def deco(fn: MetricFn) -> MetricFn:
        if name in METRICS:
            raise ValueError(f"metric {name!r} registered twice")
        doc = (fn.__doc__ or "").strip().split("\n\n")[0]
        METRICS[name] = MetricInfo(
            name=name,
            label=label,
            higher_is_better=higher_is_better,
            needs_scores=needs_scores,
            description=" ".join(doc.split()),
            integer=integer,
            ranked=ranked,
        )
        _FUNCS[name] = fn
        return fn

    return deco


def _ratio(num: float, den: float, *, if_zero: float) -> float:
    return float(num) / float(den) if den else float(if_zero)


def _f1(p: float, r: float) -> float:
    return 2.0 * p * r / (p + r) if p + r > 0 else 0.0


# --------------------------------------------------------------------------- directed


@_metric("precision", "Precision", higher_is_better=True)
def _precision(g: _Graphs) -> float:
    """Directed precision TP / (TP + FP); 1 if both graphs are empty, 0 for an empty estimate."""
    n_pred = int(g.est.sum())
    return _ratio(g.tp, n_pred, if_zero=1.0 if not g.truth.any() else 0.0)


@_metric("recall", "Recall", higher_is_better=True)
def _recall(g: _Graphs) -> float:
    """Directed recall (TPR) TP / (TP + FN); 1 for an empty truth."""
    return _ratio(g.tp, int(g.truth.sum()), if_zero=1.0)


@_metric("f1", "F1", higher_is_better=True)
def _f1_metric(g: _Graphs) -> float:
    """Directed F1 = 2·P·R / (P + R) of directed precision and recall; 0 when P + R = 0."""
    return _f1(_precision(g), _recall(g))


@_metric("shd", "SHD", higher_is_better=False, integer=True)
def _shd(g: _Graphs) -> float:
    """Structural Hamming distance, a reversal counted once, extended to cyclic graphs.

    SHD = Σ over unordered pairs {i, j} of the edit distance between the pair's true state and
    its estimated state, where one edit adds, removes or reverses a single edge. With the states
    none, i → j, j → i and i ⇄ j (both)::

                      est none   est i→j   est j→i   est both
        true none        0          1         1         2
        true i→j         1          0         1         1
        true j→i         1          1         0         1
        true both        2          1         1         0

    i.e. the number of differing directions (the Hamming distance of (E[i,j], E[j,i]) and
    (T[i,j], T[j,i])), except that a reversal of a single edge costs 1, not 2. A missing 2-cycle
    (true i ⇄ j, estimate empty) takes two deletions and costs 2, as does an estimated 2-cycle
    where the truth has no edge. On DAGs (no 2-cycles) this is the causal-learn / gCastle /
    Benchpress convention (every differing pair costs 1).
    """
    ti, tj = g.pair_states(g.truth)
    ei, ej = g.pair_states(g.est)
    hamming = (ti != ei).astype(int) + (tj != ej).astype(int)
    reversal = (ti != tj) & (ei == tj) & (ej == ti)  # a single edge against its reverse
    return float(np.sum(hamming - reversal))


@_metric("shd_fpfn", "SHD (FP+FN)", higher_is_better=False, integer=True)
def _shd_fpfn(g: _Graphs) -> float:
    """SHD as FP + FN over ordered pairs: a reversal counts 2.

    The cdt ``SHD(double_for_anticausal=True)`` convention, used by the BrainEC-LLM reference code.
    """
    return float(g.fp + g.fn)


# --------------------------------------------------------------------------- skeleton


def _skeletons(g: _Graphs) -> tuple[np.ndarray, np.ndarray]:
    """Undirected skeletons over unordered pairs: S[{i,j}] = G[i,j] or G[j,i]."""
    ti, tj = g.pair_states(g.truth)
    ei, ej = g.pair_states(g.est)
    return ti | tj, ei | ej


@_metric("skeleton_precision", "Skel. precision", higher_is_better=True)
def _skeleton_precision(g: _Graphs) -> float:
    """Undirected precision |S_T ∩ S_E| / |S_E| over unordered pairs (S = skeleton).

    1 if both skeletons are empty, 0 for an empty estimated skeleton.
    """
    st, se = _skeletons(g)
    return _ratio(np.sum(st & se), np.sum(se), if_zero=1.0 if not st.any() else 0.0)


@_metric("skeleton_recall", "Skel. recall", higher_is_better=True)
def _skeleton_recall(g: _Graphs) -> float:
    """Undirected recall |S_T ∩ S_E| / |S_T| over unordered pairs; 1 for an empty truth."""
    st, se = _skeletons(g)
    return _ratio(np.sum(st & se), np.sum(st), if_zero=1.0)


@_metric("skeleton_f1", "Skel. F1", higher_is_better=True)
def _skeleton_f1(g: _Graphs) -> float:
    """Undirected F1 = 2·P·R / (P + R) of skeleton precision and recall; 0 when P + R = 0."""
    return _f1(_skeleton_precision(g), _skeleton_recall(g))


@_metric("orientation_accuracy", "Orient. acc.", higher_is_better=True)
def _orientation_accuracy(g: _Graphs) -> float | None:
    """Fraction of found true adjacencies whose direction(s) match exactly.

    Over unordered pairs {i, j} adjacent in both the true and the estimated skeleton:
    #{(E[i,j], E[j,i]) = (T[i,j], T[j,i])} / #{found true adjacencies}. A true 2-cycle must be
    estimated as a 2-cycle. ``None`` when no true adjacency was found.
    """
    ti, tj = g.pair_states(g.truth)
    ei, ej = g.pair_states(g.est)
    found = (ti | tj) & (ei | ej)
    n_found = int(found.sum())
    if n_found == 0:
        return None
    return float(np.sum(found & (ti == ei) & (tj == ej))) / n_found


@_metric("two_cycle_recall", "2-cycle recall", higher_is_better=True)
def _two_cycle_recall(g: _Graphs) -> float | None:
    """Fraction of true 2-cycles i ⇄ j estimated with both directions i → j and j → i.

    #{i < j: T[i,j] = T[j,i] = 1 and E[i,j] = E[j,i] = 1} / #{i < j: T[i,j] = T[j,i] = 1};
    ``None`` when the truth has no 2-cycle.
    """
    ti, tj = g.pair_states(g.truth)
    ei, ej = g.pair_states(g.est)
    true_cycles = ti & tj
    n = int(true_cycles.sum())
    if n == 0:
        return None
    return float(np.sum(true_cycles & ei & ej)) / n


# --------------------------------------------------------------------------- scores


def auroc_score(y: np.ndarray, s: np.ndarray) -> float:
    """AUROC of scores ``s`` for binary labels ``y`` (both classes present), by ranks.

    The Mann–Whitney form: with average ranks r (ties share their mean rank) of the n⁺ positive
    and n⁻ negative scores, AUROC = (Σ r⁺ − n⁺(n⁺ + 1)/2) / (n⁺ n⁻) = P(s⁺ > s⁻) + ½ P(s⁺ = s⁻),
    the area under scikit-learn's ROC curve (``roc_auc_score``, trapezoids over the distinct
    thresholds). Equal to it to rounding (tests/test_metrics.py compares the two); about 100×
    faster, which matters when every one of thousands of fits is scored in the driver.
    """
    from scipy.stats import rankdata

    y = np.asarray(y, dtype=bool)
    ranks = rankdata(s)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """Average precision AP = Σ_k (R_k − R_{k−1}) · P_k over the distinct score thresholds.

    Thresholds in decreasing order; at each, precision P_k = TP_k / (TP_k + FP_k) and recall
    R_k = TP_k / n⁺ count every pair scoring at least the threshold (ties enter together), with
    R_0 = 0: scikit-learn's ``average_precision_score`` (no interpolation), computed from one
    sort. Equal to it to rounding (tests/test_metrics.py); needs a positive label.
    """
    y = np.asarray(y, dtype=bool)
    order = np.argsort(-np.asarray(s, dtype=float), kind="mergesort")
    ys, ss = y[order], np.asarray(s, dtype=float)[order]
    last = np.r_[np.flatnonzero(np.diff(ss)), ss.size - 1]  # last index of each distinct score
    tp = np.cumsum(ys)[last].astype(float)
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / tp[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _flat(g: _Graphs) -> tuple[np.ndarray, np.ndarray]:
    """Truth labels and scores of the ordered off-diagonal pairs, in row-major order."""
    assert g.scores is not None
    return g.truth[g.offdiag].astype(int), g.scores[g.offdiag]


@_metric("auroc", "AUROC", higher_is_better=True, needs_scores=True)
def _auroc(g: _Graphs) -> float | None:
    """Area under the ROC curve of the scores over the N(N−1) ordered off-diagonal pairs.

    AUROC = P(s⁺ > s⁻) + ½·P(s⁺ = s⁻) for a random true pair s⁺ and absent pair s⁻
    (:func:`auroc_score`, equal to scikit-learn's ``roc_auc_score``). ``None`` without scores
    or with one class only.
    """
    if g.scores is None:
        return None
    y, s = _flat(g)
    if y.min() == y.max():
        return None
    return auroc_score(y, s)


@_metric("auprc", "AUPRC", higher_is_better=True, needs_scores=True)
def _auprc(g: _Graphs) -> float | None:
    """Average precision of the scores over the ordered off-diagonal pairs.

    AP = Σ_k (R_k − R_{k−1}) · P_k over the score thresholds (:func:`average_precision`, equal
    to scikit-learn's ``average_precision_score``; no interpolation). ``None`` without scores
    or without a positive pair. Compare with auprc_null.
    """
    if g.scores is None:
        return None
    y, s = _flat(g)
    if not y.any():
        return None
    return average_precision(y, s)


@_metric("auprc_null", "AUPRC null", higher_is_better=True, ranked=False)
def _auprc_null(g: _Graphs) -> float:
    """AUPRC of a random ranking = edge density n_true / (N(N−1)); needs no scores."""
    return float(g.truth.sum()) / float(g.offdiag.sum())


@_metric("c_sensitivity", "c-sens.", higher_is_better=True, needs_scores=True)
def _c_sensitivity(g: _Graphs) -> float | None:
    """NetSim c-sensitivity (Smith et al. 2011): the fraction of true connections detected.

    Connections, not directions, as in the paper: over unordered pairs {i, j}, a pair is a true
    connection when T[i,j] or T[j,i], and its strength is c = max(|s[i,j]|, |s[j,i]|) (the
    larger absolute score of its two directions). The null distribution is the strengths of the
    pairs with no true edge in **either** direction, and q is its 95th percentile (numpy linear
    interpolation); c-sensitivity = #{true connections with c > q} / #{true connections}. (The
    reverse of a true edge is not a false connection: a symmetric method that ranks every true
    pair first scores 1.) ``None`` without scores, without a true connection or without a pair
    free of true edges.
    """
    if g.scores is None:
        return None
    ti, tj = g.pair_states(g.truth)
    si, sj = g.pair_states(np.abs(g.scores))
    connected = ti | tj
    strength = np.maximum(si, sj)
    if not connected.any() or connected.all():
        return None
    q = np.percentile(strength[~connected], 95)
    return float(np.mean(strength[connected] > q))


@_metric("d_accuracy", "d-acc.", higher_is_better=True, needs_scores=True)
def _d_accuracy(g: _Graphs) -> float | None:
    """NetSim d-accuracy (Smith et al. 2011) over the one-way true edges.

    d-accuracy = #{true i→j with T[j,i] = 0 and s[i,j] > s[j,i]} / #{true i→j with T[j,i] = 0};
    a tie counts as wrong. Edges of a true 2-cycle are excluded: they have no single direction
    to get right (including them would cap the value below 1). ``None`` without scores or
    without a one-way true edge.
    """
    if g.scores is None:
        return None
    one_way = g.truth & ~g.truth.T
    n = int(one_way.sum())
    if n == 0:
        return None
    return float(np.sum(one_way & (g.scores > g.scores.T))) / n


# --------------------------------------------------------------------------- counts


@_metric("tp", "TP", higher_is_better=True, integer=True)
def _tp(g: _Graphs) -> float:
    """True positives: ordered pairs with T[i,j] = E[i,j] = 1."""
    return float(g.tp)


@_metric("fp", "FP", higher_is_better=False, integer=True)
def _fp(g: _Graphs) -> float:
    """False positives: ordered pairs with T[i,j] = 0 and E[i,j] = 1."""
    return float(g.fp)


@_metric("fn", "FN", higher_is_better=False, integer=True)
def _fn(g: _Graphs) -> float:
    """False negatives: ordered pairs with T[i,j] = 1 and E[i,j] = 0."""
    return float(g.fn)


@_metric("n_pred", "# pred.", higher_is_better=True, integer=True, ranked=False)
def _n_pred(g: _Graphs) -> float:
    """Number of estimated edges (ordered off-diagonal pairs) = TP + FP."""
    return float(g.est.sum())


@_metric("n_true", "# true", higher_is_better=True, integer=True, ranked=False)
def _n_true(g: _Graphs) -> float:
    """Number of true edges (ordered off-diagonal pairs) = TP + FN."""
    return float(g.truth.sum())


# --------------------------------------------------------------------------- API


def _binary(name: str, a: np.ndarray) -> np.ndarray:
    if a.dtype == bool:
        return a
    if not np.issubdtype(a.dtype, np.number) or not np.isin(a, (0, 1)).all():
        raise ValueError(f"{name} must be binary (0/1 or bool); got values outside {{0, 1}}")
    return a.astype(bool)


def _validate(truth: object, adjacency: object, scores: object | None) -> _Graphs:
    t = np.asarray(truth)
    e = np.asarray(adjacency)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError(f"truth must be a square (N, N) matrix; got shape {t.shape}")
    if e.shape != t.shape:
        raise ValueError(f"adjacency shape {e.shape} differs from truth shape {t.shape}")
    n = t.shape[0]
    if n < 2:
        raise ValueError(f"graphs need at least 2 nodes to have an off-diagonal pair; got N={n}")
    offdiag = ~np.eye(n, dtype=bool)
    t = _binary("truth", t) & offdiag
    e = _binary("adjacency", e) & offdiag
    s: np.ndarray | None = None
    if scores is not None:
        try:
            s = np.asarray(scores, dtype=float)
        except (TypeError, ValueError):
            raise ValueError("scores must be a real-valued (N, N) array") from None
        if s.shape != t.shape:
            raise ValueError(f"scores shape {s.shape} differs from truth shape {t.shape}")
        if not np.isfinite(s[offdiag]).all():
            raise ValueError("scores contain NaN or infinite values off the diagonal")
    return _Graphs(truth=t, est=e, scores=s, offdiag=offdiag, upper=np.triu_indices(n, k=1))


def compute_metrics(
    truth: np.ndarray, adjacency: np.ndarray, scores: np.ndarray | None
) -> dict[str, float | None]:
    """Every registered metric of ``adjacency`` (and ``scores``) against ``truth``.

    ``truth`` and ``adjacency`` are binary ``(N, N)`` arrays, ``scores`` a real ``(N, N)`` array
    (larger = more confident in the edge) or ``None``; all use ``A[i, j]`` = i → j and the
    diagonal is ignored. Returns ``{name: value}`` in :data:`METRICS` order; ``None`` marks a
    value that is not applicable (see the module docstring). Raises :class:`ValueError` on
    wrong shapes, non-binary graphs or non-finite scores.
    """
    g = _validate(truth, adjacency, scores)
    return {name: fn(g) for name, fn in _FUNCS.items()}


def get_metric(name: str) -> MetricInfo:
    """The :class:`MetricInfo` of ``name``; an unknown name raises ``UnknownNameError``."""
    if name not in METRICS:
        raise did_you_mean("metric", name, METRICS)
    return METRICS[name]
