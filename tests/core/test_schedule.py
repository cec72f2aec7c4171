"""The cost model behind the fit order and the ETA."""

from __future__ import annotations

import math

import pytest

from bench.schedule import DEFAULT_PRIOR, PRIORS, CostModel


def test_priors_without_observations() -> None:
    m = CostModel()
    c, a = PRIORS["pc"]
    assert m.cost("pc", 10, 200) == pytest.approx(c)
    assert m.cost("pc", 50, 200) == pytest.approx(c * 5**a)
    assert m.cost("pc", 10, 400) == pytest.approx(2 * c)  # linear in T
    assert m.params("unknown-method") == DEFAULT_PRIOR


def test_observations_refine_constant_and_exponent() -> None:
    # walls from 0.01 · (N/10)^3 · (T/200): two node counts pin both the constant and exponent
    truth = lambda n, t: 0.01 * (n / 10) ** 3 * (t / 200)  # noqa: E731
    obs = [("x", n, t, truth(n, t)) for n in (5, 10, 50) for t in (100, 200)]
    m = CostModel(obs)
    c, a = m.params("x")
    assert c == pytest.approx(0.01) and a == pytest.approx(3.0)
    assert m.cost("x", 100, 200) == pytest.approx(truth(100, 200))
    # one node count: only the constant moves, the exponent stays the prior's
    m1 = CostModel([("pc", 10, 200, 1.0)])
    assert m1.params("pc") == pytest.approx((1.0, PRIORS["pc"][1]))


def test_exponent_is_bounded_and_bad_walls_ignored() -> None:
    m = CostModel([("x", 5, 200, 1e-9), ("x", 50, 200, 1e9), ("x", 10, 200, 0.0)])
    assert m.params("x")[1] == 4.0  # clipped
    m.observe("y", 10, 200, math.nan)
    assert m.params("y") == DEFAULT_PRIOR
