"""The estimator contract, in the scikit-learn style.

``__init__`` only stores keyword-only parameters; :meth:`Estimator.fit` does the work and
returns ``self``; learned results end in ``_``:

* ``adjacency_``: binary ``(N, N)``, ``adjacency_[i, j]`` = the method decides i → j;
* ``scores_``: continuous non-negative ``(N, N)`` in the same orientation, or ``None`` when the
  method has no natural continuous score;
* ``lag_scores_``: optional ``(L, N, N)`` per-lag scores of lagged methods.

The diagonal of both is zero (self-loops are never scored). ``fit`` never sees the ground truth:
scoring is the runner's job. A subject-level method's ``fit`` takes one ``(T, N)`` array; a
group-level method's takes a list of them (all subjects of a dataset).

**Transfer (optional).** A method whose fitted model can estimate EC on data it was not
trained on sets ``transferable = True`` and implements, on a fitted estimator,

* :meth:`Estimator.save_model` ``(path)``: write what :meth:`Estimator.load_model` needs into
  the folder ``path`` (the trained weights and the resolved configuration, nothing the method
  can rebuild, such as a frozen pretrained backbone);
* :meth:`Estimator.load_model` ``(path)`` (a classmethod): a fitted estimator from that folder;
* :meth:`Estimator.transfer_refusal` ``(n_nodes, n_times)``: ``None`` when the model can take
  data of that shape, else a short reason (e.g. per-node layers built for another N);
* :meth:`Estimator.predict` ``(X, context)``: the :class:`Estimate` on ``X`` with the weights
  frozen (no gradient step; eval mode), binarised by the method's own rule.

``bench transfer`` (:mod:`bench.transfers`) uses them; a method without them is reported there
as not applicable, never refitted on the target.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from bench.types import DataError, Estimate, FitContext


def check_series(x: Any, *, name: str = "series", min_length: int = 3) -> np.ndarray:
    """Validate one subject's series and return it as float64 ``(T, N)``.

    Raises :class:`DataError` (one line, naming ``name``) for a wrong number of dimensions,
    fewer than two nodes, fewer than ``min_length`` time points, non-finite values or a
    constant node.
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise DataError(f"{name}: expected a (T, N) array, got shape {arr.shape}")
    t, n = arr.shape
    if n < 2:
        raise DataError(f"{name}: needs at least 2 nodes, got {n}")
    if t < min_length:
        raise DataError(f"{name}: needs at least {min_length} time points, got {t}")
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise DataError(
            f"{name}: {int(bad.sum())} non-finite value(s) (NaN/Inf), first at time {row}, "
            f"node {col}"
        )
    const = np.flatnonzero(np.ptp(arr, axis=0) == 0)
    if const.size:
        raise DataError(f"{name}: node(s) {const.tolist()} are constant")
    return arr


class Estimator(BaseEstimator):
    """Base class of every registered method. Subclasses implement :meth:`fit`."""

    method_name: str = ""
    transferable: bool = False  # see "Transfer" in the module docstring

    def check_params(self) -> None:
        """Raise ``ValueError`` with a one-line message for invalid parameter values.

        The runner calls it once before planning any work, so a bad ``--param`` fails fast.
        """

    def fit(self, X: Any, context: FitContext | None = None) -> Estimator:
        raise NotImplementedError

    # ------------------------------------------------------------------ transfer (optional)

    def save_model(self, path: str) -> None:
        """Write the fitted model into the folder ``path`` (transferable methods only)."""
        raise NotImplementedError(f"{self.method_name}: not transferable (no save_model)")

    @classmethod
    def load_model(cls, path: str) -> Estimator:
        """A fitted estimator from a folder written by :meth:`save_model`."""
        raise NotImplementedError(f"{cls.method_name}: not transferable (no load_model)")

    def transfer_refusal(self, n_nodes: int, n_times: int) -> str | None:
        """``None`` if the fitted model can take ``(n_times, n_nodes)`` series, else why not."""
        raise NotImplementedError(f"{self.method_name}: not transferable")

    def predict(self, X: Any, context: FitContext | None = None) -> Estimate:
        """The frozen fitted model's estimate on new data ``X`` (no training step)."""
        raise NotImplementedError(f"{self.method_name}: not transferable (no predict)")

    def estimate(self) -> Estimate:
        """The fitted result as an :class:`Estimate`, checked against the contract."""
        return checked_estimate(
            self.method_name,
            self.adjacency_,
            getattr(self, "scores_", None),
            getattr(self, "lag_scores_", None),
            getattr(self, "extra_", {}),
        )


def checked_estimate(
    name: str, adjacency: Any, scores: Any = None, lag_scores: Any = None, extra: Any = None
) -> Estimate:
    """An :class:`Estimate` checked against the contract (shapes, finite non-negative scores),
    diagonals set to zero; ``ValueError`` naming the method otherwise."""
    adj = np.asarray(adjacency, dtype=bool).copy()
    n = adj.shape[0]
    if adj.shape != (n, n):
        raise ValueError(f"{name}: adjacency_ has shape {adj.shape}")
    np.fill_diagonal(adj, False)
    if scores is not None:
        scores = np.asarray(scores, dtype=np.float64).copy()
        if scores.shape != (n, n):
            raise ValueError(f"{name}: scores_ has shape {scores.shape}")
        if not np.all(np.isfinite(scores)) or (scores < 0).any():
            raise ValueError(f"{name}: scores_ must be finite and non-negative")
        np.fill_diagonal(scores, 0.0)
    return Estimate(
        adjacency=adj,
        scores=scores,
        lag_scores=None if lag_scores is None else np.asarray(lag_scores, dtype=np.float64),
        extra=dict(extra or {}),
    )
