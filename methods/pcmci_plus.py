"""PCMCI+ (tigramite) with partial correlation: lagged *and* oriented contemporaneous links.

Method (Runge 2020)
-------------------
For every node j and every candidate link X^i_{t−τ} → X^j_t, τ = ``tau_min`` .. ``tau_max``:

1. Lagged condition selection (as PCMCI's PC1): a superset B̂⁻(X^j_t) of the lagged parents.
2. Skeleton with MCI tests: a link is removed when, for some subset S of the contemporaneous
   adjacencies, the partial correlation ρ(X^i_{t−τ}, X^j_t | S, B̂⁻(X^j_t), B̂⁻(X^i_{t−τ}))
   is not significant at level ``alpha`` (``ParCorr``, analytic Student-t test; tigramite's
   ``pc_alpha``). Lagged links are oriented by time.
3. Collider phase: unshielded contemporaneous triples are oriented by the ``"majority"``
   collider rule over separating sets (tigramite's ``contemp_collider_rule``), with conflicts
   marked ``'x-x'`` (``conflict_resolution=True``).
4. Rule orientation: Meek's rules orient what follows; what stays unoriented is ``'o-o'``.

Unlike plain ``pcmci``, contemporaneous (τ = 0) links are oriented where the Markov
equivalence class allows it (e.g. a lagged parent X^k_{t−1} → X^i_t together with
X^i_t — X^j_t and no link X^k_{t−1} — X^j_t orients X^i_t → X^j_t).

Encoding conversion (verified by the canaries in tests/methods/test_pcmci_plus.py)
-----------------------------------------------------------------------------------
tigramite's ``graph[i, j, τ]`` (strings, shape (N, N, τ_max + 1)) is about the link from i at
t − τ to j at t; ``graph[i, j, τ] == '-->'`` means **i(t − τ) → j(t)** (not transposed), and an
oriented contemporaneous link appears as ``graph[i, j, 0] == '-->'`` with
``graph[j, i, 0] == '<--'``. Conversion (shared with ``pcmci``,
:func:`bench.methods.pcmci.tigramite_to_lag_adjacency`): ``'-->'`` sets ``D[τ, i, j]``;
``'o-o'`` (unoriented) and ``'x-x'`` (conflict) at τ = 0 set both directions; ``''`` is no link.
``extra_`` counts each kind.

Summary graph and scores
------------------------
Self-links are excluded; ``adjacency_[i, j] = OR_τ D[τ, i, j]``;
``lag_scores_[τ, i, j] = |val_matrix[i, j, τ]|`` (the MCI partial correlation) and
``scores_ = max_τ lag_scores_``, with one exception at τ = 0. tigramite reports one value for
both directions of a contemporaneous pair (``val_matrix[:, :, 0]`` is symmetric), but PCMCI+,
unlike PCMCI, orients contemporaneous links; so where it oriented j(t) → i(t)
(``graph[i, j, 0] == '<--'``) the reverse direction scores 0:

    lag_scores_[0, i, j] = 0 if graph[i, j, 0] == '<--' else |val_matrix[i, j, 0]|.

Unoriented, conflicting and non-significant contemporaneous pairs keep the symmetric value. The
scores thus carry the orientation PCMCI+ found (NetSim's d-accuracy measures it) instead of a
tie. Lags below ``tau_min`` score 0.

Too few time points for the tests' degrees of freedom (some p-values undefined) raises
:class:`~bench.types.DataError`. ``lag_pvalues_[τ, i, j]`` is tigramite's ``p_matrix[i, j, τ]``
(not recorded, for checks). In tigramite 5.2 ``fdr_method`` corrects only the returned
``p_matrix`` (lagged links): the graph comes from the skeleton tests at ``alpha`` either way.

Implementations ``impl``
------------------------
``"reference"`` calls tigramite's ``PCMCI.run_pcmciplus`` with
``ParCorr(significance="analytic")``. ``"fast"`` (default) runs the same algorithm (PC1, the
skeleton levels, the majority collider phase; tigramite's own functions find the unshielded
triples and apply the Meek rules) with batched tests (:mod:`bench.methods._pcmci_fast`,
:mod:`bench.methods._parcorr`): identical graphs, values and p-values equal to rounding
(observed below 1e-14 in the partial correlations and 1e-12 relative in the p-values; tests
check 1e-10 and 1e-8). Every parameter combination of this adapter is supported; data the
fast path cannot reproduce exactly (a lagged series constant over the test samples, a nearly
collinear conditioning set) fall back to the reference automatically, and ``extra_["impl"]``
says which ran.

Reference
---------
J. Runge (2020), Discovering contemporaneous and lagged causal relations in autocorrelated
nonlinear time series datasets, Proc. 36th Conference on Uncertainty in Artificial Intelligence
(UAI), PMLR 124, 1388–1397.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name, summarize_lags
from bench.methods._pcmci_fast import run_pcmciplus
from bench.methods.base import Estimator, check_series
from bench.methods.pcmci import (
    IMPLS,
    check_choice,
    check_p_matrix,
    check_tigramite_params,
    link_counts,
    run_parcorr,
    tigramite_to_lag_adjacency,
)
from bench.registry import register_method
from bench.types import FitContext


def pcmciplus_lag_scores(val_matrix: np.ndarray, graph: np.ndarray, tau_min: int) -> np.ndarray:
    """Per-lag scores ``(τ_max + 1, N, N)`` in the bench orientation (module docstring).

    ``out[τ, i, j] = |val_matrix[i, j, τ]|``, except 0 at τ = 0 where ``graph[i, j, 0] ==
    '<--'`` (PCMCI+ oriented j → i) and for τ < ``tau_min`` (not tested); NaN counts as 0.
    """
    val = np.nan_to_num(np.asarray(val_matrix, dtype=float), nan=0.0)
    out = np.abs(np.moveaxis(val, 2, 0))
    out[0][np.asarray(graph)[:, :, 0] == "<--"] = 0.0
    out[:tau_min] = 0.0
    return out


@register_method(
    "pcmci-plus",
    level="subject",
    deterministic=True,
    requires=("tigramite",),
    citation=(
        "Runge (2020), Discovering contemporaneous and lagged causal relations in autocorrelated "
        "nonlinear time series datasets, UAI, PMLR 124"
    ),
    description=(
        "PCMCI+ (tigramite) with ParCorr at alpha 0.05, lags 0..1, majority collider rule; "
        "summary graph = OR over lags (self-links excluded); unoriented or conflicting "
        "contemporaneous links count as both directions"
    ),
    scores="max over lags of |MCI partial correlation|, 0 against a lag-0 orientation",
    lagged=True,
    canary=Canary("chain-lagged", exact=True),
)
class PCMCIPlus(Estimator):
    """PCMCI+ with ParCorr; see the module docstring for the maths and the encoding.

    Parameters
    ----------
    alpha : significance level of every conditional-independence test (tigramite's
        ``pc_alpha``; 0.05 as bench's other baselines, tigramite's default is 0.01).
    tau_min, tau_max : smallest and largest lag tested (τ = 0 is contemporaneous).
    fdr_method : ``"none"`` or ``"fdr_bh"`` (Benjamini–Hochberg of the returned lagged
        p-values; the graph does not depend on it, module docstring).
    impl : ``"fast"`` (batched tests, identical results) or ``"reference"`` (tigramite).
    """

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        tau_min: int = 0,
        tau_max: int = 1,
        fdr_method: str = "none",
        impl: str = "fast",
    ) -> None:
        self.alpha = alpha
        self.tau_min = tau_min
        self.tau_max = tau_max
        self.fdr_method = fdr_method
        self.impl = impl

    def check_params(self) -> None:
        check_tigramite_params("pcmci-plus", self, ("alpha",))
        check_choice("pcmci-plus", "impl", self.impl, IMPLS)

    def fit(self, X: Any, context: FitContext | None = None) -> PCMCIPlus:
        self.check_params()
        name = series_name(context, "pcmci-plus")
        tau_min, tau_max = int(self.tau_min), int(self.tau_max)
        x = check_series(X, name=name, min_length=2 * tau_max + 5)
        kw = {"tau_min": tau_min, "tau_max": tau_max, "pc_alpha": float(self.alpha)}
        kw["fdr_method"] = self.fdr_method
        res, impl = run_parcorr(
            x,
            tau_max,
            self.impl,
            lambda test, tg: run_pcmciplus(test, tg, **kw),
            lambda tg: tg.run_pcmciplus(**kw),
        )
        check_p_matrix(res["p_matrix"], tau_min, name, "PCMCI+", x.shape[0])
        graph = np.asarray(res["graph"])
        self.scores_, self.adjacency_, self.lag_scores_ = summarize_lags(
            pcmciplus_lag_scores(res["val_matrix"], graph, tau_min),
            tigramite_to_lag_adjacency(graph),
        )
        self.lag_pvalues_ = np.moveaxis(np.asarray(res["p_matrix"], dtype=float), 2, 0)
        self.extra_ = {
            **link_counts(graph),
            "tau_min": tau_min,
            "tau_max": tau_max,
            "impl": impl,
            "undirected_rule": "contemporaneous o-o and x-x links set both A[i,j] and A[j,i]",
        }
        return self
