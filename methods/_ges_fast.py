"""Exact fast re-implementation of causal-learn's GES with the ``local_score_BIC`` score.

:func:`ges_bic` returns the same CPDAG, bit for bit, as causal-learn 0.1.4.x's
``ges(X, score_func="local_score_BIC", maxP=..., lambda_value=...)``
(``causallearn/search/ScoreBased/GES.py``, ``causallearn/utils/GESUtils.py``,
``PDAG2DAG.py``, ``DAG2CPDAG.py``, ``score/LocalScoreFunction.py``), and the same final score. It
runs the same greedy search and makes the same decisions; it is faster because it does the
bookkeeping differently, not because it computes anything differently.

Score (exactly causal-learn's ``local_score_BIC_from_cov``)
-----------------------------------------------------------
With C = ``np.cov(X.T, ddof=0)`` (one covariance per subject), n = T rows and λ = ``lambda_value``:

    S(j, P) = −n/2 · (1 + log σ²) − λ · (|P| + 1) · log n,
    σ² = C_jj − C_jP · inv(C_PP) · C_Pj   (σ² = C_jj for P = ∅; σ² ≤ 0 is replaced by the
                                          machine epsilon),

evaluated with the same numpy expressions in the same order (``np.linalg.inv`` of the
submatrix in sorted parent order, ``yX @ XX_inv @ yX.T``, ``np.log``), so every local score is
the same float as causal-learn's. Quirk kept: a singular ``C_PP`` falls back to
``np.linalg.pinv`` (the :class:`~bench.methods.ges.GES` adapter rejects such data first). Each
(node, parent set) is scored once per fit (cache keyed by the node and the parent bit mask).

Search (causal-learn's, not always Chickering's)
-----------------------------------------------
Forward phase, repeated while the best insertion increases the score: every ordered pair
(i, j), i outer and j inner in index order, with i, j non-adjacent and |Pa_j| ≤ ``maxP`` (quirk:
the cap is on the *current* parents of j, so a node can end with more than ``maxP`` parents),
NA = Ne(j) ∩ Adj(i), and every subset T of Ne(j) \\ Adj(i) in ``Combinatorial`` order (by size,
then ``itertools.combinations`` order) is a candidate Insert(i, j, T) when NA ∪ T is a clique
(ignoring directions) and every semi-directed path from j to i meets NA ∪ T. Its score change
is S(j, NA ∪ T ∪ Pa_j ∪ {i}) − S(j, NA ∪ T ∪ Pa_j). The first candidate in that scan order with
the largest change wins (strict ``>`` against a running maximum that starts at −1e7). Backward
phase, likewise: pairs with i — j or i → j, every H ⊆ NA with NA \\ H a clique, change
S(j, (NA \\ H) ∪ Pa_j) − S(j, (NA \\ H) ∪ Pa_j ∪ {i}). Stopping rule, as causal-learn writes it:
``score_new = score + best_change``; stop when ``score_new − score <= 0`` (a float test, not
``best_change <= 0``). After each operator the PDAG is completed by ``pdag2dag`` (Dor & Tarsi's
extension, nodes scanned in index order, undirected edges oriented into the node removed first)
then ``dag2cpdag`` (Chickering's edge ordering and compelled-edge labelling, in causal-learn's
order). Quirks kept: Delete(i, j, H) turns every edge between i and h ∈ H into i → h, also when
it was h → i; Insert and Delete use the graph's own ``add_edge``, which leaves an existing edge
alone.

What differs is only how the same answers are found:

* candidate lists per pair are cached and recomputed only for pairs whose local structure
  changed in the last step (i or j changed, or two neighbours of j did); pairs whose only
  candidate is T = H = ∅ with NA = ∅ (the common case) are handled column-wise with numpy;
* the local scores a step needs are computed together, stacked by parent-set size (numpy's
  ``inv`` and ``@`` run the same LAPACK / BLAS routine on each stacked matrix as on a single
  one, hence the same floats; the tests compare them with causal-learn's bit for bit);
* the clique test is hereditary, so only cliques are enumerated (no 2^|T0| loop), then ordered
  by causal-learn's subset order;
* the semi-directed path test (causal-learn: a depth-first search over all simple paths,
  exponential) is one breadth-first reachability test from j to i that avoids NA ∪ T, and is
  evaluated lazily: only for the candidates that could win, best first. This returns the same
  winner because the winner is the first valid candidate in (−change, scan position) order;
* graphs are bit masks (Python ints) instead of ``GeneralGraph`` objects.

Where causal-learn would not return (``pdag2dag`` on a PDAG without a consistent extension loops
forever), this module raises ``RuntimeError``; a directed cycle in ``dag2cpdag`` raises
``ValueError`` as causal-learn does.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

_MAX_INIT = -1e7  # causal-learn's initial running maximum of the score change


def _bits(mask: int) -> list[int]:
    """The indices of the set bits of ``mask``, ascending."""
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def _is_clique(mask: int, adj: list[int]) -> bool:
    """Whether the nodes in ``mask`` are pairwise adjacent (directions ignored)."""
    rest = mask
    while rest:
        low = rest & -rest
        rest ^= low
        if rest & ~adj[low.bit_length() - 1]:
            return False
    return True


def _cliques(cands: list[int], adj: list[int], inside: int = 0) -> list[tuple[int, ...]]:
    """Every subset of ``cands`` (ascending indices) that is a clique together with ``inside``.

    ``inside`` is a clique already adjacent to every node of ``cands``; the subsets are returned
    as ascending tuples, in no particular order.
    """
    out: list[tuple[int, ...]] = [()]

    def grow(prefix: tuple[int, ...], members: int, start: int) -> None:
        for pos in range(start, len(cands)):
            t = cands[pos]
            if members & ~adj[t]:
                continue
            new = prefix + (t,)
            out.append(new)
            grow(new, members | (1 << t), pos + 1)

    grow((), inside, 0)
    return out


def _subset_key(sub: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """Position of a subset in causal-learn's ``Combinatorial`` order: by size, then lexically."""
    return (len(sub), sub)


class BICScore:
    """causal-learn's ``local_score_BIC_from_cov`` with a per-fit cache.

    ``score(j, mask)`` is S(j, P) for the parent set P given as a bit mask; see the module
    docstring for the formula. :meth:`local_score` is a copy of causal-learn's arithmetic;
    :meth:`fill` computes many scores at once with the same operations on stacked arrays
    (``np.linalg.inv`` and ``@`` run the same LAPACK / BLAS call per stacked matrix as on a
    single one), so the floats agree exactly (checked in ``tests/methods/test_ges_fast.py``).
    """

    def __init__(self, x: np.ndarray, lambda_value: float) -> None:
        self.cov = np.cov(x.T, ddof=0)
        self.n = x.shape[0]
        self.lambda_value = lambda_value
        self.cache: list[dict[int, Any]] = [{} for _ in range(x.shape[1])]
        self.n_computed = 0

    def score(self, j: int, mask: int) -> Any:
        hit = self.cache[j].get(mask)
        if hit is None:
            hit = self.cache[j][mask] = self.local_score(j, _bits(mask))
        return hit

    def local_score(self, i: int, PAi: list[int]) -> Any:  # noqa: N803 (causal-learn's names)
        """S(i, PAi) with causal-learn's exact expressions (``PAi`` ascending)."""
        self.n_computed += 1
        cov = self.cov
        sigma = cov[i, i]
        if len(PAi) > 0:
            yX = cov[np.ix_([i], PAi)]  # noqa: N806
            XX = cov[np.ix_(PAi, PAi)]  # noqa: N806
            try:
                XX_inv = np.linalg.inv(XX)  # noqa: N806
            except np.linalg.LinAlgError:
                XX_inv = np.linalg.pinv(XX)  # noqa: N806
            sigma = float((cov[i, i] - yX @ XX_inv @ yX.T).item())
        return self._finish(sigma, len(PAi))

    def _finish(self, sigma: Any, k: int) -> Any:
        """The score from the residual variance, as causal-learn writes it."""
        n, lambda_value = self.n, self.lambda_value
        if sigma <= 0:
            sigma = np.finfo(float).eps
        likelihood = -0.5 * n * (1 + np.log(sigma))
        penalty = lambda_value * (k + 1) * np.log(n)
        return likelihood - penalty

    def fill(self, keys: set[tuple[int, int]]) -> None:
        """Compute and cache S(j, mask) for every ``(j, mask)`` in ``keys`` not cached yet.

        Parent sets of one size are stacked: XX (B, k, k), yX (B, 1, k); then
        ``inv(XX)``, ``yX @ XX_inv @ yX^T`` and ``C_jj − ·`` per row, the same operations as
        :meth:`local_score` in the same order. A batch with a singular matrix falls back to
        :meth:`local_score` one by one (its pseudo-inverse fallback).
        """
        by_size: dict[int, list[tuple[int, int]]] = {}
        for j, mask in keys:
            if mask not in self.cache[j]:
                by_size.setdefault(mask.bit_count(), []).append((j, mask))
        cov = self.cov
        for k, group in by_size.items():
            if k == 0 or len(group) == 1:
                for j, mask in group:
                    self.cache[j][mask] = self.local_score(j, _bits(mask))
                continue
            rows = np.array([j for j, _ in group])
            idx = np.array([_bits(mask) for _, mask in group])
            XX = cov[idx[:, :, None], idx[:, None, :]]  # noqa: N806
            yX = cov[rows[:, None, None], idx[:, None, :]]  # noqa: N806
            try:
                XX_inv = np.linalg.inv(XX)  # noqa: N806
            except np.linalg.LinAlgError:
                for j, mask in group:
                    self.cache[j][mask] = self.local_score(j, _bits(mask))
                continue
            quad = yX @ XX_inv @ np.swapaxes(yX, 1, 2)
            sigmas = (cov[rows, rows] - quad[:, 0, 0]).tolist()
            self.n_computed += len(group)
            for (j, mask), sigma in zip(group, sigmas, strict=True):
                self.cache[j][mask] = self._finish(sigma, k)


class _Graph:
    """A CPDAG (or PDAG) as bit masks: ``pa[v]`` directed parents, ``und[v]`` undirected
    neighbours, ``ch[v]`` children (derived from ``pa`` unless given) and ``adj[v]`` any edge;
    the edits below keep all four consistent."""

    def __init__(self, n: int, pa: list[int], und: list[int], ch: list[int] | None = None) -> None:
        self.n = n
        self.pa = pa
        self.und = und
        if ch is None:
            ch = [0] * n
            for v in range(n):
                bit = 1 << v
                for p in _bits(pa[v]):
                    ch[p] |= bit
        self.ch = ch
        self.adj = [pa[v] | ch[v] | und[v] for v in range(n)]

    def copy(self) -> _Graph:
        return _Graph(self.n, list(self.pa), list(self.und), list(self.ch))

    def signature(self, v: int) -> tuple[int, int, int]:
        return (self.pa[v], self.und[v], self.ch[v])

    def to_causallearn(self) -> np.ndarray:
        """The ``GeneralGraph.graph`` matrix: i → j is ``g[j, i] = 1, g[i, j] = −1``; i — j is
        ``g[i, j] = g[j, i] = −1``."""
        g = np.zeros((self.n, self.n), dtype=int)
        for j in range(self.n):
            for i in _bits(self.pa[j]):
                g[j, i] = 1
                g[i, j] = -1
            for i in _bits(self.und[j]):
                g[i, j] = g[j, i] = -1
        return g

    # ---- edge edits with GeneralGraph.add_edge / remove_edge semantics ----------------------
    def remove(self, a: int, b: int) -> None:
        """Remove whatever edge joins a and b."""
        ba, bb = 1 << a, 1 << b
        for masks in (self.pa, self.und, self.ch, self.adj):
            masks[a] &= ~bb
            masks[b] &= ~ba

    def add_directed(self, a: int, b: int) -> None:
        """``add_edge(a → b)``: a no-op when a and b are already adjacent."""
        if self.adj[a] >> b & 1:
            return
        self.pa[b] |= 1 << a
        self.ch[a] |= 1 << b
        self.adj[a] |= 1 << b
        self.adj[b] |= 1 << a


def _insert(g: _Graph, i: int, j: int, t_set: tuple[int, ...]) -> None:
    """causal-learn's ``insert``: add i → j, and orient each t — j (t ∈ T) as t → j."""
    g.add_directed(i, j)
    for t in t_set:
        g.remove(t, j)
        g.add_directed(t, j)


def _delete(g: _Graph, i: int, j: int, h_set: tuple[int, ...]) -> None:
    """causal-learn's ``delete``: remove i–j; for h ∈ H make j → h and i → h (whatever the
    edge between i and h was before; see the module docstring)."""
    g.remove(i, j)
    for h in h_set:
        g.remove(j, h)
        g.remove(i, h)
        g.add_directed(j, h)
        g.add_directed(i, h)


def pdag_to_dag(g: _Graph) -> list[int]:
    """causal-learn's ``pdag2dag``: the parent masks of a consistent DAG extension of ``g``.

    Repeated passes over the nodes in index order; a remaining node x is removed when it has no
    outgoing directed edge to a remaining node and each remaining undirected neighbour y of x is
    adjacent (in ``g``) to every other remaining node adjacent to x. On removal every undirected
    edge y — x of ``g`` (remaining y or not) is added to the DAG as y → x unless the DAG already
    joins them (``add_edge`` leaves an existing edge alone), so each undirected edge points into
    its endpoint removed first.
    """
    n, pa, und, ch = g.n, g.pa, g.und, g.ch
    adj_any = g.adj
    dag_pa = list(pa)
    alive = (1 << n) - 1
    while alive:
        progress = False
        for x in range(n):
            bx = 1 << x
            if not alive & bx or ch[x] & alive:
                continue
            nx = und[x] & alive
            ok = True
            if nx:
                ax = ((pa[x] | ch[x]) & alive) | nx
                for y in _bits(nx):
                    if (ax & ~(1 << y)) & ~adj_any[y]:
                        ok = False
                        break
            if ok:
                for y in _bits(und[x]):
                    by = 1 << y
                    if not (dag_pa[x] & by or dag_pa[y] & bx):
                        dag_pa[x] |= by
                alive &= ~bx
                progress = True
        if not progress:
            raise RuntimeError(
                "ges: the PDAG has no consistent DAG extension (causal-learn's pdag2dag would "
                "loop forever)"
            )
    return dag_pa


def _causal_order(n: int, dag_pa: list[int]) -> list[int]:
    """causal-learn's ``GraphUtils.get_causal_order``: passes over the remaining nodes in
    order, taking every node whose parents are all taken (within the pass too)."""
    found: list[int] = []
    found_mask = 0
    not_found = list(range(n))
    while not_found:
        rest = []
        for v in not_found:
            if dag_pa[v] & ~found_mask:
                rest.append(v)
            else:
                found.append(v)
                found_mask |= 1 << v
        if len(rest) == len(not_found):
            raise ValueError("Graph must be acyclic.")
        not_found = rest
    return found


def dag_to_cpdag(n: int, dag_pa: list[int]) -> _Graph:
    """causal-learn's ``dag2cpdag`` (Chickering 1995, Order-Edges and Find-Compelled).

    Edge order: nodes from the last of the causal order to the first; for each, its parents in
    causal order. Labelling: repeatedly take the last unlabelled edge x → y; if some compelled
    w → x has w not a parent of y, every edge into y is compelled; else each such w → y is
    compelled, and x → y (with every unlabelled edge into y) is compelled when y has a parent
    z ≠ x that is not a parent of x, reversible otherwise. Compelled edges stay directed,
    reversible ones become undirected.
    """
    order = _causal_order(n, dag_pa)
    position = {v: k for k, v in enumerate(order)}
    edges: list[tuple[int, int]] = []
    for y in reversed(order):
        p = dag_pa[y]
        if p:
            edges.extend((x, y) for x in sorted(_bits(p), key=position.__getitem__))
    index = {e: m for m, e in enumerate(edges)}
    into: list[list[int]] = [[] for _ in range(n)]
    for m, (_, y) in enumerate(edges):
        into[y].append(m)
    sign = [0] * len(edges)
    last = len(edges) - 1
    while last >= 0:
        while last >= 0 and sign[last] != 0:
            last -= 1
        if last < 0:
            break
        x, y = edges[last]
        compelled_all = False
        for mm in into[x]:
            if sign[mm] == 1:
                w = edges[mm][0]
                if not dag_pa[y] >> w & 1:
                    for e in into[y]:
                        sign[e] = 1
                    compelled_all = True
                    break
                sign[index[(w, y)]] = 1
        if compelled_all:
            continue
        label = 1 if dag_pa[y] & ~(1 << x) & ~dag_pa[x] else -1
        sign[last] = label
        for e in into[y]:
            if sign[e] == 0:
                sign[e] = label
    pa = [0] * n
    und = [0] * n
    ch = [0] * n
    for m, (x, y) in enumerate(edges):
        if sign[m] == 1:
            pa[y] |= 1 << x
            ch[x] |= 1 << y
        else:
            und[x] |= 1 << y
            und[y] |= 1 << x
    return _Graph(n, pa, und, ch)


def _complete(g: _Graph) -> _Graph:
    """``dag2cpdag(pdag2dag(g))`` after an operator."""
    return dag_to_cpdag(g.n, pdag_to_dag(g))


def _reachable(g: _Graph, start: int, block: int = 0) -> int:
    """The nodes reachable from ``start`` by semi-directed paths (steps a → b or a — b) that
    do not enter ``block``, as a bit mask."""
    seen = 1 << start
    frontier = seen
    ch, und = g.ch, g.und
    stop = ~block
    while frontier:
        nxt = 0
        for v in _bits(frontier):
            nxt |= ch[v] | und[v]
        frontier = nxt & ~seen & stop
        seen |= frontier
    return seen


def _semi_directed_blocked(g: _Graph, start: int, target: int, block: int) -> bool:
    """Whether every semi-directed path start ⇝ target has an inner node in ``block`` (the
    target outside ``block``): causal-learn's ``insert_vc2_fast``, which enumerates the simple
    paths depth-first, as one reachability test."""
    return not _reachable(g, start, block) >> target & 1


def _descending(values: np.ndarray, first: int = 64):
    """The indices of ``values`` above −1e7 by decreasing value, ties by increasing index.

    Sorts the ``first`` largest (and any tied with the last of them) first, the rest only if
    the caller asks for them."""
    live = np.flatnonzero(values > _MAX_INIT)
    if live.size > 2 * first:
        kth = np.partition(values[live], live.size - first)[live.size - first]
        top = live[values[live] >= kth]
        yield from top[np.lexsort((top, -values[top]))].tolist()
        live = live[values[live] < kth]
    yield from live[np.lexsort((live, -values[live]))].tolist()


class _Search:
    """One GES fit: the candidate cache and the two phases."""

    def __init__(self, score: BICScore, n: int, max_parents: float) -> None:
        self.sc = score
        self.n = n
        self.max_parents = max_parents
        # best[i, j]: the largest change of pair (i, j) over its clique-valid candidates (−inf:
        # none). cands[(i, j)]: the candidates (change, order key, T or H, NA ∪ T), best first
        # then in scan order, for every pair except the "simple" ones, whose only candidate is
        # T = H = () with NA = ∅ and change best[i, j]; rows[j]: the i with cands[(i, j)].
        self.cands: dict[tuple[int, int], list[tuple[Any, tuple, tuple[int, ...], int]]] = {}
        self.rows: list[set[int]] = [set() for _ in range(n)]
        self.best = np.full((n, n), -np.inf)

    # ---- candidate lists ---------------------------------------------------------------------
    # A candidate is (order key, subset, NA ∪ T (forward) or 0, mask of S₁, mask of S₂); its
    # change is S(j, S₁) − S(j, S₂).
    def _forward_pair(self, g: _Graph, i: int, j: int) -> list:
        """Insert(i, j, T) candidates with NA ∪ T a clique: S₁ = NA∪T∪Pa_j∪{i}, S₂ = NA∪T∪Pa_j."""
        adj = g.adj
        if i == j or adj[i] >> j & 1 or g.pa[j].bit_count() > self.max_parents:
            return []
        und_j = g.und[j]
        na = und_j & adj[i]
        base = na | g.pa[j]
        bi = 1 << i
        if not und_j & ~adj[i]:  # T0 empty: the one subset T = ()
            if na and not _is_clique(na, adj):
                return []
            return [((0, ()), (), na, base | bi, base)]
        if not _is_clique(na, adj):
            return []
        t0 = [t for t in _bits(und_j & ~adj[i]) if not na & ~adj[t]]
        out = []
        for t_set in _cliques(t0, adj, na):
            tm = 0
            for t in t_set:
                tm |= 1 << t
            p2 = base | tm
            out.append((_subset_key(t_set), t_set, na | tm, p2 | bi, p2))
        return out

    def _backward_pair(self, g: _Graph, i: int, j: int) -> list:
        """Delete(i, j, H) candidates with NA \\ H a clique: S₁ = (NA\\H)∪Pa_j, S₂ = S₁ ∪ {i}."""
        bi = 1 << i
        if not (g.und[i] >> j & 1 or g.pa[j] & bi):
            return []
        adj = g.adj
        na = g.und[j] & adj[i]
        base = g.pa[j] | bi
        if not na:
            return [((0, ()), (), 0, base & ~bi, base)]
        na_list = _bits(na)
        out = []
        for keep in _cliques(na_list, adj):
            km = 0
            for k in keep:
                km |= 1 << k
            h_set = tuple(v for v in na_list if not km >> v & 1)
            p2 = base | km
            out.append((_subset_key(h_set), h_set, 0, p2 & ~bi, p2))
        return out

    def _simple_rows(
        self, g: _Graph, j: int, rows: int, forward: bool
    ) -> tuple[list[int], list[int], int]:
        """Pairs (i, j), i in the mask ``rows``, when j has no undirected neighbour: then every
        candidate is simple. Returns the eligible i, the mask S₁ of each and S₂ = Pa_j."""
        pa_j = g.pa[j]
        if forward:
            if pa_j.bit_count() > self.max_parents:
                return [], [], pa_j
            eligible = _bits(rows & ~g.adj[j] & ~(1 << j))
            return eligible, [pa_j | (1 << i) for i in eligible], pa_j
        eligible = _bits(rows & pa_j)
        return eligible, [pa_j & ~(1 << i) for i in eligible], pa_j

    def _refresh(self, g: _Graph, changed: int, forward: bool, full: bool) -> None:
        """Recompute the candidates of every pair whose local structure may have changed.

        The candidates of (i, j) depend on the edge i–j, Pa_j, Ne(j), Adj(i) ∩ Ne(j) and the
        adjacencies within Ne(j); with i and j unchanged, only an edge between two changed
        neighbours of j can alter them. So: pairs (·, j) with j changed or two changed
        neighbours, and pairs (i, ·) with i changed. All local scores needed are computed in
        one :meth:`BICScore.fill` before the changes are formed."""
        n = self.n
        everyone = (1 << n) - 1
        pair = self._forward_pair if forward else self._backward_pair
        pending = []
        simple: list[tuple[int, int, int, int]] = []  # (i, j, S₁, S₂) of simple pairs
        whole_columns = []
        need: set[tuple[int, int]] = set()
        cache = self.sc.cache
        changed_rows = _bits(changed)
        for j in range(n):
            cj = cache[j]
            whole = full or changed >> j & 1 or (g.und[j] & changed).bit_count() > 1
            if whole:
                whole_columns.append(j)
            if not g.und[j]:
                rows = everyone if whole else changed
                if self.rows[j]:
                    for i in [i for i in self.rows[j] if rows >> i & 1]:
                        del self.cands[(i, j)]
                        self.rows[j].discard(i)
                eligible, s1, s2 = self._simple_rows(g, j, rows, forward)
                if eligible:
                    simple.extend((i, j, m, s2) for i, m in zip(eligible, s1, strict=True))
                    need.update((j, m) for m in s1 if m not in cj)
                    if s2 not in cj:
                        need.add((j, s2))
                continue
            for i in range(n) if whole else changed_rows:
                found = pair(g, i, j)
                pending.append((i, j, found))
                for c in found:
                    if c[3] not in cj:
                        need.add((j, c[3]))
                    if c[4] not in cj:
                        need.add((j, c[4]))
        if need:
            self.sc.fill(need)
        # every pair recomputed below is first reset, then set from its candidates
        best = self.best
        best[changed_rows, :] = -np.inf
        best[:, whole_columns] = -np.inf
        if simple:
            s_i, s_j, s_1, s_2 = zip(*simple, strict=True)
            change = np.array([cache[j][m] for j, m in zip(s_j, s_1, strict=True)]) - np.array(
                [cache[j][m] for j, m in zip(s_j, s_2, strict=True)]
            )
            change[np.isnan(change)] = -np.inf  # a NaN change never wins (``>`` is False)
            best[list(s_i), list(s_j)] = change
        for i, j, found in pending:
            cj = cache[j]
            # (change, order key, subset, NA ∪ T); a NaN change never wins
            scored = [(cj[c[3]] - cj[c[4]], c[0], c[1], c[2]) for c in found]
            scored = [c for c in scored if c[0] == c[0]]
            if len(scored) == 1 and not scored[0][3] and not scored[0][2]:
                best[i, j] = scored[0][0]  # simple
                scored = []
            elif scored:
                scored.sort(key=lambda c: c[1])
                scored.sort(key=lambda c: c[0], reverse=True)  # stable: best, then scan order
                best[i, j] = scored[0][0]
            if scored:
                self.cands[(i, j)] = scored
                self.rows[j].add(i)
            elif i in self.rows[j]:
                del self.cands[(i, j)]
                self.rows[j].discard(i)

    def _candidates(self, i: int, j: int) -> list:
        found = self.cands.get((i, j))
        return found if found is not None else [(self.best[i, j], (0, ()), (), 0)]

    def _select(self, g: _Graph, forward: bool) -> tuple[Any, int, int, tuple[int, ...]] | None:
        """The winning operator (change, i, j, T or H), or None when no candidate beats −1e7.

        causal-learn's winner is the first candidate in scan order (i, j, subset) with the
        largest change among the valid ones. Backward, every listed candidate is valid: the
        first pair in row-major order with the largest ``best``. Forward, ``best[i, j]`` is only
        an upper bound until the semi-directed path test has found the pair's best valid
        candidate ("resolved"): pairs are visited by (−best, row-major index) and resolved in
        turn until a resolved candidate beats every bound still unvisited."""
        flat_best = self.best.ravel()
        n = self.n
        if not forward:
            f = int(np.argmax(flat_best))  # the first maximum in row-major order
            if not flat_best[f] > _MAX_INIT:
                return None
            i, j = divmod(f, n)
            c = self._candidates(i, j)[0]
            return c[0], i, j, c[2]
        reach: dict[tuple[int, int], int] = {}
        done: list[tuple[Any, int, tuple]] = []  # heap of resolved pairs: (−change, flat, c)
        for f in _descending(flat_best):
            bound = flat_best[f]
            if done and (-done[0][0] > bound or (-done[0][0] == bound and done[0][1] < f)):
                break
            i, j = divmod(f, n)
            for c in self._candidates(i, j):
                if not c[0] > _MAX_INIT:
                    break
                key = (j, c[3])
                if key not in reach:
                    reach[key] = _reachable(g, j, c[3])
                if not reach[key] >> i & 1:  # every semi-directed path j ⇝ i meets NA ∪ T
                    if c[0] == bound:
                        return c[0], i, j, c[2]
                    heapq.heappush(done, (-c[0], f, c))
                    break
        if not done:
            return None
        _, f, c = done[0]
        i, j = divmod(f, n)
        return c[0], i, j, c[2]

    def run(self, g: _Graph, score: Any, forward: bool) -> tuple[_Graph, Any, list]:
        updates = []
        self.cands.clear()
        for rows in self.rows:
            rows.clear()
        self.best.fill(-np.inf)
        self._refresh(g, 0, forward, full=True)
        while True:
            choice = self._select(g, forward)
            if choice is None:
                break
            change, i, j, subset = choice
            score_new = score + change
            if score_new - score <= 0:
                break
            pdag = g.copy()
            if forward:
                _insert(pdag, i, j, subset)
            else:
                _delete(pdag, i, j, subset)
            new = _complete(pdag)
            changed = 0
            for v in range(self.n):
                if new.signature(v) != g.signature(v):
                    changed |= 1 << v
            g = new
            score = score_new
            updates.append([i, j, list(subset)])
            self._refresh(g, changed, forward, full=False)
        return g, score, updates


def ges_bic(
    x: np.ndarray, *, max_parents: float | None = None, lambda_value: float = 0.5
) -> dict[str, Any]:
    """GES with causal-learn's BIC score: the same result as causal-learn's
    ``ges(x, score_func="local_score_BIC", maxP=max_parents, lambda_value=lambda_value)``.

    Parameters
    ----------
    x : ``(T, N)`` float array, rows the samples.
    max_parents : causal-learn's ``maxP`` (``None``: N); see the module docstring for its quirk.
    lambda_value : BIC penalty coefficient λ.

    Returns
    -------
    dict with ``"G"``: the CPDAG as causal-learn's ``GeneralGraph.graph`` matrix (i → j is
    ``G[j, i] = 1, G[i, j] = −1``; i — j is ``G[i, j] = G[j, i] = −1``), ``"score"``: the final
    score, ``"update1"`` / ``"update2"``: the applied Insert / Delete operators ``[i, j, T]``,
    and ``"n_scores"``: the number of local scores computed.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[1]
    sc = BICScore(x, lambda_value)
    score: Any = 0
    for v in range(n):
        score = score + sc.score(v, 0)
    g = _Graph(n, [0] * n, [0] * n)
    search = _Search(sc, n, n if max_parents is None else max_parents)
    g, score, update1 = search.run(g, score, forward=True)
    g, score, update2 = search.run(g, score, forward=False)
    return {
        "G": g.to_causallearn(),
        "score": score,
        "update1": update1,
        "update2": update2,
        "n_scores": sc.n_computed,
    }
