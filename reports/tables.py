"""Paper-style result tables (Markdown, LaTeX, CSV) from long-format results.

Input: a long DataFrame with columns ``method, dataset, seed, metric, value`` where ``value``
is the mean over subjects of one (method, dataset, seed) and NaN means "not applicable" (e.g.
AUROC of a method without continuous scores).

Aggregation (:func:`summarize`), for each (method, dataset, metric) over the seeds whose value
is not NaN (``v_1 .. v_n``, ``n = n_seeds``)::

    mean = (1/n) Σ v_s        std = sqrt((1/n) Σ (v_s − mean)²)     (population std, ddof = 0)

so a single seed has std 0. ``applicable`` is False when every seed's value is NaN; then mean
and std are NaN and ``n_seeds`` is 0. Seeds that are NaN while others are not are left out of
``n_seeds`` (the caption then shows a range such as "2–3 seeds").

Rendering: methods keep the order in which they first appear in the input; datasets are in
natural order (``smith:2`` before ``smith:10``). A cell is ``mean ± std`` (``precision``
decimals, one decimal for count-like metrics such as SHD), ``n/a`` when not applicable and
``–`` when there is no result. The best value per dataset, by the metric's direction in
:data:`bench.metrics.METRICS` and compared at the printed precision (ties are all bold), is
bold; oracle methods (which look at the ground truth) get a dagger, are never marked best, and
are named in a footnote.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from bench.metrics import METRICS, MetricInfo, get_metric

__all__ = [
    "LONG_COLUMNS",
    "SUMMARY_COLUMNS",
    "natural_key",
    "render_csv",
    "render_latex",
    "render_markdown",
    "summarize",
    "write_tables",
]

Layout = Literal["auto", "methods", "datasets"]

LONG_COLUMNS = ("method", "dataset", "seed", "metric", "value")
SUMMARY_COLUMNS = ("method", "dataset", "metric", "mean", "std", "n_seeds", "applicable")
CSV_COLUMNS = ("method", "dataset", "metric", "mean", "std", "n_seeds")

NOT_APPLICABLE = "n/a"
MISSING = "–"  # en dash
DAGGER = "†"


def natural_key(text: str) -> tuple:
    """Sort key that orders digit runs by value: ``smith:2`` < ``smith:10``."""
    parts = re.split(r"(\d+)", str(text))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts), str(text)


def _first_seen(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _require(df: pd.DataFrame, columns: Collection[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(missing)}; has {list(df.columns)}")


# --------------------------------------------------------------------------- summarize


def summarize(long_df: pd.DataFrame) -> pd.DataFrame:
    """Mean ± std over seeds for each (method, dataset, metric); see the module docstring.

    Returns columns :data:`SUMMARY_COLUMNS`, rows ordered by method (first appearance),
    dataset (natural order) and metric (registry display order, then unregistered metrics in
    first appearance). Raises :class:`ValueError` on missing columns, non-numeric values or a
    repeated (method, dataset, seed, metric).
    """
    _require(long_df, LONG_COLUMNS, "results table")
    df = long_df.loc[:, list(LONG_COLUMNS)].copy()
    try:
        df["value"] = pd.to_numeric(df["value"]).astype(float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"results table: non-numeric value ({err})") from None
    dup = df.duplicated(["method", "dataset", "seed", "metric"], keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        raise ValueError(
            f"results table: repeated row for method={first['method']!r} "
            f"dataset={first['dataset']!r} seed={first['seed']!r} metric={first['metric']!r}"
        )

    method_rank = {m: k for k, m in enumerate(_first_seen(df["method"]))}
    registered = {m: k for k, m in enumerate(METRICS)}
    others = [m for m in _first_seen(df["metric"]) if m not in registered]
    metric_rank = {**registered, **{m: len(registered) + k for k, m in enumerate(others)}}

    rows = []
    for (method, dataset, metric), group in df.groupby(["method", "dataset", "metric"], sort=False):
        v = group["value"].to_numpy(dtype=float)
        v = v[~np.isnan(v)]
        rows.append(
            {
                "method": method,
                "dataset": dataset,
                "metric": metric,
                "mean": float(v.mean()) if v.size else math.nan,
                "std": float(v.std(ddof=0)) if v.size else math.nan,
                "n_seeds": int(v.size),
                "applicable": bool(v.size),
            }
        )
    rows.sort(
        key=lambda r: (
            method_rank[r["method"]],
            natural_key(r["dataset"]),
            metric_rank[r["metric"]],
        )
    )
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return out.astype({"n_seeds": int, "applicable": bool})


# --------------------------------------------------------------------------- table model


@dataclass(frozen=True)
class _Table:
    """A renderer-agnostic table: plain cell texts plus which cells are best."""

    corner: str
    rows: list[str]
    cols: list[str]
    row_oracle: list[bool]
    col_oracle: list[bool]
    cells: list[list[str]]
    best: list[list[bool]]
    title: str  # e.g. "F1 (higher is better)"
    seeds: str  # e.g. "2 seeds" or "2–3 seeds"; "" when no cell is applicable
    bold_note: bool
    oracles: list[str]


def _fmt(x: float, decimals: int) -> str:
    text = f"{x:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _decimals(info: MetricInfo, precision: int) -> int:
    return 1 if info.integer else precision


def _seeds_text(counts: Iterable[int]) -> str:
    ns = sorted(set(counts))
    if not ns:
        return ""
    span = str(ns[0]) if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"
    return f"{span} seed{'' if ns == [1] else 's'}"


def _build(
    summary: pd.DataFrame,
    metric: str,
    layout: Layout,
    oracle_methods: Collection[str],
    precision: int,
) -> _Table:
    info = get_metric(metric)
    if layout not in ("auto", "methods", "datasets"):
        raise ValueError(f"layout must be 'auto', 'methods' or 'datasets'; got {layout!r}")
    _require(summary, SUMMARY_COLUMNS, "summary")
    if summary.empty:
        raise ValueError("summary is empty: no results to tabulate")
    methods = _first_seen(summary["method"])
    datasets = sorted(_first_seen(summary["dataset"]), key=natural_key)
    if layout == "auto":
        layout = "methods" if len(datasets) <= len(methods) else "datasets"

    decimals = _decimals(info, precision)
    sub = summary[summary["metric"] == metric]
    found = {(r.method, r.dataset): r for r in sub.itertuples(index=False)}
    text: dict[tuple[str, str], str] = {}
    score: dict[tuple[str, str], float] = {}  # rounded means of the cells that may be best
    for m in methods:
        for d in datasets:
            r = found.get((m, d))
            if r is None:
                text[m, d] = MISSING
            elif not r.applicable:
                text[m, d] = NOT_APPLICABLE
            else:
                text[m, d] = f"{_fmt(r.mean, decimals)} ± {_fmt(r.std, decimals)}"
                if info.ranked and m not in oracle_methods:
                    score[m, d] = round(float(r.mean), decimals)

    best: set[tuple[str, str]] = set()
    for d in datasets:
        vals = {m: score[m, d] for m in methods if (m, d) in score}
        if vals:
            top = max(vals.values()) if info.higher_is_better else min(vals.values())
            best.update((m, d) for m, v in vals.items() if v == top)

    is_oracle = [m in oracle_methods for m in methods]
    if layout == "methods":
        corner, rows, cols = "Method", methods, datasets
        row_oracle, col_oracle = is_oracle, [False] * len(datasets)
        keys = [[(m, d) for d in datasets] for m in methods]
    else:
        corner, rows, cols = "Dataset", datasets, methods
        row_oracle, col_oracle = [False] * len(datasets), is_oracle
        keys = [[(m, d) for m in methods] for d in datasets]

    direction = "higher" if info.higher_is_better else "lower"
    title = f"{info.label} ({direction} is better)" if info.ranked else info.label
    return _Table(
        corner=corner,
        rows=rows,
        cols=cols,
        row_oracle=row_oracle,
        col_oracle=col_oracle,
        cells=[[text[k] for k in row] for row in keys],
        best=[[k in best for k in row] for row in keys],
        title=title,
        seeds=_seeds_text(sub.loc[sub["applicable"], "n_seeds"]),
        bold_note=info.ranked,
        oracles=[m for m, o in zip(methods, is_oracle, strict=True) if o],
    )


def _caption(t: _Table) -> str:
    if not t.seeds:
        return f"{t.title}: no applicable results."
    bold = "; best per dataset in bold" if t.bold_note else ""
    return f"{t.title}: mean ± std over {t.seeds}{bold}."


def _oracle_note(t: _Table, dagger: str, name: Callable[[str], str]) -> str:
    names = ", ".join(name(m) for m in t.oracles)
    verb = "looks" if len(t.oracles) == 1 else "look"
    whose = "its result" if len(t.oracles) == 1 else "their results"
    return (
        f"{dagger} oracle: {names} {verb} at the ground truth to pick {whose}; "
        "shown for reference, never marked best."
    )


# --------------------------------------------------------------------------- markdown


def _md_escape(text: str) -> str:
    return str(text).replace("|", r"\|")


def render_markdown(
    summary: pd.DataFrame,
    metric: str,
    *,
    layout: Layout = "auto",
    oracle_methods: Collection[str] = frozenset(),
    precision: int = 3,
) -> str:
    """A Markdown (GFM pipe) table of ``metric`` with a ``Table:`` caption line.

    ``layout="methods"``: methods as rows, datasets as columns; ``"datasets"``: the transpose;
    ``"auto"``: whichever has fewer columns (ties: methods as rows).
    """
    t = _build(summary, metric, layout, oracle_methods, precision)

    def head(name: str, oracle: bool) -> str:
        return _md_escape(name) + (DAGGER if oracle else "")

    def cell(text: str, best: bool) -> str:
        return f"**{text}**" if best else text

    lines = [f"Table: {_caption(t)}", ""]
    header = [t.corner] + [head(c, o) for c, o in zip(t.cols, t.col_oracle, strict=True)]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("| :--- | " + " | ".join("---:" for _ in t.cols) + " |")
    for name, oracle, cells, best in zip(t.rows, t.row_oracle, t.cells, t.best, strict=True):
        row = [head(name, oracle)] + [cell(c, b) for c, b in zip(cells, best, strict=True)]
        lines.append("| " + " | ".join(row) + " |")
    if t.oracles:
        lines += ["", _oracle_note(t, DAGGER, lambda m: f"`{m}`")]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- latex

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "±": r"$\pm$",
    "–": "--",
    "†": r"$^\dagger$",
}


def _tex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def render_latex(
    summary: pd.DataFrame,
    metric: str,
    *,
    layout: Layout = "auto",
    oracle_methods: Collection[str] = frozenset(),
    precision: int = 3,
) -> str:
    """The same table as :func:`render_markdown`, as a booktabs ``table`` float.

    Needs only ``\\usepackage{booktabs}``; uses ``\\textbf`` for the best, ``$\\pm$`` and
    ``$^\\dagger$``, and escapes LaTeX special characters in names.
    """
    t = _build(summary, metric, layout, oracle_methods, precision)
    dagger = r"$^\dagger$"

    def head(name: str, oracle: bool) -> str:
        return _tex_escape(name) + (dagger if oracle else "")

    def cell(text: str, best: bool) -> str:
        return rf"\textbf{{{_tex_escape(text)}}}" if best else _tex_escape(text)

    label = re.sub(r"[^A-Za-z0-9]+", "-", metric)
    lines = [
        r"\begin{table}[htbp]",
        r"  \centering",
        rf"  \caption{{{_tex_escape(_caption(t))}}}",
        rf"  \label{{tab:{label}}}",
        rf"  \begin{{tabular}}{{l{'r' * len(t.cols)}}}",
        r"    \toprule",
        "    "
        + " & ".join([t.corner] + [head(c, o) for c, o in zip(t.cols, t.col_oracle, strict=True)])
        + r" \\",
        r"    \midrule",
    ]
    for name, oracle, cells, best in zip(t.rows, t.row_oracle, t.cells, t.best, strict=True):
        row = [head(name, oracle)] + [cell(c, b) for c, b in zip(cells, best, strict=True)]
        lines.append("    " + " & ".join(row) + r" \\")
    lines += [r"    \bottomrule", r"  \end{tabular}"]
    if t.oracles:
        note = _oracle_note(t, dagger, lambda m: rf"\texttt{{{_tex_escape(m)}}}")
        lines += [r"  \par\smallskip", rf"  {{\footnotesize {note}\par}}"]
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- csv / files


def render_csv(summary: pd.DataFrame) -> str:
    """Tidy CSV with columns method, dataset, metric, mean, std, n_seeds.

    Numbers with 10 significant digits; an empty mean/std means not applicable.
    """
    _require(summary, CSV_COLUMNS, "summary")
    return summary.loc[:, list(CSV_COLUMNS)].to_csv(
        index=False, lineterminator="\n", float_format="%.10g", na_rep=""
    )


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_tables(
    summary: pd.DataFrame,
    outdir: str | os.PathLike[str],
    metrics: Iterable[str],
    *,
    layout: Layout = "auto",
    oracle_methods: Collection[str] = frozenset(),
    precision: int = 3,
) -> list[Path]:
    """Write ``<metric>.md`` and ``<metric>.tex`` per metric and one ``summary.csv``.

    Every table is rendered before any file is written, and each file is replaced atomically,
    so an error (e.g. an unknown metric) leaves no partial output. Returns the written paths.
    """
    outdir = Path(outdir)
    texts: dict[str, str] = {}
    for metric in metrics:
        for ext, render in (("md", render_markdown), ("tex", render_latex)):
            texts[f"{metric}.{ext}"] = render(
                summary,
                metric,
                layout=layout,
                oracle_methods=oracle_methods,
                precision=precision,
            )
    texts["summary.csv"] = render_csv(summary)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        path = outdir / name
        _write_atomic(path, text)
        paths.append(path)
    return paths
