"""The ``bench`` command: a thin layer over the Python API.

``bench list methods|datasets``, ``bench run``, ``bench report``, ``bench ui``, ``bench doctor``,
``bench sweep``, ``bench classify``, ``bench transfer`` and ``bench ablation``.
Errors meant for the user print one line (``bench: error: ...``) and exit with status 2;
anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from bench import __version__
from bench.types import BenchError

if TYPE_CHECKING:
    from bench.config import BenchConfig


def _int_list(values: list[str]) -> list[int]:
    out = []
    for v in values:
        for tok in v.split(","):
            tok = tok.strip()
            if not tok:
                continue
            try:
                out.append(int(tok))
            except ValueError:
                raise BenchError(f"--seeds: {tok!r} is not an integer") from None
    return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench",
        description="Benchmark brain effective-connectivity estimators on simulated fMRI.",
    )
    p.add_argument("--version", action="version", version=f"bench {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    ls = sub.add_parser("list", help="list registered methods or datasets")
    ls.add_argument("what", choices=["methods", "datasets", "metrics"])
    ls.add_argument("--members", action="store_true", help="list every dataset member")

    run = sub.add_parser("run", help="run a benchmark")
    run.add_argument("--config", help="a TOML or YAML file describing the benchmark")
    run.add_argument("--methods", help="'all', a comma list or globs (e.g. pc,granger or pcmci*)")
    run.add_argument("--datasets", help="e.g. smith, smith:1-4, smith:1,3")
    run.add_argument("--seeds", nargs="+", help="seeds (default 0 1 2)")
    run.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    run.add_argument(
        "--timeout",
        action="append",
        default=[],
        metavar="[METHOD=]SECONDS",
        help="time limit per fit, for every method or one (repeatable)",
    )
    run.add_argument(
        "--executor", choices=["local", "ray"], help="local processes (default) or Ray"
    )
    run.add_argument("--ray-address", help="Ray cluster address (default: start a local instance)")
    run.add_argument("--results", help="results folder (default ./results)")
    run.add_argument("--name", help="benchmark (MLflow experiment) name (default 'bench')")
    run.add_argument("--tracking-uri", help="MLflow tracking URI (default: SQLite under results)")
    run.add_argument("--metrics", help="metrics to tabulate, comma list (all are recorded)")
    run.add_argument("--layout", choices=["auto", "methods", "datasets"], help="table layout")
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="METHOD.NAME=VALUE",
        help="override a method parameter, e.g. granger.alpha=0.01 (repeatable)",
    )
    run.add_argument("--rerun", action="store_true", default=None, help="ignore cached records")
    run.add_argument(
        "--no-track", dest="track", action="store_false", default=None, help="do not log to MLflow"
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    rep = sub.add_parser(
        "report",
        help="tables, statistics, figures and an HTML page from tracked MLflow runs",
        description="Rebuild paper-ready tables (and optionally statistics and figures) from "
        "the runs tracked in MLflow. Oracle methods and oracle_* metrics go to separate tables "
        "under oracle/.",
    )
    rep.add_argument("--results", default="results", help="results folder (default ./results)")
    rep.add_argument("--name", default="bench", help="benchmark (MLflow experiment) name")
    rep.add_argument("--tracking-uri", help="MLflow tracking URI (default: SQLite under results)")
    rep.add_argument("--methods", help="methods to include: comma list or globs (default all)")
    rep.add_argument("--datasets", help="datasets to include, e.g. smith:1-4 (default all)")
    rep.add_argument("--metrics", help="comma list (default: the standard set)")
    rep.add_argument("--seeds", nargs="+", help="seeds to include (default all tracked)")
    rep.add_argument(
        "--layout",
        choices=["auto", "methods", "datasets", "metrics", "grouped"],
        default="auto",
        help="methods x datasets per metric (methods), its transpose (datasets), the narrower "
        "of the two (auto, default), methods x metrics per dataset (metrics), or one row per "
        "method with a column group per dataset (grouped)",
    )
    rep.add_argument(
        "--format",
        default="md,tex,csv,html",
        help="comma list of md, tex, csv, html (default all four)",
    )
    rep.add_argument(
        "--stats",
        action="store_true",
        help="Wilcoxon signed-rank tests against the best method (Holm), Friedman test, "
        "average ranks and critical-difference diagrams",
    )
    rep.add_argument(
        "--figures",
        action="store_true",
        help="EC matrices, graphs, box plots, PR/ROC curves, run time (PNG + PDF), each also "
        "logged to its MLflow run",
    )
    rep.add_argument(
        "--figure-subject", help="subject for the EC-matrix and graph figures (default: first)"
    )
    rep.add_argument(
        "--spread",
        choices=["subjects", "ci95", "seeds"],
        default="subjects",
        help="what ± means: the SD over subjects of each subject's mean over the seeds "
        "(default), the 95%% CI half-width of the mean over subjects, or the SD over seeds",
    )
    rep.add_argument(
        "--tex-fit",
        choices=["auto", "shrink", "split", "resize", "none"],
        default="auto",
        help="how a LaTeX table wider than --tex-width fits: auto (smaller font, then split "
        "into stacked tables; default), shrink, split, resize (\\resizebox, needs graphicx), "
        "none",
    )
    rep.add_argument(
        "--tex-width",
        type=float,
        default=345.0,
        help="text width in pt the LaTeX tables must fit (default 345, the article class; "
        "about 505 for a two-column paper's table*, 241 for one column)",
    )
    rep.add_argument(
        "--tex-float", choices=["table", "table*"], default="table", help="LaTeX float"
    )
    rep.add_argument("--out", help="output folder (default results/tables/<name>)")
    rep.add_argument(
        "--optimism",
        action="store_true",
        help="threshold optimism under oracle/: each method's own F1, the oracle max F1 over "
        "thresholds picked with the truth, and their gap (table and figure)",
    )

    _protocol_parsers(sub)
    _model_parsers(sub)

    ui = sub.add_parser("ui", help="open the MLflow UI on 127.0.0.1")
    ui.add_argument("--results", default="results")
    ui.add_argument("--tracking-uri")
    ui.add_argument("--port", type=int, default=5000)
    ui.add_argument(
        "--wait", type=float, default=300.0, help="seconds to wait for the UI to answer"
    )

    sub.add_parser("doctor", help="what is installed, GPUs, backbones, unavailable methods")
    return p


def _protocol_parsers(sub: argparse._SubParsersAction) -> None:
    """``bench sweep`` and ``bench classify`` (bench.sweeps, bench.classification)."""
    sw = sub.add_parser(
        "sweep",
        help="a grid over a method's parameters, each point a benchmark run",
        description="Run every point of a parameter grid (--grid METHOD.NAME=V1,V2,...; "
        "several for one method make a product grid; or [sweep.<method>] tables in --config), "
        "tabulate each metric per point and dataset, plot it against the parameter, and name "
        "the best point per dataset as an ORACLE choice. --choose-on picks the point honestly "
        "on held-out datasets. MLflow: a parent run per sweep with one child run per unit, in "
        "the experiment --name (default 'sweep'); bench report never reads them.",
    )
    sw.add_argument("--config", help="a TOML or YAML file ([sweep.<method>] grids, [params] ...)")
    sw.add_argument("--methods", help="the grids' methods (default: those of the grids)")
    sw.add_argument("--datasets", help="e.g. smith:1-3")
    sw.add_argument("--seeds", nargs="+", help="seeds (default 0 1 2)")
    sw.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="METHOD.NAME=V1,V2,...",
        help="values of one parameter (repeatable; one method's grids multiply)",
    )
    sw.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="METHOD.NAME=VALUE",
        help="a fixed parameter under every point (repeatable)",
    )
    sw.add_argument(
        "--choose-on",
        action="append",
        default=None,
        metavar="DATASETS",
        help="pick each method's point on these datasets (e.g. smith:1) and report it on the "
        "others (honest variant; repeatable)",
    )
    sw.add_argument("--choose-by", help="the metric that picks the point (default f1)")
    sw.add_argument("--metrics", help="metrics to tabulate and plot, comma list")
    sw.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    sw.add_argument("--timeout", type=float, help="time limit per fit in seconds")
    sw.add_argument("--results", help="results folder (default ./results)")
    sw.add_argument(
        "--name",
        help="MLflow experiment and tables folder (default 'sweep'; a config file's name is "
        "not used, so a sweep never writes into a benchmark's tables)",
    )
    sw.add_argument("--tracking-uri", help="MLflow tracking URI (default: SQLite under results)")
    sw.add_argument("--out", help="output folder (default results/tables/<name>)")
    sw.add_argument("--no-figures", action="store_true", help="tables only")
    sw.add_argument("--rerun", action="store_true", default=None, help="ignore cached records")
    sw.add_argument(
        "--no-track", dest="track", action="store_false", default=None, help="do not log to MLflow"
    )
    sw.add_argument("--quiet", action="store_true", help="no progress bar")

    cl = sub.add_parser(
        "classify",
        help="group classification from estimated EC (linear SVM, nested CV, permutation test)",
        description="Fit each method on labelled cohorts (the ordinary cached fits; estimators "
        "never see the labels), use each subject's estimated EC as features, and classify the "
        "groups with a linear SVM under nested cross-validation: accuracy and ROC AUC with "
        "bootstrap confidence intervals and permutation-test p-values.",
    )
    cl.add_argument(
        "--methods",
        help="methods (default: correlation, partial-correlation, granger, patel, pc, ges, "
        "direct-lingam, rdcm, random)",
    )
    cl.add_argument(
        "--cohorts",
        help="labelled datasets: cohort:edge, cohort:pathway-f0.25-s60, folder:/path (with "
        "labels.csv) (default cohort:edge,cohort:pathway,cohort:reverse)",
    )
    cl.add_argument("--seeds", nargs="+", help="seeds (default 0; each a new generated cohort)")
    cl.add_argument("--permutations", type=int, default=100, help="label permutations (100)")
    cl.add_argument("--folds", type=int, default=5, help="outer CV folds (5)")
    cl.add_argument("--inner-folds", type=int, default=5, help="inner CV folds choosing C (5)")
    cl.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples (2000)")
    cl.add_argument(
        "--impl", choices=["fast", "reference"], default="fast", help="nested-CV implementation"
    )
    cl.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="METHOD.NAME=VALUE",
        help="override a method parameter (repeatable)",
    )
    cl.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    cl.add_argument("--timeout", type=float, help="time limit per fit in seconds")
    cl.add_argument("--results", help="results folder (default ./results)")
    cl.add_argument("--name", default="classify", help="tables folder name (default classify)")
    cl.add_argument("--out", help="output folder (default results/tables/<name>)")
    cl.add_argument("--rerun", action="store_true", default=None, help="ignore cached records")
    cl.add_argument("--quiet", action="store_true", help="no progress bar")


def _model_parsers(sub: argparse._SubParsersAction) -> None:
    """``bench transfer`` and ``bench ablation`` (bench.transfers, bench.ablations)."""
    tr = sub.add_parser(
        "transfer",
        help="zero-shot transfer: train on one dataset, estimate on others with frozen weights",
        description="Train each method on the --train datasets (the ordinary in-domain group "
        "fit, its model saved under results/models/ and reused by its record key), then "
        "estimate EC on each --test dataset with the weights frozen (eval-mode forward pass, the "
        "method's own binarisation), score against the target's truth and tabulate source x "
        "target with the in-domain fit on the diagonal. Methods without the capability, and "
        "pairs the model cannot take (e.g. a different number of nodes), are n/a.",
    )
    tr.add_argument("--methods", default="brainec-llm", help="methods (default brainec-llm)")
    tr.add_argument("--train", required=True, help="source datasets, e.g. smith:1")
    tr.add_argument("--test", required=True, help="target datasets, e.g. smith:5,sanchez:1_amp")
    tr.add_argument("--seeds", nargs="+", help="seeds (default 0)")
    tr.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="METHOD.NAME=VALUE",
        help="override a method parameter (repeatable)",
    )
    tr.add_argument("--metrics", help="metrics to tabulate, comma list")
    tr.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    tr.add_argument("--timeout", type=float, help="time limit per fit in seconds")
    tr.add_argument("--results", help="results folder (default ./results)")
    tr.add_argument("--name", default="transfer", help="MLflow experiment and tables folder")
    tr.add_argument("--tracking-uri", help="MLflow tracking URI (default: SQLite under results)")
    tr.add_argument("--out", help="output folder (default results/tables/<name>)")
    tr.add_argument("--rerun", action="store_true", default=None, help="ignore cached records")
    tr.add_argument(
        "--no-track", dest="track", action="store_false", default=None, help="do not log to MLflow"
    )
    tr.add_argument("--quiet", action="store_true", help="no progress bar")

    ab = sub.add_parser(
        "ablation",
        help="a method beside its registered ablations and the random floor",
        description="Run METHOD, every method registered with ablation_of=METHOD and the "
        "random baseline through the ordinary pipeline, and write the ablation table (honest "
        "protocol) and, under oracle/, the best-epoch ORACLE numbers.",
    )
    ab.add_argument("method", help="the full method, e.g. brainec-llm")
    ab.add_argument("--datasets", default="smith:1", help="datasets (default smith:1)")
    ab.add_argument("--seeds", nargs="+", help="seeds (default 0)")
    ab.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="METHOD.NAME=VALUE",
        help="a parameter of the method, applied to every variant but the one it ablates",
    )
    ab.add_argument("--no-floor", action="store_true", help="leave out the random floor")
    ab.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    ab.add_argument("--timeout", type=float, help="time limit per fit in seconds")
    ab.add_argument("--results", help="results folder (default ./results)")
    ab.add_argument("--name", default="ablation", help="MLflow experiment and tables folder")
    ab.add_argument("--tracking-uri", help="MLflow tracking URI (default: SQLite under results)")
    ab.add_argument("--rerun", action="store_true", default=None, help="ignore cached records")
    ab.add_argument(
        "--no-track", dest="track", action="store_false", default=None, help="do not log to MLflow"
    )
    ab.add_argument("--quiet", action="store_true", help="no progress bar")


def _parse_param(text: str) -> tuple[str, str, object]:
    import json

    head, eq, raw = text.partition("=")
    method, dot, name = head.rpartition(".")
    if not eq or not dot or not method or not name:
        raise BenchError(f"--param {text!r}: expected METHOD.NAME=VALUE, e.g. granger.alpha=0.01")
    try:
        value: object = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return method, name, value


def cmd_list(args: argparse.Namespace) -> int:
    from bench import registry

    registry._load_plugins()
    if args.what == "methods":
        rows = [
            ("name", "level", "deterministic", "gpu", "in 'all'", "scores", "status", "citation")
        ]
        for m in registry.METHODS.values():
            missing = m.missing_packages()
            status = "missing " + ",".join(missing) if missing else "ok"
            in_all = "no (slow)" if m.slow else ("no" if not m.in_all else "yes")
            if m.in_all and not m.slow and m.needs_gpu:
                in_all = "with a GPU"
            rows.append(
                (
                    m.name + ("†" if m.oracle else ""),
                    m.level,
                    "yes" if m.deterministic else "no",
                    "yes" if m.needs_gpu else "no",
                    in_all,
                    _short(m.scores or "none (AUROC n/a)", 40),
                    status,
                    _short(m.citation, 40),
                )
            )
        print(_text_table(rows))
    elif args.what == "datasets":
        rows = [("name", "members", "TR (s)", "licence", "citation")]
        for name, fam in registry.DATASETS.items():
            members = fam.members()
            span = (
                f"{members[0]}..{members[-1]} ({len(members)})"
                if len(members) > 3
                else ",".join(members) or f"{name}:<path>"
            )
            rows.append(
                (
                    name,
                    span,
                    str(fam.info.tr or "-"),
                    _short(fam.info.licence, 30),
                    _short(fam.info.citation),
                )
            )
            if args.members:
                for m in members:
                    rows.append((f"  {name}:{m}", fam.describe_member(m), "", "", ""))
        print(_text_table(rows))
        if not args.members:
            print("\n(--members lists every member; select them as smith:1-4 or smith:1,3)")
    else:
        from bench.metrics import METRICS

        rows = [("name", "better", "needs scores", "description")]
        for m in METRICS.values():
            rows.append(
                (
                    m.name,
                    "higher" if m.higher_is_better else "lower",
                    "yes" if m.needs_scores else "no",
                    m.description.splitlines()[0][:70],
                )
            )
        print(_text_table(rows))
    return 0


def _short(text: str, width: int = 44) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _text_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    from bench.api import run_config
    from bench.config import build_config

    params: dict[str, dict[str, object]] = {}  # merged into the config file's [params]
    for text in args.param:
        method, name, value = _parse_param(text)
        params.setdefault(method, {})[name] = value
    timeout, timeouts = None, {}
    for text in args.timeout:
        method, eq, raw = text.rpartition("=")
        try:
            seconds = float(raw)
        except ValueError:
            raise BenchError(f"--timeout {text!r}: expected SECONDS or METHOD=SECONDS") from None
        if eq:
            timeouts[method] = seconds
        else:
            timeout = seconds
    config = build_config(
        args.config,
        methods=args.methods,
        datasets=args.datasets,
        seeds=_int_list(args.seeds) if args.seeds else None,
        jobs=args.jobs,
        executor=args.executor,
        ray_address=args.ray_address,
        timeout=timeout,
        timeouts=timeouts or None,
        results=args.results,
        name=args.name,
        tracking_uri=args.tracking_uri,
        metrics=args.metrics.split(",") if args.metrics else None,
        layout=args.layout,
        params=params or None,
        rerun=args.rerun,
        track=args.track,
    )
    out = run_config(config, progress=not args.quiet)
    result = out.run
    bad = Counter(r.status for r in result.records if r.status != "ok")
    _print_tables(out.printed_tables)
    for note in out.notes:
        print(f"note: {note}", file=sys.stderr)
    not_ok = ", ".join(f"{n} {status}" for status, n in sorted(bad.items())) or "all ok"
    print(
        f"{len(result.records)} fits ({result.n_computed} computed, {result.n_cached} cached; "
        f"{not_ok}) in {result.wall_time_s:.1f} s"
    )
    what = "Markdown, LaTeX, CSV; " if out.tables else "no tables: no fit succeeded; "
    print(f"tables: {out.tables_dir}/  ({what}per-subject status and metrics in per_subject.csv)")
    if config.track:
        print(
            f"MLflow: experiment '{config.name}' at {_uri(config)}; open it with: bench ui"
            + (f" --results {config.results}" if config.results != "results" else "")
        )
    failures = sum(n for status, n in bad.items() if status in ("failed", "timeout", "crashed"))
    if failures:
        print(
            f"bench: {failures} fit(s) did not succeed (see the warnings above and the status "
            "column of per_subject.csv); exit status 1",
            file=sys.stderr,
        )
        return 1
    return 0


def _print_tables(tables: list) -> None:  # type: ignore[type-arg]
    """The tables drawn for this terminal (rich); the files keep their Markdown."""
    from bench.reports.tables import table_terminal

    for t in tables:
        print(table_terminal(t))


def _uri(config) -> str:  # type: ignore[no-untyped-def]
    from bench.tracking import resolve_uri

    return resolve_uri(config, config.results_dir)


def cmd_report(args: argparse.Namespace) -> int:
    from bench.api import report

    result = report(
        args.results,
        name=args.name,
        methods=args.methods,
        datasets=args.datasets,
        seeds=_int_list(args.seeds) if args.seeds else None,
        metrics=args.metrics,
        layout=args.layout,
        formats=args.format,
        stats=args.stats,
        figures=args.figures,
        figure_subject=args.figure_subject,
        out=args.out,
        tracking_uri=args.tracking_uri,
        spread=args.spread,
        tex_fit=args.tex_fit,
        tex_width=args.tex_width,
        tex_float=args.tex_float,
        optimism=args.optimism,
    )
    _print_tables(result.printed_tables)
    for msg in result.messages:
        print(f"note: {msg}", file=sys.stderr)
    if result.figures:
        n_runs = len({f.run_id for f in result.figures})
        print(f"logged {len(result.figures)} figures to {n_runs} MLflow run(s) (figures/)")
    n_files = len(result.files) + sum(len(f.paths) for f in result.figures)
    print(f"wrote {n_files} files to {result.out}/")
    return 0


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_health(url: str, proc: subprocess.Popen, timeout: float) -> None:
    """Wait until ``url`` answers 200 (MLflow's ``/health``); raise if ``proc`` exits first."""
    import time
    import urllib.request

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError(f"the MLflow UI exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise BenchError(f"the MLflow UI did not answer {url} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    """Stop the UI server: its process group (its own id; it runs uvicorn and job workers)."""
    import signal

    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def ui_links(uri: str, base: str) -> list[str]:
    """One line per experiment with bench result runs: its runs-table address (bench's saved
    view, in the Model-training view), then the view grouped by method and dataset. Also adds
    bench's saved views to experiments tracked before they existed."""
    from mlflow import MlflowClient

    from bench.config import DEFAULT_TABLE_METRICS
    from bench.tracking import MEAN_VIEW, RESULT_FILTER, RUNS_VIEW, setup_experiment

    client = MlflowClient(tracking_uri=uri)
    lines = []
    for exp in client.search_experiments():
        runs = client.search_runs([exp.experiment_id], RESULT_FILTER, max_results=1)
        if not runs:
            continue
        try:
            setup_experiment(client, exp.experiment_id, DEFAULT_TABLE_METRICS)
        except Exception:  # a read-only store: the links still work, without the views
            pass
        page = f"{base}/#/experiments/{exp.experiment_id}/runs?workflowType=machine_learning"
        lines.append(f"  experiment '{exp.name}': {page}&viewStateShareKey={RUNS_VIEW}")
        lines.append(f"    mean over seeds:  {page}&viewStateShareKey={MEAN_VIEW}")
    return lines


def _params(texts: list[str]) -> dict[str, dict[str, object]] | None:
    params: dict[str, dict[str, object]] = {}
    for text in texts:
        method, name, value = _parse_param(text)
        params.setdefault(method, {})[name] = value
    return params or None


def cmd_sweep(args: argparse.Namespace) -> int:
    from bench.api import sweep_config
    from bench.config import build_config

    config = build_config(
        args.config,
        methods=args.methods,
        datasets=args.datasets,
        seeds=_int_list(args.seeds) if args.seeds else None,
        jobs=args.jobs,
        timeout=args.timeout,
        results=args.results,
        name=args.name or "sweep",  # never a config file's benchmark name: its own tables
        tracking_uri=args.tracking_uri,
        metrics=args.metrics.split(",") if args.metrics else None,
        params=_params(args.param),
        rerun=args.rerun,
        track=args.track,
    )
    if args.config is None and args.methods is None:
        config.methods = ["all"]  # the grids' methods
    out = sweep_config(
        config,
        args.grid,
        choose_on=args.choose_on,
        choose_by=args.choose_by,
        figures=not args.no_figures,
        out=args.out,
        progress=not args.quiet,
    )
    res = out.result
    if out.printed:
        print("\n\n".join(out.printed))
    for note in res.notes:
        print(f"note: {note}", file=sys.stderr)
    n_points = sum(len(g.points()) for g in res.grids.values())
    print(
        f"{n_points} grid point(s): {res.n_computed} fits computed, {res.n_cached} cached; "
        f"tables and figures in {out.out}/ (the best point per dataset is in "
        "oracle/best_points.md, an ORACLE choice)"
    )
    if config.track:
        what = f"{out.n_logged} child runs" if out.n_logged else "already tracked"
        print(
            f"MLflow: experiment '{config.name}' at {_uri(config)}: sweep run "
            f"{out.parent_run_id} ({what})"
        )
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from bench.api import classify_config
    from bench.classification import DEFAULT_COHORTS, DEFAULT_METHODS, ClassifyOptions
    from bench.config import build_config

    config = build_config(
        None,
        methods=[args.methods] if args.methods else list(DEFAULT_METHODS),
        datasets=[args.cohorts] if args.cohorts else list(DEFAULT_COHORTS),
        seeds=_int_list(args.seeds) if args.seeds else [0],
        jobs=args.jobs,
        timeout=args.timeout,
        results=args.results,
        name=args.name,
        params=_params(args.param),
        rerun=args.rerun,
        track=False,
    )
    options = ClassifyOptions(
        outer_folds=args.folds,
        inner_folds=args.inner_folds,
        n_permutations=args.permutations,
        n_bootstrap=args.bootstrap,
        impl=args.impl,
        n_jobs=config.n_jobs,
    ).check()
    out = classify_config(config, options, out=args.out, progress=not args.quiet)
    if out.printed:
        print("\n\n".join(out.printed))
    for note in out.result.notes:
        print(f"note: {note}", file=sys.stderr)
    run = out.result.run
    print(
        f"{len(run.records)} fits ({run.n_computed} computed, {run.n_cached} cached); "
        f"tables in {out.out}/"
    )
    return 0


def _protocol_config(
    args: argparse.Namespace, methods: list[str], datasets: list[str], **extra: object
) -> BenchConfig:
    """The run configuration of ``bench transfer`` / ``bench ablation`` from their shared
    options (seed 0 unless ``--seeds``); ``extra`` adds the command's own."""
    from bench.config import build_config

    return build_config(
        None,
        methods=methods,
        datasets=datasets,
        seeds=_int_list(args.seeds) if args.seeds else [0],
        jobs=args.jobs,
        timeout=args.timeout,
        results=args.results,
        name=args.name,
        tracking_uri=args.tracking_uri,
        params=_params(args.param),
        rerun=args.rerun,
        track=args.track,
        **extra,
    )


def cmd_transfer(args: argparse.Namespace) -> int:
    import time

    from bench.api import transfer_config

    config = _protocol_config(
        args,
        [args.methods],
        [args.train],
        metrics=args.metrics.split(",") if args.metrics else None,
    )
    t0 = time.perf_counter()
    out = transfer_config(config, [args.train], [args.test], out=args.out, progress=not args.quiet)
    res = out.result
    if out.printed:
        print("\n\n".join(out.printed))
    for note in res.notes:
        print(f"note: {note}", file=sys.stderr)
    print(
        f"{res.n_trained} model(s) trained, {res.n_reused} reused; "
        f"{time.perf_counter() - t0:.1f} s; tables in {out.out}/"
    )
    return 0


def cmd_ablation(args: argparse.Namespace) -> int:
    import time

    from bench.api import ablation_config

    config = _protocol_config(args, [args.method], [args.datasets])
    t0 = time.perf_counter()
    out = ablation_config(config, args.method, floor=not args.no_floor, progress=not args.quiet)
    print("\n\n".join(out.printed))
    run = out.result.bench.run
    print(
        f"{len(run.records)} fits ({run.n_computed} computed, {run.n_cached} cached); "
        f"{time.perf_counter() - t0:.1f} s; tables in {out.out}/ (ablation.md; ORACLE "
        "best-epoch numbers in oracle/ablation.md)"
    )
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    import tempfile

    from bench.config import BenchConfig
    from bench.tracking import _quiet_mlflow, resolve_uri

    config = BenchConfig(results=args.results, tracking_uri=args.tracking_uri)
    uri = resolve_uri(config, Path(args.results))
    if uri.startswith("sqlite:") and not (Path(args.results) / "mlflow.db").is_file():
        raise BenchError(
            f"no MLflow store at {Path(args.results) / 'mlflow.db'} (run 'bench run' first)"
        )
    if not _port_free(args.port):
        raise BenchError(f"--port {args.port}: 127.0.0.1:{args.port} is in use; pick another")
    _quiet_mlflow()
    base = f"http://127.0.0.1:{args.port}"
    log = tempfile.NamedTemporaryFile(prefix="bench-ui-", suffix=".log", delete=False)
    cmd = [sys.executable, "-m", "bench.reports.mlflow_ui", "--backend-store-uri", uri]
    cmd += ["--host", "127.0.0.1", "--port", str(args.port)]
    print(f"starting the MLflow UI on {base} (this can take a minute) ...", flush=True)
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            _wait_health(f"{base}/health", proc, timeout=args.wait)
        except BenchError:
            _stop(proc)
            log.close()
            tail = Path(log.name).read_text(errors="replace").strip().splitlines()[-15:]
            print("\n".join(tail), file=sys.stderr)
            raise
        try:
            lines = ui_links(uri, base)
        except Exception:  # the list is a convenience; the UI itself reports store problems
            lines = []
        print(f"MLflow UI ready on {base} (Ctrl-C to stop; server log {log.name})")
        print("\n".join(lines) if lines else "  (no experiment with bench runs yet)", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        _stop(proc)
        print("MLflow UI stopped", file=sys.stderr)
        return 0
    finally:
        if proc.poll() is None:
            _stop(proc)
        log.close()


def cmd_doctor(args: argparse.Namespace) -> int:
    from bench.doctor import report

    print(report())
    return 0


COMMANDS = {
    "list": cmd_list,
    "run": cmd_run,
    "report": cmd_report,
    "ui": cmd_ui,
    "doctor": cmd_doctor,
    "sweep": cmd_sweep,
    "classify": cmd_classify,
    "transfer": cmd_transfer,
    "ablation": cmd_ablation,
}


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM (kill, a cluster scheduler) stops like Ctrl-C


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return COMMANDS[args.command](args)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "bench: interrupted; finished fits are kept and will not be recomputed", file=sys.stderr
        )
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
