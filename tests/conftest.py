"""Shared data fixtures: small seeded simulations with known graphs (A[i, j] = i -> j).

Each fixture returns a generator function, so a test picks its own size and seed:
``chain_data(n=1000, seed=0)``. Generators use ``numpy.random.default_rng(seed)`` only (no
global state) and return float64 ``(T, N)`` arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from bench.canaries import BURN_IN, make_activation_chain, make_chain, make_collider

__all__ = ["BURN_IN", "make_activation_chain", "make_chain", "make_collider", "make_var"]


def make_var(n: int = 300, n_nodes: int = 5, seed: int = 0, *, density: float = 0.2) -> np.ndarray:
    """A random stable VAR(1): x[t] = x[t-1] @ W + e[t], W[i, j] = effect of i on j.

    Off-diagonal entries are non-zero with probability ``density`` (uniform 0.2..0.5 in
    magnitude, random sign), the diagonal is 0.3, and W is rescaled to spectral radius <= 0.8.
    """
    rng = np.random.default_rng(seed)
    mask = rng.random((n_nodes, n_nodes)) < density
    w = mask * rng.uniform(0.2, 0.5, (n_nodes, n_nodes)) * rng.choice([-1.0, 1.0], (n_nodes,) * 2)
    np.fill_diagonal(w, 0.3)
    radius = np.max(np.abs(np.linalg.eigvals(w)))
    if radius > 0.8:
        w *= 0.8 / radius
    e = rng.standard_normal((n + BURN_IN, n_nodes))
    x = np.zeros_like(e)
    for t in range(1, n + BURN_IN):
        x[t] = x[t - 1] @ w + e[t]
    return x[BURN_IN:]


@pytest.fixture
def chain_data() -> Callable[..., np.ndarray]:
    """Generator of the 3-node chain x0 -> x1 -> x2 (see :func:`make_chain`)."""
    return make_chain


@pytest.fixture
def collider_data() -> Callable[..., np.ndarray]:
    """Generator of the 4-node collider x0 -> x2 <- x1, x2 -> x3 (see :func:`make_collider`)."""
    return make_collider


@pytest.fixture
def var_data() -> Callable[..., np.ndarray]:
    """Generator of a random stable VAR(1) (see :func:`make_var`)."""
    return make_var


def make_nongaussian_chain(
    n: int = 1000,
    seed: int = 0,
    *,
    lagged: float = 0.0,
    contemporaneous: float = 0.8,
    autoregressive: float = 0.0,
) -> np.ndarray:
    """The chain x0 -> x1 -> x2 of :func:`make_chain` with uniform (non-Gaussian) noise.

    The noise is Uniform(-sqrt(3), sqrt(3)) (unit variance), which makes the contemporaneous
    direction identifiable for LiNGAM-type methods. Defaults give an i.i.d. linear SEM
    x1 = 0.8 x0 + e1, x2 = 0.8 x1 + e2. True summary graph: edges (0, 1) and (1, 2).
    """
    return make_chain(
        n,
        seed,
        lagged=lagged,
        contemporaneous=contemporaneous,
        autoregressive=autoregressive,
        noise="uniform",
    )


@pytest.fixture
def nongaussian_chain_data() -> Callable[..., np.ndarray]:
    """Generator of the chain x0 -> x1 -> x2 with uniform noise (see
    :func:`make_nongaussian_chain`)."""
    return make_nongaussian_chain


@pytest.fixture
def activation_chain_data() -> Callable[..., np.ndarray]:
    """Generator of the activation chain x0 -> x1 -> x2 (see :func:`make_activation_chain`)."""
    return make_activation_chain
