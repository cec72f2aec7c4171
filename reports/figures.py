"""Figures for papers and the MLflow UI (matplotlib, never a display).

Every function returns a :class:`matplotlib.figure.Figure` built on the Agg canvas directly
(``Figure()`` + ``FigureCanvasAgg``, not ``pyplot``), so no window or display is ever used and
no global matplotlib state changes; :func:`save_figure` writes it as PNG and PDF.

Orientation everywhere: ``A[i, j]`` is the edge **i → j**; in the matrix plots the row is the
source and the column the target. The diagonal is never scored and is drawn blank.

Edge classes of :func:`edge_classes` (ordered pairs ``i ≠ j``, truth ``T``, estimate ``E``):

* true positive ``T[i,j] ∧ E[i,j]``;
* reversal ``E[i,j] ∧ ¬T[i,j] ∧ T[j,i] ∧ ¬E[j,i]`` (the true edge j → i was found the wrong way
  round; that true edge is then not also drawn as a miss);
* false positive: any other ``E[i,j] ∧ ¬T[i,j]``;
* miss ``T[i,j] ∧ ¬E[i,j]``, unless it is the true edge of a reversal.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "EDGE_COLOURS",
    "boxplot_figure",
    "cd_diagram",
    "ec_matrix_figure",
    "edge_classes",
    "network_figure",
    "pr_roc_figure",
    "runtime_figure",
    "save_figure",
]

EDGE_COLOURS = {
    "tp": "#1a9850",  # green
    "fp": "#d73027",  # red
    "reversal": "#f39c12",  # orange
    "miss": "#7f7f7f",  # grey, dashed
}
EDGE_LABELS = {
    "tp": "true positive",
    "fp": "false positive",
    "reversal": "reversed",
    "miss": "missed",
}
_PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def method_colours(methods: Sequence[str]) -> dict[str, str]:
    """A fixed colour per method, in order (cycles after 10 methods). A report makes one map
    for all its methods and passes it to every figure, so a method keeps its colour across
    figures whatever subset a figure shows."""
    return {m: _PALETTE[k % len(_PALETTE)] for k, m in enumerate(methods)}


PNG_DPI = 200  # a 9-inch figure is 1800 px wide: sharp on a slide or a high-density screen


def _colours(methods: Sequence[str], given: Mapping[str, str] | None) -> dict[str, str]:
    """``given`` (the report's map) for the methods it has, the palette for the others."""
    out = dict(given or {})
    extra = method_colours([m for m in methods if m not in out])
    used = set(out.values())
    spare = [c for c in _PALETTE if c not in used] or _PALETTE
    for k, m in enumerate(m for m in methods if m not in out):
        out[m] = spare[k % len(spare)] if given else extra[m]
    return out


def save_figure(fig: Figure, base: str | os.PathLike[str], *, dpi: int = PNG_DPI) -> list[Path]:
    """Write ``<base>.png`` (``dpi``) and ``<base>.pdf`` (vector; no timestamps, so reruns
    give equal PDFs)."""
    base = Path(base)
    base.parent.mkdir(parents=True, exist_ok=True)
    png, pdf = base.with_name(base.name + ".png"), base.with_name(base.name + ".pdf")
    fig.savefig(png, dpi=dpi, metadata={"Software": None})
    fig.set_layout_engine("none")  # keep the layout just computed: the PDF needs no second pass
    fig.savefig(pdf, metadata={"CreationDate": None, "Creator": None, "Producer": None})
    return [png, pdf]


def _check_square(name: str, a: np.ndarray, n: int | None = None) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or (n is not None and a.shape[0] != n):
        want = f"({n}, {n})" if n is not None else "square"
        raise ValueError(f"{name}: expected a {want} matrix, got shape {a.shape}")
    return a


def edge_classes(adjacency: np.ndarray, truth: np.ndarray) -> dict[str, list[tuple[int, int]]]:
    """Ordered pairs ``(i, j)`` (edge i → j) in each class; see the module docstring."""
    t = _check_square("truth", truth).astype(bool)
    e = _check_square("adjacency", adjacency, t.shape[0]).astype(bool)
    np.fill_diagonal(t, False)
    np.fill_diagonal(e, False)
    rev = e & ~t & t.T & ~e.T
    out: dict[str, list[tuple[int, int]]] = {k: [] for k in EDGE_COLOURS}
    n = t.shape[0]
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            if t[i, j] and e[i, j]:
                out["tp"].append((i, j))
            elif rev[i, j]:
                out["reversal"].append((i, j))
            elif e[i, j]:
                out["fp"].append((i, j))
            elif t[i, j] and not rev[j, i]:
                out["miss"].append((i, j))
    return out


def ec_matrix_figure(
    adjacency: np.ndarray,
    truth: np.ndarray,
    scores: np.ndarray | None = None,
    *,
    title: str = "",
    labels: Sequence[str] | None = None,
) -> Figure:
    """The estimated EC matrix (scores, else the binary decision) beside the ground truth.

    Left: heatmap of the scores (rows = source i, columns = target j; diagonal blank); true
    edges are framed by a square drawn white over black (it contrasts with every colour of the
    map, dark cells where edges are missed included) and the method's own decisions carry a
    white dot with a black rim.
    Right: the binary truth.
    """
    t = _check_square("truth", truth).astype(float)
    n = t.shape[0]
    a = _check_square("adjacency", adjacency, n).astype(float)
    s = a if scores is None else _check_square("scores", scores, n).astype(float)
    labels = list(labels) if labels is not None else [str(k) for k in range(n)]
    shown = s.copy()
    np.fill_diagonal(shown, np.nan)
    tt = t.copy()
    np.fill_diagonal(tt, np.nan)

    fig = _figure(9.0, 4.3)
    ax1, ax2 = fig.subplots(1, 2)
    finite = shown[np.isfinite(shown)]
    vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    im = ax1.imshow(shown, cmap="viridis", vmin=0.0, vmax=vmax, interpolation="nearest")
    fig.colorbar(im, ax=ax1, shrink=0.8, label="score" if scores is not None else "decision")
    ti, tj = np.nonzero(np.where(np.eye(n, dtype=bool), 0, t))
    from matplotlib.patches import Rectangle

    for i, j in zip(ti, tj, strict=True):
        # a white frame with a black core: visible on the darkest and the lightest cells
        for colour, lw in (("white", 3.2), ("black", 1.3)):
            ax1.add_patch(
                Rectangle(
                    (j - 0.36, i - 0.36), 0.72, 0.72, fill=False, edgecolor=colour, linewidth=lw
                )
            )
    ei, ej = np.nonzero(np.where(np.eye(n, dtype=bool), 0, a))
    ax1.scatter(ej, ei, s=14, c="white", edgecolors="black", linewidths=0.6, zorder=3)
    ax1.set_title("estimate (□ true edge, ● estimated edge)", fontsize=9)
    ax2.imshow(tt, cmap="Greys", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax2.set_title("ground truth", fontsize=9)
    for ax in (ax1, ax2):
        ax.set_xticks(range(n), labels, fontsize=7, rotation=90 if n > 10 else 0)
        ax.set_yticks(range(n), labels, fontsize=7)
        ax.set_xlabel("target j")
        ax.set_ylabel("source i  (A[i, j] = i → j)")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def network_figure(
    adjacency: np.ndarray,
    truth: np.ndarray,
    *,
    title: str = "",
    labels: Sequence[str] | None = None,
) -> Figure:
    """The estimated graph over the truth as a network, edges coloured by :func:`edge_classes`.

    Nodes on a circle; true positives green, false positives red, reversals orange, misses
    grey dashed; the legend gives each class's count. Both edges of a 2-cycle are drawn as arcs.
    """
    import networkx as nx

    classes = edge_classes(adjacency, truth)
    n = np.asarray(truth).shape[0]
    labels = list(labels) if labels is not None else [str(k) for k in range(n)]
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    pos = nx.circular_layout(g)
    fig = _figure(5.2, 5.2)
    ax = fig.subplots()
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color="#dfe8f5", edgecolors="#333333", node_size=420)
    nx.draw_networkx_labels(g, pos, labels=dict(enumerate(labels)), ax=ax, font_size=8)
    from matplotlib.lines import Line2D

    handles = []
    for cls, edges in classes.items():
        if edges:
            nx.draw_networkx_edges(
                g,
                pos,
                edgelist=edges,
                ax=ax,
                edge_color=EDGE_COLOURS[cls],
                style="dashed" if cls == "miss" else "solid",
                width=1.8,
                arrows=True,
                arrowsize=14,
                node_size=420,
                connectionstyle="arc3,rad=0.12",
            )
        handles.append(
            Line2D(
                [],
                [],
                color=EDGE_COLOURS[cls],
                linestyle="--" if cls == "miss" else "-",
                label=f"{EDGE_LABELS[cls]} ({len(edges)})",
            )
        )
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2, fontsize=8)
    ax.set_axis_off()
    ax.set_aspect("equal")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def boxplot_figure(
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    metric_label: str,
    title: str = "",
    colours: Mapping[str, str] | None = None,
) -> Figure:
    """Box plots of a metric over subjects, one box per method, one panel per dataset.

    ``panels`` maps a dataset to ``{method: per-subject values}`` (NaNs are dropped; a method
    without values gets an empty slot). Boxes: quartiles, median line, whiskers to 1.5 IQR,
    outliers as points; each subject's value is overlaid as a dot.
    """
    names = list(panels)
    if not names:
        raise ValueError("boxplot_figure: no panels")
    ncols = min(4, len(names))
    nrows = math.ceil(len(names) / ncols)
    methods = list(dict.fromkeys(m for p in panels.values() for m in p))
    colours = _colours(methods, colours)
    width = max(3.2, 0.55 * len(methods) + 1.2)
    fig = _figure(width * ncols, 3.2 * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    rng = np.random.default_rng(0)  # jitter of the dots only
    for ax, name in zip(axes, names, strict=False):
        data = []
        for m in methods:
            v = np.asarray(panels[name].get(m, []), dtype=float)
            data.append(v[np.isfinite(v)])
        pos = np.arange(1, len(methods) + 1)
        keep = [k for k, d in enumerate(data) if d.size]
        if keep:
            bp = ax.boxplot(
                [data[k] for k in keep],
                positions=pos[keep],
                widths=0.6,
                patch_artist=True,
                showfliers=False,
            )
            for patch, k in zip(bp["boxes"], keep, strict=True):
                patch.set_facecolor(colours[methods[k]])
                patch.set_alpha(0.45)
            for k in keep:
                x = pos[k] + rng.uniform(-0.15, 0.15, data[k].size)
                ax.plot(x, data[k], ".", color=colours[methods[k]], markersize=3)
        ax.set_xticks(pos, methods, rotation=30, ha="right", fontsize=8)
        ax.set_title(name, fontsize=9)
        ax.set_ylabel(metric_label, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[len(names) :]:
        ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def pr_roc_figure(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    title: str = "",
    skipped: Sequence[str] = (),
    colours: Mapping[str, str] | None = None,
) -> Figure:
    """Precision–recall (left) and ROC (right) curves, one per method.

    ``curves`` maps a method to ``(y_true, score)`` over the pooled off-diagonal pairs.
    Legends give the average precision (AP = Σ_n (R_n − R_{n−1}) P_n) and the AUROC; the
    dotted line in the PR panel is the null AP (the edge density, #positives / #pairs) and in
    the ROC panel the chance diagonal. ``skipped`` names methods without scores (noted).
    """
    from sklearn.metrics import (
        average_precision_score,
        precision_recall_curve,
        roc_auc_score,
        roc_curve,
    )

    fig = _figure(9.0, 4.2)
    ax_pr, ax_roc = fig.subplots(1, 2)
    colours = _colours(list(curves), colours)
    density = math.nan
    for m, (y, s) in curves.items():
        y = np.asarray(y, dtype=bool)
        s = np.asarray(s, dtype=float)
        if y.all() or not y.any():
            continue
        density = float(y.mean())
        prec, rec, _ = precision_recall_curve(y, s)
        fpr, tpr, _ = roc_curve(y, s)
        ap, auc = average_precision_score(y, s), roc_auc_score(y, s)
        ax_pr.step(rec, prec, where="post", color=colours[m], label=f"{m} (AP {ap:.3f})")
        ax_roc.plot(fpr, tpr, color=colours[m], label=f"{m} (AUROC {auc:.3f})")
    if np.isfinite(density):
        ax_pr.axhline(density, color="black", linestyle=":", label=f"null ({density:.3f})")
    ax_roc.plot([0, 1], [0, 1], color="black", linestyle=":", label="chance")
    ax_pr.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
    ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1))
    for ax, name in ((ax_pr, "precision–recall"), (ax_roc, "ROC")):
        ax.set_title(name, fontsize=9)
        ax.legend(fontsize=7, loc="lower right" if ax is ax_roc else "upper right")
        ax.grid(alpha=0.3)
    if skipped:
        fig.text(0.01, 0.005, "no continuous scores: " + ", ".join(skipped), fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def runtime_figure(
    points: Mapping[str, Sequence[tuple[int, float]]],
    *,
    title: str = "",
    colours: Mapping[str, str] | None = None,
) -> Figure:
    """Seconds per fit against the number of nodes, one line per method (log y axis).

    ``points`` maps a method to ``(n_nodes, seconds)`` pairs (one per dataset and seed); each
    pair is a dot and the line joins the medians per node count.
    """
    fig = _figure(6.0, 4.2)
    ax = fig.subplots()
    colours = _colours(list(points), colours)
    for m, pts in points.items():
        arr = np.asarray([(n, s) for n, s in pts if np.isfinite(s) and s > 0], dtype=float)
        if not arr.size:
            continue
        ax.plot(arr[:, 0], arr[:, 1], ".", color=colours[m], alpha=0.5)
        xs = np.unique(arr[:, 0])
        med = [float(np.median(arr[arr[:, 0] == x, 1])) for x in xs]
        ax.plot(xs, med, "-o", color=colours[m], label=m, markersize=4)
    ax.set_yscale("log")
    ax.set_xlabel("number of nodes N")
    ax.set_ylabel("seconds per fit")
    ax.grid(alpha=0.3, which="both")
    if points:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def _cliques(ranks: Sequence[float], cd: float) -> list[tuple[int, int]]:
    """Maximal runs ``[lo, hi]`` of sorted ranks whose spread is below ``cd`` (≥ 2 members)."""
    out: list[tuple[int, int]] = []
    n = len(ranks)
    for lo in range(n):
        hi = lo
        while hi + 1 < n and ranks[hi + 1] - ranks[lo] < cd:
            hi += 1
        if hi > lo and not any(a <= lo and hi <= b for a, b in out):
            out.append((lo, hi))
    return out


def cd_diagram(
    avg_ranks: Mapping[str, float],
    cd: float,
    *,
    title: str = "",
) -> Figure:
    """Critical-difference diagram (Demšar 2006): methods on an axis of average ranks.

    The axis runs from rank 1 (best, left) to ``k``; the better half of the methods is labelled
    on the left, the rest on the right. A bar of length ``cd`` is drawn above the axis, and
    thick lines join groups of methods whose average ranks differ by less than ``cd`` (not
    significantly different by the Nemenyi test).
    """
    items = sorted(avg_ranks.items(), key=lambda kv: kv[1])
    k = len(items)
    if k < 2:
        raise ValueError("cd_diagram needs at least 2 methods")
    names = [m for m, _ in items]
    ranks = [float(r) for _, r in items]
    half = math.ceil(k / 2)
    cliques = _cliques(ranks, cd) if np.isfinite(cd) else []
    top = -0.25 - 0.12 * len(cliques)  # first label row, below the clique bars
    bottom = top - 0.4 * (half - 1) - 0.3
    pad = max(1.2, 0.45 * (k - 1))
    fig = _figure(6.4, 0.9 + 0.55 * (1.45 - bottom))
    ax = fig.subplots()
    ax.set_xlim(1 - pad, k + pad)
    ax.set_ylim(bottom, 1.45)
    ax.set_axis_off()
    ax.hlines(0, 1, k, color="black", linewidth=1)
    for r in range(1, k + 1):
        ax.vlines(r, 0, 0.12, color="black", linewidth=1)
        ax.text(r, 0.2, str(r), ha="center", va="bottom", fontsize=8)
    if np.isfinite(cd):
        ax.hlines(1.0, 1, 1 + cd, color="black", linewidth=1.2)
        for x in (1, 1 + cd):
            ax.vlines(x, 0.92, 1.08, color="black", linewidth=1)
        ax.text(1 + cd / 2, 1.12, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=8)
    for idx, (name, r) in enumerate(zip(names, ranks, strict=True)):
        left = idx < half
        row = idx if left else k - 1 - idx
        y = top - 0.4 * row
        edge = 1 - 0.25 if left else k + 0.25
        ax.vlines(r, y, 0, color="#444444", linewidth=0.8)
        ax.hlines(y, min(r, edge), max(r, edge), color="#444444", linewidth=0.8)
        ax.text(
            edge - 0.05 if left else edge + 0.05,
            y,
            f"{name} ({r:.2f})",
            ha="right" if left else "left",
            va="center",
            fontsize=8,
        )
    for level, (lo, hi) in enumerate(cliques):
        y = -0.12 - 0.12 * level
        ax.hlines(y, ranks[lo] - 0.03, ranks[hi] + 0.03, color="black", linewidth=2.5)
    if title:
        ax.set_title(title, fontsize=10)
    return fig
