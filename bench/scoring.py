"""The one scoring path: metrics of an estimate against the truth, in the driver only.

Estimators never see the truth: workers return estimates, and the driver calls :func:`score`
before a record is written, so a record holds the metrics of the code that wrote it, and its
``scoring_version`` (:func:`bench.provenance.scoring_version`) says which code that was.

* :func:`bench.metrics.compute_metrics` gives every registered metric of the decision and the
  continuous scores.
* Every estimate with continuous scores also gets ``oracle_max_f1``: the directed F1 of the
  best threshold on its scores chosen **against the truth** (:func:`max_f1`). Beside the honest
  ``f1`` of the method's own decision it measures the optimism of picking a threshold on the
  evaluation data, a practice common in EC papers.
* Estimates that carry per-epoch decisions (``extra["epoch_adjacency"]``, BrainEC-LLM) also
  get **oracle** metrics: ``oracle_best_f1`` / ``_precision`` / ``_recall`` is the best value
  over epochs and ``oracle_best_shd`` / ``_shd_fpfn`` the lowest, each chosen against the truth
  (the reference code's protocol). They always carry the ``oracle_`` prefix, which keeps them out
  of the honest tables.
"""

from __future__ import annotations

import numpy as np

from bench.metrics import compute_metrics
from bench.types import Estimate

Metrics = dict[str, float | None]


def max_f1(truth: np.ndarray, scores: np.ndarray) -> float:
    """The best directed F1 over thresholds of ``scores`` (an **oracle**: it looks at the truth).

    Over the ordered off-diagonal pairs, a threshold θ decides every pair with score ≥ θ; with
    θ running over the distinct scores (ties enter together), TP(θ) true and k(θ) decided pairs,
    F1(θ) = 2·TP / (n_true + k). Returns max_θ F1(θ) (0 when the truth is empty, as F1 is then 0
    for any non-empty decision). Equal to scanning every threshold with
    :func:`bench.metrics.compute_metrics` (tested), in one sort.
    """
    t = np.asarray(truth, dtype=bool)
    off = ~np.eye(t.shape[0], dtype=bool)
    y, s = t[off], np.asarray(scores, dtype=float)[off]
    n_true = int(y.sum())
    if n_true == 0:
        return 0.0
    order = np.argsort(-s, kind="mergesort")
    ys, ss = y[order], s[order]
    last = np.r_[np.flatnonzero(np.diff(ss)), ss.size - 1]  # cut after each distinct score
    tp = np.cumsum(ys)[last]
    k = last + 1
    return float(np.max(2.0 * tp / (n_true + k)))


def score(truth: np.ndarray, est: Estimate) -> Metrics:
    """Metrics of one estimate; oracle metrics (best threshold, best epoch) where they apply."""
    m = compute_metrics(truth, est.adjacency, est.scores)
    if est.scores is not None:
        m["oracle_max_f1"] = max_f1(truth, est.scores)
    epochs = est.extra.get("epoch_adjacency")
    if isinstance(epochs, np.ndarray) and epochs.ndim == 3 and len(epochs):
        per_epoch = [compute_metrics(truth, a.astype(bool), None) for a in epochs]
        for name in ("f1", "precision", "recall"):
            m[f"oracle_best_{name}"] = max(float(e[name]) for e in per_epoch)  # type: ignore[arg-type]
        for name in ("shd", "shd_fpfn"):
            m[f"oracle_best_{name}"] = min(float(e[name]) for e in per_epoch)  # type: ignore[arg-type]
    return m
