"""FASK: the left-right rule and the 2-cycle test by hand, the decision, the encoding."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from bench.canaries import make_skewed_chain
from bench.methods._skew import standardize_ddof1
from bench.methods.fask import FASK, conditional_moments, fask_graph, is_two_cycle, left_right
from bench.types import DataError, FitContext


def skewed_sem(b: np.ndarray, t: int, seed: int) -> np.ndarray:
    """x = B x + e (``b`` row = child) with Exp(1) − 1 disturbances, as a (T, N) array."""
    rng = np.random.default_rng(seed)
    e = rng.exponential(1.0, (t, len(b))) - 1.0
    return e @ np.linalg.inv(np.eye(len(b)) - b).T


def tetrad_left_right(x: np.ndarray, y: np.ndarray, delta: float) -> bool:
    """A literal transcription of the rule of Tetrad's Fask.leftright (revision 8f38b84)."""

    def cu(a: np.ndarray, b: np.ndarray, cond: np.ndarray) -> float:
        keep = cond > 0
        return float(np.sum(a[keep] * b[keep]) / keep.sum())

    left = cu(x, y, x) / np.sqrt(cu(x, x, x) * cu(y, y, x))
    right = cu(x, y, y) / np.sqrt(cu(x, x, y) * cu(y, y, y))
    lr = left - right
    r = np.corrcoef(x, y)[0, 1]
    sx = np.mean((x - x.mean()) ** 3)
    sy = np.mean((y - y.mean()) ** 3)
    r *= np.sign(sx) * np.sign(sy)
    lr *= np.sign(r)
    if r < delta:
        lr *= -1
    return lr > 0


@pytest.mark.parametrize("seed", range(4))
def test_left_right_equals_transcription(seed: int) -> None:
    rng = np.random.default_rng(seed)
    b = np.zeros((4, 4))
    b[1, 0], b[2, 1], b[3, 0] = 0.7, -0.6, -0.1  # positive, strongly and weakly negative
    x = skewed_sem(b, 800, seed) * rng.choice([-1.0, 1.0], 4)  # mixed skewness signs
    z = standardize_ddof1(x)
    _, _, _, second = conditional_moments(z)
    lr = left_right(z, second, delta=-0.2)
    for i, j in combinations(range(4), 2):
        assert (lr[i, j] > 0) == tetrad_left_right(z[:, i], z[:, j], -0.2), (i, j)
        assert lr[i, j] == pytest.approx(-lr[j, i], abs=1e-12)


def test_conditional_moments_by_hand() -> None:
    z = standardize_ddof1(skewed_sem(np.zeros((3, 3)), 200, 0))
    n_pos, cov, corr, second = conditional_moments(z)
    rows = z[z[:, 1] > 0]
    assert n_pos[1] == len(rows)
    np.testing.assert_allclose(cov[1], np.cov(rows, rowvar=False), rtol=1e-12)
    np.testing.assert_allclose(corr[1], np.corrcoef(rows, rowvar=False), rtol=1e-12)
    np.testing.assert_allclose(second[1], rows.T @ rows / len(rows), rtol=1e-12)


def two_cycle_by_hand(z: np.ndarray, i: int, j: int, others: list[int], alpha: float) -> bool:
    """FASK's 2-cycle test, one conditioning set at a time, from the rows themselves."""
    from scipy.stats import norm

    cutoff = norm.ppf(1 - alpha / 2)

    def pcorr(rows: np.ndarray, s: tuple[int, ...]) -> float:
        p = np.linalg.inv(np.cov(rows[:, [i, j, *s]], rowvar=False))
        return -p[0, 1] / np.sqrt(p[0, 0] * p[1, 1])

    t = len(z)
    r1, r2 = z[z[:, i] > 0], z[z[:, j] > 0]
    for size in range(len(others) + 1):
        for s in combinations(others, size):
            z0, z1, z2 = (np.arctanh(pcorr(rows, s)) for rows in (z, r1, r2))
            zv1 = (z0 - z1) / np.sqrt(1 / (t - 3) + 1 / (len(r1) - 3))
            zv2 = (z0 - z2) / np.sqrt(1 / (t - 3) + 1 / (len(r2) - 3))
            rej1, rej2 = abs(zv1) > cutoff, abs(zv2) > cutoff
            if not ((zv1 < 0 < zv2 and rej1) or (zv1 > 0 > zv2 and rej2) or (rej1 and rej2)):
                return False
    return True


@pytest.mark.parametrize("alpha", [1e-6, 1e-2, 0.3])
def test_two_cycle_test_equals_by_hand(alpha: float) -> None:
    b = np.zeros((4, 4))
    b[1, 0], b[0, 1], b[2, 1], b[3, 2] = 0.6, 0.4, 0.6, 0.6
    z = standardize_ddof1(skewed_sem(b, 3000, 1))
    from scipy.stats import norm

    n_pos, cov, _, _ = conditional_moments(z)
    cov_all = np.cov(z, rowvar=False)
    cutoff = norm.ppf(1 - alpha / 2)
    found = {}
    for i, j in combinations(range(4), 2):
        others = [k for k in range(4) if k not in (i, j)]
        found[i, j] = mine = is_two_cycle(
            i,
            j,
            np.array(others),
            (cov_all, cov[i], cov[j]),
            (len(z), int(n_pos[i]), int(n_pos[j])),
            cutoff,
            -1,
        )
        assert mine == two_cycle_by_hand(z, i, j, others, alpha), (i, j)
    assert found[0, 1] and not any(v for k, v in found.items() if k != (0, 1))  # both outcomes


def test_recovers_a_two_cycle_and_the_one_way_edges() -> None:
    # x0 <-> x1, x1 -> x2 -> x3 with skewed noise (T = 5000)
    b = np.zeros((4, 4))
    b[1, 0], b[0, 1], b[2, 1], b[3, 2] = 0.6, 0.4, 0.6, 0.6
    est = FASK().fit(skewed_sem(b, 5000, 3))
    np.testing.assert_array_equal(est.adjacency_, b.T != 0)
    assert est.extra_["n_two_cycles"] == 1 and est.extra_["n_one_way_edges"] == 2


def test_chain_direction_and_encoding() -> None:
    # A[i, j] = i -> j: the chain 0 -> 1 -> 2; with the columns reversed, 2 -> 1 -> 0
    x = make_skewed_chain(2000, 0)
    expected = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(FASK().fit(x).adjacency_, expected)
    np.testing.assert_array_equal(FASK().fit(x[:, ::-1].copy()).adjacency_, expected[::-1, ::-1])
    assert FASK().fit(x).scores_ is None


def test_two_cycle_detection_can_be_turned_off() -> None:
    b = np.zeros((4, 4))
    b[1, 0], b[0, 1], b[2, 1], b[3, 2] = 0.6, 0.4, 0.6, 0.6
    est = FASK(two_cycle_alpha=0.0).fit(skewed_sem(b, 5000, 3))
    assert est.extra_["n_two_cycles"] == 0
    assert not (est.adjacency_ & est.adjacency_.T).any()


def test_skew_adjacencies_rule() -> None:
    # threshold 0 without FAS: every pair whose conditional correlations differ at all
    x = skewed_sem(np.zeros((4, 4)), 500, 2)
    adj, counts = fask_graph(x, use_fas_adjacencies=False, skew_edge_threshold=0.0)
    assert counts["n_adjacencies"] == 6 and counts["n_fas_adjacencies"] == 0
    # a huge threshold adds nothing: the output adjacencies are the FAS skeleton's
    _, counts = fask_graph(x, skew_edge_threshold=10.0)
    assert counts["n_skew_adjacencies_added"] == 0
    assert counts["n_adjacencies"] == counts["n_fas_adjacencies"]


def test_reference_impl_gives_the_same_graph() -> None:
    from bench.registry import load_dataset

    x = load_dataset("smith:1").series[0]
    np.testing.assert_array_equal(
        FASK().fit(x).adjacency_, FASK(impl="reference").fit(x).adjacency_
    )


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"depth": -2}, "depth"),
        ({"depth": 1.5}, "depth"),
        ({"skew_edge_threshold": -0.1}, "skew_edge_threshold"),
        ({"two_cycle_alpha": 1.0}, "two_cycle_alpha"),
        ({"delta": 2.0}, "delta"),
        ({"use_skew_adjacencies": "yes"}, "use_skew_adjacencies"),
        ({"impl": "tetrad"}, "impl"),
    ],
)
def test_bad_params_raise(params: dict, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        FASK(**params).check_params()


def test_too_few_points_above_the_mean_raise() -> None:
    x = make_skewed_chain(300, 0)
    x[:, 2] = 0.0
    x[:5, 2] = 10.0 + np.arange(5)  # a spiky node: only 5 points above its mean
    with pytest.raises(DataError, match="sub-07.*node.*2"):
        FASK().fit(x, FitContext(dataset="sub-07"))


def test_collinear_nodes_raise() -> None:
    x = make_skewed_chain(300, 0)
    x[:, 2] = 2 * x[:, 0]
    with pytest.raises(DataError, match="singular"):
        FASK().fit(x)
