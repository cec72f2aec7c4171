"""Reversal canaries: small data from known structures that every registered method must orient.

Published work has shipped baselines with every edge reversed because of a transposed adjacency
(see DESIGN.md, "Orientation"). Every method therefore registers a :class:`Canary`
(``register_method(..., canary=...)``): a recipe of data with a known graph and the check its
estimate must pass. The common-checks suite (``tests/methods/test_common.py``) runs the canary of
every registered method, so no adapter can leave the check out.

Recipes (:data:`RECIPES`; orientation ``truth[i, j]`` = i → j, row = source)
-----------------------------------------------------------------------------
All draw from ``numpy.random.default_rng(seed)`` only, with a burn-in of 100 steps for the
dynamic ones (dropped), and return a float64 ``(T, N)`` array and the binary truth.

* ``chain-mixed``: x0 → x1 → x2 with lag-1 and contemporaneous effects (Gaussian noise),
  for k = 1, 2: ``xk[t] = a xk[t−1] + b x(k−1)[t−1] + c x(k−1)[t] + ek[t]`` and
  ``x0[t] = a x0[t−1] + e0[t]``, a = 0.3, b = 0.5, c = 0.5 (:func:`chain_from_noise`);
* ``chain-lagged``: the same with c = 0 (every link lagged: time orients it);
* ``chain-contemporaneous``: the same with b = 0 (a = 0.3 keeps the lag-1 autoregression that
  lets PCMCI+ orient the contemporaneous links through unshielded colliders);
* ``chain-iid``: the same with a = b = 0 (an i.i.d. Gaussian SEM: no method can orient it);
* ``chain-nongaussian``: the i.i.d. SEM ``xk = 0.8 x(k−1) + ek`` with uniform noise of unit
  variance (LiNGAM-identifiable);
* ``chain-mixed-nongaussian``: a = 0.3, b = 0.5, c = 0.6 with uniform noise (VAR-LiNGAM);
* ``collider``: i.i.d., x0, x1 ~ N(0, 1), ``x2 = 0.8 (x0 + x1) + e2``, ``x3 = 0.8 x2 + e3``: the
  v-structure 0 → 2 ← 1 orients, Meek's rule then orients 2 → 3;
* ``chain-activation``: binary activity spreading down the chain (Patel's model):
  ``s0 ~ Bernoulli(0.15)``, ``sk = s(k−1) OR Bernoulli(0.15)``, ``xk = sk + 0.1 N(0, 1)``.

Checks (:attr:`Canary.check`)
-----------------------------
* ``"directed"``: for every one-way true edge i → j, the decision holds i → j and not j → i,
  and, when the method has scores, ``scores[i, j] > scores[j, i]``; with ``exact=True`` the
  decision must equal the truth;
* ``"undirected"``: for methods that cannot orient (declared so): every true edge is decided in
  both directions and the scores are symmetric;
* ``"data-free"``: for the random floor: the estimate does not depend on the data (the same
  output for the canary data and for its node-reversed copy, with the same seed).

A canary with ``xfail`` set records a known failure of the method (with the measured reason);
the suite runs it as a non-strict expected failure and it never passes silently as "checked".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "BURN_IN",
    "CHECKS",
    "Canary",
    "RECIPES",
    "canary_data",
    "chain_from_noise",
    "check_canary",
]

BURN_IN = 100
CHECKS = ("directed", "undirected", "data-free")
CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)


def chain_from_noise(
    e: np.ndarray, *, autoregressive: float, lagged: float, contemporaneous: float
) -> np.ndarray:
    """Run the chain x0 → x1 → x2 on the innovations ``e`` (T, 3); row 0 is the zero start.

    For k = 1, 2, with a = ``autoregressive``, b = ``lagged``, c = ``contemporaneous``::

        x0[t] = a x0[t-1]                               + e0[t]
        xk[t] = a xk[t-1] + b x(k-1)[t-1] + c x(k-1)[t] + ek[t]
    """
    x = np.zeros_like(e)
    a, b, c = autoregressive, lagged, contemporaneous
    for t in range(1, e.shape[0]):
        x[t, 0] = a * x[t - 1, 0] + e[t, 0]
        for k in (1, 2):
            x[t, k] = a * x[t - 1, k] + b * x[t - 1, k - 1] + c * x[t, k - 1] + e[t, k]
    return x


def _uniform(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), shape)  # unit variance


def make_chain(
    n: int = 1000,
    seed: int = 0,
    *,
    lagged: float = 0.5,
    contemporaneous: float = 0.5,
    autoregressive: float = 0.3,
    noise: str = "gaussian",
) -> np.ndarray:
    """The 3-node chain of :func:`chain_from_noise` (Gaussian or uniform noise), burn-in dropped."""
    rng = np.random.default_rng(seed)
    shape = (n + BURN_IN, 3)
    e = rng.standard_normal(shape) if noise == "gaussian" else _uniform(rng, shape)
    x = chain_from_noise(
        e, autoregressive=autoregressive, lagged=lagged, contemporaneous=contemporaneous
    )
    return x[BURN_IN:]


def make_collider(n: int = 1000, seed: int = 0, *, weight: float = 0.8) -> np.ndarray:
    """4 nodes, x0 → x2 ← x1 and x2 → x3, i.i.d. over time (a contemporaneous Gaussian SEM)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    x[:, 2] += weight * (x[:, 0] + x[:, 1])
    x[:, 3] += weight * x[:, 2]
    return x


def make_activation_chain(
    n: int = 1000, seed: int = 0, *, rate: float = 0.15, noise: float = 0.1
) -> np.ndarray:
    """3 nodes whose binary activity propagates down the chain x0 → x1 → x2 (Patel's model)."""
    rng = np.random.default_rng(seed)
    own = rng.random((n, 3)) < rate
    s = np.zeros((n, 3), dtype=bool)
    s[:, 0] = own[:, 0]
    for k in (1, 2):
        s[:, k] = s[:, k - 1] | own[:, k]
    return s.astype(np.float64) + noise * rng.standard_normal((n, 3))


COLLIDER = np.zeros((4, 4), dtype=bool)
COLLIDER[0, 2] = COLLIDER[1, 2] = COLLIDER[2, 3] = True

Recipe = Callable[[int, int], np.ndarray]

RECIPES: dict[str, tuple[Recipe, np.ndarray]] = {
    "chain-mixed": (lambda n, s: make_chain(n, s), CHAIN),
    "chain-lagged": (lambda n, s: make_chain(n, s, contemporaneous=0.0), CHAIN),
    "chain-contemporaneous": (lambda n, s: make_chain(n, s, lagged=0.0), CHAIN),
    "chain-iid": (lambda n, s: make_chain(n, s, lagged=0.0, autoregressive=0.0), CHAIN),
    "chain-nongaussian": (
        lambda n, s: make_chain(
            n, s, lagged=0.0, contemporaneous=0.8, autoregressive=0.0, noise="uniform"
        ),
        CHAIN,
    ),
    "chain-mixed-nongaussian": (
        lambda n, s: make_chain(
            n, s, lagged=0.5, contemporaneous=0.6, autoregressive=0.3, noise="uniform"
        ),
        CHAIN,
    ),
    "collider": (make_collider, COLLIDER),
    "chain-activation": (make_activation_chain, CHAIN),
}


BOLD_CANARY_TR = 0.5  # s


def make_bold_chain(n: int = 1000, seed: int = 0, *, tr: float = BOLD_CANARY_TR) -> np.ndarray:
    """``chain-bold``: BOLD of x0 → x1 → x2 from the NetSim-style simulator (DCM + balloon).

    One subject of :mod:`bench.datasets.simulate` on the fixed 3-node chain with NetSim's
    inputs, weights, balloon haemodynamics and observation noise (SD 1 %), but slow neural
    dynamics, σ = 1/s (NetSim: 20/s; DCM's prior self-decay is 0.5/s), no HRF variability
    (``hrf_var=0``, as NetSim sims 18 and 20), TR = 0.5 s (the rDCM papers' simulations;
    NetSim's TR is 3 s) and a 20 ms Euler step (σ·dt = 0.02); ``n`` samples drawn from ``seed``
    (stream ``"canary-chain-bold"``). For methods of haemodynamic BOLD data (rDCM).
    """
    from bench.datasets.simulate import FixedGraph, Scenario, simulate

    sc = Scenario(
        graph=FixedGraph(CHAIN, "canary chain"),
        stream="canary-chain-bold",
        n_subjects=1,
        duration=n * tr,
        tr=tr,
        hrf_var=0.0,
        sigma=1.0,
        dt=0.02,
    )
    return np.asarray(simulate(sc, seed).series[0], dtype=np.float64)


RECIPES["chain-bold"] = (make_bold_chain, CHAIN)


@dataclass(frozen=True)
class Canary:
    """The reversal canary a method registers (see the module docstring).

    ``data`` names a recipe of :data:`RECIPES`; ``n`` time points per subject and ``seed`` pick
    the draw; ``subjects`` is the number of subjects for a group-level method (subject k is the
    draw with seed ``seed + k``); ``params`` overrides the method's defaults for the canary fit
    (small settings for slow methods); ``check`` is one of :data:`CHECKS`; ``exact`` also
    requires the decision to equal the truth (``"directed"`` only); ``slow`` moves the canary
    out of the default test suite; ``xfail`` records a known, measured failure.
    """

    data: str
    check: str = "directed"
    n: int = 1000
    seed: int = 0
    subjects: int = 4
    params: Mapping[str, Any] = field(default_factory=dict)
    exact: bool = False
    slow: bool = False
    xfail: str | None = None

    def __post_init__(self) -> None:
        if self.data not in RECIPES:
            raise ValueError(f"canary: unknown data recipe {self.data!r}; known: {sorted(RECIPES)}")
        if self.check not in CHECKS:
            raise ValueError(f"canary: check must be one of {CHECKS}, got {self.check!r}")
        if self.exact and self.check != "directed":
            raise ValueError("canary: exact=True applies to the 'directed' check only")


def canary_data(canary: Canary, level: str = "subject") -> tuple[Any, np.ndarray]:
    """The canary's input (one array, or a list of ``subjects`` arrays at group level) and truth."""
    recipe, truth = RECIPES[canary.data]
    if level == "group":
        return [recipe(canary.n, canary.seed + k) for k in range(canary.subjects)], truth.copy()
    return recipe(canary.n, canary.seed), truth.copy()


def check_canary(
    canary: Canary, adjacency: np.ndarray, scores: np.ndarray | None, truth: np.ndarray
) -> list[str]:
    """What the estimate gets wrong on the canary (empty list: the canary passes).

    Implements the ``"directed"`` and ``"undirected"`` checks of the module docstring (the
    ``"data-free"`` check compares two fits; see :func:`check_data_free`).
    """
    a = np.asarray(adjacency, dtype=bool)
    t = np.asarray(truth, dtype=bool)
    s = None if scores is None else np.asarray(scores, dtype=float)
    problems: list[str] = []
    edges = [(int(i), int(j)) for i, j in zip(*np.nonzero(t), strict=True)]
    if canary.check == "directed":
        for i, j in edges:
            if t[j, i]:
                continue  # a 2-cycle has no single direction to get right
            if not a[i, j]:
                problems.append(f"true edge {i}->{j} not decided")
            if a[j, i]:
                problems.append(f"reverse edge {j}->{i} decided")
            if s is not None and not s[i, j] > s[j, i]:
                problems.append(f"score {i}->{j} {s[i, j]:.4g} <= reverse {s[j, i]:.4g}")
        if canary.exact and not np.array_equal(a & ~np.eye(len(a), dtype=bool), t):
            extra = [(int(i), int(j)) for i, j in zip(*np.nonzero(a & ~t), strict=True) if i != j]
            if extra:
                problems.append(f"edges outside the truth decided: {extra}")
    elif canary.check == "undirected":
        for i, j in edges:
            if not (a[i, j] and a[j, i]):
                problems.append(f"true adjacency {i}-{j} not decided in both directions")
        if s is not None and not np.array_equal(s, s.T):
            problems.append("scores are not symmetric for a method that cannot orient")
    else:
        raise ValueError("the 'data-free' check compares two fits: use check_data_free")
    return problems


def check_data_free(first: Any, second: Any) -> list[str]:
    """Problems if two fits (``adjacency_``, ``scores_``) of a data-free method differ."""
    problems = []
    if not np.array_equal(first.adjacency_, second.adjacency_):
        problems.append("the decision depends on the data")
    s1, s2 = getattr(first, "scores_", None), getattr(second, "scores_", None)
    if (s1 is None) != (s2 is None) or (s1 is not None and not np.array_equal(s1, s2)):
        problems.append("the scores depend on the data")
    return problems
