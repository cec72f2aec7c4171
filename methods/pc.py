"""PC algorithm (causal-learn) with the Fisher-z test: the contemporaneous baseline.

Method
------
PC (Spirtes, Glymour & Scheines 2000) treats the T rows of a ``(T, N)`` series as i.i.d.
samples of N variables (time order is ignored: PC sees only contemporaneous dependence).

1. Skeleton: start from the complete undirected graph; remove i — j as soon as some set S of
   current neighbours (|S| = 0, 1, 2, ...) makes i and j conditionally independent by the
   Fisher-z test of the partial correlation r = ρ(i, j | S):

       z = ½ · sqrt(T − |S| − 3) · |log((1 + r) / (1 − r))|,   p = 2 · (1 − Φ(z)),

   independent when p > ``alpha``. ``stable=True`` is the order-independent variant
   (Colombo & Maathuis 2014): removals at one level do not change the neighbour sets tested at
   that level.
2. Orientation: every unshielded triple i — k — j (i, j not adjacent) whose separating set
   lacks k becomes a collider i → k ← j (``uc_rule=0``, "uc_sepset"; conflicts between colliders
   resolved by ``uc_priority=2``, "prioritize existing colliders": causal-learn's defaults), then
   Meek's rules orient what follows. The result is a CPDAG: the Markov equivalence class.

Encoding conversion (verified by the collider canary in tests/methods/test_pc.py)
----------------------------------------------------------------------------------
causal-learn returns ``cg.G.graph`` (N, N) with endpoint codes TAIL = −1, ARROW = 1:

===========================================  =======  ============================
causal-learn                                 meaning  bench ``adjacency_``
===========================================  =======  ============================
``graph[j, i] == 1``, ``graph[i, j] == -1``  i → j    ``A[i, j] = True``
``graph[i, j] == graph[j, i] == -1``         i — j    ``A[i, j] = A[j, i] = True``
``graph[i, j] == graph[j, i] == 1``          i ↔ j    ``A[i, j] = A[j, i] = True``
any other non-zero pair (not made by PC)     unknown  ``A[i, j] = A[j, i] = True``
``graph[i, j] == graph[j, i] == 0``          no edge  neither
===========================================  =======  ============================

Note the transpose: the arrowhead code sits at ``graph[j, i]`` (the mark at the *target* end
is stored in the target's row). Reading ``graph`` as ``A`` reverses every edge (see
reference/metrics.md).

Undirected edges (the CPDAG cannot orient them) and bidirected edges (conflicting collider
orientations) are decisions of *adjacency without a direction*; they are scored as both
directions, so an undirected edge over a true i → j gives one true positive and one false
positive. ``extra_`` counts the edges of each kind so a table can say how much of the result was
oriented.

Implementations
---------------
``impl="fast"`` (default) runs :func:`bench.methods._pc_fast.pc_graph`, a transcription of
causal-learn's ``pc`` (skeleton, separating sets, colliders, Meek's rules, in causal-learn's
order) that evaluates the Fisher-z tests in batches on one correlation matrix per subject, with
p-values bit-identical to causal-learn's; it returns the identical ``G.graph`` for every
``alpha``, ``stable``, ``uc_rule`` and ``uc_priority`` this adapter accepts (see that module for
the argument and ``tests/methods/test_pc_fast.py`` / ``tests/benchmarks/speed_pc.py`` for the
checks). ``impl="reference"`` calls causal-learn's ``pc``. Should the fast kernel meet a graph
state it does not model (an edge added over a bidirected one, which PC's rules never do; it
raises ``NotImplementedError``), ``fit`` falls back to the reference and says so in a warning.

Scores
------
PC has no natural continuous score (the decision is a sequence of tests, not one statistic), so
``scores_`` is ``None`` and threshold-free metrics (AUROC, AUPRC) are reported as not applicable.

References
----------
P. Spirtes, C. Glymour, R. Scheines (2000), *Causation, Prediction, and Search*, 2nd ed., MIT
Press. D. Colombo, M. Maathuis (2014), Order-independent constraint-based causal structure
learning, JMLR 15. Y. Zheng et al. (2024), causal-learn: Causal Discovery in Python, JMLR 25(60).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name, zero_diagonal
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import DataError, FitContext

TAIL, ARROW = -1, 1
IMPLS = ("fast", "reference")


def causallearn_to_adjacency(graph: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Convert a causal-learn ``GeneralGraph.graph`` to a bench adjacency and edge counts.

    ``A[i, j]`` is True for i → j (``graph[j, i] == 1`` and ``graph[i, j] == -1``) and in both
    directions for undirected, bidirected or otherwise marked edges (table in the module
    docstring). Returns ``(A, counts)`` with counts of directed, undirected, bidirected and other
    edges (each unordered pair counted once).
    """
    g = np.asarray(graph)
    directed = (g == TAIL) & (g.T == ARROW)  # directed[i, j]: i → j
    undirected = (g == TAIL) & (g.T == TAIL)
    bidirected = (g == ARROW) & (g.T == ARROW)
    present = (g != 0) | (g.T != 0)
    other = present & ~(directed | directed.T | undirected | bidirected)
    adj = zero_diagonal(directed | undirected | bidirected | other)
    upper = np.triu(np.ones_like(adj, dtype=bool), 1)
    counts = {
        "n_directed": int(directed.sum()),
        "n_undirected": int((undirected & upper).sum()),
        "n_bidirected": int((bidirected & upper).sum()),
        "n_other": int((other & upper).sum()),
    }
    return adj, counts


@register_method(
    "pc",
    level="subject",
    deterministic=True,
    requires=("causallearn",),
    citation=(
        "Spirtes, Glymour & Scheines (2000), Causation, Prediction, and Search, 2nd ed., MIT "
        "Press; implementation: Zheng et al. (2024), causal-learn, JMLR 25(60)"
    ),
    description=(
        "PC (causal-learn, stable, Fisher-z, uc_sepset colliders + Meek rules) on the time points "
        "as i.i.d. samples; undirected and bidirected CPDAG edges count as both directions"
    ),
    scores=None,
    lagged=False,
    canary=Canary("collider"),
)
class PC(Estimator):
    """PC with Fisher-z; see the module docstring for the maths and the encoding.

    Parameters
    ----------
    alpha : significance level of each Fisher-z conditional-independence test.
    stable : order-independent skeleton search (Colombo & Maathuis 2014).
    uc_rule : collider orientation, causal-learn's ``uc_rule`` (0 sepset, 1 maxP, 2 definite maxP).
    uc_priority : collider conflict resolution, causal-learn's ``uc_priority`` (2: prioritize
        existing colliders); ``uc_rule=2`` accepts −1, 2, 3 and 4 only.
    impl : ``"fast"`` (batched kernel, identical graphs) or ``"reference"`` (causal-learn's
        ``pc``); see the module docstring.
    """

    def __init__(
        self,
        *,
        alpha: float = 0.05,
        stable: bool = True,
        uc_rule: int = 0,
        uc_priority: int = 2,
        impl: str = "fast",
    ) -> None:
        self.alpha = alpha
        self.stable = stable
        self.uc_rule = uc_rule
        self.uc_priority = uc_priority
        self.impl = impl

    def check_params(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"pc: alpha must lie in (0, 1), got {self.alpha!r}")
        if self.uc_rule not in (0, 1, 2):
            raise ValueError(f"pc: uc_rule must be 0, 1 or 2, got {self.uc_rule!r}")
        if self.uc_priority not in (-1, 0, 1, 2, 3, 4):
            raise ValueError(f"pc: uc_priority must be one of -1..4, got {self.uc_priority!r}")
        if self.uc_rule == 2 and self.uc_priority in (0, 1):
            raise ValueError(
                f"pc: uc_priority must be -1, 2, 3 or 4 with uc_rule=2 (definite maxP), got "
                f"{self.uc_priority!r}"
            )
        if self.impl not in IMPLS:
            raise ValueError(f"pc: impl must be one of {IMPLS}, got {self.impl!r}")

    def fit(self, X: Any, context: FitContext | None = None) -> PC:
        self.check_params()
        name = series_name(context, "pc")
        x = check_series(X, name=name, min_length=5)
        try:
            graph = self._graph(x, name)
        except ValueError as exc:  # causal-learn: "Data correlation matrix is singular ..."
            if "singular" in str(exc).lower():
                raise DataError(
                    f"{name}: correlation matrix is singular (collinear nodes); PC's Fisher-z "
                    "test cannot run"
                ) from None
            raise
        adj, counts = causallearn_to_adjacency(graph)
        self.adjacency_ = adj
        self.scores_ = None
        self.extra_ = {
            **counts,
            "undirected_rule": "undirected and bidirected edges set both A[i,j] and A[j,i]",
        }
        return self

    def _graph(self, x: np.ndarray, name: str) -> np.ndarray:
        """causal-learn's ``cg.G.graph`` for ``x``, by the chosen implementation."""
        if self.impl == "fast":
            from bench.methods._pc_fast import pc_graph

            if x.shape[0] < x.shape[1]:  # causal-learn's pc warns the same
                warnings.warn(
                    "The number of features is much larger than the sample size!", stacklevel=3
                )
            try:
                return pc_graph(
                    x,
                    self.alpha,
                    stable=self.stable,
                    uc_rule=self.uc_rule,
                    uc_priority=self.uc_priority,
                ).graph
            except NotImplementedError as exc:
                warnings.warn(
                    f"{name}: pc fast path not applicable ({exc}); using causal-learn",
                    stacklevel=3,
                )
        from causallearn.search.ConstraintBased.PC import pc

        cg = pc(
            x,
            alpha=self.alpha,
            indep_test="fisherz",
            stable=self.stable,
            uc_rule=self.uc_rule,
            uc_priority=self.uc_priority,
            verbose=False,
            show_progress=False,
        )
        return np.asarray(cg.G.graph)
