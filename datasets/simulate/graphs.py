"""Network designs for the NetSim-style simulator: NetSim's graphs, block graphs, random graphs.

Every graph is a boolean ``(N, N)`` array with ``truth[i, j]`` True when i → j (row = source)
and a False diagonal. A design is an object with ``n_nodes`` and ``draw(rng) -> truth``, so
that a random topology is drawn from the run seed (one topology shared by all subjects of a
dataset, as in NetSim):

* :class:`FixedGraph` — a given truth, e.g. :func:`netsim_truth` (the real NetSim graph of
  sim K, read from the vendored ``smith`` data rather than rebuilt by hand).
* :class:`BlockGraph` — ``N / 5`` copies of NetSim's 5-node graph (1→2→3→4→5 plus 1→5)
  joined by ``round(1.1 · N/5)`` random forward cross-links between blocks (NetSim sim 4
  joins 10 blocks with 11 cross-links); a DAG with ``5·N/5 + cross-links`` edges.
* :class:`RandomGraph` — N nodes with exactly ``round(density · N(N−1))`` edges, of which
  ``round(cycle_fraction · edges)`` close a directed cycle (see :func:`random_graph`).

:func:`draw_weights` draws NetSim's connection strengths for a truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

BLOCK = 5  # nodes per NetSim block
WEIGHT_MEAN, WEIGHT_SD, WEIGHT_LO, WEIGHT_HI = 0.4, 0.1, 0.2, 0.6


def netsim_block() -> np.ndarray:
    """NetSim's 5-node graph: 1→2→3→4→5 plus 1→5 (0-based: 0→1→2→3→4, 0→4)."""
    t = np.zeros((BLOCK, BLOCK), dtype=bool)
    for i in range(BLOCK - 1):
        t[i, i + 1] = True
    t[0, BLOCK - 1] = True
    return t


@cache
def _smith_truth(sim: int) -> np.ndarray:
    from bench.datasets.smith import SmithNetSim

    truth = SmithNetSim().load(str(sim)).truth.astype(bool)
    truth.flags.writeable = False
    return truth


def netsim_truth(sim: int, *, forward_only: bool = False) -> np.ndarray:
    """The ground-truth graph of NetSim simulation ``sim`` (1–28), from the vendored data.

    ``forward_only`` keeps the edges i → j with i < j (for sim 13, whose subject-1 graph
    includes that subject's random backward connections).
    """
    if not 1 <= sim <= 28:
        raise ValueError(f"NetSim simulations are numbered 1-28, not {sim}")
    truth = _smith_truth(sim).copy()
    return np.triu(truth, 1) if forward_only else truth


def block_graph(n_nodes: int, rng: np.random.Generator, n_cross: int | None = None) -> np.ndarray:
    """``n_nodes / 5`` NetSim blocks joined by random forward cross-links (a DAG).

    A cross-link goes from a random node of block b to a random node of a later block b'
    (b < b'); ``n_cross`` defaults to ``round(1.1 · blocks)`` (0 for one block). No pair is
    linked twice.
    """
    if n_nodes < BLOCK or n_nodes % BLOCK:
        raise ValueError(f"a block graph needs a multiple of {BLOCK} nodes, got {n_nodes}")
    n_blocks = n_nodes // BLOCK
    truth = np.zeros((n_nodes, n_nodes), dtype=bool)
    base = netsim_block()
    for b in range(n_blocks):
        sl = slice(BLOCK * b, BLOCK * (b + 1))
        truth[sl, sl] = base
    if n_cross is None:
        n_cross = 0 if n_blocks == 1 else int(round(1.1 * n_blocks))
    block = np.arange(n_nodes) // BLOCK
    src, dst = np.nonzero(block[:, None] < block[None, :])  # every forward cross-block pair
    if n_cross > src.size:
        raise ValueError(f"{n_cross} cross-links do not fit in {n_blocks} blocks")
    pick = rng.choice(src.size, size=n_cross, replace=False)
    truth[src[pick], dst[pick]] = True
    return truth


def block_graph_edges(n_nodes: int) -> int:
    """The number of edges of :func:`block_graph` with its default cross-links."""
    n_blocks = n_nodes // BLOCK
    return BLOCK * n_blocks + (0 if n_blocks == 1 else int(round(1.1 * n_blocks)))


def random_graph(
    n_nodes: int, density: float, cycle_fraction: float, rng: np.random.Generator
) -> np.ndarray:
    """A random directed graph with a chosen density and fraction of cycle-closing edges.

    ``m = round(density · N(N−1))`` edges in all. Nodes get a random hidden order;
    ``m − m_c`` forward edges (earlier → later in that order) are drawn uniformly from all
    forward pairs, then ``m_c = round(cycle_fraction · m)`` backward edges j → i are drawn
    uniformly from the pairs where i already reaches j through forward edges, so that every
    backward edge closes at least one directed cycle (2-cycles included). ``cycle_fraction``
    0 gives a DAG. Raises ``ValueError`` when the request cannot be met.
    """
    if n_nodes < 2:
        raise ValueError("a random graph needs at least 2 nodes")
    if not 0.0 <= density <= 1.0 or not 0.0 <= cycle_fraction <= 1.0:
        raise ValueError("density and cycle_fraction must lie in [0, 1]")
    m = int(round(density * n_nodes * (n_nodes - 1)))
    m_c = int(round(cycle_fraction * m))
    m_f = m - m_c
    n_pairs = n_nodes * (n_nodes - 1) // 2
    if m_f > n_pairs:
        raise ValueError(
            f"{m_f} forward edges do not fit in {n_pairs} pairs: lower the density or raise "
            "the cycle fraction"
        )
    order = rng.permutation(n_nodes)  # order[r] is the node of rank r
    lo, hi = np.triu_indices(n_nodes, 1)  # rank pairs lo < hi
    pick = rng.choice(n_pairs, size=m_f, replace=False)
    fwd = np.zeros((n_nodes, n_nodes), dtype=bool)  # in rank space
    fwd[lo[pick], hi[pick]] = True
    if m_c:
        reach = fwd.copy()  # transitive closure (rank space, upper triangular)
        for k in range(n_nodes):
            reach |= reach[:, [k]] & reach[[k], :]
        a, b = np.nonzero(reach)  # a reaches b: candidates b -> a
        if m_c > a.size:
            raise ValueError(
                f"only {a.size} backward edges can close a cycle, {m_c} asked: lower the "
                "cycle fraction or raise the density"
            )
        pick_b = rng.choice(a.size, size=m_c, replace=False)
        back = np.zeros_like(fwd)
        back[b[pick_b], a[pick_b]] = True
        fwd |= back
    truth = np.zeros_like(fwd)
    truth[np.ix_(order, order)] = fwd
    return truth


def draw_weights(truth: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """NetSim strengths: ``clip(N(0.4, 0.1²), 0.2, 0.6)`` on every edge (row-major order)."""
    w = np.zeros(truth.shape)
    w[truth] = np.clip(rng.normal(WEIGHT_MEAN, WEIGHT_SD, int(truth.sum())), WEIGHT_LO, WEIGHT_HI)
    return w


def cycle_edges(truth: np.ndarray) -> np.ndarray:
    """Edges i → j that lie on a directed cycle (j reaches i), as a boolean ``(N, N)``."""
    reach = truth.copy()
    np.fill_diagonal(reach, False)
    for k in range(reach.shape[0]):
        reach |= reach[:, [k]] & reach[[k], :]
    return truth & reach.T


@dataclass(frozen=True, eq=False)
class FixedGraph:
    """A given truth (the same for every seed)."""

    truth: np.ndarray = field(repr=False)
    label: str = "fixed graph"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FixedGraph):
            return NotImplemented
        return self.label == other.label and np.array_equal(self.truth, other.truth)

    def __hash__(self) -> int:
        return hash((self.label, np.asarray(self.truth, dtype=bool).tobytes()))

    @property
    def n_nodes(self) -> int:
        return int(self.truth.shape[0])

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return np.array(self.truth, dtype=bool)

    def describe(self) -> str:
        return f"{self.label} ({self.n_nodes} nodes, {int(self.truth.sum())} edges)"


@dataclass(frozen=True)
class BlockGraph:
    """NetSim blocks joined by random forward cross-links (:func:`block_graph`)."""

    n_nodes: int

    def __post_init__(self) -> None:
        if self.n_nodes < BLOCK or self.n_nodes % BLOCK:
            raise ValueError(f"a block graph needs a multiple of {BLOCK} nodes")

    @property
    def n_edges(self) -> int:
        return block_graph_edges(self.n_nodes)

    @property
    def density(self) -> float:
        return self.n_edges / (self.n_nodes * (self.n_nodes - 1))

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return block_graph(self.n_nodes, rng)

    def describe(self) -> str:
        blocks = self.n_nodes // BLOCK
        cross = self.n_edges - BLOCK * blocks
        return (
            f"{blocks} NetSim 5-node block(s) + {cross} random forward cross-link(s): "
            f"{self.n_edges} edges, density {self.density:.4f}, acyclic"
        )


@dataclass(frozen=True)
class RandomGraph:
    """A random graph of chosen density and cycle fraction (:func:`random_graph`)."""

    n_nodes: int
    density: float
    cycle_fraction: float = 0.0

    @property
    def n_edges(self) -> int:
        return int(round(self.density * self.n_nodes * (self.n_nodes - 1)))

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return random_graph(self.n_nodes, self.density, self.cycle_fraction, rng)

    def describe(self) -> str:
        return (
            f"random graph: {self.n_nodes} nodes, {self.n_edges} edges (density "
            f"{self.density:g}), {self.cycle_fraction:g} of them closing a cycle"
        )
