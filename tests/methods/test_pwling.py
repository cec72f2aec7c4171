"""pwling: the orientation rule, the scores, the skeleton options, the encoding."""

from __future__ import annotations

import numpy as np
import pytest

from bench.canaries import make_skewed_chain
from bench.methods._skew import fas_skeleton, pairwise_lr
from bench.methods.correlation import partial_correlation
from bench.methods.pwling import PairwiseLiNGAM, orient_by_lr
from bench.types import DataError, FitContext

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)


def test_orientation_rule_by_hand() -> None:
    skel = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 1], [0, 0, 1, 0]], dtype=bool)
    lr = np.zeros((4, 4))
    lr[0, 1], lr[0, 2], lr[1, 2], lr[3, 0] = 0.3, -0.2, 0.0, 0.9  # (3, 0) is not adjacent
    lr = lr - lr.T
    a = orient_by_lr(skel, lr)
    expected = np.zeros((4, 4), dtype=bool)
    expected[0, 1] = expected[2, 0] = True  # R_01 > 0: 0 -> 1; R_02 < 0: 2 -> 0
    expected[1, 2] = expected[2, 1] = True  # R_12 = 0: unoriented, both directions
    expected[3, 2] = True  # R_32 = 0 too (neither favours): both directions
    expected[2, 3] = True
    np.testing.assert_array_equal(a, expected)


def test_skewed_chain_and_encoding() -> None:
    x = make_skewed_chain(2000, 0)
    np.testing.assert_array_equal(PairwiseLiNGAM().fit(x).adjacency_, CHAIN)
    reversed_fit = PairwiseLiNGAM().fit(x[:, ::-1].copy())
    np.testing.assert_array_equal(reversed_fit.adjacency_, CHAIN[::-1, ::-1])


def test_tanh_measure_orients_a_sparse_chain() -> None:
    # Laplace (symmetric, super-Gaussian) noise: skewness is 0, the tanh measure still orients
    rng = np.random.default_rng(1)
    x = rng.laplace(size=(4000, 3))
    x[:, 1] += 0.8 * x[:, 0]
    x[:, 2] += 0.8 * x[:, 1]
    np.testing.assert_array_equal(PairwiseLiNGAM(measure="tanh").fit(x).adjacency_, CHAIN)


def test_scores_rule() -> None:
    x = make_skewed_chain(1000, 2)
    est = PairwiseLiNGAM().fit(x)
    rho = np.abs(partial_correlation(np.corrcoef(x, rowvar=False)))
    lr = pairwise_lr(x, "skew")
    expected = np.where(lr > 0, rho, 0.0)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(est.scores_, expected, rtol=1e-12, atol=1e-15)
    assert (est.scores_[CHAIN] > est.scores_.T[CHAIN]).all()


def test_skeleton_options() -> None:
    x = make_skewed_chain(1000, 3)
    fas = PairwiseLiNGAM().fit(x)
    np.testing.assert_array_equal(fas.adjacency_ | fas.adjacency_.T, fas_skeleton(x, 0.01))
    pc = PairwiseLiNGAM(skeleton="partial-correlation").fit(x)
    np.testing.assert_array_equal(pc.adjacency_, CHAIN)
    assert pc.extra_["skeleton"] == "partial-correlation" and pc.extra_["n_adjacencies"] == 2


def test_reference_impl_gives_the_same_result() -> None:
    from bench.registry import load_dataset

    x = load_dataset("smith:1").series[1]
    a = PairwiseLiNGAM().fit(x)
    b = PairwiseLiNGAM(impl="reference").fit(x)
    np.testing.assert_array_equal(a.adjacency_, b.adjacency_)
    np.testing.assert_array_equal(a.scores_, b.scores_)


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"measure": "kurtosis"}, "measure"),
        ({"skeleton": "glasso"}, "skeleton"),
        ({"alpha": 1.0}, "alpha"),
        ({"depth": -2}, "depth"),
        ({"impl": "matlab"}, "impl"),
    ],
)
def test_bad_params_raise(params: dict, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        PairwiseLiNGAM(**params).check_params()


def test_too_short_series_raise() -> None:
    x = np.random.default_rng(0).standard_normal((12, 11))
    with pytest.raises(DataError, match="sub-03"):
        PairwiseLiNGAM().fit(x, FitContext(dataset="sub-03"))
