"""A fast replica of causal-learn's PC with the Fisher-z test (``causallearn`` 0.1.4.x).

:func:`pc_graph` returns the same ``GeneralGraph.graph`` matrix as
``causallearn.search.ConstraintBased.PC.pc(x, alpha, "fisherz", stable, uc_rule, uc_priority)``
(no background knowledge, no ``max_k``, no missing values), for every ``stable``, every
``uc_rule`` (0 uc_sepset, 1 maxP, 2 definite maxP) and every ``uc_priority`` causal-learn accepts
(−1..4; ``uc_rule=2`` accepts only −1, 2, 3, 4). It is not a re-derivation of PC but a
transcription of causal-learn's control flow, with the costly parts done in bulk. Equality is
checked in ``tests/methods/test_pc_fast.py`` (graphs, separating sets, ancestor matrices and
p-values against causal-learn's own objects) and on every NetSim subject of sims 1–4 by
``tests/benchmarks/speed_pc.py``.

Fisher-z p-values, bit for bit
------------------------------
causal-learn's ``FisherZ`` test of x ⫫ y | S computes, on R = ``np.corrcoef(data.T)`` and the
variable order v = (min(x, y), max(x, y), sorted S),

    P = inv(R[v, v]),  r = −P₀₁ / sqrt(|P₀₀ P₁₁|)  (|r| ≥ 1 clipped to ±(1 − ε)),
    Z = ½ log((1 + r) / (1 − r)),  p = 2 (1 − Φ(sqrt(T − |S| − 3) · |Z|)).

:func:`fisher_z` evaluates the same operations in the same order on stacks of tests: the same
``np.corrcoef`` call, ``np.linalg.inv`` on a stack (numpy's ``inv`` gufunc runs the same LAPACK
``gesv`` per matrix whether it gets one matrix or a stack), IEEE-exact elementwise +, −, ×, ÷,
``sqrt`` and ``abs``, ``math.log`` element by element (causal-learn uses ``math.log``; numpy's
vectorised ``log`` may differ in the last bit) and ``scipy.special.ndtr``, the function behind
``scipy.stats.norm.cdf``. The p-values are therefore *identical* to causal-learn's, not merely
close (the tests assert exact equality), so every comparison with ``alpha``, every comparison
of two p-values (maxP) and every sort by p-value (priorities 3 and 4) comes out the same. A
test whose correlation sub-matrix is exactly singular raises causal-learn's ``ValueError``
("Data correlation matrix is singular ...") exactly when causal-learn would run that test.

Skeleton (``SkeletonDiscovery.skeleton_discovery``)
---------------------------------------------------
Depth d = 0, 1, ... while the largest degree − 1 exceeds d. For x ascending, for y in adj(x)
ascending, for S ⊆ adj(x) \\ {y} with |S| = d in lexicographic order, test x ⫫ y | S.

* ``stable=True``: every test of a depth is run (no early stop) and the removals are applied at
  the end of the depth; here the whole depth is one batch. causal-learn records as separating
  "set" of the pair, when x processes y and (x, y) is marked for removal (by x now or by y
  earlier), the tuple of the *union* of the separating S found from x's side
  (``tuple(set)``), appended to both ``sepset[x, y]`` and ``sepset[y, x]``; x is skipped when
  |adj(x)| < d − 1. :func:`skeleton` reproduces these lists entry by entry.
* ``stable=False``: the first separating S removes the edge at once (later y of the same x still
  condition on the neighbour list read when x started); ``sepset`` gets S and then ``()``. Here
  the tests of one (x, y) are one batch (growing chunks), scanned in causal-learn's order.

Orientation (``UCSepset``, ``Meek``)
------------------------------------
:class:`Graph` mirrors ``GeneralGraph`` for the edges PC makes (tail −1 / arrow 1 endpoint
codes, ``graph[j, i] = 1, graph[i, j] = −1`` for i → j), including its ancestor matrix
``dpath`` (``is_ancestor_of(a, b) = dpath[b, a]``), which is *not* a transitive closure: adding
i → j ORs row i into row j and column j into column i, and removing a directed edge rebuilds it
by adding the remaining directed edges in reverse (i < j) order. Meek's rules consult it, so it
is reproduced exactly. The lists causal-learn iterates over are built in its order:
``find_adj()`` is the (col, row) pairs of ``np.where(graph == -1)`` followed by those of
``np.where(graph == 1)``; unshielded triples, triangles and kites are the filtered ordered pairs
of that list (``itertools.permutations`` order). Colliders are oriented by ``uc_sepset``,
``maxp`` or ``definite_maxp`` with their priority rules (0 overwrite, 1 bidirect, 2 keep
existing, 3/4 sorted by a max p-value, the sort stable as Python's ``sorted``), then
``definite_meek`` (``uc_rule=2``) and ``meek``: rules 1, 2 and 3 over the triples, triangles and
kites found at the start, repeated until a pass changes nothing, an edge being skipped when its
head is already an ancestor of its tail. The conditioning sets of maxP are causal-learn's
``list(set(powerset(adj(x)) + powerset(adj(z))))``, rebuilt in the same order (the order
decides ``max`` when a p-value is NaN and where ``definite_maxp`` stops).

References
----------
Y. Zheng et al. (2024), causal-learn: Causal Discovery in Python, JMLR 25(60), and its source
(``causallearn/search/ConstraintBased/PC.py``, ``utils/PCUtils/{SkeletonDiscovery,UCSepset,
Meek}.py``, ``utils/cit.py``, ``graph/{GraphClass,GeneralGraph}.py``). D. Colombo,
M. Maathuis (2014), Order-independent constraint-based causal structure learning, JMLR 15.
C. Meek (1995), Causal inference and causal explanation with background knowledge, UAI.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, combinations, islice

import numpy as np
from scipy.special import ndtr

TAIL, ARROW = -1, 1
SINGULAR_MESSAGE = (
    "Data correlation matrix is singular. Cannot run fisherz test. Please check your data."
)
_CHUNK = 20000  # tests per batched inversion (bounds the memory of one stack)
_BATCH = 200000  # tests generated at a time (bounds the memory of one depth)
_EPS = np.finfo(float).eps

Pair = tuple[int, int]
Triple = tuple[int, int, int]


# --------------------------------------------------------------------------- Fisher-z


OK, SINGULAR, DOMAIN = 0, 1, 2  # status of one test


def fisher_z(corr: np.ndarray, n_samples: int, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fisher-z p-values of the tests ``v`` (K, d + 2), rows ``(min(x, y), max(x, y), sorted S)``.

    Returns ``(p, status)``: the p-values, bit-identical to causal-learn's ``FisherZ`` (module
    docstring), and per test ``OK``, ``SINGULAR`` (numpy finds ``corr[v, v]`` singular: causal-
    learn raises "Data correlation matrix is singular") or ``DOMAIN`` (T − d − 3 < 0: causal-
    learn's ``math.sqrt`` raises "math domain error"); p is NaN where the status is not ``OK``.
    :func:`raise_for` raises causal-learn's error at the point where causal-learn runs the test.
    """
    k, width = v.shape
    p = np.full(k, np.nan)
    status = np.zeros(k, dtype=np.int8)
    if k == 0:
        return p, status
    dof = n_samples - (width - 2) - 3
    root = math.sqrt(dof) if dof >= 0 else math.nan
    for start in range(0, k, _CHUNK):
        vv = v[start : start + _CHUNK]
        part = slice(start, start + len(vv))
        sub = corr[vv[:, :, None], vv[:, None, :]]
        try:
            inv = np.linalg.inv(sub)
        except np.linalg.LinAlgError:
            inv, bad = _inv_each(sub)
            status[part][bad] = SINGULAR
        with np.errstate(divide="ignore", invalid="ignore"):
            r = -inv[:, 0, 1] / np.sqrt(np.abs(inv[:, 0, 0] * inv[:, 1, 1]))
            big = np.abs(r) >= 1
            r[big] = (1.0 - _EPS) * np.sign(r[big])
            q = (1 + r) / (1 - r)
        z = 0.5 * np.fromiter(map(math.log, q.tolist()), dtype=float, count=len(q))
        p[part] = 2 * (1 - ndtr(np.abs(root * np.abs(z))))
    if dof < 0:
        status[status == OK] = DOMAIN
    p[status != OK] = np.nan
    return p, status


def raise_for(status: int) -> None:
    """Raise causal-learn's error for a test of this status (nothing for ``OK``)."""
    if status == SINGULAR:
        raise ValueError(SINGULAR_MESSAGE)
    if status == DOMAIN:
        raise ValueError("math domain error")


def _inv_each(sub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matrix by matrix inverse of a stack; singular ones become NaN and are flagged."""
    inv = np.full_like(sub, np.nan)
    bad = np.zeros(len(sub), dtype=bool)
    for m in range(len(sub)):
        try:
            inv[m] = np.linalg.inv(sub[m])
        except np.linalg.LinAlgError:
            bad[m] = True
    return inv, bad


def variable_rows(x: np.ndarray, y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Rows ``(min(x, y), max(x, y), sorted S)``: causal-learn's variable order of a test."""
    v = np.empty((len(x), s.shape[1] + 2), dtype=np.intp)
    v[:, 0] = np.minimum(x, y)
    v[:, 1] = np.maximum(x, y)
    v[:, 2:] = np.sort(s, axis=1)
    return v


class FisherZ:
    """Cached Fisher-z tests on one data set, as causal-learn's ``CIT(data, "fisherz")``.

    ``corr`` is computed by the very call causal-learn makes (``np.corrcoef(data.T)``). The cache
    key is causal-learn's: the unordered pair and the set S.
    """

    def __init__(self, data: np.ndarray) -> None:
        self.corr = np.corrcoef(data.T)
        self.n_samples = data.shape[0]
        self.cache: dict[tuple[int, ...], tuple[float, int]] = {}
        self.n_tests = 0  # tests evaluated (a batch may evaluate a few that causal-learn skips)
        self.log: list[tuple[np.ndarray, np.ndarray]] = []  # (rows, p) of the skeleton batches

    def batch(self, x: np.ndarray, y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """p-values and statuses of the tests (x[k], y[k], s[k]) (no caching).

        The rows and p-values are also appended to ``self.log`` (for the benchmark's check
        against causal-learn's p-value cache).
        """
        v = variable_rows(x, y, s)
        self.n_tests += len(v)
        p, status = fisher_z(self.corr, self.n_samples, v)
        self.log.append((v, p))
        return p, status

    def many(self, x: int, y: int, sets: list[tuple[int, ...]]) -> list[tuple[float, int]]:
        """``(p, status)`` of x ⫫ y | S for each set of ``sets`` (any sizes), cached."""
        a, b = (x, y) if x < y else (y, x)
        keys = [(a, b, *sorted(s)) for s in sets]
        todo: dict[int, dict[tuple[int, ...], None]] = {}
        for key in keys:
            if key not in self.cache:
                todo.setdefault(len(key), {})[key] = None
        for group in todo.values():
            v = np.array(list(group), dtype=np.intp)
            self.n_tests += len(v)
            p, status = fisher_z(self.corr, self.n_samples, v)
            for key, pk, sk in zip(group, p.tolist(), status.tolist(), strict=True):
                self.cache[key] = (pk, sk)
        return [self.cache[key] for key in keys]


def _checked(result: tuple[float, int]) -> float:
    """The p-value of a ``(p, status)`` pair, raising causal-learn's error where it would."""
    raise_for(result[1])
    return result[0]


# --------------------------------------------------------------------------- skeleton


@dataclass
class _DepthRecord:
    """What a stable depth removed: pairs (a < b), whether a found them, skipped nodes, unions."""

    pairs: list[Pair]
    found_by_first: list[bool]
    skipped: list[bool]
    unions: dict[Pair, set[int]]


@dataclass
class Skeleton:
    """Result of :func:`skeleton`: adjacency, separating sets, test records.

    ``members[(a, b)]`` (a < b) is the union of the recorded separating sets of the pair (pairs
    whose union is empty are left out); :attr:`sepset` rebuilds causal-learn's lists.
    """

    adj: np.ndarray
    members: dict[Pair, set[int]] = field(default_factory=dict)
    tests: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # (rows, p)
    _records: list[_DepthRecord] = field(default_factory=list)
    _lists: dict[Pair, list[tuple[int, ...]]] = field(default_factory=dict)

    def separates(self, x: int, z: int, y: int) -> bool:
        """Whether y lies in some recorded separating set of (x, z) (uc_sepset's test)."""
        return y in self.members.get((min(x, z), max(x, z)), ())

    @property
    def sepset(self) -> dict[Pair, list[tuple[int, ...]]]:
        """causal-learn's ``cg.sepset[i, j]`` lists, for every removed pair (both orders)."""
        out = dict(self._lists)
        for rec in self._records:
            for (a, b), fab in zip(rec.pairs, rec.found_by_first, strict=True):
                # node a (< b) processes b first, then b processes a (module docstring)
                entries = []
                if not rec.skipped[a] and fab:
                    entries.append(tuple(rec.unions.get((a, b), ())))
                if not rec.skipped[b]:
                    entries.append(tuple(rec.unions.get((b, a), ())))
                out[(a, b)] = list(entries)
                out[(b, a)] = list(entries)
        return out


_SMALL = 20000  # index tables up to this many rows are cached


@lru_cache(maxsize=128)
def _cached_combinations(m: int, d: int) -> np.ndarray:
    return np.fromiter(chain.from_iterable(combinations(range(m), d)), dtype=np.intp).reshape(-1, d)


def _combination_chunks(m: int, d: int, size: int) -> Iterator[np.ndarray]:
    """The d-subsets of range(m) in lexicographic order, as (≤ size, d) index arrays."""
    if d == 0:
        yield np.zeros((1, 0), dtype=np.intp)
        return
    if math.comb(m, d) <= _SMALL:
        table = _cached_combinations(m, d)
        for start in range(0, len(table), size):
            yield table[start : start + size]
        return
    it = combinations(range(m), d)
    while chunk := list(islice(it, size)):
        yield np.array(chunk, dtype=np.intp).reshape(-1, d)


@lru_cache(maxsize=128)
def _pair_set_index(m: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """(t, S) for every neighbour position t and d-subset S of the other positions, ordered by
    t, then S lexicographically (small m · C(m − 1, d) only)."""
    combos = _cached_combinations(m, d) if d else np.zeros((1, 0), dtype=np.intp)
    contains = np.zeros((len(combos), m), dtype=bool)
    if d:
        contains[np.arange(len(combos))[:, None], combos] = True
    t_idx, c_idx = np.nonzero(~contains.T)  # row-major: t ascending, then c ascending
    return t_idx, combos[c_idx]


def _node_tests(nb: np.ndarray, d: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(y, S) blocks of the tests of one node with neighbours ``nb``: y ascending, S lex."""
    m = len(nb)
    if m * math.comb(m - 1, d) <= _SMALL:
        t_idx, sets = _pair_set_index(m, d)
        yield nb[t_idx], nb[sets]
        return
    for t in range(m):
        rest = np.delete(nb, t)
        for chunk in _combination_chunks(m - 1, d, _BATCH):
            yield np.full(len(chunk), nb[t], dtype=np.intp), rest[chunk]


def _depth_tests(
    neighbours: list[np.ndarray], d: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The tests of depth d in causal-learn's order (x ascending, y in adj(x) ascending, S
    lexicographic in adj(x) \\ {y}), as (x, y, S) blocks of about ``_BATCH`` tests."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    ss: list[np.ndarray] = []
    size = 0
    for x, nb in enumerate(neighbours):
        if len(nb) - 1 < d:
            continue
        for y, sets in _node_tests(nb, d):
            xs.append(np.full(len(y), x, dtype=np.intp))
            ys.append(y)
            ss.append(sets)
            size += len(y)
            if size >= _BATCH:
                yield np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)
                xs, ys, ss, size = [], [], [], 0
    if size:
        yield np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)


def _neighbours(adj: np.ndarray) -> list[np.ndarray]:
    """adj(x) ascending for every x (``CausalGraph.neighbors``)."""
    rows, cols = np.nonzero(adj)
    return np.split(cols, np.cumsum(np.bincount(rows, minlength=len(adj)))[:-1])


def skeleton(test: FisherZ, n_nodes: int, alpha: float, stable: bool) -> Skeleton:
    """causal-learn's ``skeleton_discovery`` (module docstring), with its ``sepset`` lists."""
    out = Skeleton(adj=~np.eye(n_nodes, dtype=bool))
    depth = -1
    while out.adj.sum(axis=1).max() - 1 > depth:
        depth += 1
        if stable:
            _stable_depth(test, out, alpha, depth)
        else:
            _unstable_depth(test, out, alpha, depth)
    out.tests = test.log
    return out


def _stable_depth(test: FisherZ, out: Skeleton, alpha: float, d: int) -> None:
    nbs = _neighbours(out.adj)
    found = np.zeros_like(out.adj)  # found[a, b]: a found a separating set of (a, b)
    unions: dict[Pair, set[int]] = {}
    for x, y, s in _depth_tests(nbs, d):
        p, status = test.batch(x, y, s)
        if status.any():
            raise_for(int(status[np.flatnonzero(status)[0]]))
        indep = np.flatnonzero(p > alpha)
        found[x[indep], y[indep]] = True
        if d > 0:
            for a, b, sep in zip(
                x[indep].tolist(), y[indep].tolist(), s[indep].tolist(), strict=True
            ):
                union = unions.setdefault((a, b), set())
                for e in sep:  # causal-learn: ``for s in S: sepsets.add(s)``, in test order
                    union.add(e)
    pairs = np.argwhere(np.triu(found | found.T, 1))
    out.adj[pairs[:, 0], pairs[:, 1]] = False
    out.adj[pairs[:, 1], pairs[:, 0]] = False
    for (a, b), sep in unions.items():
        out.members.setdefault((min(a, b), max(a, b)), set()).update(sep)
    out._records.append(
        _DepthRecord(
            pairs=[(a, b) for a, b in pairs.tolist()],
            found_by_first=found[pairs[:, 0], pairs[:, 1]].tolist(),
            skipped=[len(nb) < d - 1 for nb in nbs],
            unions=unions,
        )
    )


def _unstable_depth(test: FisherZ, out: Skeleton, alpha: float, d: int) -> None:
    n = out.adj.shape[0]
    for x in range(n):
        nb = np.flatnonzero(out.adj[x])  # read once per x, as causal-learn does
        if len(nb) < d - 1:
            continue
        for y in nb.tolist():
            rest = nb[nb != y]
            if len(rest) < d:
                continue
            sep = _first_separating(test, x, y, rest, alpha, d)
            if sep is not None:
                out.adj[x, y] = out.adj[y, x] = False
                out._lists[(x, y)] = [sep, ()]
                out._lists[(y, x)] = [sep, ()]
                if sep:
                    out.members[(min(x, y), max(x, y))] = set(sep)


def _first_separating(
    test: FisherZ, x: int, y: int, rest: np.ndarray, alpha: float, d: int
) -> tuple[int, ...] | None:
    """The first S (lexicographic) of the d-subsets of ``rest`` with p > alpha, or None.

    The subsets are tested in growing blocks (16, 64, ...): the first often separates."""
    for block_idx in _growing_chunks(len(rest), d):
        block = rest[block_idx]
        p, status = test.batch(
            np.full(len(block), x, dtype=np.intp), np.full(len(block), y, dtype=np.intp), block
        )
        for k in range(len(block)):
            raise_for(int(status[k]))
            if p[k] > alpha:
                return tuple(block[k].tolist())
    return None


def _growing_chunks(m: int, d: int) -> Iterator[np.ndarray]:
    """The d-subsets of range(m) in lexicographic order, in chunks of 16, 64, 256, ... rows."""
    size = 16
    if d == 0 or math.comb(m, d) <= _SMALL:
        table = _cached_combinations(m, d) if d else np.zeros((1, 0), dtype=np.intp)
        start = 0
        while start < len(table):
            yield table[start : start + size]
            start, size = start + size, min(size * 4, _BATCH)
        return
    it = combinations(range(m), d)
    while chunk := list(islice(it, size)):
        yield np.array(chunk, dtype=np.intp).reshape(-1, d)
        size = min(size * 4, _BATCH)


# --------------------------------------------------------------------------- the graph


class Graph:
    """The endpoint matrix and ancestor matrix of causal-learn's ``GeneralGraph`` (PC's edges).

    ``g[i][j]`` is ``GeneralGraph.graph[i, j]`` (kept as lists for fast scalar access); ``dpath``
    is ``GeneralGraph.dpath`` (module docstring). causal-learn rebuilds ``dpath`` at every
    removal of a directed edge; only Meek's rules read it, so here the rebuild is deferred to
    the next read: it starts from the directed edges present at the last removal (the present
    ones less those added since) and then replays the additions since, in order, which gives
    the same matrix.
    """

    def __init__(self, adj: np.ndarray) -> None:
        n = adj.shape[0]
        self.n = n
        self.g: list[list[int]] = np.where(adj, TAIL, 0).tolist()
        self._dpath = np.eye(n, dtype=bool)
        self._directed: set[Pair] = set()  # (i, j) for each i → j
        self._stale = False  # a directed edge was removed since _dpath was built
        self._added: list[Pair] = []  # directed edges added since that removal, in order

    def matrix(self) -> np.ndarray:
        return np.array(self.g, dtype=int).reshape(self.n, self.n)

    @property
    def dpath(self) -> np.ndarray:
        """``GeneralGraph.dpath``: ``dpath[b, a]`` is True when a counts as an ancestor of b."""
        if self._stale:
            added = set(self._added)
            base = [e for e in self._directed if e not in added]
            self._dpath = np.eye(self.n, dtype=bool)
            # reconstitute_dpath(get_graph_edges()): edges in (min, max) order, popped from the end
            for i, j in sorted(base, key=lambda e: (min(e), max(e)), reverse=True):
                self._adjust_dpath(i, j)
            for i, j in self._added:
                self._adjust_dpath(i, j)
            self._stale, self._added = False, []
        return self._dpath

    def is_undirected(self, i: int, j: int) -> bool:
        return self.g[i][j] == TAIL and self.g[j][i] == TAIL

    def is_fully_directed(self, i: int, j: int) -> bool:
        """i → j."""
        return self.g[i][j] == TAIL and self.g[j][i] == ARROW

    def is_ancestor_of(self, a: int, b: int) -> bool:
        return bool(self.dpath[b, a])

    def _adjust_dpath(self, i: int, j: int) -> None:
        # GeneralGraph.adjust_dpath: dpath[j, i] = 1; row i into row j; column j into column i.
        # The reads are of row i and column j, which the writes leave unchanged (the diagonal
        # is always 1), so the vectorised form equals causal-learn's loop over k.
        dp = self._dpath
        dp[j, i] = True
        dp[j] |= dp[i]
        dp[:, i] |= dp[:, j]

    def remove_edge(self, i: int, j: int) -> None:
        """``remove_edge(get_edge(i, j))`` when the edge exists (else nothing)."""
        g = self.g
        if g[i][j] == 0:
            return
        directed = (g[j][i] == ARROW and g[i][j] == TAIL) or (g[i][j] == ARROW and g[j][i] == TAIL)
        g[i][j] = g[j][i] = 0
        if directed:
            self._directed.discard((i, j))
            self._directed.discard((j, i))
            self._stale, self._added = True, []

    def add_directed(self, i: int, j: int) -> None:
        """``add_edge(Edge(i, j, TAIL, ARROW))``: i → j, only where there is no edge yet."""
        g = self.g
        if g[i][j] != 0 or g[j][i] != 0:
            # an existing non-bidirected edge: causal-learn returns False; a bidirected one
            # would become a double edge, which PC never asks for
            if g[i][j] == ARROW and g[j][i] == ARROW:
                raise NotImplementedError("pc fast: directed edge over a bidirected one")
            return
        g[j][i] = ARROW
        g[i][j] = TAIL
        self._directed.add((i, j))
        if self._stale:
            self._added.append((i, j))
        else:
            self._adjust_dpath(i, j)

    def add_bidirected(self, i: int, j: int) -> None:
        """``add_edge(Edge(i, j, ARROW, ARROW))`` on a free slot."""
        if self.g[i][j] != 0 or self.g[j][i] != 0:
            raise NotImplementedError("pc fast: bidirected edge over an existing one")
        self.g[i][j] = self.g[j][i] = ARROW

    def orient(self, i: int, j: int) -> None:
        """causal-learn's ``remove_edge(get_edge(i, j))`` then ``add_edge(i → j)``."""
        self.remove_edge(i, j)
        self.add_directed(i, j)

    def neighbours(self, i: int) -> list[int]:
        return [j for j, v in enumerate(self.g[i]) if v != 0]

    # ----------------------------------------------------------------- causal-learn's lists

    def find_adj(self) -> list[Pair]:
        """``CausalGraph.find_adj``: (col, row) of the −1 entries, then of the +1 entries."""
        m = self.matrix()
        out: list[Pair] = []
        for code in (TAIL, ARROW):
            rows, cols = np.nonzero(m == code)
            out.extend(zip(cols.tolist(), rows.tolist(), strict=True))
        return out

    def unshielded_triples(self) -> list[Triple]:
        """``CausalGraph.find_unshielded_triples`` in its order."""
        adj = self.find_adj()
        by_first = _by_first(adj)
        g = self.g
        return [(a, b, c) for a, b in adj for c in by_first[b] if c != a and g[a][c] == 0]

    def triangles(self) -> list[Triple]:
        """``CausalGraph.find_triangles`` in its order."""
        adj = self.find_adj()
        by_first = _by_first(adj)
        present = set(adj)
        return [(a, b, c) for a, b in adj for c in by_first[b] if c != a and (a, c) in present]

    def kites(self, triangles: list[Triple]) -> list[tuple[int, int, int, int]]:
        """``CausalGraph.find_kites`` (from ``find_triangles()``) in its order."""
        groups: dict[Pair, list[int]] = {}
        for i, j, m in triangles:
            groups.setdefault((i, m), []).append(j)
        g = self.g
        return [
            (i, j, k, m) for i, j, m in triangles for k in groups[(i, m)] if j < k and g[j][k] == 0
        ]


def _by_first(adj: list[Pair]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for a, b in adj:
        out.setdefault(a, []).append(b)
    for a in {b for _, b in adj}:
        out.setdefault(a, [])
    return out


# --------------------------------------------------------------------------- colliders


def _powerset(nodes: list[int]) -> list[tuple[int, ...]]:
    return list(chain.from_iterable(combinations(nodes, r) for r in range(len(nodes) + 1)))


def cond_sets(graph: Graph, i: int, j: int) -> list[tuple[int, ...]]:
    """``CausalGraph.find_cond_sets``: ``list(set(powerset(adj(i)) + powerset(adj(j))))``.

    Python ints hash as the numpy integers causal-learn uses, so the set, built from the same
    tuples in the same order, iterates in the same order.
    """
    return list(set(_powerset(graph.neighbours(i)) + _powerset(graph.neighbours(j))))


def _collider_allowed(graph: Graph, x: int, y: int, z: int) -> bool:
    return not graph.is_fully_directed(y, x) and not graph.is_fully_directed(y, z)


def _orient_collider(graph: Graph, x: int, y: int, z: int) -> None:
    """Priority 2 (and the sorted priorities): x → y ← z unless y → x or y → z exists."""
    if _collider_allowed(graph, x, y, z):
        graph.orient(x, y)
        graph.orient(z, y)


def _orient_overwrite(graph: Graph, x: int, y: int, z: int) -> None:
    """Priority 0: x → y ← z whatever was there."""
    graph.remove_edge(x, y)
    graph.remove_edge(y, x)
    graph.add_directed(x, y)
    graph.remove_edge(y, z)
    graph.remove_edge(z, y)
    graph.add_directed(z, y)


def _orient_bidirect(graph: Graph, x: int, y: int, z: int) -> None:
    """Priority 1: undirected becomes → y, an existing y → x or y → z becomes ↔."""
    for a in (x, z):
        g = graph.g
        if g[a][y] == 0:  # causal-learn: get_edge(a, y) is None
            graph.add_directed(a, y)
        elif g[a][y] == TAIL and g[y][a] == TAIL:
            graph.remove_edge(a, y)
            graph.add_directed(a, y)
        elif g[a][y] == ARROW and g[y][a] == TAIL:
            graph.remove_edge(a, y)
            graph.add_bidirected(a, y)


_IMMEDIATE = {0: _orient_overwrite, 1: _orient_bidirect, 2: _orient_collider}


def _max_p(test: FisherZ, x: int, z: int, sets: list[tuple[int, ...]]) -> float:
    """``max([ci_test(x, z, S) for S in sets])`` (Python's max, in the list's order)."""
    return max(_checked(p) for p in test.many(x, z, sets))


def _sorted_triples(values: dict[Triple, float], descending: bool) -> list[Triple]:
    """``Helper.sort_dict_ascending``: Python's stable ``sorted`` on the values."""
    return [k for k, _ in sorted(values.items(), key=lambda kv: kv[1], reverse=descending)]


def uc_sepset(graph: Graph, sk: Skeleton, test: FisherZ, priority: int) -> None:
    """``UCSepset.uc_sepset``: colliders x → y ← z where y is in no separating set of (x, z)."""
    triples = [(i, j, k) for i, j, k in graph.unshielded_triples() if i < k]
    pending: list[Triple] = []
    for x, y, z in triples:
        if sk.separates(x, z, y):
            continue
        if priority in _IMMEDIATE:
            _IMMEDIATE[priority](graph, x, y, z)
        else:
            pending.append((x, y, z))
    if priority in _IMMEDIATE:
        return
    values: dict[Triple, float] = {}
    for x, y, z in pending:
        sets = cond_sets(graph, x, z)
        sets = [s for s in sets if (y in s) == (priority == 3)]
        values[(x, y, z)] = _max_p(test, x, z, sets)
    for x, y, z in _sorted_triples(values, descending=priority == 4):
        _orient_collider(graph, x, y, z)


def maxp(graph: Graph, test: FisherZ, priority: int) -> None:
    """``UCSepset.maxp``: colliders where the best p-value without y beats the best with y."""
    triples = [(i, j, k) for i, j, k in graph.unshielded_triples() if i < k]
    values: dict[Triple, float] = {}
    for x, y, z in triples:
        sets = cond_sets(graph, x, z)
        with_y = _max_p(test, x, z, [s for s in sets if y in s])
        without_y = _max_p(test, x, z, [s for s in sets if y not in s])
        if without_y > with_y:
            if priority in _IMMEDIATE:
                _IMMEDIATE[priority](graph, x, y, z)
            else:
                values[(x, y, z)] = with_y if priority == 3 else without_y
    if priority in _IMMEDIATE:
        return
    for x, y, z in _sorted_triples(values, descending=priority == 4):
        _orient_collider(graph, x, y, z)


@dataclass
class Definite:
    """``definite_UC`` and ``definite_non_UC`` of causal-learn's ``CausalGraph``."""

    uc: list[Triple] = field(default_factory=list)
    non_uc: list[Triple] = field(default_factory=list)


def definite_maxp(graph: Graph, test: FisherZ, alpha: float, priority: int) -> Definite:
    """``UCSepset.definite_maxp`` (priority 2, 3 or 4)."""
    if priority not in (2, 3, 4):
        raise ValueError(f"definite maxP needs uc_priority 2, 3 or 4, got {priority!r}")
    out = Definite()
    values: dict[Triple, float] = {}
    for x, y, z in [(i, j, k) for i, j, k in graph.unshielded_triples() if i < k]:
        sets = cond_sets(graph, x, z)
        with_y = [s for s in sets if y in s]
        without_y = [s for s in sets if y not in s]
        p_with = test.many(x, z, with_y)
        p_without = test.many(x, z, without_y)
        max_with = max_without = 0.0
        uc_bool = nuc_bool = True
        for p in p_with:
            p = _checked(p)
            if p > alpha:
                uc_bool = False
                break
            elif p > max_with:
                max_with = p
        for p in p_without:
            p = _checked(p)
            if p > alpha:
                nuc_bool = False
                if not uc_bool:
                    break
            if p > max_without:
                max_without = p
        if uc_bool:
            if nuc_bool and not max_without > max_with:
                out.non_uc.append((x, y, z))
            else:
                values[(x, y, z)] = max_without if priority == 4 else max_with
        elif nuc_bool:
            out.non_uc.append((x, y, z))
    order = list(values)
    if priority in (3, 4):
        order = _sorted_triples(values, descending=priority == 4)
    for x, y, z in order:
        if _collider_allowed(graph, x, y, z):
            graph.orient(x, y)
            graph.orient(z, y)
            out.uc.append((x, y, z))
    return out


# --------------------------------------------------------------------------- Meek


def _try_orient(graph: Graph, a: int, b: int) -> bool:
    """Meek's step: orient the undirected a — b as a → b unless b is an ancestor of a."""
    if graph.g[a][b] == 0 or graph.is_ancestor_of(b, a):
        return False
    graph.remove_edge(a, b)
    graph.add_directed(a, b)
    return True


def meek(graph: Graph) -> None:
    """``Meek.meek``: rules 1–3 over the lists found at the start, until nothing changes."""
    ut = graph.unshielded_triples()
    tri = graph.triangles()
    kites = graph.kites(tri)
    d, u = graph.is_fully_directed, graph.is_undirected
    loop = True
    while loop:
        loop = False
        for i, j, k in ut:
            if d(i, j) and u(j, k) and _try_orient(graph, j, k):
                loop = True
        for i, j, k in tri:
            if d(i, j) and d(j, k) and u(i, k) and _try_orient(graph, i, k):
                loop = True
        for i, j, k, m in kites:  # causal-learn's (i, j, k, l)
            if u(i, j) and u(i, k) and d(j, m) and d(k, m) and u(i, m):
                if _try_orient(graph, i, m):
                    loop = True


def definite_meek(graph: Graph, definite: Definite) -> None:
    """``Meek.definite_meek``: rule 1 on the definite non-colliders, rule 2, rule 3 on kites
    whose sides are definite (non-)colliders."""
    tri = graph.triangles()
    kites = graph.kites(tri)
    d, u = graph.is_fully_directed, graph.is_undirected
    uc, non_uc = set(definite.uc), set(definite.non_uc)
    loop = True
    while loop:
        loop = False
        for i, j, k in definite.non_uc:
            if d(i, j) and u(j, k):
                if _try_orient(graph, j, k):
                    loop = True
            elif d(k, j) and u(j, i):
                if _try_orient(graph, j, i):
                    loop = True
        for i, j, k in tri:
            if d(i, j) and d(j, k) and u(i, k) and _try_orient(graph, i, k):
                loop = True
        for i, j, k, m in kites:  # causal-learn's (i, j, k, l)
            if (
                ((j, m, k) in uc or (k, m, j) in uc)
                and ((j, i, k) in non_uc or (k, i, j) in non_uc)
                and u(i, m)
                and _try_orient(graph, i, m)
            ):
                loop = True


# --------------------------------------------------------------------------- PC


@dataclass
class PCResult:
    """The CPDAG (causal-learn's ``G.graph`` encoding) and what was computed on the way."""

    graph: np.ndarray
    skeleton: Skeleton
    dpath: np.ndarray
    n_tests: int


def pc_graph(
    x: np.ndarray, alpha: float, *, stable: bool = True, uc_rule: int = 0, uc_priority: int = 2
) -> PCResult:
    """causal-learn's ``pc(x, alpha, "fisherz", stable, uc_rule, uc_priority)``, fast.

    ``x`` is (T, N) float64. Returns a :class:`PCResult` whose ``graph`` equals causal-learn's
    ``cg.G.graph`` (module docstring). Raises ``ValueError`` as causal-learn does for a singular
    correlation sub-matrix, and for ``uc_rule`` / ``uc_priority`` values it rejects.
    """
    if uc_rule not in (0, 1, 2):
        raise ValueError("uc_rule should be in [0, 1, 2]")
    if uc_priority not in (-1, 0, 1, 2, 3, 4):
        raise ValueError(f"uc_priority must be one of -1..4, got {uc_priority!r}")
    test = FisherZ(x)
    sk = skeleton(test, x.shape[1], alpha, stable)
    graph = Graph(sk.adj)
    if uc_rule == 0:
        uc_sepset(graph, sk, test, 3 if uc_priority == -1 else uc_priority)
    elif uc_rule == 1:
        maxp(graph, test, 3 if uc_priority == -1 else uc_priority)
    else:
        definite = definite_maxp(graph, test, alpha, 4 if uc_priority == -1 else uc_priority)
        definite_meek(graph, definite)
    meek(graph)
    return PCResult(
        graph=graph.matrix(), skeleton=sk, dpath=graph.dpath.copy(), n_tests=test.n_tests
    )
