"""PCMCI (tigramite) with partial correlation: the lagged constraint-based baseline.

Method (Runge et al. 2019)
--------------------------
For every node j, PCMCI tests each link X^i_{t−τ} → X^j_t, τ = ``tau_min`` .. ``tau_max``:

1. PC1 condition selection: a superset P̂(X^j_t) of the *lagged* parents of every node, by
   iterative partial-correlation tests at level ``pc_alpha`` (0.2 by default: a regularisation
   level, not a significance level; ``None`` lets tigramite choose it by AIC).
2. MCI test: the link's p-value is that of the partial correlation
   ρ(X^i_{t−τ}, X^j_t | P̂(X^j_t), P̂(X^i_{t−τ})), with the analytic Student-t test of
   ``ParCorr`` (T_eff − dim degrees of freedom); a link is significant when p ≤ ``alpha``
   (tigramite's ``alpha_level``), after the optional ``fdr_method`` (``"none"`` or
   ``"fdr_bh"``). ``val_matrix`` holds the MCI partial correlations, in [−1, 1].

Lagged links (τ ≥ 1) are oriented by time. Contemporaneous links (τ = 0) are not: plain PCMCI
(unlike PCMCI+) tests them but cannot orient them, and tigramite reports them as unoriented.

Encoding conversion (verified by the canaries in tests/methods/test_pcmci.py)
---------------------------------------------------------------------------------
tigramite returns ``graph`` of strings, shape (N, N, τ_max + 1), ``graph[i, j, τ]`` about the
link from i at t − τ to j at t; ``val_matrix`` has the same layout (not transposed).

==================================  ======================  ================================
tigramite                           meaning                 bench per-lag decision ``D``
==================================  ======================  ================================
``graph[i, j, τ] == '-->'``         i(t − τ) → j(t)         ``D[τ, i, j] = True``
``graph[i, j, 0] == '<--'``         j(t) → i(t)             via ``graph[j, i, 0] == '-->'``
``graph[i, j, 0] == 'o-o'``         unoriented (τ = 0)      ``D[0, i, j] = D[0, j, i] = True``
``graph[i, j, 0] == 'x-x'``         conflict (τ = 0)        ``D[0, i, j] = D[0, j, i] = True``
``''``                              no link                 neither
==================================  ======================  ================================

``'o-o'`` and ``'x-x'`` are adjacencies without a direction, so both directions are decided (an
unoriented link over a true i → j gives one true and one false positive). In plain PCMCI the
τ = 0 test of (i, j) and of (j, i) uses the same conditioning set, so significant contemporaneous
links come back as ``'o-o'``. ``extra_`` counts each kind of link.

Summary graph and scores
------------------------
Self-links (i = j, autocorrelation) are excluded. The decision is the OR over lags,
``A[i, j] = OR_τ lag_adj[τ, i, j]``; the score is the max over lags of the MCI effect size,

    lag_scores_[τ, i, j] = |val_matrix[i, j, τ]|,    scores_[i, j] = max_τ lag_scores_[τ, i, j].

tigramite symmetrises the contemporaneous ``val_matrix`` (both directions take the value of the
less significant test), so the τ = 0 scores are symmetric: direction information in ``scores_``
comes from the lagged terms only. Lags below ``tau_min`` are not tested and score 0.

Reference
---------
J. Runge, P. Nowack, M. Kretschmer, S. Flaxman, D. Sejdinovic (2019), Detecting and quantifying
causal associations in large nonlinear time series datasets, Science Advances 5(11), eaau4996.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name, summarize_lags
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import DataError, FitContext

FDR_METHODS = ("none", "fdr_bh")


def tigramite_to_lag_adjacency(graph: np.ndarray) -> np.ndarray:
    """Per-lag bench decisions ``(τ_max + 1, N, N)`` from a tigramite string ``graph`` (N, N, L).

    ``out[τ, i, j]`` is True for ``graph[i, j, τ] == '-->'`` and, at τ = 0, for the unoriented
    ``'o-o'`` and conflicting ``'x-x'`` links in both directions (table in the module docstring).
    Self-links are kept here; :func:`bench.methods._graph.summarize_lags` removes them.
    """
    g = np.moveaxis(np.asarray(graph).astype(str), 2, 0)  # (L, N, N): [τ, i, j]
    out = g == "-->"
    both = (g[0] == "o-o") | (g[0] == "x-x")
    out[0] |= both | both.T
    return out


def check_tigramite_params(
    name: str, est: Any, alphas: tuple[str, ...], *, optional: tuple[str, ...] = ()
) -> None:
    """The parameter checks shared by the tigramite adapters (pcmci, pcmci-plus, pcmci-cmi).

    Each level in ``alphas`` lies in (0, 1) (``None`` allowed for those in ``optional``);
    ``0 <= tau_min <= tau_max``; ``fdr_method``, where the estimator has one, is known.
    Raises ``ValueError`` naming the method and the parameter.
    """
    for key in alphas:
        value = getattr(est, key)
        if value is None and key in optional:
            continue
        if not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"{name}: {key} must lie in (0, 1), got {value!r}")
    if not (0 <= int(est.tau_min) <= int(est.tau_max)):
        raise ValueError(f"{name}: need 0 <= tau_min <= tau_max, got {est.tau_min}, {est.tau_max}")
    fdr = getattr(est, "fdr_method", None)
    if fdr is not None and fdr not in FDR_METHODS:
        raise ValueError(f"{name}: fdr_method must be one of {FDR_METHODS}")


def check_p_matrix(p_matrix: np.ndarray, tau_min: int, name: str, what: str, t: int) -> None:
    """Raise :class:`DataError` when a tested link has no p-value (too few degrees of freedom)."""
    p = np.moveaxis(np.asarray(p_matrix, dtype=float), 2, 0)[tau_min:]
    n = p.shape[1]
    tested = np.ones_like(p, dtype=bool)
    if tau_min == 0:
        tested[0, np.arange(n), np.arange(n)] = False
    if np.isnan(p[tested]).any():
        raise DataError(
            f"{name}: {t} time points leave too few degrees of freedom for {what} on {n} nodes "
            "(some tests have no p-value)"
        )


def tigramite_runner(x: np.ndarray, cond_ind_test: Any = None) -> Any:
    """tigramite's ``PCMCI`` on ``x`` (T, N), silent; ``ParCorr`` (analytic) unless given."""
    from tigramite.data_processing import DataFrame
    from tigramite.pcmci import PCMCI as TigramitePCMCI

    if cond_ind_test is None:
        from tigramite.independence_tests.parcorr import ParCorr

        cond_ind_test = ParCorr(significance="analytic", verbosity=0)
    return TigramitePCMCI(dataframe=DataFrame(x), cond_ind_test=cond_ind_test, verbosity=0)


def link_counts(graph: np.ndarray) -> dict[str, int]:
    """Numbers of off-diagonal links of each kind (unordered pairs for the τ = 0 kinds)."""
    g = np.moveaxis(np.asarray(graph).astype(str), 2, 0)
    n = g.shape[1]
    off = ~np.eye(n, dtype=bool)
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    return {
        "n_lagged_directed": int(((g[1:] == "-->") & off).sum()),
        "n_contemp_directed": int(((g[0] == "-->") & off).sum()),
        "n_contemp_unoriented": int(((g[0] == "o-o") & upper).sum()),
        "n_contemp_conflict": int(((g[0] == "x-x") & upper).sum()),
    }


@register_method(
    "pcmci",
    level="subject",
    deterministic=True,
    requires=("tigramite",),
    citation=(
        "Runge, Nowack, Kretschmer, Flaxman & Sejdinovic (2019), Detecting and quantifying causal "
        "associations in large nonlinear time series datasets, Science Advances 5(11), eaau4996"
    ),
    description=(
        "PCMCI (tigramite) with ParCorr, lags tau_min=0..tau_max=1; summary graph = OR over lags "
        "(self-links excluded); unoriented contemporaneous links count as both directions"
    ),
    scores="max over lags of |MCI partial correlation|",
    lagged=True,
    canary=Canary("chain-lagged"),
)
class PCMCI(Estimator):
    """PCMCI with ParCorr; see the module docstring for the maths and the encoding.

    Parameters
    ----------
    alpha : MCI significance level (tigramite's ``alpha_level``).
    pc_alpha : PC1 condition-selection level (``None``: chosen by tigramite via AIC).
    tau_min, tau_max : smallest and largest lag tested (τ = 0 is contemporaneous).
    fdr_method : ``"none"`` or ``"fdr_bh"`` (Benjamini–Hochberg over all tested links).
    """

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        pc_alpha: float | None = 0.2,
        tau_min: int = 0,
        tau_max: int = 1,
        fdr_method: str = "none",
    ) -> None:
        self.alpha = alpha
        self.pc_alpha = pc_alpha
        self.tau_min = tau_min
        self.tau_max = tau_max
        self.fdr_method = fdr_method

    def check_params(self) -> None:
        check_tigramite_params("pcmci", self, ("alpha", "pc_alpha"), optional=("pc_alpha",))

    def fit(self, X: Any, context: FitContext | None = None) -> PCMCI:
        self.check_params()
        name = series_name(context, "pcmci")
        tau_min, tau_max = int(self.tau_min), int(self.tau_max)
        # MCI conditions a lag-τ link on both nodes' parents: up to 2·τ_max rows are lost.
        x = check_series(X, name=name, min_length=2 * tau_max + 5)
        res = tigramite_runner(x).run_pcmci(
            tau_min=tau_min,
            tau_max=tau_max,
            pc_alpha=self.pc_alpha,
            alpha_level=self.alpha,
            fdr_method=self.fdr_method,
        )
        check_p_matrix(res["p_matrix"], tau_min, name, f"PCMCI with tau_max={tau_max}", x.shape[0])
        graph = np.asarray(res["graph"])
        val = np.nan_to_num(np.asarray(res["val_matrix"], dtype=float), nan=0.0)
        lag_scores = np.abs(np.moveaxis(val, 2, 0))
        lag_scores[:tau_min] = 0.0
        self.scores_, self.adjacency_, self.lag_scores_ = summarize_lags(
            lag_scores, tigramite_to_lag_adjacency(graph)
        )
        self.extra_ = {
            **link_counts(graph),
            "tau_min": tau_min,
            "tau_max": tau_max,
            "undirected_rule": "contemporaneous o-o and x-x links set both A[i,j] and A[j,i]",
        }
        return self
