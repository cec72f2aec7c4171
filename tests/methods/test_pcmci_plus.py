"""PCMCI+ adapter: encoding, lagged and contemporaneous canaries, scores, errors, fast path."""

from __future__ import annotations

import numpy as np
import pytest
from pcmci_equality import assert_same_fit, fit_both, netsim

from bench.methods.pcmci_plus import PCMCIPlus, check_p_matrix, pcmciplus_lag_scores
from bench.types import DataError, FitContext

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)  # 0 -> 1 -> 2


def test_reversal_canary_lagged_chain(chain_data) -> None:
    est = PCMCIPlus().fit(chain_data(n=1000, seed=0, contemporaneous=0.0))
    np.testing.assert_array_equal(est.adjacency_, CHAIN)
    s = est.scores_
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1]
    assert est.extra_["n_lagged_directed"] == 2


def test_reversal_canary_contemporaneous_chain(chain_data) -> None:
    # Contemporaneous chain with autoregression: x1(t-1) -> x1(t) <- x0(t) is an unshielded
    # collider, so PCMCI+ orients x0(t) -> x1(t) (and x1(t) -> x2(t)). tigramite encodes it as
    # graph[0, 1, 0] == '-->' and graph[1, 0, 0] == '<--'; reading it transposed reverses it.
    # (With the default mixed chain, x0's autoregressive link cancels given x1(t) at these
    # weights, the triple becomes unshielded the other way and PCMCI+ orients 1 -> 0: a
    # near-unfaithful simulation, not an encoding issue.)
    est = PCMCIPlus().fit(chain_data(n=1000, seed=0, lagged=0.0))
    np.testing.assert_array_equal(est.adjacency_, CHAIN)
    assert est.extra_["n_contemp_directed"] == 2 and est.extra_["n_contemp_unoriented"] == 0
    lag0 = est.lag_scores_[0]
    assert lag0[0, 1] > 0.2 and lag0[1, 2] > 0.2
    assert lag0[1, 0] == 0.0 and lag0[2, 1] == 0.0  # the orientation is in the scores too
    assert est.scores_[0, 1] > est.scores_[1, 0]


def test_lag_scores_by_hand() -> None:
    val = np.zeros((3, 3, 2))
    val[0, 1, 0] = val[1, 0, 0] = 0.5  # contemporaneous, oriented 0 -> 1
    val[0, 2, 0] = val[2, 0, 0] = -0.3  # unoriented
    val[2, 1, 1] = np.nan
    val[1, 2, 1] = -0.4  # lagged 1 -> 2
    g = np.full((3, 3, 2), "", dtype="<U3")
    g[0, 1, 0], g[1, 0, 0] = "-->", "<--"
    g[0, 2, 0] = g[2, 0, 0] = "o-o"
    g[1, 2, 1] = "-->"
    out = pcmciplus_lag_scores(val, g, tau_min=0)
    assert out.shape == (2, 3, 3)
    assert out[0, 0, 1] == 0.5 and out[0, 1, 0] == 0.0
    assert out[0, 0, 2] == out[0, 2, 0] == pytest.approx(0.3)
    assert out[1, 1, 2] == pytest.approx(0.4) and out[1, 2, 1] == 0.0
    assert not pcmciplus_lag_scores(val, g, tau_min=1)[0].any()


def test_too_short_series_raises(var_data) -> None:
    with pytest.raises(DataError, match="sub-08"):
        PCMCIPlus(tau_max=2).fit(var_data(n=8, n_nodes=3, seed=0), FitContext(dataset="sub-08"))
    PCMCIPlus().fit(var_data(n=8, n_nodes=3, seed=0))  # 2 tau_max + 5 = 7 points suffice


def test_undefined_p_values_raise() -> None:
    # A test with no degrees of freedom left has p = NaN in tigramite: a DataError, not a graph.
    p = np.full((3, 3, 2), 0.5)
    p[0, 0, 0] = p[1, 1, 0] = p[2, 2, 0] = np.nan  # untested self-links at lag 0 are fine
    check_p_matrix(p, 0, "sub-10", "PCMCI+", 8)
    p[0, 2, 1] = np.nan
    with pytest.raises(DataError, match="sub-10.*degrees of freedom.*PCMCI\\+"):
        check_p_matrix(p, 0, "sub-10", "PCMCI+", 8)
    check_p_matrix(p[:, :, :1], 0, "sub-10", "PCMCI+", 8)


@pytest.mark.parametrize(
    "params", [{"tau_min": 2, "tau_max": 1}, {"fdr_method": "holm"}, {"alpha": 1.0}]
)
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="pcmci-plus"):
        PCMCIPlus(**params).check_params()


# ------------------------------------------------------------- fast path == tigramite (impl)

VAR_CASES = [
    {},
    {"tau_min": 1},
    {"tau_max": 2},
    {"fdr_method": "fdr_bh"},
    {"alpha": 0.2},
    {"tau_min": 1, "tau_max": 2, "fdr_method": "fdr_bh"},
    {"tau_max": 0},
]


@pytest.mark.parametrize("seed, params", list(enumerate(VAR_CASES)))
def test_fast_equals_reference_on_var(var_data, seed: int, params: dict) -> None:
    x = var_data(n=200, n_nodes=5, seed=seed, density=0.3)
    fit_both(lambda **kw: PCMCIPlus(**params, **kw), x)


def test_fast_equals_reference_with_orientations(chain_data, collider_data) -> None:
    # Data whose PCMCI+ graphs hold oriented contemporaneous links and colliders, so the
    # collider phase and the Meek rules are compared too.
    ref, _ = fit_both(PCMCIPlus, chain_data(n=500, seed=0, lagged=0.0))
    assert ref.extra_["n_contemp_directed"] == 2
    ref, _ = fit_both(PCMCIPlus, collider_data(n=500, seed=0))
    assert ref.extra_["n_contemp_directed"] >= 2


@pytest.mark.parametrize("sim, subject", [(1, 1), (1, 2), (2, 1)])
def test_fast_equals_reference_on_netsim(sim: int, subject: int) -> None:
    ref, _ = fit_both(PCMCIPlus, netsim(sim, subject))
    assert ref.adjacency_.any()


@pytest.mark.slow
def test_fast_equals_reference_on_netsim_sim4() -> None:
    fit_both(PCMCIPlus, netsim(4, 1))


def test_fast_path_falls_back_on_constant_lagged_series(var_data) -> None:
    x = var_data(n=200, n_nodes=4, seed=0)
    x[:, 1] = 0.0
    x[1, 1] = 1.0  # varies only before t = 2 tau_max
    fast = PCMCIPlus().fit(x)
    assert fast.extra_["impl"].startswith("reference (fast path unsupported")
    assert_same_fit(PCMCIPlus(impl="reference").fit(x), fast)


def test_bad_impl() -> None:
    with pytest.raises(ValueError, match="pcmci-plus: impl must be one of"):
        PCMCIPlus(impl="numba").check_params()


def test_fdr_changes_only_the_p_values(var_data) -> None:
    # tigramite 5.2 corrects PCMCI+'s returned p_matrix, not the skeleton tests: the graph and
    # the scores are those without FDR (as documented; a tigramite change would show here).
    x = var_data(n=200, n_nodes=5, seed=4, density=0.4)
    plain, fdr = (
        PCMCIPlus(impl="reference").fit(x),
        PCMCIPlus(impl="reference", fdr_method="fdr_bh").fit(x),
    )
    np.testing.assert_array_equal(plain.adjacency_, fdr.adjacency_)
    np.testing.assert_array_equal(plain.scores_, fdr.scores_)
    assert (fdr.lag_pvalues_[1] >= plain.lag_pvalues_[1]).all()
    assert (fdr.lag_pvalues_[1] > plain.lag_pvalues_[1]).any()
