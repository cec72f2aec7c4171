"""A seeded random graph: the null baseline that gives every table a floor.

Method
------
The data are validated (shape, finite values, no constant node) and then ignored except for the
number of nodes N. With ``rng = numpy.random.default_rng(random_state)``:

    scores_[i, j] ~ Uniform(0, 1) independently for the N(N − 1) ordered pairs i ≠ j,
    adjacency_   = the k = round(density · N(N − 1)) pairs with the highest scores,

so the decision has exactly the chosen edge density and agrees with the scores (it is their
top-k). ``density`` is fixed in advance (default 0.2) and never looks at the truth; the expected
precision of the decision is the true edge density, its expected recall is ``density``, and the
expected AUROC is 0.5 (AUPRC: the true edge density).

Seeds
-----
The method is stochastic (registered ``deterministic=False``): the runner passes a
``random_state`` derived from the run seed, the dataset and the subject, so every subject and
seed gets its own graph and the same seed reproduces it. Without a ``random_state`` the
context's seed is used, else 0 (never an unseeded generator).

Reference
---------
A chance-level comparator in the sense of the random-guess baselines of causal-discovery
benchmarks, e.g. A. Reisach, C. Seiler, S. Weichwald (2021), Beware of the simulated DAG!,
NeurIPS 34.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import FitContext


def random_graph(n: int, density: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, adjacency)`` of a random graph on ``n`` nodes (module docstring)."""
    rng = np.random.default_rng(seed)
    off = ~np.eye(n, dtype=bool)
    scores = np.zeros((n, n))
    scores[off] = rng.random(n * (n - 1))
    k = int(round(density * n * (n - 1)))
    adj = np.zeros((n, n), dtype=bool)
    if k > 0:
        flat = np.flatnonzero(off)
        top = flat[np.argsort(-scores.ravel()[flat], kind="stable")[:k]]
        adj.ravel()[top] = True
    return scores, adj


@register_method(
    "random",
    level="subject",
    deterministic=False,
    requires=(),
    citation=(
        "null baseline (random guess at a fixed edge density); cf. Reisach, Seiler & Weichwald "
        "(2021), Beware of the simulated DAG!, NeurIPS 34"
    ),
    description=(
        "seeded random graph: uniform random scores, decision = the top density·N(N-1) "
        "ordered pairs (density fixed in advance, default 0.2, truth-free); ignores the data"
    ),
    scores="Uniform(0, 1) random number per ordered pair",
    canary=Canary("chain-mixed", check="data-free"),
    orients=False,
)
class RandomBaseline(Estimator):
    """Random scores and a random graph at a fixed density; see the module docstring.

    Parameters
    ----------
    density : fraction of the N(N − 1) ordered pairs decided as edges, in [0, 1].
    random_state : seed of the generator (set by the runner from the run seed).
    """

    def __init__(self, *, density: float = 0.2, random_state: int | None = None) -> None:
        self.density = density
        self.random_state = random_state

    def check_params(self) -> None:
        if not isinstance(self.density, (int, float)) or not 0 <= self.density <= 1:
            raise ValueError(f"random: density must lie in [0, 1], got {self.density!r}")

    def fit(self, X: Any, context: FitContext | None = None) -> RandomBaseline:
        self.check_params()
        x = check_series(X, name=series_name(context, "random"))
        seed = self.random_state
        if seed is None:
            seed = context.seed if context is not None and context.seed is not None else 0
        self.scores_, self.adjacency_ = random_graph(x.shape[1], float(self.density), seed)
        self.extra_ = {"density": float(self.density), "n_edges": int(self.adjacency_.sum())}
        return self
