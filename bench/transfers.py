"""Zero-shot transfer: train a method on a source dataset, estimate EC on target datasets with
the weights frozen.

For each transferable method (``Estimator.transferable``, :mod:`bench.methods.base`), source
dataset and seed:

1. **Training** is the benchmark's ordinary in-domain group fit of the source
   (:func:`bench.runner.run_benchmark`, the same plan, records and cache as ``bench run``), run
   with ``save_models=True`` so the worker also saves the fitted model
   (``Estimator.save_model``) under ``<results>/models/<method>/<record key>/``. The **record
   key decides reuse**: it hashes the method, its parameters, the source dataset and its data,
   the seed and the method's code version (:func:`bench.plan.method_code_version`), so a later
   transfer with the same method, parameters, source, seed and code reuses the saved model and
   the record instead of training again. A cached record whose model is missing is fetched from
   MLflow (a ``transfer-model`` run tagged with the key) when tracking is on, and otherwise
   refitted (its record rewritten with the new fit, so the in-domain cell and the model agree).
2. **In domain** (the table's diagonal): that fit's own scores on the source, from the record
   (honest protocol: final model, eval mode, the method's own binarisation).
3. **Zero-shot** on each other target: ``load_model`` then ``predict(target subjects)``: an
   eval-mode forward pass with the weights frozen (no gradient step, no statistic updated), A
   binarised by the method's own rule, scored by :func:`bench.scoring.score` against the
   target's group truth, in the driver. A target the model cannot take
   (``Estimator.transfer_refusal``: e.g. a different number of nodes for BrainEC-LLM, whose
   layers are built for the source's N) is refused with a one-line message naming both
   datasets and their sizes, and shown as n/a.

Numbers come from the one aggregation (:mod:`bench.aggregate`): per (method, source, target,
seed) one "subject" (the group fit), its metrics → :func:`subject_means` → :func:`summarize`
(mean ± std over seeds).

**Not applicable.** Methods without the capability are listed as n/a with the reason, never
refitted on the target. Subject-level methods (``ngc-cmlp``, ``notears``, ``dynotears``,
``tcdf``, ...) are not transferable: their EC is read from the weights of a model fitted to one
subject (input-layer weight norms, a weighted adjacency), so a frozen source model returns the
source's graph whatever target it is given: a graph prior, not an estimate from the target's
data. BrainEC-LLM's A, in contrast, is an attention pattern computed from the input series.

**MLflow** (``track``): experiment ``name`` (default ``transfer``); one run per trained model
(tag ``bench.kind=transfer-model``, ``bench.model_key`` = the record key; artifacts under
``model/``: the saved folder, i.e. the trainable weights and ``model.json`` with the resolved
configuration, the code revision, the source dataset and the seed) and one child run per
(target, seed) cell (``bench.kind=transfer``) with its metrics. ``bench report`` reads neither.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from bench.aggregate import per_subject_frame, subject_means, summarize
from bench.config import BenchConfig
from bench.plan import load_units, make_plan, resolve_methods
from bench.records import RecordStore, atomic_write_text
from bench.runner import fit_context, model_folder, run_benchmark
from bench.scoring import score
from bench.types import BenchError, FitContext

__all__ = ["TransferResult", "run_transfer", "SEP"]

SEP = "\x00"  # joins source and target in the aggregation's dataset key
MODEL_ARTIFACT = "model"


@dataclass
class TransferResult:
    """What :func:`run_transfer` returns.

    ``long``: ``method, source, target, seed, metric, value`` (in-domain cells have
    ``source == target``); ``summary``: mean ± std over seeds per (method, source, target,
    metric); ``refused``: ``(method, source, target) -> message``; ``not_applicable``: method ->
    reason; ``labels``: method -> display label.
    """

    config: BenchConfig
    sources: list[str]
    targets: list[str]
    long: pd.DataFrame
    summary: pd.DataFrame
    refused: dict[tuple[str, str, str], str] = field(default_factory=dict)
    not_applicable: dict[str, str] = field(default_factory=dict)
    failed: dict[tuple[str, str, str, int], str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    models: dict[tuple[str, str, int], Path] = field(default_factory=dict)
    n_trained: int = 0
    n_reused: int = 0
    notes: list[str] = field(default_factory=list)
    run: Any = None  # the in-domain RunResult


def _labels(config: BenchConfig, specs: Sequence[str]) -> list[str]:
    units = load_units(replace(config, datasets=list(specs)))
    return list(dict.fromkeys(label for label, _ in units))


def _not_transferable(info: Any) -> str:
    if info.level == "subject":
        return (
            "not applicable: a subject-level method whose EC is read from the weights of a "
            "model fitted to one subject; a frozen source model gives the source's graph on any "
            "target (a prior, not an estimate from the target's data)"
        )
    return "not applicable: the method cannot estimate with frozen weights (no save_model/predict)"


def _fetch_model(tracker: Any, key: str, folder: Path) -> bool:
    """Download the ``transfer-model`` run's artifacts of ``key`` into ``folder``; found?"""
    runs = tracker.client.search_runs(
        [tracker.experiment_id],
        filter_string=f"tags.`bench.kind` = 'transfer-model' and tags.`bench.model_key` = '{key}'",
        max_results=5,
    )
    for r in runs:
        tmp = folder.parent / f".fetch-{key}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            tracker.client.download_artifacts(r.info.run_id, MODEL_ARTIFACT, str(tmp))
        except Exception:  # an artifact store that lost the files: train again
            shutil.rmtree(tmp, ignore_errors=True)
            continue
        if folder.exists():
            shutil.rmtree(folder)
        (tmp / MODEL_ARTIFACT).rename(folder)
        shutil.rmtree(tmp, ignore_errors=True)
        return True
    return False


def _prepare_models(
    cfg: BenchConfig, tracker: Any, say: Callable[[str], None], progress: bool, log: Any
) -> tuple[int, int]:
    """Make sure every cached source fit has its saved model (refit the rest); returns
    ``(models fetched from MLflow, fits to refit)``."""
    plan = make_plan(cfg)
    store = RecordStore(cfg.results_dir)
    fetched, refit = 0, []
    for f in plan.fits:
        rec = None if cfg.rerun else store.find(f.method, f.source, f.subject, f.seed, f.key)
        if rec is None or store.load_ok(rec) is None:
            continue  # not cached: the run fits it and saves its model
        folder = model_folder(cfg.results_dir, f.method, f.key)
        if (folder / "model.json").is_file():
            continue
        if tracker is not None and _fetch_model(tracker, f.key, folder):
            fetched += 1
            say(f"transfer: {f.method} {f.dataset} seed {f.seed}: model fetched from MLflow")
            continue
        refit.append(f)
    for f in refit:
        say(
            f"transfer: {f.method} {f.dataset} seed {f.seed}: record cached but no saved model; "
            "refitting it"
        )
        seeds = [f.seed] if f.seed is not None else cfg.seeds[:1]
        one = replace(cfg, methods=[f.method], datasets=[f.dataset], seeds=seeds, rerun=True)
        run_benchmark(one, progress=progress, log=log, save_models=True)
    return fetched, len(refit)


def run_transfer(
    config: BenchConfig,
    sources: Sequence[str],
    targets: Sequence[str],
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> TransferResult:
    """Train on ``sources`` (the ordinary in-domain fits), estimate on ``targets`` with frozen
    weights, score and aggregate (see the module docstring). ``config.methods`` names the
    methods, ``config.seeds`` the seeds, ``config.params`` their parameters."""
    say = log or (lambda msg: print(msg, file=sys.stderr))
    if not sources or not targets:
        raise BenchError("transfer: needs --train (source datasets) and --test (targets)")
    infos, skipped = resolve_methods(config.methods)
    not_applicable = {m.name: _not_transferable(m) for m in infos if not _transferable(m)}
    for name, why in skipped.items():
        not_applicable.setdefault(name, f"not run: {why}")
    methods = [m for m in infos if _transferable(m)]
    src_labels = _labels(config, sources)
    tgt_labels = _labels(config, targets)
    labels = {m.name: m.display_label(config.params.get(m.name)) for m in infos}
    result = TransferResult(
        config, src_labels, tgt_labels, pd.DataFrame(), pd.DataFrame(), labels=labels
    )
    result.not_applicable = not_applicable
    if not methods:
        result.long, result.summary = _frames([], [])
        return result

    tracker = None
    if config.track:
        from bench.tracking import Tracker

        tracker = Tracker.open(config, config.results_dir, update_views=False)
    src_cfg = replace(
        config, methods=[m.name for m in methods], datasets=list(sources), track=False
    )
    fetched, refit = _prepare_models(src_cfg, tracker, say, progress, log)
    run = run_benchmark(src_cfg, progress=progress, log=log, save_models=True)
    result.run = run
    result.n_trained = run.n_computed + refit
    result.n_reused = run.n_cached - refit
    if fetched:
        result.notes.append(f"{fetched} saved model(s) fetched from MLflow")
    # the fits behind the records, in the same order (run.records follows the plan's fits);
    # the record's own key names its model (the code may have changed since it was planned)
    plan = make_plan(src_cfg)
    if len(plan.fits) != len(run.records):  # pragma: no cover - the same config, same plan
        raise BenchError("transfer: the source plan changed during the run; run it again")
    plan.fits = [replace(f, key=r.key) for f, r in zip(plan.fits, run.records, strict=True)]
    targets_data = load_units(replace(config, datasets=list(targets)))

    rows: list[dict[str, Any]] = []
    cache: dict[Path, Any] = {}
    records = {r.key: r for r in run.records}
    for f in plan.fits:
        rec = records[f.key]
        info = plan.method(f.method)
        src = plan.data(f)
        for seed in plan.unit_seeds(f):
            result.models[(f.method, f.dataset, seed)] = model_folder(
                config.results_dir, f.method, f.key
            )
            for (tgt_label, tgt_seed), tgt in targets_data.items():
                if tgt_seed is not None and tgt_seed != seed:
                    continue  # generated data: each seed's source goes to that seed's target
                cell = (f.method, f.dataset, tgt_label)
                if rec.status != "ok":
                    result.failed[(*cell, seed)] = f"source fit {rec.status}: {rec.error}"
                    continue
                if tgt_label == f.dataset and tgt.data_hash() == src.data_hash():
                    continue  # in domain: the record itself (below)
                t_min = min(x.shape[0] for x in tgt.series)
                folder = model_folder(config.results_dir, f.method, f.key)
                est = cache.get(folder)
                if est is None:
                    est = cache[folder] = info.cls.load_model(str(folder))
                why = est.transfer_refusal(tgt.n_nodes, t_min)
                if why:
                    result.refused[cell] = (
                        f"{f.method}: {f.dataset} ({src.n_nodes} nodes, "
                        f"{src.series[0].shape[0]} points) → {tgt_label} ({tgt.n_nodes} nodes, "
                        f"{t_min} points): refused: {why}"
                    )
                    continue
                ctx = FitContext(**fit_context(tgt, seed))  # what a fit on the target is told
                t0 = time.perf_counter()
                try:
                    out = est.predict(list(tgt.series), ctx)
                except Exception as exc:  # one failed cell never stops the others
                    result.failed[(*cell, seed)] = f"{type(exc).__name__}: {exc}"
                    continue
                rows.append(
                    {
                        "method": f.method,
                        "dataset": f"{f.dataset}{SEP}{tgt_label}",
                        "seed": seed,
                        "subject": "group",
                        "status": "ok",
                        "error": "",
                        "wall_time_s": time.perf_counter() - t0,
                        "metrics": score(tgt.group_truth(), out),  # the driver scores
                    }
                )
    for msg in result.refused.values():
        say(f"note: {msg}")
    for (m, s, t, seed), msg in result.failed.items():
        say(f"warning: transfer {m} {s} → {t} seed {seed}: {msg}")
    in_domain = run.long.assign(dataset=run.long["dataset"] + SEP + run.long["dataset"])
    result.long, result.summary = _frames(rows, [in_domain])
    if tracker is not None:
        _log(result, plan, records, tracker)
    return result


def _transferable(info: Any) -> bool:
    return bool(getattr(info.cls, "transferable", False)) and info.level == "group"


def _split(frame: pd.DataFrame) -> pd.DataFrame:
    parts = frame["dataset"].str.split(SEP, expand=True)
    out = frame.drop(columns=["dataset"]).assign(source=parts[0], target=parts[1])
    first = ["method", "source", "target"]
    return out.loc[:, [*first, *[c for c in out.columns if c not in first]]]


def _frames(
    rows: list[dict[str, Any]], extra_long: list[pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The zero-shot rows through :func:`subject_means`, with the in-domain unit means, then
    :func:`summarize`; both split back into source and target."""
    frames = [f for f in extra_long if len(f)]
    if rows:
        frames.insert(0, subject_means(per_subject_frame(rows)))
    if not frames:
        long = pd.DataFrame(columns=["method", "source", "target", "seed", "metric", "value"])
        cols = ["method", "source", "target", "metric", "mean", "std", "n_seeds", "applicable"]
        return long, pd.DataFrame(columns=cols)
    long = pd.concat(frames, ignore_index=True)
    return _split(long), _split(summarize(long))


def _log(result: TransferResult, plan: Any, records: dict[str, Any], tracker: Any) -> None:
    """One ``transfer-model`` run per trained model (artifacts: the model folder) and one
    ``transfer`` child run per (target, seed) cell with its metrics; skipped when the model
    run exists already (its key and the scoring code decide)."""
    from mlflow.entities import Metric, Param

    from bench.provenance import code_revision, scoring_version

    client = tracker.client
    scoring = scoring_version()
    for f in plan.fits:
        rec = records[f.key]
        if rec.status != "ok":
            continue
        folder = model_folder(result.config.results_dir, f.method, f.key)
        tag = f"{f.key}:{scoring}"
        old = client.search_runs(
            [tracker.experiment_id],
            filter_string=(
                "tags.`bench.kind` = 'transfer-model' and "
                f"tags.`bench.model_key` = '{f.key}' and tags.`bench.scored` = '{tag}'"
            ),
            max_results=1,
        )
        seeds = plan.unit_seeds(f)
        cells = result.long[
            (result.long["method"] == f.method)
            & (result.long["source"] == f.dataset)
            & (result.long["seed"].isin(seeds))
        ]
        if old:
            continue
        meta = json.loads((folder / "model.json").read_text()) if folder.is_dir() else {}
        parent = client.create_run(
            tracker.experiment_id,
            tags={
                "bench.kind": "transfer-model",
                "bench.model_key": f.key,
                "bench.scored": tag,
                "bench.method": f.method,
                "bench.source": f.dataset,
                "bench.seed": str(f.seed),
                "bench.code_revision": meta.get("code_revision", code_revision()),
                "bench.code_version": rec.code_version,
                "mlflow.runName": f"transfer model | {f.method} | {f.dataset} | seed {f.seed}",
            },
        )
        pid = parent.info.run_id
        params = [
            Param("method", f.method),
            Param("source", f.dataset),
            Param("seed", str(f.seed)),
            *(Param(f"p.{k}", json.dumps(v, default=repr)[:500]) for k, v in f.params.items()),
        ]
        client.log_batch(pid, params=params)
        if folder.is_dir():
            client.log_artifacts(pid, str(folder), artifact_path=MODEL_ARTIFACT)
        for (target, seed), g in cells.groupby(["target", "seed"], sort=False):
            child = client.create_run(
                tracker.experiment_id,
                tags={
                    "bench.kind": "transfer",
                    "mlflow.parentRunId": pid,
                    "bench.method": f.method,
                    "bench.source": f.dataset,
                    "bench.target": target,
                    "bench.seed": str(seed),
                    "bench.in_domain": str(target == f.dataset).lower(),
                    "mlflow.runName": f"{f.method} | {f.dataset} → {target} | seed {seed}",
                },
            )
            metrics = [
                Metric(m, float(v), 0, 0)
                for m, v in zip(g["metric"], g["value"], strict=True)
                if math.isfinite(float(v))
            ]
            client.log_batch(child.info.run_id, metrics=metrics)
            client.set_terminated(child.info.run_id, "FINISHED")
        client.set_terminated(pid, "FINISHED")


def write_summary_csv(result: TransferResult, out: Path) -> list[Path]:
    """``transfer.csv`` (per seed, long) and ``summary.csv`` under ``out``."""
    files = []
    for name, frame in (("transfer.csv", result.long), ("summary.csv", result.summary)):
        atomic_write_text(out / name, frame.to_csv(index=False))
        files.append(out / name)
    return files
