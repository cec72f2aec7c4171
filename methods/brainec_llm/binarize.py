"""The reference's binarisation rule (reference/brainec-llm.md §8, steps 2-4).

Given a continuous EC matrix ``A`` (row = source, column = target):

1. the diagonal is set to 0;
2. midpoint ("soft") threshold ``τ = m + 0.5·(max(A) − m)`` with ``m`` the smallest
   off-diagonal value and ``max(A)`` the largest entry;
3. degree cap ``k = ⌊proportion·N⌋`` (``⌊0.4N⌋``: N=5 → 2, N=10 → 4, N=50 → 20):

   * for every **row** (source), among its k largest off-diagonal entries, those ``> τ`` are
     edges;
   * then every **column** (target) with more than k edges is replaced by the k largest
     off-diagonal entries of that column of ``A`` (this step ignores τ, as in the reference).

Ties are broken by the lower index (stable sort). With ``k = 0`` (N ≤ 2 at 0.4) the result is
empty, as in the reference.
"""

from __future__ import annotations

import numpy as np


def soft_threshold(a: np.ndarray) -> float:
    """``τ = min_offdiag + 0.5·(max(A) − min_offdiag)`` (diagonal taken as 0)."""
    a = np.array(a, dtype=np.float64)
    np.fill_diagonal(a, 0.0)
    off = ~np.eye(a.shape[0], dtype=bool)
    lo = float(a[off].min())
    return lo + 0.5 * (float(a.max()) - lo)


def _top_k(values: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    idx = np.flatnonzero(allowed)
    order = idx[np.argsort(-values[idx], kind="stable")]
    return order[:k]


def binarize(a: np.ndarray, proportion: float = 0.4) -> np.ndarray:
    """Binary ``(N, N)`` adjacency from ``A`` by the reference rule (see the module docstring)."""
    a = np.array(a, dtype=np.float64)
    n = a.shape[0]
    np.fill_diagonal(a, 0.0)
    tau = soft_threshold(a)
    k = int(proportion * n)
    adj = np.zeros((n, n), dtype=bool)
    if k <= 0:
        return adj
    for i in range(n):
        allowed = np.arange(n) != i
        for j in _top_k(a[i], allowed, k):
            if a[i, j] > tau:
                adj[i, j] = True
    for j in range(n):
        if adj[:, j].sum() > k:
            adj[:, j] = False
            allowed = np.arange(n) != j
            adj[_top_k(a[:, j], allowed, k), j] = True
    return adj
