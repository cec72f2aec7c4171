"""PCMCI (tigramite) with the nonparametric CMIknn test: the nonlinear lagged baseline (slow).

Method (Runge et al. 2019; Runge 2018)
--------------------------------------
Plain PCMCI, exactly as ``pcmci`` (PC1 condition selection at ``pc_alpha``, then MCI tests of
every link X^i_{t−τ} → X^j_t, τ = ``tau_min`` .. ``tau_max``, at ``alpha``), but each
conditional-independence test is ``CMIknn``: the conditional mutual information

    I(X; Y | Z) = H(X, Z) + H(Y, Z) − H(Z) − H(X, Y, Z)

estimated by the Frenzel–Pompe / Kraskov k-nearest-neighbour estimator on rank-transformed
data (``knn`` = 0.2·T neighbours by default), with a p-value from a local permutation test:
Y is shuffled among samples whose Z are nearest neighbours (``shuffle_neighbors`` = 5;
``sig_samples`` surrogates: 200 here, tigramite's default is 500; 200 resolves p-values to
0.005, enough for ``alpha`` = 0.05). It detects nonlinear dependence; it costs
O(sig_samples · T log T) per test, hence ``slow=True`` (left out of ``--methods all``).

Randomness
----------
The permutation test draws surrogates from ``numpy.random.default_rng(random_state)``
(tigramite's ``seed``); the method is registered ``deterministic=False`` so the runner passes a
``random_state`` per seed and subject. Without one, 0 is used. The kNN searches run on one
thread (``workers=1``): the runner already runs fits in parallel.

Encoding conversion, summary graph, scores
------------------------------------------
As ``pcmci`` (see :mod:`bench.methods.pcmci`; checked again by the canary in
tests/methods/test_pcmci_cmi.py): ``graph[i, j, τ] == '-->'`` means i(t − τ) → j(t);
contemporaneous ``'o-o'``/``'x-x'`` set both directions; the summary is the OR over lags,
self-links excluded. ``val_matrix`` holds CMI estimates, which are ≥ 0 in theory but can be
slightly negative from estimator bias, so

    lag_scores_[τ, i, j] = max(val_matrix[i, j, τ], 0),    scores_ = max_τ lag_scores_.

The contemporaneous part is symmetric (unoriented), as in ``pcmci``. ``tigramite`` needs
``numba`` for CMIknn (an extra dependency: the method reports itself unavailable without it).

Compatibility: tigramite (≤ 5.2.10) computes the block length of its unconditional shuffle test
from an autocorrelation function that calls ``np.corrcoef(..., ddof=0)``; NumPy 2 removed that
argument (it never had an effect). :func:`acf` is the same computation without it and replaces
``CMIknn._get_acf`` in the test object used here.

References
----------
J. Runge (2018), Conditional independence testing based on a nearest-neighbor estimator of
conditional mutual information, Proc. AISTATS, PMLR 84. J. Runge, P. Nowack, M. Kretschmer,
S. Flaxman, D. Sejdinovic (2019), Detecting and quantifying causal associations in large
nonlinear time series datasets, Science Advances 5(11), eaau4996.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name, summarize_lags
from bench.methods.base import Estimator, check_series
from bench.methods.pcmci import (
    check_p_matrix,
    check_tigramite_params,
    link_counts,
    tigramite_runner,
    tigramite_to_lag_adjacency,
)
from bench.registry import register_method
from bench.types import FitContext


def acf(series: np.ndarray, max_lag: int | None = None) -> np.ndarray:
    """Autocorrelation at lags 0..max_lag, as tigramite's ``_get_acf`` (NumPy 2 compatible)."""
    if max_lag is None:
        max_lag = int(max(5, 0.1 * len(series)))
    out = np.ones(max_lag + 1)
    for lag in range(1, max_lag + 1):
        out[lag] = np.corrcoef(series[lag:], series[: len(series) - lag])[0, 1]
    return out


@register_method(
    "pcmci-cmi",
    level="subject",
    deterministic=False,
    requires=("tigramite", "numba"),
    citation=(
        "Runge, Nowack, Kretschmer, Flaxman & Sejdinovic (2019), Science Advances 5(11), "
        "eaau4996; Runge (2018), CMI nearest-neighbour test, AISTATS, PMLR 84"
    ),
    description=(
        "PCMCI (tigramite) with the CMIknn test (kNN conditional mutual information, local "
        "permutation p-values), lags 0..1; summary = OR over lags; unoriented contemporaneous "
        "links count as both directions; slow"
    ),
    scores="max over lags of the CMI estimate (clipped at 0)",
    lagged=True,
    canary=Canary("chain-lagged", n=500, slow=True),
    slow=True,
)
class PCMCICMI(Estimator):
    """PCMCI with CMIknn; see the module docstring.

    Parameters
    ----------
    alpha : MCI significance level.
    pc_alpha : PC1 condition-selection level.
    tau_min, tau_max : smallest and largest lag tested.
    knn : neighbours of the CMI estimator (a fraction of T when < 1).
    shuffle_neighbors : neighbourhood size of the local permutation test.
    sig_samples : surrogates per permutation test.
    random_state : seed of the permutation test (set by the runner).
    """

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        pc_alpha: float = 0.2,
        tau_min: int = 0,
        tau_max: int = 1,
        knn: float = 0.2,
        shuffle_neighbors: int = 5,
        sig_samples: int = 200,
        random_state: int | None = None,
    ) -> None:
        self.alpha = alpha
        self.pc_alpha = pc_alpha
        self.tau_min = tau_min
        self.tau_max = tau_max
        self.knn = knn
        self.shuffle_neighbors = shuffle_neighbors
        self.sig_samples = sig_samples
        self.random_state = random_state

    def check_params(self) -> None:
        check_tigramite_params("pcmci-cmi", self, ("alpha", "pc_alpha"))
        if not isinstance(self.knn, (int, float)) or not self.knn > 0:
            raise ValueError(f"pcmci-cmi: knn must be > 0, got {self.knn!r}")
        for key in ("shuffle_neighbors", "sig_samples"):
            v = getattr(self, key)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"pcmci-cmi: {key} must be an integer >= 1, got {v!r}")

    def fit(self, X: Any, context: FitContext | None = None) -> PCMCICMI:
        self.check_params()
        name = series_name(context, "pcmci-cmi")
        tau_min, tau_max = int(self.tau_min), int(self.tau_max)
        x = check_series(X, name=name, min_length=2 * tau_max + 10)
        from tigramite.independence_tests.cmiknn import CMIknn

        test = CMIknn(
            knn=self.knn,
            shuffle_neighbors=int(self.shuffle_neighbors),
            significance="shuffle_test",
            sig_samples=int(self.sig_samples),
            workers=1,
            seed=0 if self.random_state is None else int(self.random_state),
            verbosity=0,
        )
        test._get_acf = acf  # NumPy 2 compatibility (module docstring)
        res = tigramite_runner(x, test).run_pcmci(
            tau_min=tau_min,
            tau_max=tau_max,
            pc_alpha=float(self.pc_alpha),
            alpha_level=float(self.alpha),
        )
        check_p_matrix(res["p_matrix"], tau_min, name, "PCMCI-CMI", x.shape[0])
        graph = np.asarray(res["graph"])
        val = np.nan_to_num(np.asarray(res["val_matrix"], dtype=float), nan=0.0)
        lag_scores = np.clip(np.moveaxis(val, 2, 0), 0.0, None)
        lag_scores[:tau_min] = 0.0
        self.scores_, self.adjacency_, self.lag_scores_ = summarize_lags(
            lag_scores, tigramite_to_lag_adjacency(graph)
        )
        self.extra_ = {
            **link_counts(graph),
            "tau_min": tau_min,
            "tau_max": tau_max,
            "sig_samples": int(self.sig_samples),
            "undirected_rule": "contemporaneous o-o and x-x links set both A[i,j] and A[j,i]",
        }
        return self
