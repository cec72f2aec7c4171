"""Patel's kappa and tau: formulas by hand and against Smith et al.'s code, canary, errors."""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods.patel import Patel, binarize, patel_kappa_tau
from bench.types import DataError, FitContext


def smith_pair(d1b: np.ndarray, d2b: np.ndarray) -> tuple[float, float]:
    """(kappa, -tau_12) for one pair, transcribed from the scalar code of Smith et al. (2011)."""
    xt = len(d1b)
    t1 = d1b @ d2b / xt
    t2 = d1b @ (1 - d2b) / xt
    t3 = d2b @ (1 - d1b) / xt
    e = (t1 + t2) * (t1 + t3)
    max_t1 = min(t1 + t2, t1 + t3)
    min_t1 = max(0.0, 2 * t1 + t2 + t3 - 1)
    if t1 > e:
        d = 0.5 + (t1 - e) / (2 * (max_t1 - e))
    else:
        d = 0.5 - (t1 - e) / (2 * (e - min_t1))
    kappa = (t1 - e) / (d * (max_t1 - e) + (1 - d) * (e - min_t1))
    if t2 > t3:
        tau_12 = 1 - (t1 + t3) / (t1 + t2)
    else:
        tau_12 = (t1 + t2) / (t1 + t3) - 1
    return kappa, -tau_12


def test_kappa_tau_by_hand() -> None:
    # a active at 2 of 10 points, b at 4 including a's: theta = (0.2, 0, 0.2, 0.6).
    a = np.zeros((10, 2))
    a[:2, 0] = 1
    a[:4, 1] = 1
    kappa, tau, phi = patel_kappa_tau(a)
    # E = 0.08, M = 0.2, m = 0, D = 1: kappa = 0.12 / 0.12 = 1.
    assert kappa[0, 1] == pytest.approx(1.0) and kappa[1, 0] == pytest.approx(1.0)
    # theta2 = 0 < theta3 = 0.2: tau = 1 - 0.2 / 0.4 = 0.5 (a ascendant to b: a -> b).
    assert tau[0, 1] == pytest.approx(0.5) and tau[1, 0] == pytest.approx(-0.5)
    assert phi[0, 1] == pytest.approx(0.12 / np.sqrt(0.2 * 0.8 * 0.4 * 0.6))
    assert kappa[0, 0] == tau[0, 0] == 0.0


def test_matches_smith_code_on_random_binary_data() -> None:
    rng = np.random.default_rng(0)
    a = (rng.random((300, 5)) < rng.uniform(0.1, 0.5, 5)).astype(float)
    a[:, 1] = np.maximum(a[:, 1], a[:, 0])  # some real dependence
    a[:, 4] = a[:, 3] * (rng.random(300) < 0.7)
    kappa, tau, _ = patel_kappa_tau(a)
    for i in range(5):
        for j in range(5):
            if i != j:
                k, t = smith_pair(a[:, i], a[:, j])
                assert kappa[i, j] == pytest.approx(k, abs=1e-12)
                assert tau[i, j] == pytest.approx(t, abs=1e-12)
    np.testing.assert_allclose(tau, -tau.T)
    np.testing.assert_allclose(kappa, kappa.T)


def test_reversal_canary(activation_chain_data) -> None:
    # x1 is active whenever x0 is (and x2 whenever x1 is): Patel's tau orients 0 -> 1 -> 2.
    est = Patel().fit(activation_chain_data(n=1000, seed=0))
    a, s = est.adjacency_, est.scores_
    assert a[0, 1] and a[1, 2]
    assert not a[1, 0] and not a[2, 1]
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1]


def test_binarisation_is_per_node_and_scale_free(activation_chain_data) -> None:
    x = activation_chain_data(n=500, seed=1)
    b = binarize(x, 0.75)
    assert set(np.unique(b)) == {0.0, 1.0}
    y = x * np.array([100.0, 0.001, 7.0]) - 3.0
    np.testing.assert_array_equal(b, binarize(y, 0.75))
    np.testing.assert_array_equal(Patel().fit(x).scores_, Patel().fit(y).scores_)


def test_negative_association_is_not_an_edge() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((500, 2))
    x[:, 1] = -x[:, 0] + 0.1 * rng.standard_normal(500)
    est = Patel().fit(x)
    assert not est.adjacency_.any() and not est.scores_.any()


def test_flat_percentiles_raise(activation_chain_data) -> None:
    x = activation_chain_data(n=200, seed=0)
    x[:190, 2] = 0.0  # 95% of the node is one value: q10 == q90
    with pytest.raises(DataError, match="sub-06.*percentiles"):
        Patel().fit(x, FitContext(dataset="sub-06"))


@pytest.mark.parametrize("params", [{"threshold": 1.0}, {"threshold": -0.1}, {"alpha": 0.0}])
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="patel"):
        Patel(**params).check_params()
