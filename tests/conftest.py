"""Shared data fixtures: small seeded simulations with known graphs (A[i, j] = i -> j).

Each fixture returns a generator function, so a test picks its own size and seed:
``chain_data(n=1000, seed=0)``. Generators use ``numpy.random.default_rng(seed)`` only (no
global state) and return float64 ``(T, N)`` arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from chains import chain_from_noise

BURN_IN = 100


def make_chain(
    n: int = 1000,
    seed: int = 0,
    *,
    lagged: float = 0.5,
    contemporaneous: float = 0.5,
    autoregressive: float = 0.3,
) -> np.ndarray:
    """A 3-node chain x0 -> x1 -> x2 with a lag-1 and a contemporaneous component.

    For k = 1, 2 (with unit-variance Gaussian noise e)::

        x0[t] = a x0[t-1]                                  + e0[t]
        xk[t] = a xk[t-1] + b x(k-1)[t-1] + c x(k-1)[t]    + ek[t]

    with a = ``autoregressive``, b = ``lagged``, c = ``contemporaneous``. Lag-based methods
    (Granger, PCMCI) see b; contemporaneous ones (PC) see c. True summary graph: edges (0, 1)
    and (1, 2).
    """
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n + BURN_IN, 3))
    x = chain_from_noise(
        e, autoregressive=autoregressive, lagged=lagged, contemporaneous=contemporaneous
    )
    return x[BURN_IN:]


def make_collider(n: int = 1000, seed: int = 0, *, weight: float = 0.8) -> np.ndarray:
    """4 nodes, x0 -> x2 <- x1 and x2 -> x3, i.i.d. over time (a contemporaneous SEM).

    x0, x1 ~ N(0, 1) independent; x2 = w (x0 + x1) + e2; x3 = w x2 + e3. The collider makes the
    orientation identifiable from observational data: PC finds the v-structure 0 -> 2 <- 1 (0 and
    1 are independent, dependent given 2) and Meek's rule 1 then orients 2 -> 3.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    x[:, 2] += weight * (x[:, 0] + x[:, 1])
    x[:, 3] += weight * x[:, 2]
    return x


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
    rng = np.random.default_rng(seed)
    e = rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), (n + BURN_IN, 3))
    x = np.zeros_like(e)
    a, b, c = autoregressive, lagged, contemporaneous
    for t in range(1, n + BURN_IN):
        x[t, 0] = a * x[t - 1, 0] + e[t, 0]
        for k in (1, 2):
            x[t, k] = a * x[t - 1, k] + b * x[t - 1, k - 1] + c * x[t, k - 1] + e[t, k]
    return x[BURN_IN:]


def make_activation_chain(
    n: int = 1000, seed: int = 0, *, rate: float = 0.15, noise: float = 0.1
) -> np.ndarray:
    """3 nodes whose activity propagates down the chain x0 -> x1 -> x2 (Patel's model).

    Binary states: s0 ~ Bernoulli(rate); s_k = s_(k-1) OR Bernoulli(rate) for k = 1, 2 (a node
    is active whenever its parent is, and also on its own). Observed x_k = s_k + noise * N(0, 1).
    In Patel's terms x0 is ascendant to x1 and x1 to x2. True graph: edges (0, 1) and (1, 2).
    """
    rng = np.random.default_rng(seed)
    own = rng.random((n, 3)) < rate
    s = np.zeros((n, 3), dtype=bool)
    s[:, 0] = own[:, 0]
    for k in (1, 2):
        s[:, k] = s[:, k - 1] | own[:, k]
    return s.astype(np.float64) + noise * rng.standard_normal((n, 3))


@pytest.fixture
def nongaussian_chain_data() -> Callable[..., np.ndarray]:
    """Generator of the chain x0 -> x1 -> x2 with uniform noise (see
    :func:`make_nongaussian_chain`)."""
    return make_nongaussian_chain


@pytest.fixture
def activation_chain_data() -> Callable[..., np.ndarray]:
    """Generator of the activation chain x0 -> x1 -> x2 (see :func:`make_activation_chain`)."""
    return make_activation_chain
