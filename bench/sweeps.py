"""Parameter sweeps: a grid over a method's parameters, each point an ordinary benchmark run.

Grids come from the command line (``--grid pc.alpha=0.01,0.05,0.1``; several ``--grid`` options
for one method make the product grid) or a config file::

    [sweep]
    choose_on = "smith:1"       # optional: pick the point on these datasets (see below)
    choose_by = "f1"            # the metric that picks it (default f1)

    [sweep.pc]
    alpha = [0.01, 0.05, 0.1]

Each method is swept over its own grid (``pc``'s points do not multiply ``granger``'s). A point
is the method's parameters (``--param`` / ``[params]`` as the base, the point's values over
them) run by :func:`bench.runner.run_benchmark` like ``bench run``: the same plan, records and
cache, so a point whose parameters equal a normal run's reuses its fits, and an interrupted
sweep resumes. The points' runs are not logged as result runs; the sweep logs its own runs
(:func:`log_sweep`).

Numbers come from the one aggregation: each point's :attr:`RunResult.long` (the mean over
subjects per unit, :func:`bench.aggregate.subject_means`), then
:func:`bench.aggregate.summarize` (mean ± std over seeds).

**Choosing a point.** The best point of each dataset, picked on that dataset's own results, is
an **oracle** choice: it picks the parameter on the evaluation data, the optimism that
:mod:`bench.reports.optimism` measures for thresholds. With ``choose_on`` (``--choose-on
smith:1``, or a subject selection such as ``smith:1@1-10``) the point is chosen honestly: by
the mean of ``choose_by`` over the choice datasets (best by the metric's direction; ties go to
the first point of the grid), and reported on the other datasets only.

**MLflow.** A sweep logs to the experiment of its ``name`` (default ``sweep``, not the normal
``bench`` experiment) one parent run (tag ``bench.kind=sweep``) and one child run per (point,
method, dataset, seed) unit (tag ``bench.kind=sweep-point``, ``mlflow.parentRunId`` = the
parent), with the method's parameters as params ``p.<name>`` (the grid's among them: the UI's
parallel-coordinates and contour views plot a metric against them) and the unit's means as
metrics. ``bench report`` reads only ``bench.kind=result`` runs, so sweep runs are never taken
for results even in a shared experiment. A sweep already tracked with the same records and
scoring code is not logged again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from bench.aggregate import natural_key, summarize
from bench.config import BenchConfig
from bench.plan import check_method_params, load_units
from bench.registry import get_method
from bench.types import BenchError

__all__ = [
    "Grid",
    "SweepResult",
    "grids_from",
    "log_sweep",
    "parse_grid_option",
    "run_sweep",
    "sweep_options",
]

OPTION_KEYS = ("choose_on", "choose_by")


@dataclass(frozen=True)
class Grid:
    """The grid of one method: parameter name → values, in order (product over parameters)."""

    method: str
    axes: tuple[tuple[str, tuple[Any, ...]], ...]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.axes]

    def points(self) -> list[dict[str, Any]]:
        """Every point of the product grid, the first parameter varying slowest."""
        names = self.names
        return [
            dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(v for _, v in self.axes))
        ]


def point_label(point: Mapping[str, Any]) -> str:
    """``alpha=0.01, tau_max=2``: the point's values in the grid's order."""
    return ", ".join(f"{k}={_show(v)}" for k, v in point.items())


def _show(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_show(x) for x in v) + "]"
    return str(v)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_grid_option(text: str) -> tuple[str, str, list[Any]]:
    """``METHOD.NAME=V1,V2,...`` → (method, name, values); values are JSON where they parse
    (numbers, true/false, null) and strings otherwise."""
    head, eq, raw = text.partition("=")
    method, dot, name = head.rpartition(".")
    if not eq or not dot or not method or not name:
        raise BenchError(
            f"--grid {text!r}: expected METHOD.NAME=V1,V2,..., e.g. pc.alpha=0.01,0.05,0.1"
        )
    values = [_value(tok.strip()) for tok in raw.split(",") if tok.strip()]
    if not values:
        raise BenchError(f"--grid {text!r}: no values after '='")
    return method, name, values


def sweep_options(
    table: Mapping[str, Any] | None,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Split a config file's ``[sweep]`` table into method grids and options."""
    grids: dict[str, dict[str, Any]] = {}
    options: dict[str, Any] = {}
    for key, value in (table or {}).items():
        if isinstance(value, Mapping):
            grids[key] = dict(value)
        elif key in OPTION_KEYS:
            options[key] = value
        else:
            raise BenchError(
                f"[sweep] {key!r}: expected a table of parameter lists ([sweep.<method>]) or "
                f"one of the options {', '.join(OPTION_KEYS)}"
            )
    return grids, options


def grids_from(
    options: Sequence[str], file_grids: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Grid]:
    """The grid of each method: the config file's ``[sweep.<method>]`` tables, then the
    ``--grid`` options (a ``--grid`` for a parameter replaces the file's values for it)."""
    axes: dict[str, dict[str, list[Any]]] = {}
    for method, table in (file_grids or {}).items():
        for name, values in table.items():
            vals = list(values) if isinstance(values, (list, tuple)) else [values]
            if not vals:
                raise BenchError(f"[sweep.{method}] {name}: an empty list of values")
            axes.setdefault(method, {})[name] = vals
    for text in options:
        method, name, values = parse_grid_option(text)
        axes.setdefault(method, {})[name] = values
    out: dict[str, Grid] = {}
    for method, table in axes.items():
        info = get_method(method)  # unknown methods: "did you mean"
        for name, values in table.items():
            if name not in info.defaults:
                raise BenchError(
                    f"grid {method}.{name}: {method} has no parameter {name!r}; known: "
                    f"{', '.join(sorted(info.defaults))}"
                )
            if len({json.dumps(v, sort_keys=True, default=repr) for v in values}) != len(values):
                raise BenchError(f"grid {method}.{name}: repeated values in {values}")
        out[method] = Grid(method, tuple((k, tuple(v)) for k, v in table.items()))
    if not out:
        raise BenchError(
            "no grid given: use --grid METHOD.NAME=V1,V2,... or a [sweep.<method>] table"
        )
    return out


# --------------------------------------------------------------------------- running


@dataclass
class PointRun:
    """One point of one method's grid and its run."""

    method: str
    index: int  # position in the method's grid
    params: dict[str, Any]  # the grid's values at this point
    run: Any  # bench.runner.RunResult

    @property
    def label(self) -> str:
        return point_label(self.params)


@dataclass
class SweepResult:
    """What :func:`run_sweep` returns.

    ``long``: ``method, point, label, dataset, seed, metric, value`` (+ one column per grid
    parameter), the points' unit means; ``summary``: the same per (method, point, dataset,
    metric) as mean ± std over seeds; ``choice``: the honest choice per method (empty without
    ``choose_on``).
    """

    config: BenchConfig
    grids: dict[str, Grid]
    points: list[PointRun]
    long: pd.DataFrame
    summary: pd.DataFrame
    choose_on: list[str] = field(default_factory=list)
    choose_labels: list[str] = field(default_factory=list)
    choose_by: str = "f1"
    choice: dict[str, int] = field(default_factory=dict)  # method -> chosen point index
    notes: list[str] = field(default_factory=list)

    @property
    def n_computed(self) -> int:
        return sum(p.run.n_computed for p in self.points)

    @property
    def n_cached(self) -> int:
        return sum(p.run.n_cached for p in self.points)

    def eval_datasets(self) -> list[str]:
        """The datasets results are reported on (all but the choice datasets)."""
        ds = dict.fromkeys(self.summary["dataset"]) if len(self.summary) else {}
        return sorted((d for d in ds if d not in self.choose_labels), key=natural_key)

    def oracle_best(self, metric: str) -> pd.DataFrame:
        """Per (method, dataset): the point with the best mean of ``metric`` on that same
        dataset (an **oracle** choice), ties to the first point. Columns ``method, dataset,
        point, label, mean, std``."""
        from bench.metrics import METRICS

        higher = METRICS[metric].higher_is_better if metric in METRICS else True
        s = self.summary[(self.summary["metric"] == metric) & self.summary["applicable"]]
        rows = []
        for (method, dataset), g in s.groupby(["method", "dataset"], sort=False):
            g = g.sort_values("point", kind="stable")
            k = g["mean"].idxmax() if higher else g["mean"].idxmin()
            r = g.loc[k]
            rows.append(
                {
                    "method": method,
                    "dataset": dataset,
                    "point": int(r["point"]),
                    "label": r["label"],
                    "mean": float(r["mean"]),
                    "std": float(r["std"]),
                }
            )
        return pd.DataFrame(rows, columns=["method", "dataset", "point", "label", "mean", "std"])


def _choose(summary: pd.DataFrame, labels: Sequence[str], metric: str) -> dict[str, int]:
    """Per method, the point whose mean of ``metric`` over the ``labels`` datasets is best."""
    from bench.metrics import METRICS

    if metric not in METRICS:
        raise BenchError(f"choose_by: unknown metric {metric!r}")
    higher = METRICS[metric].higher_is_better
    s = summary[(summary["metric"] == metric) & summary["dataset"].isin(list(labels))]
    s = s[s["applicable"]]
    out: dict[str, int] = {}
    for method, g in s.groupby("method", sort=False):
        by_point = g.groupby("point")["mean"].mean().sort_index()
        if by_point.empty:
            continue
        out[method] = int(by_point.idxmax() if higher else by_point.idxmin())
    return out


def _labels_of(config: BenchConfig, specs: Sequence[str]) -> list[str]:
    """The unit labels (``smith:1``, ``smith:1@1-10``) that dataset ``specs`` select."""
    units = load_units(replace(config, datasets=list(specs)))
    return list(dict.fromkeys(label for label, _ in units))


def run_sweep(
    config: BenchConfig,
    grids: Mapping[str, Grid],
    *,
    choose_on: Sequence[str] = (),
    choose_by: str = "f1",
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> SweepResult:
    """Run every point of every method's grid on ``config.datasets`` (and the ``choose_on``
    datasets), then aggregate (see the module docstring). ``config.methods`` must name exactly
    the grids' methods (or be ``["all"]``, the default, meaning the grids' methods)."""
    from bench.metrics import METRICS
    from bench.runner import run_benchmark

    say = log or (lambda msg: None)
    if config.methods not in (["all"], []):
        from bench.registry import select_methods

        named = select_methods(config.methods)
        extra = [m for m in named if m not in grids]
        missing = [m for m in grids if m not in named]
        if extra or missing:
            raise BenchError(
                "sweep: --methods and the grids must name the same methods"
                + (f"; no grid for {', '.join(extra)}" if extra else "")
                + (f"; a grid for {', '.join(missing)} not in --methods" if missing else "")
            )
    if choose_by not in METRICS:
        from bench.registry import did_you_mean

        raise did_you_mean("metric", choose_by, METRICS)
    # every point's parameters are checked before any fit
    for method, grid in grids.items():
        info = get_method(method)
        base = config.params.get(method, {})
        for point in grid.points():
            try:
                check_method_params(info, {**base, **point})
            except BenchError as exc:
                raise BenchError(f"grid point {method} {point_label(point)}: {exc}") from None
    choose_labels = _labels_of(config, choose_on) if choose_on else []
    datasets = list(config.datasets) + [c for c in choose_on if c not in config.datasets]
    notes = []
    if choose_on:
        evaluated = [x for x in _labels_of(config, config.datasets) if x not in choose_labels]
        if not evaluated:
            raise BenchError(
                "--choose-on: no dataset left to report on; the choice datasets must differ "
                "from (some of) --datasets"
            )
        overlap = [x for x in _labels_of(config, config.datasets) if x in choose_labels]
        if overlap:
            notes.append(
                f"{', '.join(overlap)}: the choice dataset(s), used to pick the point and not "
                "reported as results of the chosen point"
            )

    points: list[PointRun] = []
    n_total = sum(len(g.points()) for g in grids.values())
    k = 0
    for method, grid in grids.items():
        for index, point in enumerate(grid.points()):
            k += 1
            say(f"sweep: point {k}/{n_total}: {method} {point_label(point)}")
            params = {**config.params, method: {**config.params.get(method, {}), **point}}
            cfg = replace(config, methods=[method], datasets=datasets, params=params, track=False)
            run = run_benchmark(cfg, progress=progress, log=log)
            points.append(PointRun(method, index, dict(point), run))
            bad = sum(1 for r in run.records if r.status != "ok")
            if bad:
                notes.append(
                    f"{method} {point_label(point)}: {bad} of {len(run.records)} fits did not "
                    "succeed (their subjects are left out of the means; see per_subject status)"
                )

    long = _long(points, grids)
    summary = _summary(long, grids)
    choice = _choose(summary, choose_labels, choose_by) if choose_on else {}
    for method in grids if choose_on else []:
        if method not in choice:
            notes.append(f"{method}: no point chosen ({choose_by} does not apply to it)")
    return SweepResult(
        config=config,
        grids=dict(grids),
        points=points,
        long=long,
        summary=summary,
        choose_on=list(choose_on),
        choose_labels=choose_labels,
        choose_by=choose_by,
        choice=choice,
        notes=notes,
    )


def _long(points: Sequence[PointRun], grids: Mapping[str, Grid]) -> pd.DataFrame:
    names = list(dict.fromkeys(n for g in grids.values() for n in g.names))
    frames = []
    for p in points:
        lf = p.run.long
        if lf.empty:
            continue
        lf = lf.assign(point=p.index, label=p.label)
        for n in names:
            lf[n] = [p.params.get(n)] * len(lf)  # None: not a parameter of this method
        frames.append(lf)
    cols = ["method", "point", "label", *names, "dataset", "seed", "metric", "value"]
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True).loc[:, cols]


def _summary(long: pd.DataFrame, grids: Mapping[str, Grid]) -> pd.DataFrame:
    """:func:`bench.aggregate.summarize` per (method, point): the row key carries the point."""
    if long.empty:
        cols = ["method", "point", "label", "dataset", "metric", "mean", "std", "n_seeds"]
        return pd.DataFrame(columns=[*cols, "applicable"])
    key = long["method"] + "\x00" + long["point"].astype(str)
    s = summarize(long.assign(method=key).loc[:, ["method", "dataset", "seed", "metric", "value"]])
    parts = s["method"].str.split("\x00", expand=True)
    s = s.assign(method=parts[0], point=parts[1].astype(int))
    labels = long.drop_duplicates(["method", "point"]).set_index(["method", "point"])["label"]
    s["label"] = [labels[(m, p)] for m, p in zip(s["method"], s["point"], strict=True)]
    cols = ["method", "point", "label", "dataset", "metric", "mean", "std", "n_seeds", "applicable"]
    return s.loc[:, cols].reset_index(drop=True)


# --------------------------------------------------------------------------- MLflow


def sweep_key(result: SweepResult, scoring: str) -> str:
    """Hash of what determines the sweep's logged numbers: its grids, units, records, scoring."""
    keys = sorted(r.key for p in result.points for r in p.run.records)
    payload = json.dumps(
        {
            "grids": {m: [list(a) for a in g.axes] for m, g in result.grids.items()},
            "seeds": result.config.seeds,
            "datasets": sorted(set(result.long["dataset"])) if len(result.long) else [],
            "records": keys,
            "scoring": scoring,
        },
        sort_keys=True,
        default=repr,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def log_sweep(result: SweepResult, tracker: Any) -> tuple[str | None, int]:
    """Log the sweep to MLflow: one parent run and one child run per (point, method, dataset,
    seed) unit (see the module docstring). Returns ``(parent run id, number of children)``;
    ``(id, 0)`` when the same sweep is already tracked."""
    from mlflow.entities import Metric, Param

    from bench.provenance import code_revision, scoring_version

    client = tracker.client
    key = sweep_key(result, scoring_version())
    old = client.search_runs(
        [tracker.experiment_id],
        filter_string=f"tags.`bench.kind` = 'sweep' and tags.`bench.sweep_key` = '{key}'",
        max_results=100,
    )
    for r in old:
        if r.info.status == "FINISHED":
            return r.info.run_id, 0
    for r in old:  # an interrupted logging step: its parent and children go
        children = client.search_runs(
            [tracker.experiment_id],
            filter_string=f"tags.`mlflow.parentRunId` = '{r.info.run_id}'",
            max_results=50000,
        )
        for c in children:
            client.delete_run(c.info.run_id)
        client.delete_run(r.info.run_id)
    cfg = result.config
    name = cfg.name
    parent = client.create_run(
        tracker.experiment_id,
        tags={
            "bench.kind": "sweep",
            "bench.sweep_key": key,
            "bench.code_revision": code_revision(),
            "mlflow.runName": f"sweep | {name}",
            "mlflow.source.name": "bench sweep",
        },
    )
    pid = parent.info.run_id
    grid_text = {m: {n: list(v) for n, v in g.axes} for m, g in result.grids.items()}
    client.log_batch(
        pid,
        params=[
            Param("methods", ",".join(result.grids)),
            Param("datasets", ",".join(cfg.datasets)[:500]),
            Param("seeds", ",".join(map(str, cfg.seeds))),
            Param("grid", json.dumps(grid_text, default=repr)[:500]),
            Param("choose_on", ",".join(result.choose_on) or "none"),
            Param("choose_by", result.choose_by),
        ],
    )
    n = 0
    try:
        for p in result.points:
            info = get_method(p.method)
            params = {**info.defaults, **cfg.params.get(p.method, {}), **p.params}
            lf = p.run.long
            for (dataset, seed), g in lf.groupby(["dataset", "seed"], sort=False):
                role = "choice" if dataset in result.choose_labels else "evaluation"
                tags = {
                    "bench.kind": "sweep-point",
                    "mlflow.parentRunId": pid,
                    "bench.method": p.method,
                    "bench.dataset": dataset,
                    "bench.seed": str(seed),
                    "bench.point": str(p.index),
                    "bench.grid_params": ",".join(p.params),
                    "bench.role": role,
                    "mlflow.runName": f"{p.method} | {p.label} | {dataset} | seed {seed}",
                }
                run = client.create_run(tracker.experiment_id, tags=tags)
                metrics = [
                    Metric(m, float(v), 0, 0)
                    for m, v in zip(g["metric"], g["value"], strict=True)
                    if math.isfinite(float(v))
                ]
                plist = [
                    Param("method", p.method),
                    Param("dataset", dataset),
                    Param("seed", str(seed)),
                    Param("point", str(p.index)),
                    *(
                        Param(f"p.{k}", json.dumps(v, default=repr)[:500])
                        for k, v in params.items()
                    ),
                ]
                client.log_batch(run.info.run_id, metrics=metrics, params=plist)
                client.set_terminated(run.info.run_id, "FINISHED")
                n += 1
    except BaseException:
        client.set_terminated(pid, "KILLED")
        raise
    client.set_terminated(pid, "FINISHED")
    return pid, n
