"""Zero-shot transfer (bench.transfers) and the BrainEC-LLM transfer capability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bench
from bench.cli import main
from bench.methods.brainec_llm.estimator import TEST_PARAMS, BrainECLLM
from bench.types import DataError, FitContext

pytest.importorskip("torch")
pytest.importorskip("peft")

SMALL = {**TEST_PARAMS, "down_sampling_layers": 1}


def _series(n_subjects: int, t: int, n: int, seed: int) -> list[np.ndarray]:
    """A small VAR(1) chain 0 -> 1 -> ... per subject."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_subjects):
        x = np.zeros((t, n))
        e = rng.standard_normal((t, n))
        for k in range(1, t):
            x[k] = 0.3 * x[k - 1] + e[k]
            x[k, 1:] += 0.5 * x[k - 1, :-1]
        out.append(x)
    return out


@pytest.fixture(scope="module")
def fitted() -> tuple[BrainECLLM, list[np.ndarray]]:
    x = _series(2, 48, 4, 0)
    est = BrainECLLM(**SMALL, random_state=1).fit(x, FitContext(dataset="toy"))
    return est, x


def test_predict_on_the_training_data_is_the_fit(fitted) -> None:  # type: ignore[no-untyped-def]
    est, x = fitted
    out = est.predict(x, FitContext(dataset="toy"))
    np.testing.assert_array_equal(out.scores, est.estimate().scores)
    np.testing.assert_array_equal(out.adjacency, est.estimate().adjacency)


def test_predict_freezes_the_weights(fitted, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import torch

    est, _ = fitted

    def no_step(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("an optimizer step during predict")

    monkeypatch.setattr(torch.optim.Adam, "step", no_step)
    net = est.model_.net
    for p in net.parameters():
        p.grad = None  # the last training step's gradients
    before = {k: v.detach().clone() for k, v in net.state_dict().items()}
    out = est.predict(_series(3, 100, 4, 7), FitContext(dataset="target"))
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # BatchNorm stats included
    assert all(p.grad is None for p in net.parameters())  # no backward pass either
    assert out.extra["windows_per_subject"] == 2 and out.extra["dropped_points"] == 4
    assert out.scores.shape == (4, 4) and np.allclose(out.scores.sum(axis=0), 1.0)


def test_save_and_load_give_the_same_model(fitted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    est, x = fitted
    est.save_model(str(tmp_path / "m"))
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["seed"] == 1 and meta["n_nodes"] == 4 and meta["n_times"] == 48
    assert meta["code_revision"] and meta["params"]["backbone"] == "tiny"
    import torch

    state = torch.load(tmp_path / "m" / "weights.pt", weights_only=True)
    assert any("lora_" in k for k in state)
    assert not any(k.startswith("backbone.") and "lora_" not in k for k in state)  # frozen: no
    loaded = BrainECLLM.load_model(str(tmp_path / "m"))
    target = _series(2, 96, 4, 3)
    a = est.predict(target, FitContext(dataset="t")).scores
    b = loaded.predict(target, FitContext(dataset="t")).scores
    np.testing.assert_array_equal(a, b)


def test_a_different_number_of_nodes_or_a_shorter_series_is_refused(fitted) -> None:  # type: ignore[no-untyped-def]
    est, _ = fitted
    assert "built for 4 nodes" in est.transfer_refusal(8, 48)
    assert "48 time points" in est.transfer_refusal(4, 40)
    assert est.transfer_refusal(4, 480) is None
    with pytest.raises(DataError, match="target has 8"):
        est.predict(_series(1, 48, 8, 0), FitContext(dataset="wide"))


def test_a_method_without_the_capability_is_not_applicable(tmp_path: Path) -> None:
    out = bench.transfer(
        "correlation", train="smith:1@1-2", test="smith:5@1", results=tmp_path / "r", jobs=1
    )
    assert "correlation" in out.result.not_applicable
    md = (out.out / "f1.md").read_text()
    assert "n/a [1]" in md and "not applicable" in md
    assert out.result.run is None  # nothing was fitted, on the source or the target


@pytest.mark.slow
def test_transfer_pipeline_saves_reuses_and_refuses(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One tiny source model: the diagonal is the ordinary in-domain fit, the zero-shot cell
    is scored, a different N is refused, and a second transfer reuses the saved model (no fit
    reaches the executor), also from MLflow when the local copy is gone."""
    params = {"brainec-llm": dict(TEST_PARAMS)}
    kw = dict(results=tmp_path / "r", params=params, jobs=1, seeds=[0], track=True)
    first = bench.transfer(
        "brainec-llm,ngc-cmlp", train="smith:1@1-2", test="smith:5@1,smith:2@1", **kw
    )
    res = first.result
    assert res.n_trained == 1
    folder = res.models[("brainec-llm", "smith:1@1-2", 0)]
    assert (folder / "weights.pt").is_file() and (folder / "model.json").is_file()
    refused = res.refused[("brainec-llm", "smith:1@1-2", "smith:2@1")]
    assert "smith:1@1-2 (5 nodes" in refused and "smith:2@1 (10 nodes" in refused
    assert "ngc-cmlp" in res.not_applicable
    s = res.summary.set_index(["method", "source", "target", "metric"])["mean"]
    assert np.isfinite(s[("brainec-llm", "smith:1@1-2", "smith:5@1", "f1")])
    # the diagonal is the ordinary group fit (a separate run in its own folder, same seed)
    plain = bench.run(
        methods="brainec-llm", datasets="smith:1@1-2", seeds=[0], params=params, jobs=1
    )
    ps = plain.summary.set_index(["method", "dataset", "metric"])["mean"]
    for m in ("f1", "shd", "auroc"):
        assert (
            s[("brainec-llm", "smith:1@1-2", "smith:1@1-2", m)]
            == ps[("brainec-llm", "smith:1@1-2", m)]
        )
    md = (first.out / "f1.md").read_text()
    assert "(in domain)" in md and "n/a [" in md and "refused" in md and "10 nodes" in md

    from bench.executor import LocalExecutor

    jobs: list = []
    run = LocalExecutor.run

    def spy(self, items, on_result):  # type: ignore[no-untyped-def]
        items = list(items)
        jobs.extend(items)
        return run(self, items, on_result)

    monkeypatch.setattr(LocalExecutor, "run", spy)
    again = bench.transfer("brainec-llm", train="smith:1@1-2", test="smith:5@1", **kw)
    assert again.result.n_trained == 0 and again.result.n_reused == 1 and not jobs
    a = again.result.long.set_index(["source", "target", "metric"])["value"]
    b = res.long.set_index(["source", "target", "metric"])["value"]
    assert a[("smith:1@1-2", "smith:5@1", "f1")] == b[("smith:1@1-2", "smith:5@1", "f1")]
    import shutil

    shutil.rmtree(folder)  # the local copy is gone: MLflow's artifact serves
    third = bench.transfer("brainec-llm", train="smith:1@1-2", test="smith:5@1", **kw)
    assert third.result.n_trained == 0 and not jobs and (folder / "weights.pt").is_file()
    assert any("fetched from MLflow" in n for n in third.result.notes)


@pytest.mark.slow
def test_cli_transfer_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "transfer",
            "--methods",
            "brainec-llm",
            "--train",
            "smith:1@1-2",
            "--test",
            "smith:5@1",
            "--seeds",
            "0",
            *[f"--param=brainec-llm.{k}={v}" for k, v in TEST_PARAMS.items()],
            "--results",
            str(tmp_path / "r"),
            "--jobs",
            "1",
            "--no-track",
            "--quiet",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "Zero-shot transfer" in printed and "1 model(s) trained" in printed
    folder = tmp_path / "r" / "tables" / "transfer" / "transfer"
    for name in ("f1.md", "f1.tex", "shd.md", "transfer.csv", "summary.csv"):
        assert (folder / name).is_file()
    csv = pd.read_csv(folder / "summary.csv")
    assert set(csv["target"]) == {"smith:1@1-2", "smith:5@1"}
