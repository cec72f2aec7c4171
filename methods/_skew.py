"""Shared kernels of the skewness-based methods (``fask``, ``two-step``, ``pwling``).

Two pieces live here, each a pure function on a ``(T, N)`` array (time points as i.i.d.
samples, as every contemporaneous method in ``bench`` treats them):

1. the **FAS skeleton**: the PC-stable adjacency search with the Fisher-z test
   (:func:`fas_skeleton`), fast (``impl="fast"``, from the correlation matrix, batched) or by
   causal-learn (``impl="reference"``);
2. the **pairwise likelihood-ratio measures** of Hyvärinen & Smith (2013)
   (:func:`pairwise_lr`).

FAS: the PC-stable adjacency search (Spirtes et al. 2000; Colombo & Maathuis 2014)
----------------------------------------------------------------------------------
Start from the complete undirected graph. At depth d = 0, 1, 2, ... (while some node has more
than d + 1 neighbours, and d ≤ ``depth`` unless ``depth`` = −1), for every ordered adjacent pair
(x, y) and every set S of d neighbours of x other than y, test x ⫫ y | S with Fisher's z:

    r = −P₀₁ / sqrt(|P₀₀ P₁₁|),   P = (R[v, v])⁻¹,   v = (min(x, y), max(x, y), sorted S),
    z = ½ · log((1 + r) / (1 − r)) · sqrt(T − d − 3),   p = 2 · (1 − Φ(|z|)),

R the sample correlation matrix (|r| ≥ 1 is clipped to 1 − ε as causal-learn does). The edge
x — y is removed when some test gives p > ``alpha``. *Stable*: all removals of a depth are
applied after every test of that depth, so the neighbour sets (and the result) do not depend
on the node order. This is exactly causal-learn's ``skeleton_discovery(..., stable=True)`` with
its ``fisherz`` test (same index order, same formula); the fast path batches the tests of one
depth into one stack of small matrix inversions. Equality with causal-learn (identical
skeletons, p-values to 1e-12 relative) is checked in ``tests/methods/test_skew.py`` on random
and NetSim data and over every NetSim subject of sims 1–4 by
``tests/benchmarks/fas_skeleton.py``. Tetrad's ``FasStable`` (the FAS of FASK and Two-Step) is
the same search; Tetrad's FASK usually runs it with a SEM-BIC score instead of Fisher's z
(see ``methods/fask.py``).

Pairwise likelihood ratios (Hyvärinen & Smith 2013, JMLR 14, Sections 4–5)
--------------------------------------------------------------------------
For two standardised variables x_i, x_j (mean 0, unit s.d.) with correlation ρ_ij, the
log-likelihood ratio R = log L(i → j) − log L(j → i) of the two linear non-Gaussian models is
approximated, with Ê the sample mean over time, by

* ``"skew"`` (their eq. for skewed variables, the third-cumulant approximation):
  R_ij = ρ_ij · Ê[x_i² x_j − x_i x_j²];
* ``"rskew"`` (their outlier-robust skewness measure): R_ij = ρ_ij · Ê[g(x_i) x_j − x_i g(x_j)]
  with g(u) = log cosh(max(u, 0));
* ``"tanh"`` (their first-order approximation for sparse, super-Gaussian variables):
  R_ij = ρ_ij · Ê[x_i tanh(x_j) − tanh(x_i) x_j].

R_ij > 0 favours i → j (R is antisymmetric: R_ji = −R_ij). The skewness measures assume
positively skewed variables, so for ``"skew"`` and ``"rskew"`` each variable is first
multiplied by the sign of its sample skewness (the paper's skewness correction; a skewness of
exactly 0 keeps the sign). Standardisation uses the s.d. with T − 1 and ρ the sample
correlation, as the authors' ``pwling.m`` (Hyvärinen, version 1.2, 2013) does; the measures are
checked against a transcription of its formulas in ``tests/methods/test_pwling.py``.

References
----------
P. Spirtes, C. Glymour, R. Scheines (2000), *Causation, Prediction, and Search*, 2nd ed., MIT
Press. D. Colombo, M. H. Maathuis (2014), Order-independent constraint-based causal structure
learning, JMLR 15, 3741–3782. A. Hyvärinen, S. M. Smith (2013), Pairwise likelihood ratios for
estimation of non-Gaussian structural equation models, JMLR 14, 111–152. Y. Zheng et al.
(2024), causal-learn: Causal Discovery in Python, JMLR 25(60).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

IMPLS = ("fast", "reference")
MEASURES = ("skew", "rskew", "tanh")
_CHUNK = 20000  # tests per batched inversion (bounds the memory of one stack)


# --------------------------------------------------------------------------- FAS skeleton


def fisher_z_pvalues(corr: np.ndarray, n_samples: int, tests: np.ndarray) -> np.ndarray:
    """Fisher-z p-values of the tests ``tests`` (K, d + 2): rows ``(x, y, s_1, ..., s_d)``.

    ``corr`` is the (N, N) correlation matrix. Each row is tested as x ⫫ y | {s_1..s_d} with
    the formula of the module docstring, evaluated on ``corr[v, v]`` with
    v = (min(x, y), max(x, y), sorted S), the order causal-learn's ``fisherz`` uses.
    """
    tests = np.asarray(tests, dtype=np.intp)
    k, width = tests.shape
    if k == 0:
        return np.zeros(0)
    d = width - 2
    v = tests.copy()
    v[:, 0] = tests[:, :2].min(axis=1)
    v[:, 1] = tests[:, :2].max(axis=1)
    if d > 1:
        v[:, 2:] = np.sort(tests[:, 2:], axis=1)
    from scipy.stats import norm

    out = np.empty(k)
    for start in range(0, k, _CHUNK):
        vv = v[start : start + _CHUNK]
        if d == 0:
            r = corr[vv[:, 0], vv[:, 1]].copy()
        else:
            sub = corr[vv[:, :, None], vv[:, None, :]]
            inv = np.linalg.inv(sub)
            r = -inv[:, 0, 1] / np.sqrt(np.abs(inv[:, 0, 0] * inv[:, 1, 1]))
        big = np.abs(r) >= 1
        r[big] = (1.0 - np.finfo(float).eps) * np.sign(r[big])
        z = 0.5 * np.log((1 + r) / (1 - r))
        stat = np.sqrt(n_samples - d - 3) * np.abs(z)
        out[start : start + _CHUNK] = 2 * (1 - norm.cdf(np.abs(stat)))
    return out


def _depth_tests(adj: np.ndarray, d: int) -> np.ndarray:
    """All tests (x, y, S) of depth ``d``: ordered adjacent (x, y), S ⊆ adj(x) \\ {y}, |S| = d."""
    if d == 0:
        return np.argwhere(adj).astype(np.intp)
    rows: list[np.ndarray] = []
    for x in range(adj.shape[0]):
        nb = np.flatnonzero(adj[x])
        if len(nb) - 1 < d:
            continue
        sets = np.array(list(combinations(nb.tolist(), d)), dtype=np.intp)  # (M, d)
        # y runs over adj(x); a set S qualifies for y when y ∉ S
        m_idx, y_idx = np.nonzero(~(sets[:, :, None] == nb[None, None, :]).any(axis=1))
        block = np.empty((len(m_idx), d + 2), dtype=np.intp)
        block[:, 0] = x
        block[:, 1] = nb[y_idx]
        block[:, 2:] = sets[m_idx]
        rows.append(block)
    if not rows:
        return np.zeros((0, d + 2), dtype=np.intp)
    return np.vstack(rows)


def _fas_fast(corr: np.ndarray, n_samples: int, alpha: float, depth: int) -> np.ndarray:
    n = corr.shape[0]
    adj = ~np.eye(n, dtype=bool)
    d = -1
    while adj.sum(axis=1).max() - 1 > d:
        d += 1
        if depth >= 0 and d > depth:
            break
        tests = _depth_tests(adj, d)
        if len(tests) == 0:
            continue
        independent = fisher_z_pvalues(corr, n_samples, tests) > alpha
        removed = np.zeros_like(adj)
        removed[tests[independent, 0], tests[independent, 1]] = True
        adj &= ~(removed | removed.T)
    return adj


def _fas_reference(x: np.ndarray, alpha: float, depth: int) -> np.ndarray:
    from causallearn.utils.cit import CIT
    from causallearn.utils.PCUtils.SkeletonDiscovery import skeleton_discovery

    cg = skeleton_discovery(
        x,
        alpha,
        CIT(x, "fisherz"),
        stable=True,
        show_progress=False,
        max_k=None if depth < 0 else depth,
    )
    g = np.asarray(cg.G.graph) != 0
    adj = g | g.T
    np.fill_diagonal(adj, False)
    return adj


def fas_skeleton(x: np.ndarray, alpha: float, *, depth: int = -1, impl: str = "fast") -> np.ndarray:
    """PC-stable (FAS) skeleton of ``x`` (T, N) with Fisher-z tests at level ``alpha``.

    Returns a symmetric bool (N, N) adjacency with a zero diagonal. ``depth`` bounds the size of
    the conditioning sets (−1: unbounded). ``impl="fast"`` (default) runs the batched search on
    the correlation matrix; ``impl="reference"`` calls causal-learn's ``skeleton_discovery``
    (stable, ``fisherz``). The two give the same skeleton (module docstring).
    """
    if impl == "reference":
        return _fas_reference(np.asarray(x, dtype=np.float64), alpha, depth)
    if impl != "fast":
        raise ValueError(f"impl must be one of {IMPLS}, got {impl!r}")
    corr = np.corrcoef(np.asarray(x, dtype=np.float64), rowvar=False)
    return _fas_fast(corr, x.shape[0], alpha, depth)


# --------------------------------------------------------------------------- pairwise measures


def standardize_ddof1(x: np.ndarray) -> np.ndarray:
    """Columns centred and divided by their sample s.d. (T − 1), as ``pwling.m`` does."""
    xc = x - x.mean(axis=0)
    return xc / xc.std(axis=0, ddof=1)


def skew_signs(x: np.ndarray) -> np.ndarray:
    """+1 or −1 per column: the sign of its sample skewness (+1 for a skewness of exactly 0)."""
    xc = x - x.mean(axis=0)
    third = (xc**3).mean(axis=0)
    return np.where(third < 0, -1.0, 1.0)


def pairwise_lr(x: np.ndarray, measure: str = "skew") -> np.ndarray:
    """Hyvärinen & Smith's (2013) likelihood-ratio measure ``R`` (N, N) of ``x`` (T, N).

    ``R[i, j] > 0`` favours i → j; ``R`` is antisymmetric with a zero diagonal. ``measure`` is
    ``"skew"``, ``"rskew"`` or ``"tanh"`` (formulas in the module docstring).
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    z = standardize_ddof1(np.asarray(x, dtype=np.float64))
    t = z.shape[0]
    if measure in ("skew", "rskew"):
        z = z * skew_signs(z)
    c = np.corrcoef(z, rowvar=False)
    if measure == "skew":
        g = z**2  # R_ij = ρ_ij Ê[x_i² x_j − x_i x_j²]
        r = c * (g.T @ z - z.T @ g) / t
    elif measure == "rskew":
        g = np.log(np.cosh(np.maximum(z, 0.0)))  # R_ij = ρ_ij Ê[g(x_i) x_j − x_i g(x_j)]
        r = c * (g.T @ z - z.T @ g) / t
    else:
        g = np.tanh(z)  # R_ij = ρ_ij Ê[x_i tanh(x_j) − tanh(x_i) x_j]
        r = c * (z.T @ g - g.T @ z) / t
    r = (r - r.T) / 2  # exactly antisymmetric (the two products round differently)
    np.fill_diagonal(r, 0.0)
    return r
