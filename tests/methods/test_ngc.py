"""Neural Granger causality (cMLP): design, proximal steps, orientation, decision rule, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.canaries import RECIPES
from bench.methods.ngc import (
    NeuralGrangerCMLP,
    _forward,
    cmlp_scores,
    fit_cmlp,
    group_prox,
    lagged_design,
    penalty_value,
    prox_penalty,
    torch_threads,
)
from bench.types import DataError, FitContext, UnavailableError


def test_lagged_design_by_hand() -> None:
    x = np.arange(12.0).reshape(6, 2)  # x[t] = (2t, 2t + 1)
    inputs, targets = lagged_design(x, 2)
    assert inputs.shape == (4, 2, 2) and targets.shape == (4, 2)
    # First row predicts x[2] = (4, 5) from lag 1 = x[1] = (2, 3) and lag 2 = x[0] = (0, 1).
    np.testing.assert_array_equal(targets[0], [4, 5])
    np.testing.assert_array_equal(inputs[0, :, 0], [2, 3])
    np.testing.assert_array_equal(inputs[0, :, 1], [0, 1])


def test_group_prox_by_hand() -> None:
    w = torch.zeros(1, 2, 2, 1)  # (target, hidden, input, lag): two groups of two weights
    w[0, :, 0, 0] = torch.tensor([3.0, 4.0])  # norm 5: scaled by 1 - 2/5
    w[0, :, 1, 0] = torch.tensor([0.6, 0.8])  # norm 1 <= 2: exactly zero
    out = group_prox(w, 2.0)
    np.testing.assert_allclose(out[0, :, 0, 0].numpy(), [1.8, 2.4], rtol=1e-6)
    assert torch.count_nonzero(out[0, :, 1, 0]) == 0


def test_hierarchical_prox_by_hand() -> None:
    # One group, H = 1, lags (1, 2) = (3, 4), threshold 1. Smallest group {lag 2} first:
    # 4 -> 3; then {lag 1, lag 2} = (3, 3), norm 3√2, scaled by 1 - 1/(3√2).
    w = torch.tensor([3.0, 4.0]).reshape(1, 1, 1, 2)
    out = prox_penalty(w, 1.0, "H").flatten().numpy()
    scale = 1 - 1 / (3 * np.sqrt(2))
    np.testing.assert_allclose(out, [3 * scale, 3 * scale], rtol=1e-6)
    assert penalty_value(w, "H").item() == pytest.approx(4 + 5)
    assert penalty_value(w, "GL").item() == pytest.approx(5)


@pytest.mark.parametrize("penalty", ["GL", "H"])
def test_prox_is_the_minimiser(penalty: str) -> None:
    """prox(w) = argmin_z ½‖z − w‖² + t·Ω(z): no random perturbation does better (this checks
    the order of the nested group steps, Jenatton et al. 2011)."""
    gen = torch.Generator().manual_seed(0)
    w = torch.randn((2, 3, 2, 3), generator=gen, dtype=torch.float64)
    t = 0.8
    z = prox_penalty(w, t, penalty)

    def objective(v: torch.Tensor) -> float:
        return float(0.5 * torch.sum((v - w) ** 2) + t * penalty_value(v, penalty))

    best = objective(z)
    for scale in (1e-1, 1e-2, 1e-3):
        for _ in range(200):
            assert objective(z + scale * torch.randn(w.shape, generator=gen, dtype=w.dtype)) >= (
                best - 1e-12
            )


def test_orientation_of_scores() -> None:
    # Only input 0 of target 2's network has weights: the edge is 0 -> 2, A[0, 2].
    w = np.zeros((3, 4, 3, 2))
    w[2, :, 0, 1] = 0.5  # lag 2
    scores, lag_norms = cmlp_scores(w)
    expected = np.zeros((3, 3))
    expected[0, 2] = 1.0  # ‖(0.5, 0.5, 0.5, 0.5)‖
    np.testing.assert_allclose(scores, expected)
    assert lag_norms.shape == (2, 3, 3)
    assert lag_norms[1, 0, 2] == pytest.approx(1.0) and lag_norms[0].sum() == 0


def test_batched_forward_equals_one_network_at_a_time() -> None:
    gen = torch.Generator().manual_seed(1)
    n, lag, h1, h2, b = 3, 2, 4, 5, 7
    params = [
        torch.randn(s, generator=gen)
        for s in [(n, h1, n, lag), (n, h1), (n, h2, h1), (n, h2), (n, h2), (n,)]
    ]
    inputs = torch.randn((b, n, lag), generator=gen)
    out = _forward(params, inputs.reshape(b, n * lag))
    for j in range(n):  # the j-th MLP written out on its own
        hid = torch.relu(torch.einsum("bik,hik->bh", inputs, params[0][j]) + params[1][j])
        hid = torch.relu(hid @ params[2][j].T + params[3][j])
        np.testing.assert_allclose(
            out[:, j].numpy(), (hid @ params[4][j] + params[5][j]).numpy(), rtol=1e-5, atol=1e-6
        )


@pytest.fixture(scope="module")
def canary_fit() -> NeuralGrangerCMLP:
    x = RECIPES["chain-lagged"][0](500, 0)  # x0 -> x1 -> x2, every effect at lag 1
    return NeuralGrangerCMLP(max_iter=300, random_state=0).fit(x)


def test_decision_is_nonzero_groups(canary_fit: NeuralGrangerCMLP) -> None:
    est = canary_fit
    np.testing.assert_array_equal(est.adjacency_, est.scores_ > 0)
    assert est.adjacency_[0, 1] and est.adjacency_[1, 2]
    assert not est.adjacency_[1, 0] and not est.adjacency_[2, 1]
    assert est.scores_[1, 0] == 0.0  # an exact zero left by the proximal step


def test_hierarchical_penalty_selects_the_lag(canary_fit: NeuralGrangerCMLP) -> None:
    lag_norms = canary_fit.extra_["lag_norms"]
    assert lag_norms[0, 0, 1] > 0 and lag_norms[0, 1, 2] > 0  # lag 1 kept
    assert not lag_norms[2:, 0, 1].any() and not lag_norms[2:, 1, 2].any()  # lags 3-5 zero


def test_fit_is_seeded() -> None:
    x = RECIPES["chain-lagged"][0](200, 1)
    kw = {"lag": 2, "hidden": (4,), "lam": 0.3, "lam_ridge": 1e-2, "lr": 0.05, "penalty": "H"}
    with torch_threads("cpu"):
        a, b, c = (
            fit_cmlp(x, seed=s, max_iter=30, check_every=10, tol=0.0, **kw) for s in (3, 3, 4)
        )
    np.testing.assert_array_equal(a.first_layer, b.first_layer)
    assert not np.array_equal(a.first_layer, c.first_layer)
    assert a.iterations == 30 and not a.converged


def test_threads_restored() -> None:
    before = torch.get_num_threads()
    with torch_threads("cpu"):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible")
def test_cuda_without_gpu_raises() -> None:
    x = RECIPES["chain-lagged"][0](100, 0)
    with pytest.raises(UnavailableError, match="ngc-cmlp"):
        NeuralGrangerCMLP(device="cuda", max_iter=1).fit(x)


def test_too_short_series_raises() -> None:
    with pytest.raises(DataError, match="sub-3"):
        NeuralGrangerCMLP(lag=5).fit(np.random.default_rng(0).random((7, 3)), FitContext("sub-3"))


@pytest.mark.parametrize(
    "params",
    [
        {"lag": 0},
        {"hidden": ()},
        {"hidden": (4, 0)},
        {"lam": -1.0},
        {"lr": 0.0},
        {"penalty": "L1"},
        {"max_iter": 1.5},
        {"device": "tpu"},
    ],
)
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="ngc-cmlp"):
        NeuralGrangerCMLP(**params).check_params()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_fit_orients_the_canary() -> None:
    x = RECIPES["chain-lagged"][0](500, 0)
    est = NeuralGrangerCMLP(max_iter=300, random_state=0, device="cuda").fit(x)
    assert est.extra_["device"] == "cuda"
    assert est.adjacency_[0, 1] and est.adjacency_[1, 2]
    assert not est.adjacency_[1, 0] and not est.adjacency_[2, 1]
