"""``bench report``: paper-ready tables, statistics, figures and an HTML page from tracked runs.

Data (:class:`MlflowSource`): the experiment's result runs, one per (method, dataset, seed)
unit: the newest FINISHED run of each unit (by ``bench.logged_at``), or, for a unit without
one, its newest FAILED run (every fit failed; kept for the footnotes). Each run's
``per_subject_metrics.csv`` gives the per-subject status (footnotes) and values, from which the
unit means are made with :func:`bench.aggregate.subject_means` (the tables, exactly as ``bench
run`` makes them; the metrics logged to MLflow are rounded for display and never used when that
file exists), the spreads over subjects, the statistics and the box plots; ``estimates.npz``
the matrices (figures); the truths come from :func:`bench.registry.load_dataset`.

Protocols: results of oracle methods (``MethodInfo.oracle`` or the run's ``bench.oracle`` tag)
and oracle metrics (``oracle_*``) go to separate tables under ``oracle/``, labelled as such and
with nothing marked best; they are never mixed with the honest tables and never enter the
statistics.

Footnotes (:func:`cell_notes`), per (method, dataset) over the selected seeds: for each status
other than ``ok`` the count of fits, e.g. ``timeout: 2 of 50 fits`` (a deterministic method's
fits serve every seed and are counted once); runs missing for some seeds; subjects whose data
could not be loaded. A cell with no successful fit shows ``–`` with that note; a cell whose mean
is over fewer subjects than planned shows its value with the note.
"""

from __future__ import annotations

import fnmatch
import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.reports import figures as figs
from bench.reports import stats as st
from bench.reports.html import HtmlPage
from bench.reports.tables import (
    LATEX_FITS,
    LAYOUTS,
    LONG_COLUMNS,
    MISSING,
    SPREADS,
    TEXT_WIDTH_PT,
    Table,
    build_table,
    is_oracle_metric,
    metric_info,
    natural_key,
    render_csv,
    summarize,
    table_latex,
    table_markdown,
    write_atomic,
)
from bench.types import BenchError

__all__ = [
    "FigureFile",
    "FrameSource",
    "MlflowSource",
    "ReportOptions",
    "ReportOutput",
    "UNIT_COLUMNS",
    "build_report",
    "cell_notes",
    "cell_status",
    "log_figures",
    "log_report_files",
    "run_notes",
    "select_units",
]

UNIT_COLUMNS = (
    "method",
    "dataset",
    "seed",
    "run_id",
    "run_status",
    "oracle",
    "reused",
    "n_subjects",
    "n_failed",
    "missing",
    "seconds_per_fit",
    "n_empty",
    "label",
)
FORMATS = ("md", "tex", "csv", "html")
ORACLE_CAPTION = (
    "Oracle protocol (picks with the ground truth; not comparable with the honest tables, "
    "nothing marked best). "
)


# --------------------------------------------------------------------------- sources


class FrameSource:
    """Report data held in memory (tests, or results not in MLflow).

    ``units``: columns :data:`UNIT_COLUMNS`; ``long``: ``method, dataset, seed, metric,
    value`` of the units with a successful fit; ``per_subject``: ``run_id, subject, seed,
    status, error, wall_time_s`` and metric columns; ``estimates``: run id →
    ``{subject: {"adjacency": A, "scores": S}}``; ``truths``: (dataset, seed) → ``{subject:
    truth}`` or one truth for every subject.
    """

    def __init__(
        self,
        units: pd.DataFrame,
        long: pd.DataFrame,
        per_subject: pd.DataFrame | None = None,
        estimates: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]] | None = None,
        truths: Mapping[tuple[str, int], Any] | None = None,
    ) -> None:
        self.units = _normalise_units(units)
        self.long = long
        self._per_subject = per_subject
        self._estimates = estimates or {}
        self._truths = truths or {}

    def per_subject(self, run_ids: Sequence[str]) -> pd.DataFrame:
        if self._per_subject is None or not len(run_ids):
            return pd.DataFrame(columns=["run_id", "subject", "status"])
        ps = self._per_subject
        return ps[ps["run_id"].isin(list(run_ids))].reset_index(drop=True)

    def estimates(self, run_id: str) -> dict[str, dict[str, np.ndarray]]:
        return {s: dict(v) for s, v in self._estimates.get(run_id, {}).items()}

    def truth(self, dataset: str, seed: int, subject: str) -> np.ndarray:
        t = self._truths.get((dataset, seed), self._truths.get((dataset, None)))  # type: ignore[call-overload]
        if t is None:
            raise BenchError(f"no truth for {dataset}")
        return np.asarray(t[subject] if isinstance(t, Mapping) else t)


class MlflowSource:
    """The result runs of one MLflow experiment; artifacts are downloaded on demand.

    ``units`` and ``long`` are read at construction: one search, then every chosen FINISHED
    run's ``per_subject_metrics.csv`` (downloaded in parallel into ``cache_dir``), from which
    ``long`` is made by :func:`bench.aggregate.subject_means`, exactly as ``bench run`` makes
    its tables. The metrics logged to MLflow are rounded for display and are used only for a
    run without that file (with a note in :attr:`messages`). :meth:`estimates` downloads
    ``estimates.npz``; :meth:`truth` loads datasets with :func:`bench.registry.load_dataset`
    (cached per dataset and seed).
    """

    def __init__(self, client: Any, experiment_id: str, cache_dir: str | os.PathLike[str]) -> None:
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        from bench.aggregate import subject_means
        from bench.tracking import run_metric_rows, run_order_key

        self.client = client
        self.experiment_id = experiment_id
        self.cache = Path(cache_dir)
        self.messages: list[str] = []
        self._ps: dict[str, pd.DataFrame | None] = {}
        runs = client.search_runs(
            [experiment_id], filter_string="tags.`bench.kind` = 'result'", max_results=50000
        )
        chosen: dict[tuple[str, str, str], Any] = {}
        failed: dict[tuple[str, str, str], Any] = {}
        for r in sorted(runs, key=run_order_key):
            t = r.data.tags
            key = (t.get("bench.method", ""), t.get("bench.dataset", ""), t.get("bench.seed", ""))
            if r.info.status == "FINISHED":
                chosen[key] = r
            elif r.info.status == "FAILED":
                failed[key] = r
        for key, r in failed.items():
            chosen.setdefault(key, r)
        unit_rows = []
        for (method, dataset, seed), r in chosen.items():
            t, logged = r.data.tags, r.data.metrics
            unit_rows.append(
                {
                    "method": method,
                    "dataset": dataset,
                    "seed": int(seed),
                    "run_id": r.info.run_id,
                    "run_status": r.info.status,
                    "oracle": t.get("bench.oracle", "false") == "true",
                    "reused": t.get("bench.reused_across_seeds", "false") == "true",
                    "n_subjects": logged.get("n_subjects", math.nan),
                    "n_failed": logged.get("n_failed", math.nan),
                    "missing": t.get("bench.missing_subjects", ""),
                    "seconds_per_fit": logged.get("seconds_per_fit", math.nan),
                    "n_empty": logged.get("n_empty_estimates", 0.0),
                    "label": t.get("bench.label") or method,
                }
            )
        self.units = _normalise_units(pd.DataFrame(unit_rows, columns=list(UNIT_COLUMNS)))
        finished = [(k, r) for k, r in chosen.items() if r.info.status == "FINISHED"]
        self._fetch([r.info.run_id for _, r in finished])
        frames, fallback = [], []
        for (method, dataset, seed), r in finished:
            ps = self._ps.get(r.info.run_id)
            if ps is None:
                fallback += run_metric_rows(method, dataset, int(seed), r.data.metrics)
                continue
            frames.append(ps.assign(method=method, dataset=dataset, seed=int(seed)))
        parts = [subject_means(pd.concat(frames, ignore_index=True))] if frames else []
        if fallback:
            n = len({(m, d, sd) for m, d, sd, _, _ in fallback})
            self.messages.append(
                f"{n} run(s) have no per_subject_metrics.csv: their cells use the metrics "
                "logged to MLflow, which are rounded to 4 significant digits"
            )
            parts.append(pd.DataFrame(fallback, columns=list(LONG_COLUMNS)))
        self.long = (
            pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LONG_COLUMNS)
        )
        self._truths: dict[tuple[str, int], Any] = {}

    def _download(self, run_id: str, name: str) -> Path | None:
        dest = self.cache / run_id
        path = dest / name
        if not path.is_file():
            dest.mkdir(parents=True, exist_ok=True)
            try:
                self.client.download_artifacts(run_id, name, str(dest))
            except Exception:  # no such artifact (e.g. a run whose every fit failed)
                return None
        return path if path.is_file() else None

    def _read(self, run_id: str) -> pd.DataFrame | None:
        path = self._download(run_id, "per_subject_metrics.csv")
        if path is None:
            return None
        return pd.read_csv(path, dtype={"subject": str, "status": str, "error": str})

    def _fetch(self, run_ids: Sequence[str]) -> None:
        """Read the ``per_subject_metrics.csv`` of ``run_ids`` not read yet (8 downloads at a
        time: a remote tracking server answers each in a round trip)."""
        todo = [r for r in dict.fromkeys(run_ids) if r not in self._ps]
        if not todo:
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(8, len(todo))) as pool:
            for rid, frame in zip(todo, pool.map(self._read, todo), strict=True):
                self._ps[rid] = frame

    def per_subject(self, run_ids: Sequence[str]) -> pd.DataFrame:
        self._fetch(run_ids)
        frames = []
        for rid in run_ids:
            df = self._ps.get(rid)
            if df is None:
                continue
            df = df.copy()
            df.insert(0, "run_id", rid)
            frames.append(df)
        if not frames:
            return pd.DataFrame(columns=["run_id", "subject", "status"])
        return pd.concat(frames, ignore_index=True)

    def estimates(self, run_id: str) -> dict[str, dict[str, np.ndarray]]:
        path = self._download(run_id, "estimates.npz")
        out: dict[str, dict[str, np.ndarray]] = {}
        if path is None:
            return out
        with np.load(path) as z:
            for key in z.files:
                subject, _, kind = key.rpartition("__")
                out.setdefault(subject, {})[kind] = z[key]
        return out

    def truth(self, dataset: str, seed: int, subject: str) -> np.ndarray:
        from bench.registry import _split_subjects, get_family, load_dataset

        dataset = _split_subjects(dataset)[0]  # "smith:3@1-10": the truth of smith:3
        family = get_family(dataset.partition(":")[0])
        key = (dataset, seed if family.seeded else -1)
        if key not in self._truths:
            try:
                self._truths[key] = load_dataset(dataset, seed=seed)
            except (BenchError, OSError, ValueError) as exc:
                self._truths[key] = exc
        ds = self._truths[key]
        if isinstance(ds, Exception):
            raise BenchError(f"truth of {dataset} cannot be loaded: {ds}")
        return ds.group_truth() if subject == "group" else ds.truth_for(subject)


def _first_label(rows: pd.DataFrame, method: str) -> str:
    """The label of a unit's fits (the per-subject ``label`` column), else the method name."""
    if "label" in rows.columns:
        labels = [str(v) for v in rows["label"] if isinstance(v, str) and v]
        if labels:
            return labels[0]
    return method


def _normalise_units(units: pd.DataFrame) -> pd.DataFrame:
    u = units.copy()
    for col in UNIT_COLUMNS:
        if col not in u.columns:
            u[col] = {"oracle": False, "reused": False, "missing": "", "n_empty": 0.0}.get(
                col, math.nan
            )
    u["label"] = [
        lab if isinstance(lab, str) and lab else str(m)
        for lab, m in zip(u["label"], u["method"], strict=True)
    ]
    u["seed"] = u["seed"].astype(int)
    u["oracle"] = u["oracle"].astype(bool)
    u["reused"] = u["reused"].astype(bool)
    u["missing"] = u["missing"].fillna("").astype(str)
    return u.loc[:, list(UNIT_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------- selection


def _tokens(spec: str | Iterable[str]) -> list[str]:
    items = [spec] if isinstance(spec, str) else list(spec)
    return [t.strip() for item in items for t in str(item).split(",") if t.strip()]


def _match(kind: str, spec: str | Iterable[str], known: Sequence[str]) -> list[str]:
    """Names of ``known`` matched by a comma list of names, globs, ``family`` (every
    ``family:*``) or ``family:a-b`` ranges; unknown tokens raise with close matches."""
    from bench.registry import did_you_mean

    chosen: list[str] = []
    family = ""
    for tok in _tokens(spec):
        if tok == "all":
            hits = list(known)
        else:
            if kind == "dataset" and ":" not in tok and family and tok not in known:
                # "smith:1,3": a bare token after family:x continues that family
                if not any(k.startswith(tok + ":") for k in known):
                    tok = f"{family}:{tok}"
            fam, sep, member = tok.partition(":")
            if kind == "dataset" and sep:
                family = fam
            rng = re.fullmatch(r"(\d+)-(\d+)", member) if sep else None
            if rng:
                lo, hi = int(rng.group(1)), int(rng.group(2))
                wanted = {f"{fam}:{k}" for k in range(lo, hi + 1)}
                hits = [k for k in known if k in wanted]
            elif kind == "dataset" and not sep and any(k.startswith(tok + ":") for k in known):
                hits = [k for k in known if k.startswith(tok + ":")]
            else:
                hits = [k for k in known if fnmatch.fnmatchcase(k, tok)]
            if not hits:
                err = did_you_mean(f"tracked {kind}", tok, known)
                raise BenchError(str(err))
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def select_units(
    units: pd.DataFrame,
    *,
    methods: str | Iterable[str] | None = None,
    datasets: str | Iterable[str] | None = None,
    seeds: Iterable[int] | None = None,
) -> pd.DataFrame:
    """The units whose method, dataset and seed are selected (``None`` selects all).

    Methods and datasets accept what ``bench run`` accepts (comma lists, globs, ``smith``,
    ``smith:1-4``, ``smith:1,3``), matched against the tracked names; an unknown name is an
    error listing close matches. Rows keep the methods' order of the selection.
    """
    u = units
    if methods is not None:
        names = _match("method", methods, list(dict.fromkeys(u["method"])))
        u = u[u["method"].isin(names)]
        order = {m: k for k, m in enumerate(names)}
        u = u.iloc[np.argsort([order[m] for m in u["method"]], kind="stable")]
    if datasets is not None:
        known = sorted(dict.fromkeys(u["dataset"]), key=natural_key)
        u = u[u["dataset"].isin(_match("dataset", datasets, known))]
    if seeds is not None:
        wanted = [int(s) for s in seeds]
        absent = sorted(set(wanted) - set(u["seed"]))
        if absent:
            have = ", ".join(map(str, sorted(set(u["seed"])))) or "none"
            raise BenchError(f"no tracked runs for seed(s) {absent}; tracked seeds: {have}")
        u = u[u["seed"].isin(wanted)]
    if u.empty:
        raise BenchError("the selection matches no tracked run")
    return u.reset_index(drop=True)


def split_subject_filter(
    spec: str | Iterable[str], known: Iterable[str] = ()
) -> tuple[list[str], dict[str, str]]:
    """Split a ``--datasets`` filter into dataset tokens and subject specs (``bench run``'s
    grammar: ``smith:3@1-10``, ``smith:1-4@1``, ``smith:3@1,4,7``).

    Returns ``(tokens, specs)``: the dataset tokens without their ``@`` parts, and for each
    token group that had one, ``{token: subject spec}`` (a group is a ``family:...`` token and
    the bare tokens after it). A token that is a tracked dataset label as it stands (a run of
    ``smith:3@1-10`` is tracked under that name) is kept whole.
    """
    from bench.registry import _SUBJECT_TOKEN, _split_subjects

    labels = set(known)

    tokens: list[str] = []
    specs: dict[str, str] = {}
    group: list[str] = []
    in_subjects = False
    for raw in _tokens(spec):
        if in_subjects and ":" not in raw and _SUBJECT_TOKEN.match(raw):
            for tok in group:
                specs[tok] += f",{raw}"
            continue
        tok, subjects = (raw, None) if raw in labels else _split_subjects(raw)
        if ":" in tok or not group:
            group = []
        group.append(tok)
        tokens.append(tok)
        in_subjects = subjects is not None
        if in_subjects:
            for t in group:
                specs[t] = subjects  # type: ignore[assignment]
    return tokens, specs


class SubjectSubset:
    """A report source restricted to some subjects of some datasets, the units re-aggregated.

    For each selected unit of a dataset with a subject spec, the per-subject rows of the chosen
    subjects are kept and the unit's means are recomputed from them with
    :func:`bench.aggregate.subject_means` (the one aggregation); the unit's dataset label
    becomes ``<dataset>@<subjects>``, as ``bench run --datasets <dataset>@<subjects>`` labels
    it. Group-level units (one estimate from every subject) cannot be restricted afterwards.
    """

    def __init__(self, source: Any, units: pd.DataFrame, specs: Mapping[str, str]) -> None:
        from bench.aggregate import subject_means
        from bench.registry import natural_key as nk
        from bench.registry import select_subjects, subject_label

        self._source = source
        self._rows: dict[str, pd.DataFrame] = {}
        new_units, long_parts = [], []
        restricted = set()
        for u in units.to_dict("records"):
            spec = specs.get(u["dataset"])
            if spec is None:
                new_units.append(u)
                continue
            ps = source.per_subject([u["run_id"]])
            if (ps["subject"].astype(str) == "group").any():
                raise BenchError(
                    f"{u['method']} on {u['dataset']} is group-level (one estimate from every "
                    "subject): a subject selection needs a new run, e.g. bench run --datasets "
                    f"{u['dataset']}@{spec}"
                )
            missing = dict(
                part.split(": ", 1) for part in str(u["missing"]).split("; ") if ": " in part
            )
            everyone = sorted({*ps["subject"].astype(str), *missing}, key=nk)
            chosen = select_subjects(u["dataset"], spec, everyone)
            label = f"{u['dataset']}@{subject_label(chosen, everyone)}"
            rows = ps[ps["subject"].astype(str).isin(chosen)].reset_index(drop=True)
            self._rows[u["run_id"]] = rows
            ok = rows["status"].astype(str) == "ok"
            keep_missing = {k: v for k, v in missing.items() if k in chosen}
            u = {
                **u,
                "dataset": label,
                "n_subjects": float(len(rows)),
                "n_failed": float((~ok).sum()),
                "run_status": "FINISHED" if ok.any() else "FAILED",
                "missing": "; ".join(f"{k}: {v}" for k, v in keep_missing.items()),
                "n_empty": float(n_empty_estimates(rows[ok])),
            }
            frame = rows.drop(columns=["run_id"], errors="ignore").assign(
                method=u["method"], dataset=label, seed=int(u["seed"])
            )
            means = subject_means(frame)
            spf = means.loc[means["metric"] == "seconds_per_fit", "value"]
            u["seconds_per_fit"] = float(spf.iloc[0]) if len(spf) else math.nan
            new_units.append(u)
            restricted.add((u["method"], label, int(u["seed"])))
            long_parts.append(means)
        self.units = _normalise_units(pd.DataFrame(new_units, columns=list(UNIT_COLUMNS)))
        kept = [
            (m, d, int(sd)) not in restricted and d not in specs
            for m, d, sd in zip(
                source.long["method"], source.long["dataset"], source.long["seed"], strict=True
            )
        ]
        self.long = pd.concat([source.long[kept], *long_parts], ignore_index=True)

    def per_subject(self, run_ids: Sequence[str]) -> pd.DataFrame:
        plain = [r for r in run_ids if r not in self._rows]
        frames = [self._source.per_subject(plain)] if plain else []
        frames += [self._rows[r] for r in run_ids if r in self._rows]
        if not frames:
            return pd.DataFrame(columns=["run_id", "subject", "status"])
        return pd.concat(frames, ignore_index=True)

    def estimates(self, run_id: str) -> dict[str, dict[str, np.ndarray]]:
        est = self._source.estimates(run_id)
        if run_id in self._rows:
            keep = set(self._rows[run_id]["subject"].astype(str))
            est = {s: v for s, v in est.items() if s in keep}
        return est

    def truth(self, dataset: str, seed: int, subject: str) -> np.ndarray:
        return self._source.truth(dataset, seed, subject)


# --------------------------------------------------------------------------- footnotes


def _n_missing(text: str) -> int:
    """Number of subjects in a ``bench.missing_subjects`` tag (``"sid: why; sid: why"``)."""
    return len(re.findall(r"(?:^|; )[^;:]+: ", text)) if text else 0


def cell_notes(
    units: pd.DataFrame,
    per_subject: pd.DataFrame,
    *,
    methods: Sequence[str] | None = None,
    datasets: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
) -> dict[tuple[str, str], str]:
    """Reasons for missing or partial cells, per (method, dataset); see the module docstring.

    ``per_subject`` needs rows (``run_id, subject, status``) for the units with failures;
    a unit that reports failures (``n_failed > 0`` or a FAILED run) without per-subject rows
    gets ``k of n fits did not succeed``. Seeds planned = ``seeds`` or every seed of ``units``.
    """
    return cell_status(units, per_subject, methods=methods, datasets=datasets, seeds=seeds)[0]


def cell_status(
    units: pd.DataFrame,
    per_subject: pd.DataFrame,
    *,
    methods: Sequence[str] | None = None,
    datasets: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
) -> tuple[dict[tuple[str, str], str], set[tuple[str, str]]]:
    """:func:`cell_notes` and the **incomplete** pairs: those whose mean is over only some of
    the planned fits (some failed, timed out or crashed). Their cells keep their value and note
    (which says ``not ranked``) but are never marked best or second."""
    methods = list(methods) if methods is not None else list(dict.fromkeys(units["method"]))
    datasets = (
        list(datasets)
        if datasets is not None
        else sorted(dict.fromkeys(units["dataset"]), key=natural_key)
    )
    planned = sorted(set(seeds) if seeds is not None else set(units["seed"]))
    by_run = {rid: g for rid, g in per_subject.groupby("run_id")} if len(per_subject) else {}
    notes: dict[tuple[str, str], str] = {}
    incomplete: set[tuple[str, str]] = set()
    for m in methods:
        for d in datasets:
            us = units[(units["method"] == m) & (units["dataset"] == d)].sort_values("seed")
            if us.empty:
                notes[m, d] = "no tracked run"
                continue
            parts: list[str] = []
            absent = [s for s in planned if s not in set(us["seed"])]
            if absent:
                which = ", ".join(map(str, absent))
                parts.append(f"no tracked run for seed{'s' if len(absent) > 1 else ''} {which}")
            # a deterministic method's fits serve every seed: count them once
            group = us.iloc[:1] if bool(us["reused"].all()) else us
            counts: Counter[str] = Counter()
            total, unexplained = 0, 0
            for u in group.itertuples(index=False):
                rows = by_run.get(u.run_id)
                n_sub = 0 if pd.isna(u.n_subjects) else int(u.n_subjects)
                n_bad = 0 if pd.isna(u.n_failed) else int(u.n_failed)
                if u.run_status != "FINISHED" and n_bad == 0:
                    n_bad = n_sub
                if rows is not None and len(rows):
                    total += len(rows)
                    counts.update(s for s in rows["status"].astype(str) if s != "ok")
                else:
                    total += n_sub
                    unexplained += n_bad
            for status, n in sorted(counts.items()):
                parts.append(f"{status}: {n} of {total} fits")
            if unexplained:
                parts.append(f"{unexplained} of {total} fits did not succeed")
            n_ok = total - sum(counts.values()) - unexplained
            if n_ok < total and n_ok > 0:
                parts.append(f"mean over the other {n_ok}, not ranked")
                incomplete.add((m, d))
            n_miss = max((_n_missing(x) for x in group["missing"]), default=0)
            if n_miss:
                parts.append(f"no data for {n_miss} subject{'s' if n_miss > 1 else ''}")
            if parts:
                notes[m, d] = "; ".join(parts)
    return notes, incomplete


def run_source(
    per_subject: pd.DataFrame, long: pd.DataFrame, oracle_methods: Iterable[str] = ()
) -> tuple[FrameSource, pd.DataFrame]:
    """A :class:`FrameSource` and its units from the per-subject frame of a ``bench run``.

    That frame (:class:`bench.runner.RunResult`) has one row per (method, dataset, seed,
    subject) with ``status`` (``missing`` for subjects whose data could not be loaded, with the
    reason in ``error``) and ``reused_across_seeds``. ``bench run`` writes its tables through
    :func:`build_report` with this source, so they equal what ``bench report`` later rebuilds
    from MLflow, footnotes and oracle separation included.
    """
    oracle = frozenset(oracle_methods)
    sp = long[long["metric"] == "seconds_per_fit"] if len(long) else long
    spf = {  # the run time made by the one aggregation (bench.aggregate.subject_means)
        (m, d, int(sd)): float(v)
        for m, d, sd, v in zip(
            sp.get("method", []),
            sp.get("dataset", []),
            sp.get("seed", []),
            sp.get("value", []),
            strict=True,
        )
    }
    ps = per_subject.copy()
    ps["run_id"] = ps["method"] + "|" + ps["dataset"] + "|" + ps["seed"].astype(str)
    reused = ps.get("reused_across_seeds", pd.Series(False, index=ps.index))
    ps["reused"] = reused.fillna(False).astype(bool)
    units = []
    for (m, d, seed), g in ps.groupby(["method", "dataset", "seed"], sort=False):
        fits = g[g["status"] != "missing"]
        miss = g[g["status"] == "missing"]
        ok = fits[fits["status"] == "ok"]
        units.append(
            {
                "method": m,
                "dataset": d,
                "seed": int(seed),
                "run_id": g["run_id"].iloc[0],
                "run_status": "FINISHED" if len(ok) else "FAILED",
                "oracle": m in oracle,
                "reused": bool(fits["reused"].all()) if len(fits) else False,
                "n_subjects": float(len(fits)),
                "n_failed": float(len(fits) - len(ok)),
                "missing": "; ".join(f"{r.subject}: {r.error}" for r in miss.itertuples()),
                "seconds_per_fit": spf.get((m, d, int(seed)), math.nan),
                "n_empty": float(n_empty_estimates(ok)),
                "label": _first_label(fits, m),
            }
        )
    u = _normalise_units(pd.DataFrame(units, columns=list(UNIT_COLUMNS)))
    fits = ps[ps["status"] != "missing"].reset_index(drop=True)
    return FrameSource(u, long, per_subject=fits), u


def run_notes(per_subject: pd.DataFrame) -> dict[tuple[str, str], str]:
    """:func:`cell_notes` from the per-subject frame of a ``bench run`` (see :func:`run_source`)."""
    if per_subject.empty:
        return {}
    source, units = run_source(per_subject, pd.DataFrame())
    return cell_notes(units, source.per_subject(list(units["run_id"])))


# --------------------------------------------------------------------------- report


@dataclass
class ReportOptions:
    """What ``bench report`` makes; see :func:`build_report`."""

    metrics: list[str]
    layout: str = "auto"
    formats: Sequence[str] = FORMATS
    stats: bool = False
    figures: bool = False
    figure_subject: str | None = None
    precision: int = 3
    alpha: float = 0.05
    title: str = "bench"
    spread: str = "subjects"  # what ± means: subjects (SD), ci95, seeds (see tables.SPREADS)
    tex_fit: str = "auto"  # how a wide LaTeX table fits (tables.LATEX_FITS)
    tex_width: float = TEXT_WIDTH_PT  # the width it must fit, in pt
    tex_float: str = "table"  # or "table*"


@dataclass
class FigureFile:
    """A figure written as PNG and PDF; ``run_id`` is the MLflow run it belongs to (``None``:
    the experiment's report run)."""

    name: str
    caption: str
    paths: list[Path]
    run_id: str | None
    section: str

    @property
    def png(self) -> Path:
        return self.paths[0]


@dataclass
class ReportOutput:
    files: list[Path] = field(default_factory=list)
    figures: list[FigureFile] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)  # Markdown tables worth printing
    printed_tables: list[Table] = field(default_factory=list)  # the same, for the terminal


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", str(text)).strip("_")


@dataclass
class _Protocol:
    name: str  # "honest" or "oracle"
    folder: str  # "" or "oracle"
    summary: pd.DataFrame
    metrics: list[str]
    tables: list[tuple[str, Table]] = field(default_factory=list)  # (file stem, table)


ORACLE_BEST = "oracle_best_"
BEST_EPOCH = " (oracle best epoch)"


def _split_protocols(
    frame: pd.DataFrame, oracle_methods: frozenset[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame`` (with ``method`` and ``metric`` columns) split into honest and oracle rows, the
    ``oracle_best_<m>`` rows of a method renamed to metric ``<m>`` of ``method (oracle best
    epoch)`` (see :func:`_protocols`)."""
    from bench.metrics import METRICS

    o_method = frame["method"].isin(oracle_methods)
    o_metric = frame["metric"].map(is_oracle_metric).astype(bool)
    honest, oracle = frame[~o_method & ~o_metric], frame[o_method | o_metric].copy()
    best = oracle["metric"].str.startswith(ORACLE_BEST) & oracle["metric"].str.slice(
        len(ORACLE_BEST)
    ).isin(list(METRICS))
    oracle.loc[best, "method"] = oracle.loc[best, "method"] + BEST_EPOCH
    oracle.loc[best, "metric"] = oracle.loc[best, "metric"].str.slice(len(ORACLE_BEST))
    return honest, oracle


def _with_spread(summary: pd.DataFrame, values: pd.DataFrame | None) -> pd.DataFrame:
    """``summary`` with the spread over subjects (:func:`bench.aggregate.subject_spread`)."""
    from bench.aggregate import SPREAD_COLUMNS, subject_spread

    if values is None:
        return summary
    spread = subject_spread(values) if len(values) else pd.DataFrame(columns=SPREAD_COLUMNS)
    out = summary.merge(spread, on=["method", "dataset", "metric"], how="left")
    return out.astype({"n_subjects": "Int64"})


def _protocols(
    long: pd.DataFrame,
    metrics: Sequence[str],
    oracle_methods: frozenset[str],
    values: pd.DataFrame | None = None,
) -> list[_Protocol]:
    """Split ``long`` into the honest protocol and the oracle protocol.

    Oracle rows: every row of an oracle method, and every ``oracle_*`` metric of any method.
    An ``oracle_best_<m>`` value of method ``X`` becomes metric ``<m>`` of the row
    ``X (oracle best epoch)``, so that the oracle tables have the same columns as the honest
    ones. Other ``oracle_*`` metrics keep their names. ``values`` (each subject's mean over the
    seeds, :func:`bench.aggregate.seed_means_long`) are split the same way and give each
    summary its spread over subjects.
    """
    honest, oracle = _split_protocols(long, oracle_methods)
    h_values = o_values = None
    if values is not None:
        h_values, o_values = _split_protocols(values, oracle_methods)
    out = []
    h_metrics = [m for m in metrics if not is_oracle_metric(m) and m in set(honest["metric"])]
    if not honest.empty and h_metrics:
        out.append(_Protocol("honest", "", _with_spread(summarize(honest), h_values), h_metrics))
    wanted = [m[len(ORACLE_BEST) :] if m.startswith(ORACLE_BEST) else m for m in metrics]
    o_metrics = list(dict.fromkeys(m for m in wanted if m in set(oracle["metric"])))
    if not oracle.empty and o_metrics:
        summary = _with_spread(summarize(oracle), o_values)
        out.append(_Protocol("oracle", "oracle", summary, o_metrics))
    return out


EMPTY_METRICS = frozenset({"precision", "f1", "skeleton_precision", "skeleton_f1"})


def n_empty_estimates(ok: pd.DataFrame) -> int:
    """Fits in ``ok`` (per-subject rows) that decided no edge where the truth has some."""
    if ok.empty or "n_pred" not in ok or "n_true" not in ok:
        return 0
    pred = pd.to_numeric(ok["n_pred"], errors="coerce")
    true = pd.to_numeric(ok["n_true"], errors="coerce")
    return int(((pred == 0) & (true > 0)).sum())


def empty_notes(units: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Footnotes for cells whose mean includes empty estimates (precision 0 by convention).

    Per (method, dataset), over the selected seeds (a deterministic method's fits counted
    once): ``"k of n fits decided no edge: their precision counts as 0"``.
    """
    out: dict[tuple[str, str], str] = {}
    for (m, d), g in units.groupby(["method", "dataset"], sort=False):
        group = g.iloc[:1] if bool(g["reused"].all()) else g
        k = int(pd.to_numeric(group["n_empty"], errors="coerce").fillna(0).sum())
        n = int(pd.to_numeric(group["n_subjects"], errors="coerce").fillna(0).sum())
        if k:
            out[m, d] = (
                f"{k} of {n} fits decided no edge: their precision counts as 0 by convention"
            )
    return out


UNDIRECTED_NOTE = (
    "undirected output: every connection is decided in both directions, so a true i → j also "
    "counts its reverse as a false positive; the method does not orient edges"
)


def undirected_notes(units: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Footnotes for the cells of methods registered with ``orients=False`` (their estimate is
    symmetric by construction, e.g. correlation): every table says so, so that a precision or
    F1 of such a method is never read as a directed result. Methods not in the registry (a
    tracked run of a plug-in that is not installed) get no note."""
    from bench import registry

    registry._load_plugins()
    out: dict[tuple[str, str], str] = {}
    for m, d in units[["method", "dataset"]].drop_duplicates().itertuples(index=False):
        info = registry.METHODS.get(m)
        if info is not None and not info.orients:
            out[m, d] = UNDIRECTED_NOTE
    return out


def method_labels(units: pd.DataFrame) -> dict[str, str]:
    """Method name → the label its rows, columns and legends show, where it differs from the
    name: the units' ``label`` (what the fit recorded, e.g. ``BrainEC-LLM (SmolLM2-135M ×4,
    8 ep.)``, so that a CPU configuration is never read as the paper's); several distinct labels
    of one method (e.g. per network size) are joined with `` / ``."""
    out: dict[str, str] = {}
    for m, g in units.groupby("method", sort=False):
        text = " / ".join(dict.fromkeys(str(v) for v in g["label"] if isinstance(v, str) and v))
        if text and text != m:
            out[str(m)] = text
    return out


def relabel_table(t: Table, labels: Mapping[str, str]) -> Table:
    """``t`` with method names (rows, or columns of a transposed table; a `` (oracle best
    epoch)`` suffix kept) replaced by their labels."""
    if not labels:
        return t

    def lab(x: str) -> str:
        base = x.removesuffix(BEST_EPOCH)
        return labels[base] + x[len(base) :] if base in labels else x

    return replace(t, rows=[lab(r) for r in t.rows], cols=[lab(c) for c in t.cols])


def _merge_notes(
    notes: Mapping[tuple[str, str], str], extra: Mapping[tuple[str, str], str]
) -> dict[tuple[str, str], str]:
    out = dict(notes)
    for key, text in extra.items():
        out[key] = f"{out[key]}; {text}" if key in out else text
    return out


def _tables_for(
    p: _Protocol,
    layout: str,
    notes: Mapping[tuple[str, str], str],
    precision: int,
    empty: Mapping[tuple[str, str], str] | None = None,
    spread: str = "seeds",
    unranked: Iterable[tuple[str, str]] = (),
) -> list[tuple[str, Table]]:
    """The tables of one protocol; ``empty`` notes go only to tables of precision-type metrics."""
    oracle = p.name == "oracle"
    empty = empty or {}

    def notes_for(metrics: Iterable[str]) -> Mapping[tuple[str, str], str]:
        return _merge_notes(notes, empty) if EMPTY_METRICS & set(metrics) else notes

    kw: dict[str, Any] = {
        "precision": precision,
        "mark_best": not oracle,
        "caption_prefix": ORACLE_CAPTION if oracle else "",
        "label_prefix": "oracle-" if oracle else "",
        "spread": spread,
        "unranked": frozenset(unranked),
    }
    if not p.metrics:
        return []
    if layout in ("auto", "methods", "datasets"):
        return [
            (m, build_table(p.summary, layout=layout, metric=m, notes=notes_for([m]), **kw))  # type: ignore[arg-type]
            for m in p.metrics
        ]
    many = notes_for(p.metrics)
    if layout == "metrics":
        datasets = sorted(dict.fromkeys(p.summary["dataset"]), key=natural_key)
        return [
            (
                f"metrics_{_slug(d)}",
                build_table(
                    p.summary, layout="metrics", metrics=p.metrics, dataset=d, notes=many, **kw
                ),
            )
            for d in datasets
        ]
    return [
        ("grouped", build_table(p.summary, layout="grouped", metrics=p.metrics, notes=many, **kw))
    ]


def build_report(
    source: FrameSource | MlflowSource,
    units: pd.DataFrame,
    options: ReportOptions,
    out: str | os.PathLike[str],
    *,
    oracle_methods: Iterable[str] = (),
) -> ReportOutput:
    """Write the tables (and with ``options.stats`` / ``options.figures`` the statistics and
    figures) of the selected ``units`` under ``out``; returns what was written.

    Layout of ``out``: ``<metric>.md|.tex`` (layouts auto/methods/datasets),
    ``metrics_<dataset>.md|.tex`` (metrics), ``grouped.md|.tex`` (grouped); ``summary.csv``;
    ``oracle/`` the same for the oracle protocol; ``stats/`` Wilcoxon and Friedman tables
    (``.md``, ``.tex``, ``.csv``); ``figures/`` PNG + PDF; ``index.html`` everything on one page.
    Tables are rendered before any file is written.
    """
    if options.layout not in LAYOUTS:
        raise BenchError(f"--layout: expected one of {', '.join(LAYOUTS)}; got {options.layout!r}")
    bad = [f for f in options.formats if f not in FORMATS]
    if bad:
        raise BenchError(f"--format: unknown {', '.join(bad)}; known: {', '.join(FORMATS)}")
    if options.spread not in SPREADS:
        raise BenchError(f"--spread: expected one of {', '.join(SPREADS)}; got {options.spread!r}")
    if options.tex_fit not in LATEX_FITS:
        raise BenchError(
            f"--tex-fit: expected one of {', '.join(LATEX_FITS)}; got {options.tex_fit!r}"
        )
    if options.tex_float not in ("table", "table*"):
        raise BenchError(f"--tex-float: expected table or table*; got {options.tex_float!r}")
    if not options.tex_width > 0:
        raise BenchError(f"--tex-width: expected a width in pt > 0; got {options.tex_width!r}")
    for m in options.metrics:
        metric_info(m)  # unknown names fail here, with close matches
    out = Path(out)
    result = ReportOutput()
    keys = set(zip(units["method"], units["dataset"], units["seed"], strict=True))
    long = source.long
    long = long[
        [k in keys for k in zip(long["method"], long["dataset"], long["seed"], strict=True)]
    ]
    oracle = frozenset(oracle_methods) | frozenset(units.loc[units["oracle"], "method"])
    methods = list(dict.fromkeys(units["method"]))
    datasets = sorted(dict.fromkeys(units["dataset"]), key=natural_key)
    seeds = sorted(set(units["seed"]))

    need_all = options.stats or options.figures or options.spread != "seeds"
    troubled = units[(units["run_status"] != "FINISHED") | ~(units["n_failed"].fillna(1) == 0)]
    per_subject = source.per_subject(list((units if need_all else troubled)["run_id"]))
    notes, incomplete = cell_status(
        units, per_subject, methods=methods, datasets=datasets, seeds=seeds
    )
    empty = empty_notes(units)
    labels = method_labels(units)
    status = dict(notes)  # why cells are missing or incomplete
    notes = _merge_notes(notes, undirected_notes(units))
    values = _seed_means(per_subject, units) if options.spread != "seeds" else None

    def latex(t: Table) -> str:
        return table_latex(
            t, fit=options.tex_fit, width_pt=options.tex_width, float_env=options.tex_float
        )

    texts: dict[str, str | bytes] = {}
    protocols = _protocols(long, options.metrics, oracle, values) if len(long) else []
    for p in protocols:
        # footnotes only for the pairs of this protocol
        p_notes = {}
        for row in dict.fromkeys(p.summary["method"]):
            base = row.removesuffix(BEST_EPOCH)
            p_notes.update({(row, d): v for (m, d), v in notes.items() if m == base})
        p_empty = {}
        for row in dict.fromkeys(p.summary["method"]):
            base = row.removesuffix(BEST_EPOCH)
            p_empty.update({(row, d): v for (m, d), v in empty.items() if m == base})
        p_unranked = {
            (row, d)
            for row in dict.fromkeys(p.summary["method"])
            for (m, d) in incomplete
            if m == row.removesuffix(BEST_EPOCH)
        }
        p.tables = [
            (stem, relabel_table(t, labels))
            for stem, t in _tables_for(
                p, options.layout, p_notes, options.precision, p_empty, options.spread, p_unranked
            )
        ]
        prefix = f"{p.folder}/" if p.folder else ""
        for stem, t in p.tables:
            if "md" in options.formats:
                texts[f"{prefix}{stem}.md"] = table_markdown(t)
            if "tex" in options.formats:
                texts[f"{prefix}{stem}.tex"] = latex(t)
        if "csv" in options.formats:
            texts[f"{prefix}summary.csv"] = render_csv(p.summary)
    honest = next((p for p in protocols if p.name == "honest"), None)
    if not protocols:
        why = "; ".join(f"{m} on {d}: {v}" for (m, d), v in status.items())
        raise BenchError(f"the selection has no successful fit to tabulate ({why[:500]})")

    # printed tables: F1 and SHD (per-metric layouts) or the whole tables
    if honest is not None:
        for stem, t in honest.tables:
            if options.layout in ("grouped", "metrics") or stem in ("f1", "shd"):
                result.printed.append(table_markdown(t))
                result.printed_tables.append(t)

    stat_tables: list[tuple[str, Table]] = []
    cd_figs: list[tuple[str, st.FriedmanResult]] = []
    if options.stats and honest is not None:
        stat_tables, cd_figs, stat_texts = _statistics(
            honest, per_subject, units, options, result.messages, latex, labels
        )
        texts.update(stat_texts)

    for name, data in texts.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
        result.files.append(path)

    for metric, fr in cd_figs:
        fig = figs.cd_diagram(
            {labels.get(m, m): v for m, v in fr.avg_ranks.to_dict().items()},
            fr.cd,
            title=f"{metric_info(metric).label}: average ranks over {fr.n} datasets "
            f"(Nemenyi CD, α = {fr.alpha:g})",
        )
        paths = figs.save_figure(fig, out / "figures" / f"cd_{_slug(metric)}")
        result.figures.append(
            FigureFile(f"cd_{metric}", f"Critical difference, {metric}", paths, None, "stats")
        )

    if options.figures:
        _figures(source, units, honest, per_subject, options, out, result, labels)

    if "html" in options.formats:
        about = (
            f"{len(methods)} method(s): {', '.join(labels.get(m, m) for m in methods)}; "
            f"{len(datasets)} dataset(s): "
            f"{', '.join(datasets)}; seed(s) {', '.join(map(str, seeds))}."
        )
        page = _html(options.title, about, protocols, stat_tables, result.figures)
        path = out / "index.html"
        write_atomic(path, page)
        result.files.append(path)
    return result


# --------------------------------------------------------------------------- statistics


def _seed_means(per_subject: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Each subject's mean over the seeds of every metric (:func:`seed_means_long`), the
    per-subject rows matched to their units by run id."""
    from bench.aggregate import seed_means_long

    if per_subject.empty or "run_id" not in per_subject.columns:
        return pd.DataFrame(columns=["method", "dataset", "subject", "metric", "value"])
    ps = per_subject.drop(columns=["method", "dataset", "reused"], errors="ignore")
    ps = ps.merge(units[["run_id", "method", "dataset"]], on="run_id")
    return seed_means_long(ps)


def _subject_values(per_subject: pd.DataFrame, units: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``method, dataset, subject, value``: mean over seeds of each subject's ok values."""
    from bench.aggregate import seed_means_per_subject

    if metric not in per_subject.columns or per_subject.empty:
        return pd.DataFrame(columns=["method", "dataset", "subject", "value"])
    ps = per_subject.drop(columns=["method", "dataset"], errors="ignore")
    ps = ps.merge(units[["run_id", "method", "dataset"]], on="run_id")
    return seed_means_per_subject(ps, metric)


def _best(summary: pd.DataFrame, metric: str, dataset: str, precision: int) -> str | None:
    info = metric_info(metric)
    s = summary[(summary["metric"] == metric) & (summary["dataset"] == dataset)]
    s = s[s["applicable"]]
    if s.empty:
        return None
    decimals = 1 if info.integer else precision
    vals = s["mean"].round(decimals)
    top = vals.max() if info.higher_is_better else vals.min()
    return str(s.loc[vals == top, "method"].iloc[0])


def _statistics(
    honest: _Protocol,
    per_subject: pd.DataFrame,
    units: pd.DataFrame,
    options: ReportOptions,
    messages: list[str],
    latex: Callable[[Table], str] = table_latex,
    labels: Mapping[str, str] | None = None,
) -> tuple[list[tuple[str, Table]], list[tuple[str, st.FriedmanResult]], dict[str, str]]:
    summary = honest.summary
    methods = list(dict.fromkeys(summary["method"]))
    datasets = sorted(dict.fromkeys(summary["dataset"]), key=natural_key)
    tables: list[tuple[str, Table]] = []
    cds: list[tuple[str, st.FriedmanResult]] = []
    w_rows, f_rows = [], []
    a = options.alpha
    for metric in honest.metrics:
        info = metric_info(metric)
        if not info.ranked:
            continue
        values = _subject_values(per_subject, units[units["method"].isin(methods)], metric)
        cells = {m: {d: MISSING for d in datasets} for m in methods}
        for d in datasets:
            best = _best(summary, metric, d, options.precision)
            if best is None:
                continue
            wide = values[values["dataset"] == d].pivot(
                index="subject", columns="method", values="value"
            )
            if best not in wide.columns:
                continue
            cells[best][d] = "best"
            res = st.wilcoxon_vs_best(wide, best, alpha=a)
            for r in res.itertuples(index=False):
                star = " *" if r.significant else ""
                cells[r.method][d] = (
                    f"{st.format_p(r.p_holm)}{star}" if r.n_pairs else "no paired subjects"
                )
                w_rows.append({"metric": metric, "dataset": d, **r._asdict()})
        tables.append(
            (
                f"wilcoxon_{metric}",
                _plain_table(
                    "Method",
                    methods,
                    datasets,
                    [[cells[m][d] for d in datasets] for m in methods],
                    f"{info.label}: Wilcoxon signed-rank test of each method against the best "
                    "method of each dataset (by the table's mean), paired over subjects (each "
                    "subject's mean over seeds), two-sided; Holm-adjusted p-values over the "
                    f"methods of each dataset; * p < {a:g}.",
                    f"tab:wilcoxon-{_slug(metric)}",
                ),
            )
        )
        wide_means = (
            summary[(summary["metric"] == metric) & summary["applicable"]]
            .pivot(index="dataset", columns="method", values="mean")
            .reindex(index=datasets, columns=methods)
        )
        fr = st.friedman(wide_means, higher_is_better=info.higher_is_better, metric=metric, alpha=a)
        if fr.dropped_methods:
            messages.append(
                f"Friedman ({metric}): left out {', '.join(fr.dropped_methods)} (no values)"
            )
        if fr.dropped:
            messages.append(
                f"Friedman ({metric}): left out "
                + "; ".join(f"{d} ({why})" for d, why in fr.dropped.items())
            )
        order = list(fr.avg_ranks.index)
        rank_cells = [
            [f"{fr.ranks.loc[d, m]:.1f}" for d in fr.datasets] + [f"{fr.avg_ranks[m]:.2f}"]
            for m in order
        ]
        if fr.k >= 3 and fr.n >= 2:
            test = (
                f"Friedman χ² = {fr.chi2:.2f} (df {fr.k - 1}), {st.p_text(fr.p)}; "
                f"Iman–Davenport F = {fr.ff:.2f}, {st.p_text(fr.p_ff)}; "
                f"Nemenyi CD = {fr.cd:.2f} (α = {a:g})"
            )
        else:
            test = "no Friedman test (needs ≥ 3 methods and ≥ 2 datasets)"
        tables.append(
            (
                f"friedman_{metric}",
                _plain_table(
                    "Method",
                    order,
                    [*fr.datasets, "avg. rank"],
                    rank_cells,
                    f"{info.label}: ranks per dataset (1 = best) and average ranks over "
                    f"{fr.n} datasets; {test}.",
                    f"tab:friedman-{_slug(metric)}",
                ),
            )
        )
        f_rows.append(
            {
                "metric": metric,
                "k": fr.k,
                "n_datasets": fr.n,
                "chi2": fr.chi2,
                "p": fr.p,
                "iman_davenport_f": fr.ff,
                "p_f": fr.p_ff,
                "cd": fr.cd,
                "alpha": a,
                **{f"avg_rank.{m}": fr.avg_ranks[m] for m in order},
            }
        )
        if fr.k >= 2 and fr.n >= 1:
            cds.append((metric, fr))
    tables = [(stem, relabel_table(t, labels or {})) for stem, t in tables]
    texts: dict[str, str] = {}
    for stem, t in tables:
        if "md" in options.formats:
            texts[f"stats/{stem}.md"] = table_markdown(t)
        if "tex" in options.formats:
            texts[f"stats/{stem}.tex"] = latex(t)
    if "csv" in options.formats:
        texts["stats/wilcoxon.csv"] = pd.DataFrame(w_rows).to_csv(
            index=False, lineterminator="\n", float_format="%.10g"
        )
        texts["stats/friedman.csv"] = pd.DataFrame(f_rows).to_csv(
            index=False, lineterminator="\n", float_format="%.10g"
        )
    return tables, cds, texts


def _plain_table(
    corner: str,
    rows: list[str],
    cols: list[str],
    cells: list[list[str]],
    caption: str,
    label: str,
) -> Table:
    return Table(
        corner=corner,
        rows=rows,
        cols=cols,
        row_oracle=[False] * len(rows),
        col_oracle=[False] * len(cols),
        cells=cells,
        rank=[[0] * len(cols) for _ in rows],
        marks=[[""] * len(cols) for _ in rows],
        notes=[],
        caption=caption,
        label=label,
        oracles=[],
        col_groups=[],
    )


# --------------------------------------------------------------------------- figures


def _offdiag(a: np.ndarray) -> np.ndarray:
    return a[~np.eye(a.shape[0], dtype=bool)]


def _figures(
    source: FrameSource | MlflowSource,
    units: pd.DataFrame,
    honest: _Protocol | None,
    per_subject: pd.DataFrame,
    options: ReportOptions,
    out: Path,
    result: ReportOutput,
    labels: Mapping[str, str] | None = None,
) -> None:
    """The figures; methods are named by their labels (:func:`method_labels`)."""
    fig_dir = out / "figures"
    labels = labels or {}

    def lab(m: str) -> str:
        return labels.get(m, m)

    say = result.messages.append

    def add(fig: Any, name: str, caption: str, run_id: str | None, section: str) -> None:
        paths = figs.save_figure(fig, fig_dir / _slug(name))
        result.figures.append(FigureFile(name, caption, paths, run_id, section))

    ok_units = units[units["run_status"] == "FINISHED"]
    seed = int(ok_units["seed"].min()) if len(ok_units) else None
    colours = figs.method_colours([lab(m) for m in dict.fromkeys(units["method"])])  # one each
    n_nodes: dict[tuple[str, str], int] = {}
    curves: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    no_scores: dict[str, list[str]] = {}
    honest_methods = set(honest.summary["method"]) if honest is not None else set()
    # per (method, dataset): EC matrix and network of one subject; PR/ROC data for every subject
    for (m, d), group in ok_units.groupby(["method", "dataset"], sort=False):
        g = group.sort_values("seed")
        row = g[g["seed"] == seed].iloc[0] if seed in set(g["seed"]) else g.iloc[0]
        u_seed, rid = int(row["seed"]), str(row["run_id"])
        est = source.estimates(rid)
        if not est:
            say(f"figures: {m} on {d}: no estimates.npz in run {rid}; skipped")
            continue
        subjects = sorted(est, key=natural_key)
        n_nodes[m, d] = int(next(iter(est.values()))["adjacency"].shape[0])
        subject = subjects[0]
        if options.figure_subject is not None:
            if options.figure_subject in est:
                subject = options.figure_subject
            else:
                say(
                    f"figures: {m} on {d}: no estimate for subject {options.figure_subject!r} "
                    f"(has {', '.join(subjects[:5])}{' …' if len(subjects) > 5 else ''}); "
                    f"using {subject}"
                )
        try:
            truth = source.truth(d, u_seed, subject)
        except (BenchError, KeyError) as exc:
            say(f"figures: {m} on {d}: skipped (needs the truth): {exc}")
            continue
        e = est[subject]
        label = f"{lab(m)} on {d}, {subject}, seed {u_seed}" + (
            " (oracle)" if bool(row["oracle"]) else ""
        )
        add(
            figs.ec_matrix_figure(e["adjacency"], truth, e.get("scores"), title=label),
            f"ec_{m}_{d}_{subject}_seed{u_seed}",
            f"Estimated EC matrix vs truth: {label}",
            rid,
            "matrices",
        )
        add(
            figs.network_figure(e["adjacency"], truth, title=label),
            f"network_{m}_{d}_{subject}_seed{u_seed}",
            f"Estimated graph vs truth: {label}",
            rid,
            "networks",
        )
        if m not in honest_methods:
            continue
        if not any("scores" in v for v in est.values()):
            no_scores.setdefault(d, []).append(lab(m))
            continue
        ys, ss = [], []
        for s in subjects:
            if "scores" not in est[s]:
                continue
            try:
                t = source.truth(d, u_seed, s)
            except (BenchError, KeyError):
                continue
            ys.append(_offdiag(np.asarray(t, dtype=bool)))
            ss.append(_offdiag(np.asarray(est[s]["scores"], dtype=float)))
        if ys:
            curves.setdefault(d, {})[lab(m)] = (np.concatenate(ys), np.concatenate(ss))

    for d in sorted(curves, key=natural_key):
        add(
            figs.pr_roc_figure(
                curves[d],
                title=f"{d}: pairs pooled over subjects, seed {seed}",
                skipped=no_scores.get(d, []),
                colours=colours,
            ),
            f"prroc_{d}",
            f"Precision–recall and ROC curves on {d} (off-diagonal pairs pooled over subjects)",
            None,
            "curves",
        )

    if honest is not None:
        for metric in honest.metrics:
            if not metric_info(metric).ranked:
                continue
            values = _subject_values(
                per_subject, units[units["method"].isin(honest_methods)], metric
            )
            if values.empty:
                continue
            panels: dict[str, dict[str, list[float]]] = {}
            for d in sorted(dict.fromkeys(values["dataset"]), key=natural_key):
                v = values[values["dataset"] == d]
                panels[d] = {lab(m): list(g["value"]) for m, g in v.groupby("method", sort=False)}
            info = metric_info(metric)
            add(
                figs.boxplot_figure(
                    panels,
                    metric_label=info.label,
                    title=f"{info.label} over subjects (each subject's mean over seeds)",
                    colours=colours,
                ),
                f"box_{metric}",
                f"{info.label} per subject, by method and dataset",
                None,
                "boxplots",
            )

    points: dict[str, list[tuple[int, float]]] = {}
    for (m, d), g in ok_units.groupby(["method", "dataset"], sort=False):
        if (m, d) in n_nodes:
            sec = float(pd.to_numeric(g["seconds_per_fit"], errors="coerce").mean())
            points.setdefault(lab(m), []).append((n_nodes[m, d], sec))
    if points:
        add(
            figs.runtime_figure(points, title="Run time against network size", colours=colours),
            "runtime",
            "Seconds per fit against the number of nodes",
            None,
            "runtime",
        )


# --------------------------------------------------------------------------- html

_SECTIONS = (
    ("stats", "Critical-difference diagrams"),
    ("boxplots", "Metrics over subjects"),
    ("curves", "Precision–recall and ROC curves"),
    ("runtime", "Run time"),
    ("matrices", "Estimated EC matrices"),
    ("networks", "Estimated graphs"),
)
_FOLDED = frozenset({"matrices", "networks"})


def _html(
    title: str,
    about: str,
    protocols: list[_Protocol],
    stat_tables: list[tuple[str, Table]],
    figures: list[FigureFile],
) -> str:
    page = HtmlPage(title)
    page.paragraph(about)
    for p in protocols:
        page.heading("Results" if p.name == "honest" else "Oracle protocol")
        if p.name == "oracle":
            page.paragraph(
                "These results look at the ground truth to pick something (a threshold, an "
                "epoch); they are not comparable with the tables above."
            )
        for _, t in p.tables:
            page.table(t)
    if stat_tables:
        page.heading("Statistics")
        for _, t in stat_tables:
            page.table(t)
    for section, heading in _SECTIONS:
        chosen = [f for f in figures if f.section == section]
        if not chosen:
            continue
        page.heading(heading)
        if section in _FOLDED:  # one per method and dataset: a grid, folded
            page.figure_grid(
                [(f.png, f.caption) for f in chosen],
                folded=f"{len(chosen)} figure{'s' if len(chosen) > 1 else ''} (click to show)",
            )
        else:
            page.figure_grid([(f.png, f.caption) for f in chosen])
    return page.render()


# --------------------------------------------------------------------------- mlflow


def log_figures(
    client: Any, experiment_id: str, figures: Sequence[FigureFile], name: str
) -> str | None:
    """Log each figure (PNG and PDF) under ``figures/`` of its run.

    Figures of one run (EC matrix, network) go to that result run; figures over several runs
    (box plots, curves, run time, CD diagrams) go to the experiment's report run
    (``bench.kind=report``, named ``report | <name>``), created on first use and reused.
    Returns the report run's id (``None`` if none was needed).
    """
    report_id: str | None = None
    for f in figures:
        rid = f.run_id
        if rid is None:
            if report_id is None:
                report_id = _report_run(client, experiment_id, name)
            rid = report_id
        for path in f.paths:
            client.log_artifact(rid, str(path), artifact_path="figures")
    return report_id


def log_report_files(
    client: Any, experiment_id: str, out: Path, files: Sequence[Path], name: str
) -> str | None:
    """Log the report's files (tables, statistics, ``index.html``) to the report run, under
    ``report/`` with their paths relative to ``out`` (``report/grouped.md``,
    ``report/stats/wilcoxon_f1.tex``, ``report/index.html``). Returns the report run's id."""
    if not files:
        return None
    rid = _report_run(client, experiment_id, name)
    out = Path(out).resolve()
    for path in files:
        rel = Path(path).resolve().relative_to(out).parent.as_posix()
        client.log_artifact(
            rid, str(path), artifact_path="report" if rel == "." else f"report/{rel}"
        )
    return rid


def _report_run(client: Any, experiment_id: str, name: str) -> str:
    runs = client.search_runs(
        [experiment_id],
        filter_string="tags.`bench.kind` = 'report'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if runs:
        return str(runs[0].info.run_id)
    import time

    now = str(int(time.time() * 1000))
    run = client.create_run(
        experiment_id,
        tags={
            "bench.kind": "report",
            "bench.logged_at": now,
            "mlflow.runName": f"report | {name}",
            "mlflow.source.name": "bench report",
        },
    )
    client.set_terminated(run.info.run_id, "FINISHED")
    return str(run.info.run_id)


def open_source(client: Any, experiment_id: str) -> tuple[MlflowSource, Callable[[], None]]:
    """An :class:`MlflowSource` with a temporary download folder and its cleanup function."""
    tmp = tempfile.TemporaryDirectory(prefix="bench-report-")
    return MlflowSource(client, experiment_id, tmp.name), tmp.cleanup
