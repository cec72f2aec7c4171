"""Parameter sweeps: grids from options and config files, runs that share the records of normal
runs, the one aggregation, the oracle and honest choices, MLflow parent and child runs kept
apart from result runs, and BrainEC-LLM's parameters in a grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bench
from bench.aggregate import summarize
from bench.cli import main
from bench.config import build_config
from bench.sweeps import grids_from, parse_grid_option, run_sweep, sweep_options
from bench.types import BenchError


def test_grid_options_parse_into_product_grids() -> None:
    assert parse_grid_option("pc.alpha=0.01,0.05") == ("pc", "alpha", [0.01, 0.05])
    assert parse_grid_option("pc.indep_test=fisherz,kci")[2] == ["fisherz", "kci"]
    grids = grids_from(["pcmci.alpha=0.01,0.05", "pcmci.tau_max=1,2,3", "granger.alpha=0.1"])
    pts = grids["pcmci"].points()
    assert len(pts) == 6 and pts[0] == {"alpha": 0.01, "tau_max": 1}
    assert pts[1] == {"alpha": 0.01, "tau_max": 2}  # the first parameter varies slowest
    assert grids["granger"].points() == [{"alpha": 0.1}]
    # a config file's table, with a --grid replacing one parameter's values
    file_grids, options = sweep_options(
        {"choose_on": "smith:1", "pc": {"alpha": [0.01, 0.1]}, "granger": {"alpha": [0.2]}}
    )
    assert options == {"choose_on": "smith:1"}
    g = grids_from(["granger.alpha=0.3,0.4"], file_grids)
    assert g["pc"].points() == [{"alpha": 0.01}, {"alpha": 0.1}]
    assert g["granger"].points() == [{"alpha": 0.3}, {"alpha": 0.4}]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["pc.alpha"], "expected METHOD.NAME=V1,V2"),
        (["pc.alpha="], "no values"),
        (["pc.alfa=0.1"], "pc has no parameter 'alfa'"),
        (["pc.alpha=0.1,0.1"], "repeated values"),
        (["pcx.alpha=0.1"], "Did you mean 'pc'"),
        ([], "no grid given"),
    ],
)
def test_bad_grids_fail_with_one_line(options: list[str], message: str) -> None:
    with pytest.raises(BenchError, match=message):
        grids_from(options)


def test_a_bad_point_fails_before_any_fit(tmp_path: Path) -> None:
    cfg = build_config(datasets=["smith:1@1"], seeds=[0], results=str(tmp_path / "r"), track=False)
    with pytest.raises(BenchError, match=r"grid point pc alpha=-1: invalid parameter"):
        run_sweep(cfg, grids_from(["pc.alpha=0.1,-1"]), progress=False)
    assert not (tmp_path / "r" / "records").exists()


def test_brainec_llm_parameters_work_in_a_grid(tmp_path: Path) -> None:
    """The loss weights, llm_layers and lora_r are grid parameters (checked without fitting)."""
    grids = grids_from(
        [
            "brainec-llm.alpha_dag=0,100",
            "brainec-llm.alpha_sp=0,2",
            "brainec-llm.alpha_cons=0,10",
            "brainec-llm.llm_layers=1,2",
            "brainec-llm.lora_r=4,8",
        ]
    )
    assert len(grids["brainec-llm"].points()) == 32
    cfg = build_config(
        datasets=["smith:1@1"],
        seeds=[0],
        results=str(tmp_path / "r"),
        track=False,
        params={"brainec-llm": {"backbone": "tiny", "epochs": 1, "num_tokens": 50}},
    )
    with pytest.raises(BenchError, match="grid point brainec-llm lora_r=0"):
        run_sweep(cfg, grids_from(["brainec-llm.lora_r=4,0"]), progress=False)


def _sweep(tmp_path: Path, **kw):  # type: ignore[no-untyped-def]
    base = dict(
        grid=["granger.alpha=0.01,0.05,0.2"],
        datasets="smith:1@1-2,smith:2@1-2",
        seeds=[0],
        jobs=1,
        results=str(tmp_path / "r"),
        figures=False,
    )
    return bench.sweep(**{**base, **kw})


def test_sweep_numbers_come_from_the_runs_and_the_one_aggregation(tmp_path: Path) -> None:
    normal = bench.run(
        methods="granger",
        datasets="smith:1@1-2,smith:2@1-2",
        seeds=[0],
        jobs=1,
        results=str(tmp_path / "r"),
    )
    out = _sweep(tmp_path, choose_on="smith:1@1-2")
    res = out.result
    by_point = {p.params["alpha"]: p for p in res.points}
    # the default point reuses the normal run's fits; the others are computed
    assert by_point[0.05].run.n_computed == 0 and by_point[0.05].run.n_cached == 4
    assert by_point[0.01].run.n_computed == 4
    # each point's numbers are its run's unit means; the summary is bench.aggregate.summarize
    for alpha, p in by_point.items():
        mine = res.long[res.long["alpha"] == alpha].set_index(["dataset", "seed", "metric"])[
            "value"
        ]
        theirs = p.run.long.set_index(["dataset", "seed", "metric"])["value"]
        pd.testing.assert_series_equal(mine.sort_index(), theirs.sort_index(), check_names=False)
    d = normal.long.set_index(["dataset", "seed", "metric"])["value"]
    pd.testing.assert_series_equal(
        res.long[res.long["alpha"] == 0.05]
        .set_index(["dataset", "seed", "metric"])["value"]
        .sort_index(),
        d.sort_index(),
        check_names=False,
    )
    point1 = res.long[res.long["point"] == 1]
    expect = summarize(point1.loc[:, ["method", "dataset", "seed", "metric", "value"]])
    got = res.summary[res.summary["point"] == 1]
    assert np.allclose(got["mean"].to_numpy(), expect["mean"].to_numpy(), equal_nan=True)
    # the oracle picks each dataset's own best; the honest choice is made on smith:1@1-2 only
    f1 = res.summary[res.summary["metric"] == "f1"]
    for row in res.oracle_best("f1").itertuples():
        assert row.mean == f1[f1["dataset"] == row.dataset]["mean"].max()
    on_choice = f1[f1["dataset"] == "smith:1@1-2"].set_index("point")["mean"]
    assert res.choice == {"granger": int(on_choice.idxmax())}
    assert res.eval_datasets() == ["smith:2@1-2"]
    files = {p.relative_to(out.out).as_posix() for p in out.files}
    assert {"granger/f1.md", "oracle/best_points.md", "chosen.md", "summary.csv"} <= files
    assert "ORACLE" in (out.out / "oracle" / "best_points.md").read_text()
    chosen = (out.out / "chosen.md").read_text()
    assert "smith:2@1-2" in chosen and "Honest choice" in chosen


def test_sweeps_log_parent_and_child_runs_that_bench_report_never_reads(tmp_path: Path) -> None:
    out = _sweep(tmp_path, track=True, grid=["granger.alpha=0.01,0.05"], datasets="smith:1@1")
    assert out.n_logged == 2 and out.parent_run_id
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'r' / 'mlflow.db'}")
    exp = client.get_experiment_by_name("sweep")
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if r.data.tags.get("bench.kind") == "sweep"]
    kids = [r for r in runs if r.data.tags.get("bench.kind") == "sweep-point"]
    assert len(parents) == 1 and len(kids) == 2
    assert {r.data.tags["mlflow.parentRunId"] for r in kids} == {out.parent_run_id}
    assert sorted(r.data.params["p.alpha"] for r in kids) == ["0.01", "0.05"]
    assert all("f1" in r.data.metrics for r in kids)
    with pytest.raises(BenchError, match="has no result runs"):
        bench.report(str(tmp_path / "r"), name="sweep")
    again = _sweep(tmp_path, track=True, grid=["granger.alpha=0.01,0.05"], datasets="smith:1@1")
    assert again.n_logged == 0 and again.parent_run_id == out.parent_run_id
    assert len(client.search_runs([exp.experiment_id])) == 3


def test_cli_sweep_from_a_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(
        'datasets = ["smith:1@1", "smith:2@1"]\nseeds = [0]\njobs = 1\n'
        '[sweep]\nchoose_on = "smith:1@1"\n[sweep.granger]\nalpha = [0.01, 0.1]\n'
    )
    code = main(
        ["sweep", "--config", str(cfg), "--results", str(tmp_path / "r"), "--no-track", "--quiet"]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "2 grid point(s)" in text and "ORACLE" in text
    t = tmp_path / "r" / "tables" / "sweep"
    assert (t / "granger" / "f1.tex").is_file() and (t / "figures" / "granger_f1.png").is_file()
    assert (t / "chosen.md").is_file()


def test_methods_must_match_the_grids(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="no grid for pc"):
        _sweep(tmp_path, methods="granger,pc")


@pytest.mark.slow
def test_brainec_llm_sweep_fits_with_the_tiny_backbone(tmp_path: Path) -> None:
    out = bench.sweep(
        grid=["brainec-llm.alpha_dag=0,100", "brainec-llm.lora_r=4", "brainec-llm.llm_layers=1"],
        params={"brainec-llm": {"backbone": "tiny", "epochs": 1, "num_tokens": 50}},
        datasets="smith:1@1-2",
        seeds=[0],
        jobs=1,
        results=str(tmp_path / "r"),
        figures=False,
    )
    assert out.result.n_computed == 2
    f1 = out.summary[out.summary["metric"] == "f1"]
    assert len(f1) == 2 and f1["applicable"].all()
