"""Batched partial-correlation tests on a fixed lagged design: tigramite's ``ParCorr``, fast.

What it computes
----------------
tigramite's ``ParCorr(significance="analytic")`` tests X ⊥ Y | Z for lagged nodes
(var, −lag) of a series ``x`` (T, N). Inside PCMCI and PCMCI+ every test uses the same sample
rows (``cut_off='2xtau_max'``): times t = 2·τ_max .. T − 1, so T_eff = T − 2·τ_max, and a node
(k, −l) is the column x[t − l, k] over those rows. For one test tigramite builds the array of
X, Y and the de-duplicated Z (nodes of Z equal to X or Y dropped), standardises each row,
regresses X and Y on Z by least squares and takes the Pearson correlation of the residuals:

    ρ = corr(r_X, r_Y),  r_V = V − Z β_V,
    p = 2 · t_sf(|ρ| · sqrt(ν / (1 − ρ²)), ν),  ν = T_eff − (2 + |Z|),

with p = NaN when ν < 1 and p = 0 when |ρ| = 1 (``ParCorr.get_analytic_significance``).

Here the lagged design D (T_eff rows, one column per node (k, −l), l = 0 .. 2·τ_max) is built
once and its correlation matrix R is computed once. The partial correlation of X and Y given Z
is a function of R restricted to (Z, X, Y) alone: with the Cholesky factor L of that
(|Z| + 2)-square submatrix, ordered Z first, the last 2 × 2 block of L L^T is the residual
covariance of (X, Y) given Z, and

    ρ = L[-1, -2] / sqrt(L[-1, -2]² + L[-1, -1]²).

This equals tigramite's ρ in exact arithmetic (standardisation, intercept and the choice of
regression are all absorbed by R). Tests of one size are solved together (one batched
Cholesky call), which removes tigramite's per-test array construction, hashing, ``lstsq`` and
``pearsonr`` calls; the p-value is the same expression evaluated with the same Student-t
survival function. As tigramite's test object caches by data (a test's result is reused for
the same X, Y, Z in any order, X and Y swapped), :class:`LaggedParCorr` memoises results by
the unordered pair {X, Y} and the set Z.

Tolerance
---------
ρ differs from tigramite's only by rounding: both are backward stable, with errors of the
order of ε·κ, ε = 2.2e-16 and κ the condition number of the (Z, X, Y) correlation submatrix.
On the NetSim subjects of sims 1–4 and random VAR data the largest difference observed is
below 1e-14 in ρ and 1e-12 relative in p (tests/methods/test_parcorr.py,
tests/benchmarks/speed_pcmci.py): the tests compare at 1e-10 in ρ and 1e-8 relative in p.
NetSim's lagged designs are well conditioned (the smallest squared Cholesky pivot seen in
sims 1–4 is 0.33). As a safeguard, a test whose squared pivot falls below ``MIN_PIVOT2``
(1e-6: a node nearly a linear function of the nodes before it), a Cholesky failure, and a
lagged column that is constant over the sample rows (tigramite then drops it from the test)
raise :class:`FastPathUnsupported`, and the callers fall back to tigramite itself.

Reference: J. Runge et al. (2019), Science Advances 5(11), eaau4996 (ParCorr, PCMCI);
tigramite 5.2 ``independence_tests/parcorr.py`` and ``data_processing.construct_array``.
"""

from __future__ import annotations

import sys
from collections import defaultdict

import numpy as np
from scipy import special

MIN_PIVOT2 = 1e-6  # smallest squared Cholesky pivot accepted (correlation units)
MAX_BATCH_FLOATS = 2_000_000  # floats per gathered batch of submatrices (16 MB)

Node = tuple[int, int]  # (variable, lag <= 0), tigramite's convention
Test = tuple[int, int, tuple[int, ...]]  # (x column, y column, sorted z columns)


class FastPathUnsupported(Exception):
    """The data fall outside what the fast path reproduces exactly; use tigramite instead."""


def analytic_pvalues(r: np.ndarray, dof: np.ndarray) -> np.ndarray:
    """tigramite's ``ParCorr.get_analytic_significance``, vectorised (NaN where ν < 1).

    ``scipy.stats.t.sf(x, ν)`` is ``scipy.special.stdtr(ν, −x)`` (scipy's ``t._sf``); calling
    the ufunc directly gives the same numbers without the distribution's per-call overhead.
    """
    r = np.asarray(r, dtype=float)
    dof = np.asarray(dof, dtype=float)
    p = np.full(r.shape, np.nan)
    ok = dof >= 1
    one = ok & (np.abs(np.abs(r) - 1.0) <= sys.float_info.min)
    rest = ok & ~one
    p[one] = 0.0
    rr, df = r[rest], dof[rest]
    trafo = rr * np.sqrt(df / (1.0 - rr * rr))
    p[rest] = special.stdtr(df, -np.abs(trafo)) * 2  # = stats.t.sf(|trafo|, df) * 2
    return p


def lagged_design(x: np.ndarray, tau_max: int) -> np.ndarray:
    """The columns x[t − l, k], t = 2·τ_max .. T − 1, as ``D[:, l·N + k]``, l = 0 .. 2·τ_max."""
    t = x.shape[0]
    return np.concatenate([x[2 * tau_max - lag : t - lag] for lag in range(2 * tau_max + 1)], 1)


class LaggedParCorr:
    """ParCorr tests of one series on tigramite's '2xtau_max' samples, batched and memoised.

    Parameters
    ----------
    x : the series (T, N), float.
    tau_max : the PCMCI ``tau_max``; nodes may have lags 0 .. 2·τ_max.

    Raises :class:`FastPathUnsupported` when a lagged column is constant over the sample rows.
    """

    def __init__(self, x: np.ndarray, tau_max: int) -> None:
        self.n_vars = x.shape[1]
        self.t_eff = x.shape[0] - 2 * tau_max
        design = lagged_design(np.asarray(x, dtype=float), tau_max)
        if (np.ptp(design, axis=0) == 0).any():
            raise FastPathUnsupported("a lagged series is constant over the test samples")
        centred = design - design.mean(axis=0)
        norm = np.sqrt(np.einsum("ij,ij->j", centred, centred))
        self.corr = (centred.T @ centred) / np.outer(norm, norm)
        self.memo: dict[Test, tuple[float, float]] = {}
        self.n_computed = 0

    def col(self, node: Node) -> int:
        """Column of node (var, −lag) in the design."""
        return -node[1] * self.n_vars + node[0]

    def cols(self, nodes: list[Node]) -> set[int]:
        """Columns of ``nodes`` as a set."""
        n = self.n_vars
        return {v - lag * n for v, lag in nodes}

    def key(self, x: Node, y: Node, z: list[Node]) -> Test:
        """The canonical test of X, Y given Z: Z de-duplicated, without X and Y, sorted."""
        return self.key_cols(self.col(x), self.col(y), self.cols(z))

    @staticmethod
    def key_cols(cx: int, cy: int, cz: set[int]) -> Test:
        """:meth:`key` from columns; ``cz`` is not modified."""
        z = tuple(sorted(c for c in cz if c != cx and c != cy))
        return (cx, cy, z) if cx < cy else (cy, cx, z)

    def run(self, tests: list[Test]) -> tuple[np.ndarray, np.ndarray]:
        """Values ρ and p-values of ``tests`` (canonical keys from :meth:`key`)."""
        todo = [t for t in dict.fromkeys(tests) if t not in self.memo]
        if todo:
            by_size: dict[int, list[Test]] = defaultdict(list)
            for t in todo:
                by_size[len(t[2])].append(t)
            groups = list(by_size.items())
            order = [t for _, group in groups for t in group]
            r = np.concatenate([self._values(g, size) for size, g in groups])
            dof = np.concatenate([np.full(len(g), self.t_eff - size - 2) for size, g in groups])
            p = analytic_pvalues(r, dof)
            self.memo.update(zip(order, zip(r.tolist(), p.tolist(), strict=True), strict=True))
            self.n_computed += len(todo)
        res = np.array([self.memo[t] for t in tests], dtype=float).reshape(len(tests), 2)
        return res[:, 0], res[:, 1]

    def _values(self, group: list[Test], size: int) -> np.ndarray:
        """ρ of tests with |Z| = ``size``; 0 where ν < 1 (tigramite's p is NaN, ρ unused)."""
        if self.t_eff - (size + 2) < 1:
            return np.zeros(len(group))
        idx = np.array([t[2] + (t[0], t[1]) for t in group], dtype=np.intp)
        if size == 0:
            r = self.corr[idx[:, 0], idx[:, 1]]
        else:
            r = np.concatenate([self._cholesky_r(part) for part in _chunks(idx, size + 2)])
        return np.clip(r, -1.0, 1.0)

    def _cholesky_r(self, idx: np.ndarray) -> np.ndarray:
        sub = self.corr[idx[:, :, None], idx[:, None, :]]
        try:
            low = np.linalg.cholesky(sub)
        except np.linalg.LinAlgError as err:
            raise FastPathUnsupported("a conditioning set is collinear") from err
        if np.diagonal(low, axis1=1, axis2=2).min() ** 2 < MIN_PIVOT2:
            raise FastPathUnsupported("a conditioning set is nearly collinear")
        a, b = low[:, -1, -2], low[:, -1, -1]
        return a / np.hypot(a, b)

    def residual_fraction(self, y: Node, z: list[Node]) -> float:
        """1 − R² of the regression of y on z (for tigramite's AIC), from the same Cholesky."""
        cols = sorted({self.col(v) for v in z}) + [self.col(y)]
        if len(cols) == 1:
            return 1.0
        low = np.linalg.cholesky(self.corr[np.ix_(cols, cols)])
        return float(low[-1, -1] ** 2)


def _chunks(idx: np.ndarray, m: int) -> list[np.ndarray]:
    step = max(1, MAX_BATCH_FLOATS // (m * m))
    return [idx[k : k + step] for k in range(0, len(idx), step)]
