"""Random baseline: exact density, seeding, independence from the data, chance level."""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods.random_baseline import RandomBaseline
from bench.registry import METHODS
from bench.types import FitContext


def test_exact_density_and_top_k_decision(var_data) -> None:
    est = RandomBaseline(density=0.2, random_state=0).fit(var_data(n=50, n_nodes=10, seed=0))
    a, s = est.adjacency_, est.scores_
    assert a.sum() == 18  # round(0.2 * 90)
    assert not np.diag(a).any() and not np.diag(s).any()
    off = ~np.eye(10, dtype=bool)
    assert s[a].min() > s[off & ~a].max()  # the decision is the top of the scores
    assert ((s[off] > 0) & (s[off] < 1)).all()
    assert (
        RandomBaseline(density=0.0, random_state=0).fit(var_data(n=50, n_nodes=3)).adjacency_.sum()
        == 0
    )
    assert (
        RandomBaseline(density=1.0, random_state=0).fit(var_data(n=50, n_nodes=3)).adjacency_.sum()
        == 6
    )


def test_seeded_and_data_free(var_data) -> None:
    x, y = var_data(n=100, n_nodes=5, seed=0), var_data(n=80, n_nodes=5, seed=9)
    a = RandomBaseline(random_state=7).fit(x)
    np.testing.assert_array_equal(a.scores_, RandomBaseline(random_state=7).fit(y).scores_)
    assert not np.array_equal(a.scores_, RandomBaseline(random_state=8).fit(x).scores_)
    # Without a random_state, the context's seed (then 0) drives it: never unseeded.
    c = RandomBaseline().fit(x, FitContext(seed=7))
    np.testing.assert_array_equal(a.scores_, c.scores_)
    np.testing.assert_array_equal(
        RandomBaseline().fit(x).scores_, RandomBaseline(random_state=0).fit(x).scores_
    )


def test_registered_stochastic_with_random_state() -> None:
    info = METHODS["random"]
    assert not info.deterministic and "random_state" in info.defaults
    assert 0 < info.defaults["density"] < 1


def test_chance_level_and_no_orientation(chain_data) -> None:
    # The floor: over many seeds the AUROC on the chain is 0.5 and neither direction is favoured.
    x = chain_data(n=50, seed=0)
    truth = np.zeros((3, 3), dtype=bool)
    truth[0, 1] = truth[1, 2] = True
    aurocs, diffs = [], []
    for seed in range(1000):
        est = RandomBaseline(random_state=seed).fit(x)
        off = ~np.eye(3, dtype=bool)
        pos, neg = est.scores_[truth], est.scores_[off & ~truth]
        aurocs.append(np.mean(pos[:, None] > neg[None, :]))  # Mann-Whitney AUROC
        diffs.append(est.scores_[0, 1] - est.scores_[1, 0])
    assert np.mean(aurocs) == pytest.approx(0.5, abs=0.04)
    assert np.mean(diffs) == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize("density", [-0.1, 1.5, "0.2"])
def test_bad_density(density) -> None:
    with pytest.raises(ValueError, match="random: density"):
        RandomBaseline(density=density).check_params()
