"""PCMCI and PCMCI+ with ParCorr, batched: tigramite's algorithms on the fast tests of _parcorr.

Each function reproduces one stage of tigramite 5.2 (``tigramite/pcmci.py``) at the settings
of bench's adapters (no link assumptions, ``max_conds_dim``/``max_conds_py``/``max_conds_px``
unrestricted, PC1 ``max_combinations=1``, PCMCI+ ``contemp_collider_rule='majority'``,
``conflict_resolution=True``, ``reset_lagged_links=False``). The tests of one stage that do not
depend on each other's outcome are collected and solved in one batch by
:class:`~bench.methods._parcorr.LaggedParCorr`; the decisions are then replayed in tigramite's
order, so every sequential rule (which test comes first, when a link is removed, sort order,
ties) is tigramite's:

* **PC1** (``_run_pc_stable_single``): at condition dimension d, every remaining parent P of
  X^j_t is tested given the first d other parents (``max_combinations=1``), all tests of the
  level together (they only use the level's starting parent list); a parent is removed when
  p > ``pc_alpha`` (or p is NaN); the survivors are re-sorted by min |ρ| over the levels,
  largest first, ties in the original (variable, lag) order; stop when fewer than d + 1
  parents remain. ``pc_alpha=None`` runs the levels 0.05, 0.1, 0.2, 0.3, 0.4, 0.5 and keeps,
  per node, the first level of minimal AIC T·log(RSS) + 2·(1 + |P̂|) (tigramite's
  ``get_model_selection_criterion``).
* **MCI** (``_run_mci_or_variants``): one test per link, X^i_{t−τ} ⊥ X^j_t | P̂(X^j_t) ∪
  P̂(X^i_t) shifted by τ; FDR (``get_corrected_pvalues``, lagged links only), the graph
  p ≤ ``alpha_level`` (``convert_to_string_graph``) and the lag-0 symmetrisation (both
  directions take the values of the larger p-value, ties to (i, j) with i < j).
* **PCMCI+ skeleton** (``_pcalg_skeleton``, mode 'contemp_conds'): at level p, for every
  remaining link (pairs in (i, j, τ) order), the subsets S of size p of the contemporaneous
  adjacencies of j (sorted by min |ρ|) are tried in order, each test conditioning on S and the
  lagged parents of both nodes, until one gives p > α. A link's tests are computed in growing
  chunks (1, 2, 4, ... subsets per round) for all links at once; the replay applies them in
  tigramite's order and skips the test of (j, i, 0) when (i, j, 0) removed the link earlier in
  the level, exactly as tigramite's ``graph[i, j, τ] != ""`` check does.
* **Collider phase** (``_pcalg_colliders``, 'majority'): every unshielded triple's tests over
  the subsets of the neighbours are one batch; the majority rule and the orientation with
  conflict marks are tigramite's loop. Triples are found and the Meek rules applied by
  tigramite's own graph functions (``_find_unshielded_triples``, ``_pcalg_rules_timeseries``),
  which take no CI test.

Exactness: the decisions are identical as long as no p-value lies within rounding (about
1e-12 relative) of a threshold and no two min-|ρ| sort keys tie within rounding; the values
differ from tigramite's by rounding only (see :mod:`bench.methods._parcorr`). Two cases are
rounding-dependent in tigramite itself and are resolved here in a fixed way:

* ``pc_alpha=None``: when two levels find the same parent *set* for a node, their AIC is equal
  in exact arithmetic; here it is computed on the set and the first level wins, while
  tigramite's regressions on the lists in their own orders differ in the last bits and pick
  either. The parents, hence all MCI results, are the same; PC1's own value and p-value
  matrices (the ``decision="pc1"`` scores) may then come from the other level.
* where a test has too few degrees of freedom (p-value NaN) tigramite's value comes from a
  regression on a singular design and is meaningless; here it is 0. It never decides
  anything (a NaN p-value removes the link), and the adapters raise ``DataError`` when such a
  p-value reaches their output.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench.methods._parcorr import LaggedParCorr, Node

PC_ALPHA_GRID = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5)  # tigramite's pc_alpha=None list


@dataclass
class PC1Result:
    """PC1 output as tigramite's ``run_pc_stable``: parents and (N, N, τ_max + 1) matrices."""

    parents: dict[int, list[Node]]
    val_matrix: np.ndarray  # value of each link's least significant test (default 0)
    p_matrix: np.ndarray  # largest p-value of each link's tests (default 1)
    pc_alpha: dict[int, float] = field(default_factory=dict)  # level used per node


def run_pc1(test: LaggedParCorr, tau_min: int, tau_max: int, pc_alpha: float | None) -> PC1Result:
    """tigramite's ``run_pc_stable`` (module docstring), ``pc_alpha=None`` by AIC."""
    n = test.n_vars
    alphas = PC_ALPHA_GRID if pc_alpha is None else (float(pc_alpha),)
    runs = {a: _pc1_level(test, max(1, tau_min), tau_max, a) for a in alphas}
    chosen = {j: alphas[0] for j in range(n)}
    if pc_alpha is None:
        t = test.t_eff
        for j in range(n):
            score = np.zeros(len(alphas))
            for k, a in enumerate(alphas):
                par = runs[a][0][j]
                rss = t * test.residual_fraction((j, 0), par)
                score[k] = t * np.log(rss) + 2.0 * (1 + len(par))
            chosen[j] = alphas[int(score.argmin())]
    val = np.zeros((n, n, tau_max + 1))
    pv = np.ones((n, n, tau_max + 1))
    parents = {}
    for j in range(n):
        par, vals, pmax = runs[chosen[j]][0][j], runs[chosen[j]][1][j], runs[chosen[j]][2][j]
        parents[j] = par
        for (i, lag), v in vals.items():
            val[i, j, -lag] = v
            pv[i, j, -lag] = pmax[(i, lag)]
    return PC1Result(parents, val, pv, chosen)


def _pc1_level(
    test: LaggedParCorr, tmin: int, tau_max: int, alpha: float
) -> tuple[dict[int, list[Node]], dict[int, dict], dict[int, dict]]:
    """PC1 at one ``pc_alpha`` for all nodes: parents, value at max p, max p."""
    n = test.n_vars
    cands = [(i, -lag) for i in range(n) for lag in range(tmin, tau_max + 1)]
    parents = {j: list(cands) for j in range(n)}
    val_min: dict[int, dict[Node, float]] = {j: {} for j in range(n)}
    pval_max: dict[int, dict[Node, Any]] = {j: dict.fromkeys(cands) for j in range(n)}
    val_dict: dict[int, dict[Node, Any]] = {j: dict.fromkeys(cands) for j in range(n)}
    active = list(range(n))
    for dim in range(len(cands) + 1):
        active = [j for j in active if len(parents[j]) - 1 >= dim]
        if not active:
            break
        keys = [
            test.key(par, (j, 0), [q for q in parents[j] if q != par][:dim])
            for j in active
            for par in parents[j]
        ]
        vals, pvals = test.run(keys)
        k = 0
        for j in active:
            nonsig = []
            for par in parents[j]:
                v, p = vals[k], pvals[k]
                k += 1
                val_min[j][par] = min(abs(v), val_min[j].get(par, float("inf")))
                if pval_max[j][par] is None or p > pval_max[j][par]:
                    pval_max[j][par] = p
                    val_dict[j][par] = v
                if not p <= alpha:
                    nonsig.append(par)
            for par in nonsig:
                del val_min[j][par]
            parents[j] = sorted(val_min[j], key=val_min[j].get, reverse=True)
    return parents, val_dict, pval_max


def run_mci(
    test: LaggedParCorr, tau_min: int, tau_max: int, parents: dict[int, list[Node]]
) -> tuple[np.ndarray, np.ndarray]:
    """MCI values and raw p-values (N, N, τ_max + 1) of every tested link (module docstring).

    Untested entries are 0 (value) and 1 (p-value), as in tigramite.
    """
    n = test.n_vars
    val = np.zeros((n, n, tau_max + 1))
    pv = np.ones((n, n, tau_max + 1))
    keys, where = [], []
    for j in range(n):
        for i in range(n):
            for lag in range(tau_min, tau_max + 1):
                if i == j and lag == 0:
                    continue
                cond_x = [(k, kt - lag) for k, kt in parents[i]]
                keys.append(test.key((i, -lag), (j, 0), parents[j] + cond_x))
                where.append((i, j, lag))
    if keys:
        v, p = test.run(keys)
        ii, jj, ll = np.array(where).T
        val[ii, jj, ll] = v
        pv[ii, jj, ll] = p
    return val, pv


def fdr_bh_lagged(p_matrix: np.ndarray, tau_min: int, tau_max: int) -> np.ndarray:
    """tigramite's ``get_corrected_pvalues(fdr_method='fdr_bh')`` without link assumptions.

    Benjamini–Hochberg over the lagged links τ_min' .. τ_max (τ ≥ 1, self-links included;
    contemporaneous links are excluded, tigramite's ``exclude_contemporaneous=True``).
    """
    n, _, n_lags = p_matrix.shape
    mask = np.zeros(p_matrix.shape, dtype=bool)
    mask[:, :, tau_min : tau_max + 1] = True
    mask[:, :, 0] = False
    q = np.array(p_matrix)
    pvs = p_matrix[mask]
    order = np.argsort(pvs)
    ranked = np.take(pvs, order)
    raw = ranked / (np.arange(1, len(ranked) + 1) / float(len(ranked)))
    corrected = np.minimum.accumulate(raw[::-1])[::-1]
    corrected[corrected > 1] = 1
    out = np.empty_like(corrected)
    out[order] = corrected
    q[mask] = out
    return q


def symmetrize_contemporaneous(p_matrix: np.ndarray, val_matrix: np.ndarray) -> None:
    """tigramite's ``symmetrize_p_and_val_matrix`` for 'o?o' lag-0 links, in place.

    For i < j: both directions take (i, j)'s p-value and value if p[i, j] >= p[j, i], else
    (j, i)'s if p[j, i] >= p[i, j]; with a NaN neither is copied (tigramite's loop order).
    """
    n = p_matrix.shape[0]
    iu, ju = np.triu_indices(n, 1)
    p_ij, p_ji = p_matrix[iu, ju, 0].copy(), p_matrix[ju, iu, 0].copy()
    v_ij, v_ji = val_matrix[iu, ju, 0].copy(), val_matrix[ju, iu, 0].copy()
    first = p_ij >= p_ji
    second = ~first & (p_ji >= p_ij)
    for src_p, src_v, sel in ((p_ij, v_ij, first), (p_ji, v_ji, second)):
        a, b = iu[sel], ju[sel]
        p_matrix[a, b, 0] = p_matrix[b, a, 0] = src_p[sel]
        val_matrix[a, b, 0] = val_matrix[b, a, 0] = src_v[sel]


def run_pcmci(
    test: LaggedParCorr,
    tg: Any,
    *,
    tau_min: int,
    tau_max: int,
    pc_alpha: float | None,
    alpha_level: float,
    fdr_method: str,
) -> dict[str, Any]:
    """tigramite's ``run_pcmci`` result dict (graph, val_matrix, p_matrix) plus ``pc1``.

    ``tg`` is a tigramite ``PCMCI`` object, used only for ``convert_to_string_graph``.
    """
    pc1 = run_pc1(test, tau_min, tau_max, pc_alpha)
    val, pv = run_mci(test, tau_min, tau_max, pc1.parents)
    if fdr_method != "none":
        pv = fdr_bh_lagged(pv, tau_min, tau_max)
    graph = tg.convert_to_string_graph(pv <= alpha_level)
    if tau_min == 0:
        symmetrize_contemporaneous(pv, val)
    return {"graph": graph, "val_matrix": val, "p_matrix": pv, "pc1": pc1}


# ----------------------------------------------------------------------------------- PCMCI+


@dataclass
class _Link:
    """One link of a skeleton level: its condition subsets and the results found so far."""

    i: int
    j: int
    lag: int
    cx: int  # column of X = (i, -lag)
    base: set[int]  # columns of the lagged parents of j and (shifted) of i
    conditions: Any  # iterator over subsets S (tuples of contemporaneous variables)
    results: list[tuple[float, float]] = field(default_factory=list)
    open: bool = True
    removes: bool = False


def _skeleton_level(
    test: LaggedParCorr,
    links: list[_Link],
    alpha: float,
) -> None:
    """Compute, in rounds of growing chunks, each link's tests up to its first p > α."""
    partner = {(lk.i, lk.j, lk.lag): lk for lk in links if lk.lag == 0}
    chunk = 1
    while True:
        todo = []
        for lk in links:
            if not lk.open:
                continue
            first = partner.get((lk.j, lk.i, 0)) if lk.lag == 0 and lk.j < lk.i else None
            if first is not None and not first.open and first.removes:
                lk.open = False  # tigramite skips it: (j, i, 0) removed the link first
                continue
            subsets = list(itertools.islice(lk.conditions, chunk))
            if len(subsets) < chunk:
                lk.open = False
            todo.append((lk, subsets))
        if not todo:
            return
        keys = [
            test.key_cols(lk.cx, lk.j, lk.base.union(s)) for lk, subsets in todo for s in subsets
        ]
        vals, pvals = test.run(keys)
        k = 0
        for lk, subsets in todo:
            for _ in subsets:
                if not lk.removes:
                    lk.results.append((vals[k], pvals[k]))
                    if not pvals[k] <= alpha:
                        lk.removes, lk.open = True, False
                k += 1
        chunk *= 2


def pcmciplus_skeleton(
    test: LaggedParCorr,
    tau_min: int,
    tau_max: int,
    parents: dict[int, list[Node]],
    alpha: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tigramite's ``_pcalg_skeleton`` (module docstring): (links, p_matrix, val_matrix).

    ``links`` is boolean (N, N, τ_max + 1): the lagged PC1 parents and, for τ_min = 0, every
    contemporaneous pair, minus the links removed. p_matrix / val_matrix hold each tested
    link's largest p-value and its value (1 and 0 where there was no link).
    """
    n = test.n_vars
    graph = np.zeros((n, n, tau_max + 1), dtype=bool)
    for j in range(n):
        for i, lag in parents[j]:
            graph[i, j, -lag] = True
    if tau_min == 0:
        graph[:, :, 0] = ~np.eye(n, dtype=bool)
    pm = np.where(graph, 0.0, 1.0)
    vm = np.zeros(graph.shape)
    vmin = np.full(graph.shape, np.inf)
    adj = {j: [i for i in range(n) if graph[i, j, 0]] for j in range(n)}
    base = {
        (i, j, lag): test.cols(parents[j] + [(k, kt - lag) for k, kt in parents[i]])
        for i, j, lag in _present(graph, tau_min)
    }
    for level in range(n + 1):
        links = []
        for i, j, lag in _present(graph, tau_min):  # tigramite's (i, j, τ) order
            if len(adj[j]) - (lag == 0) < level:
                continue
            if level == 0:
                subsets: Any = iter([()])
            else:
                others = [k for k in adj[j] if k != i] if lag == 0 else adj[j]
                subsets = itertools.combinations(others, level)
            cx = test.col((i, -lag))
            links.append(_Link(i, j, lag, cx, base[(i, j, lag)], subsets))
        if not links:
            break
        _skeleton_level(test, links, alpha)
        for lk in links:
            i, j, lag = lk.i, lk.j, lk.lag
            if not graph[i, j, lag]:
                continue  # removed earlier in this level by (j, i, 0)
            for v, p in lk.results:
                vmin[i, j, lag] = min(abs(v), vmin[i, j, lag])
                if p >= pm[i, j, lag]:
                    pm[i, j, lag], vm[i, j, lag] = p, v
            if lk.removes:
                graph[i, j, lag] = False
                if lag == 0:
                    graph[j, i, 0] = False
                    pm[j, i, 0] = pm[i, j, 0]
        adj = {
            j: sorted(
                (i for i in range(n) if graph[i, j, 0]),
                key=lambda i, j=j: vmin[i, j, 0],
                reverse=True,
            )
            for j in range(n)
        }
    return graph, pm, vm


def _present(graph: np.ndarray, tau_min: int) -> list[tuple[int, int, int]]:
    """The links (i, j, τ) of ``graph`` with τ >= τ_min, in (i, j, τ) order."""
    idx = np.argwhere(graph[:, :, tau_min:])
    idx[:, 2] += tau_min
    return [tuple(row) for row in idx.tolist()]


def skeleton_strings(graph: np.ndarray) -> np.ndarray:
    """The skeleton as tigramite's string graph after the collider phase's mark change."""
    out = np.full(graph.shape, "", dtype="<U3")
    out[:, :, 1:][graph[:, :, 1:]] = "-->"
    out[:, :, 0][graph[:, :, 0]] = "o-o"
    return out


def _neighbour_subsets(adjt: dict, i: int, tau: int, j: int) -> list[frozenset]:
    """tigramite's unique ``subsets`` of j's (and, at τ = 0, i's) contemporaneous adjacencies."""

    def subsets(s: list) -> list[frozenset]:
        if not s:
            return []
        return [frozenset(c) for r in range(len(s) + 1) for c in itertools.combinations(s, r)]

    out = subsets([(k, tk) for (k, tk) in adjt[j] if not (k == i and tau == tk)])
    if tau == 0:
        out += subsets([(k, tk) for (k, tk) in adjt[i] if not (k == j and tk == 0)])
    return list(dict.fromkeys(out))


def pcmciplus_colliders(
    test: LaggedParCorr,
    tg: Any,
    graph: np.ndarray,
    parents: dict[int, list[Node]],
    alpha: float,
) -> tuple[np.ndarray, list]:
    """tigramite's ``_pcalg_colliders`` ('majority', conflict_resolution=True), in place.

    Returns the graph and the ambiguous triples.
    """
    triples = tg._find_unshielded_triples(graph)
    adjt = tg._get_adj_time_series_contemp(graph)
    pair_sets: dict[tuple[int, int, int], list[frozenset]] = {}
    for (i, tau), _, j in triples:
        pair_sets.setdefault((int(i), int(tau), int(j)), None)
    keys = []
    for i, tau, j in pair_sets:
        sets = _neighbour_subsets(adjt, i, tau, j)
        pair_sets[(i, tau, j)] = sets
        base = test.cols(parents[j] + [(k, kt + tau) for k, kt in parents[i]])
        cx = test.col((i, tau))
        keys += [test.key_cols(cx, j, base.union(test.cols(list(s)))) for s in sets]
    _, pvals = test.run(keys)
    sepsets: dict[tuple[int, int, int], list[frozenset]] = {}
    k = 0
    for owner, sets in pair_sets.items():
        found = zip(sets, pvals[k : k + len(sets)], strict=True)
        sepsets[owner] = [s for s, p in found if not p <= alpha]
        k += len(sets)
    v_structures, ambiguous = [], []
    for itaukj in triples:
        (i, tau), kk, j = itaukj
        seps = sepsets[(int(i), int(tau), int(j))]
        if not seps:
            ambiguous.append(itaukj)
            continue
        fraction = np.sum([(kk, 0) in s for s in seps]) / float(len(seps))
        if fraction == 0.5:
            ambiguous.append(itaukj)
        elif fraction < 0.5:
            v_structures.append(itaukj)
    _orient_colliders(graph, v_structures)
    return graph, ambiguous


def _orient_colliders(graph: np.ndarray, v_structures: list) -> None:
    """tigramite's collider orientation with conflict marks (conflict_resolution=True)."""
    oriented: list[tuple[int, int]] = []
    for (i, tau), k, j in v_structures:
        if (k, j) not in oriented and (j, k) not in oriented:
            graph[k, j, 0], graph[j, k, 0] = "<--", "-->"
            oriented.append((j, k))
        if (k, j) in oriented:
            graph[j, k, 0] = graph[k, j, 0] = "x-x"
        if tau == 0:
            if (i, k) not in oriented and (k, i) not in oriented:
                graph[k, i, 0], graph[i, k, 0] = "<--", "-->"
                oriented.append((i, k))
            if (k, i) in oriented:
                graph[i, k, 0] = graph[k, i, 0] = "x-x"


def run_pcmciplus(
    test: LaggedParCorr,
    tg: Any,
    *,
    tau_min: int,
    tau_max: int,
    pc_alpha: float,
    fdr_method: str,
) -> dict[str, Any]:
    """tigramite's ``run_pcmciplus`` result dict (graph, val_matrix, p_matrix).

    ``tg`` is a tigramite ``PCMCI`` object, used only for its graph functions (finding
    unshielded triples, the Meek rules).
    """
    pc1 = run_pc1(test, tau_min, tau_max, pc_alpha)
    links, pm, vm = pcmciplus_skeleton(test, tau_min, tau_max, pc1.parents, pc_alpha)
    if tau_min == 0:
        symmetrize_contemporaneous(pm, vm)
    p_matrix, val_matrix = pc1.p_matrix.copy(), pc1.val_matrix.copy()
    p_matrix[:, :, 0], val_matrix[:, :, 0] = pm[:, :, 0], vm[:, :, 0]
    for j, par in pc1.parents.items():
        for i, lag in par:
            p_matrix[i, j, -lag], val_matrix[i, j, -lag] = pm[i, j, -lag], vm[i, j, -lag]
    if fdr_method != "none":
        p_matrix = fdr_bh_lagged(p_matrix, tau_min, tau_max)
    graph, ambiguous = pcmciplus_colliders(test, tg, skeleton_strings(links), pc1.parents, pc_alpha)
    graph = tg._pcalg_rules_timeseries(graph, ambiguous, conflict_resolution=True)
    return {"graph": graph, "val_matrix": val_matrix, "p_matrix": p_matrix, "pc1": pc1}
