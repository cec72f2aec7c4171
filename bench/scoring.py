"""The one scoring path: metrics of an estimate against the truth, in the driver only.

Estimators never see the truth: workers return estimates, and the driver calls :func:`score`
before a record is written, so a record holds the metrics of the code that wrote it, and its
``scoring_version`` (:func:`bench.provenance.scoring_version`) says which code that was.

* :func:`bench.metrics.compute_metrics` gives every registered metric of the decision and the
  continuous scores.
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


def score(truth: np.ndarray, est: Estimate) -> Metrics:
    """Metrics of one estimate; oracle metrics over epochs when the estimate carries them."""
    m = compute_metrics(truth, est.adjacency, est.scores)
    epochs = est.extra.get("epoch_adjacency")
    if isinstance(epochs, np.ndarray) and epochs.ndim == 3 and len(epochs):
        per_epoch = [compute_metrics(truth, a.astype(bool), None) for a in epochs]
        for name in ("f1", "precision", "recall"):
            m[f"oracle_best_{name}"] = max(float(e[name]) for e in per_epoch)  # type: ignore[arg-type]
        for name in ("shd", "shd_fpfn"):
            m[f"oracle_best_{name}"] = min(float(e[name]) for e in per_epoch)  # type: ignore[arg-type]
    return m
