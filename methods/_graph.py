"""Helpers shared by the classical adapters: input naming and the summary graph over lags.

Summary graph (DESIGN.md, "Estimates"; reference/metrics.md, "Lags")
--------------------------------------------------------------------
A lagged method produces per-lag arrays ``lag_scores[tau, i, j]`` and ``lag_adjacency[tau, i,
j]`` in the bench orientation (i at time t − tau → j at time t). NetSim and Sanchez-Romero truths
are summary graphs without lags, so the summary is

    scores[i, j]    = max_tau lag_scores[tau, i, j]
    adjacency[i, j] = OR_tau  lag_adjacency[tau, i, j]

with the diagonal (self-links, i.e. autocorrelation at tau >= 1) set to zero in both: a self-link
is never an edge of the summary graph and is never scored.
"""

from __future__ import annotations

import numpy as np

from bench.types import DataError, FitContext


def series_name(context: FitContext | None, method: str) -> str:
    """The name that error messages use for the series: the dataset name, else the method's."""
    if context is not None and context.dataset:
        return context.dataset
    return f"{method} input"


def zero_diagonal(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` (``(N, N)`` or ``(L, N, N)``) with every ``[..., i, i]`` set to zero."""
    out = np.array(a, copy=True)
    n = out.shape[-1]
    out[..., np.arange(n), np.arange(n)] = 0
    return out


def summarize_lags(
    lag_scores: np.ndarray, lag_adjacency: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Summary graph over lags: ``(scores, adjacency, lag_scores)``, self-links removed.

    ``lag_scores`` (float) and ``lag_adjacency`` (bool) are ``(L, N, N)`` in the bench
    orientation. Returns the max over lags of the scores, the OR over lags of the decisions and
    the per-lag scores, each with a zero diagonal.
    """
    ls = zero_diagonal(np.asarray(lag_scores, dtype=np.float64))
    la = zero_diagonal(np.asarray(lag_adjacency, dtype=bool))
    if ls.ndim != 3 or ls.shape != la.shape or ls.shape[1] != ls.shape[2]:
        raise ValueError(f"per-lag arrays must be (L, N, N) alike, got {ls.shape}, {la.shape}")
    return ls.max(axis=0), la.any(axis=0), ls


def check_full_rank(x: np.ndarray, name: str, method: str, *, max_condition: float = 1e10) -> None:
    """Raise :class:`DataError` when the nodes of ``x`` ``(T, N)`` are (nearly) collinear.

    The check is on the correlation matrix R of the columns: singular (rank < N, which includes
    every series with T <= N) or with condition number above ``max_condition``. Methods that
    invert R or regress each node on all the others (partial correlation, GES's BIC, LiNGAM's
    regressions) would otherwise return a graph made up by a pseudo-inverse.
    """
    t, n = x.shape
    if t <= n:
        raise DataError(
            f"{name}: {t} time points for {n} nodes: the covariance is singular "
            f"({method} needs more time points than nodes)"
        )
    corr = np.corrcoef(x, rowvar=False)
    cond = np.linalg.cond(corr)
    if not np.isfinite(cond) or cond > max_condition:
        raise DataError(
            f"{name}: correlation matrix is singular (collinear nodes, condition number "
            f"{cond:.3g}); {method} cannot run"
        )


def standardize(x: np.ndarray) -> np.ndarray:
    """Each column centred to mean 0 and scaled to unit (population) standard deviation."""
    return (x - x.mean(axis=0)) / x.std(axis=0)
