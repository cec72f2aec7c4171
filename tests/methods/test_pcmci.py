"""PCMCI adapter: encoding, canaries, lag summary, short series, fast == tigramite, PC1 rule."""

from __future__ import annotations

import numpy as np
import pytest
from pcmci_equality import assert_same_fit, fit_both, netsim

from bench.methods.pcmci import PCMCI, tigramite_runner, tigramite_to_lag_adjacency
from bench.types import DataError, FitContext


def test_reversal_canary_lagged_chain(chain_data) -> None:
    # Lag-only chain x0 -> x1 -> x2: every link is lagged, so time orients it.
    est = PCMCI().fit(chain_data(n=1000, seed=0, contemporaneous=0.0))
    a, s = est.adjacency_, est.scores_
    assert a[0, 1] and a[1, 2]
    assert not a[1, 0] and not a[2, 1]
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1]


def test_reversal_canary_mixed_chain_lagged_links_only(chain_data) -> None:
    # Chain with lag-1 and contemporaneous effects, contemporaneous links not tested (tau_min=1).
    est = PCMCI(tau_min=1).fit(chain_data(n=1000, seed=0))
    a, s = est.adjacency_, est.scores_
    assert a[0, 1] and a[1, 2]
    assert not a[1, 0] and not a[2, 1]
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1]
    assert not est.lag_scores_[0].any()  # lag 0 untested, scores 0


def test_mixed_chain_contemporaneous_links_are_both_directions(chain_data) -> None:
    # With tau_min=0 plain PCMCI finds the contemporaneous links but cannot orient
    # them ('o-o'): by the documented rule they decide both directions. The lag-1 links still
    # carry the direction: lag-1 scores are higher in the true direction, and the summary score
    # (max over lags; the lag-0 part is symmetric) is never lower in the true direction.
    est = PCMCI(tau_min=0).fit(chain_data(n=1000, seed=0))
    a, s, lag = est.adjacency_, est.scores_, est.lag_scores_
    assert a[0, 1] and a[1, 2] and a[1, 0] and a[2, 1]
    assert est.extra_["n_contemp_unoriented"] >= 2
    np.testing.assert_array_equal(lag[0], lag[0].T)
    assert lag[1, 0, 1] > lag[1, 1, 0] and lag[1, 1, 2] > lag[1, 2, 1]
    assert s[0, 1] >= s[1, 0] and s[1, 2] >= s[2, 1]


def test_encoding_conversion_by_hand() -> None:
    # tigramite: graph[i, j, tau] == '-->' means i at t - tau -> j at t.
    g = np.full((3, 3, 3), "", dtype="<U3")
    g[0, 1, 2] = "-->"  # 0 -> 1 at lag 2
    g[2, 2, 1] = "-->"  # self-link: kept per lag, dropped from the summary
    g[1, 2, 0], g[2, 1, 0] = "-->", "<--"  # 1 -> 2 contemporaneous
    g[0, 2, 0] = g[2, 0, 0] = "o-o"  # unoriented
    lag_adj = tigramite_to_lag_adjacency(g)
    assert lag_adj.shape == (3, 3, 3)
    assert lag_adj[2, 0, 1] and not lag_adj[2, 1, 0]
    assert lag_adj[1, 2, 2]
    assert lag_adj[0, 1, 2] and not lag_adj[0, 2, 1]
    assert lag_adj[0, 0, 2] and lag_adj[0, 2, 0]
    g2 = np.full((2, 2, 1), "", dtype="<U3")
    g2[0, 1, 0] = g2[1, 0, 0] = "x-x"
    assert tigramite_to_lag_adjacency(g2)[0].tolist() == [[False, True], [True, False]]


def test_lag_scores_shape_and_summary(var_data) -> None:
    est = PCMCI(tau_max=2).fit(var_data(n=300, n_nodes=4, seed=0))
    assert est.lag_scores_.shape == (3, 4, 4)
    np.testing.assert_array_equal(est.scores_, est.lag_scores_.max(axis=0))
    assert not np.diagonal(est.lag_scores_, axis1=1, axis2=2).any()
    assert est.extra_["tau_max"] == 2


def test_too_short_series_raises(var_data) -> None:
    with pytest.raises(DataError, match="sub-03"):
        PCMCI(tau_max=2).fit(var_data(n=8, n_nodes=3, seed=0), FitContext(dataset="sub-03"))
    # Long enough to run, too short for the MCI tests' degrees of freedom.
    with pytest.raises(DataError, match="degrees of freedom"):
        PCMCI().fit(var_data(n=8, n_nodes=8, seed=0, density=0.5))


@pytest.mark.parametrize("params", [{"tau_min": 2, "tau_max": 1}, {"fdr_method": "holm"}])
def test_bad_parameters(var_data, params: dict) -> None:
    with pytest.raises(ValueError, match="pcmci"):
        PCMCI(**params).fit(var_data(n=100, n_nodes=3, seed=0))


# ------------------------------------------------------------- fast path == tigramite (impl)

VAR_CASES = [
    {},
    {"tau_min": 0},
    {"tau_max": 2},
    {"tau_min": 0, "fdr_method": "fdr_bh"},
    {"tau_min": 0, "pc_alpha": None},
    {"tau_max": 2, "fdr_method": "fdr_bh"},
    {"tau_min": 0, "tau_max": 0},
]


@pytest.mark.parametrize("seed, params", list(enumerate(VAR_CASES)))
def test_fast_equals_reference_on_var(var_data, seed: int, params: dict) -> None:
    x = var_data(n=200, n_nodes=5, seed=seed, density=0.3)
    fit_both(lambda **kw: PCMCI(**params, **kw), x)


@pytest.mark.parametrize("tau_min", [1, 0])
@pytest.mark.parametrize("sim, subject", [(1, 1), (1, 2), (2, 1)])
def test_fast_equals_reference_on_netsim(sim: int, subject: int, tau_min: int) -> None:
    ref, _ = fit_both(lambda **kw: PCMCI(tau_min=tau_min, **kw), netsim(sim, subject))
    assert ref.adjacency_.any()  # a non-trivial graph was compared


def test_default_tests_lagged_links_only(chain_data) -> None:
    # The default (tau_min=1, module docstring): no contemporaneous link is tested or decided,
    # so the summary graph has no both-direction pairs from unoriented lag-0 links.
    est = PCMCI().fit(chain_data(n=1000, seed=0))
    assert est.extra_["tau_min"] == 1 and est.extra_["n_contemp_unoriented"] == 0
    assert not est.lag_scores_[0].any()
    a = est.adjacency_
    assert a[0, 1] and a[1, 2] and not a[1, 0] and not a[2, 1]


@pytest.mark.slow
def test_fast_equals_reference_on_netsim_sim4() -> None:
    fit_both(PCMCI, netsim(4, 1))


def test_fast_path_falls_back_on_constant_lagged_series(var_data) -> None:
    # Node 2 varies only at t = 0: constant over the test samples t >= 2 tau_max, which
    # tigramite drops from each test; the fast path hands such data to tigramite.
    x = var_data(n=200, n_nodes=4, seed=0)
    x[:, 2] = 0.0
    x[0, 2] = 1.0
    fast = PCMCI().fit(x)
    assert fast.extra_["impl"].startswith("reference (fast path unsupported: a lagged series")
    assert_same_fit(PCMCI(impl="reference").fit(x), fast)


# --------------------------------------------------------------------- decision="pc1"


def test_pc1_decision_is_the_pc1_parent_sets(var_data) -> None:
    x = var_data(n=300, n_nodes=5, seed=2, density=0.3)
    est = PCMCI(decision="pc1", impl="reference").fit(x)
    tg = tigramite_runner(x)
    parents = tg.run_pc_stable(tau_min=0, tau_max=1, pc_alpha=0.2)
    want = np.zeros((2, 5, 5), dtype=bool)
    for j, par in parents.items():
        for i, lag in par:
            want[-lag, i, j] = True
    np.testing.assert_array_equal(est.adjacency_, want.any(axis=0) & ~np.eye(5, dtype=bool))
    # A parent survives PC1 iff its largest p-value is <= pc_alpha; lag 0 is never decided.
    np.testing.assert_array_equal(est.lag_pvalues_[1] <= 0.2, want[1])
    assert not est.lag_scores_[0].any() and est.extra_["n_contemp_unoriented"] == 0
    np.testing.assert_allclose(est.lag_scores_[1], np.abs(tg.val_matrix[:, :, 1]) * (1 - np.eye(5)))


@pytest.mark.parametrize("params", [{}, {"tau_max": 2, "tau_min": 2}, {"pc_alpha": None}])
def test_pc1_fast_equals_reference(var_data, params: dict) -> None:
    x = var_data(n=200, n_nodes=5, seed=3, density=0.3)
    fit_both(lambda **kw: PCMCI(decision="pc1", **params, **kw), x)


def test_pc1_fast_equals_reference_on_netsim() -> None:
    fit_both(lambda **kw: PCMCI(decision="pc1", **kw), netsim(2, 1))


def test_pc1_reversal_canary_lagged_chain(chain_data) -> None:
    est = PCMCI(decision="pc1").fit(chain_data(n=1000, seed=0, contemporaneous=0.0))
    a, s = est.adjacency_, est.scores_
    assert a[0, 1] and a[1, 2]
    assert not a[1, 0] and not a[2, 1]
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1]
    assert est.extra_["decision"] == "pc1"


@pytest.mark.parametrize("params", [{"impl": "gpu"}, {"decision": "fdr"}])
def test_bad_choices(params: dict) -> None:
    with pytest.raises(ValueError, match=f"pcmci: {next(iter(params))} must be one of"):
        PCMCI(**params).check_params()
