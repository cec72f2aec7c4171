"""The reference's 4-bit recipe, checked without a GPU: the load arguments and the float cast."""

from __future__ import annotations

import pytest
import torch

from bench.methods.brainec_llm import backbone as bb
from bench.types import UnavailableError


def test_four_bit_load_arguments_are_the_references_bare_load_in_4bit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``load_in_4bit=True`` without a config, weights loaded as bfloat16: transformers'
    defaults, i.e. FP4, float32 compute, no double quantisation."""
    monkeypatch.setattr(bb, "four_bit_missing", lambda device: [])
    kw = bb.folder_load_kwargs("cfg", device="cuda", dtype=torch.bfloat16, load_in_4bit=True)
    assert kw["dtype"] is torch.bfloat16 and kw["device_map"] == {"": "cuda"}
    q = kw["quantization_config"]
    assert q.load_in_4bit and not q.load_in_8bit
    assert q.bnb_4bit_compute_dtype == torch.float32
    assert q.bnb_4bit_quant_type == "fp4" and not q.bnb_4bit_use_double_quant
    plain = bb.folder_load_kwargs("cfg", device="cpu", dtype=torch.float32, load_in_4bit=False)
    assert plain == {"config": "cfg", "local_files_only": True, "dtype": torch.float32}


def test_four_bit_without_cuda_names_what_is_missing() -> None:
    missing = bb.four_bit_missing("cpu")
    assert missing[0] == "a CUDA device (device is 'cpu')"
    with pytest.raises(UnavailableError, match="needs a CUDA device") as err:
        bb.folder_load_kwargs("cfg", device="cpu", dtype=torch.float32, load_in_4bit=True)
    assert "\n" not in str(err.value)


def test_float_unquantized_casts_floating_tensors_only() -> None:
    """The reference's ``Model(args).float()``: bf16 embeddings, norms and buffers become
    float32; integer tensors (the packed 4-bit weights) stay as they are."""
    tok = bb.tiny_tokenizer()
    model = bb.tiny_llama(len(tok), 1, seed=0).to(torch.bfloat16)
    packed = torch.randint(0, 255, (8, 4), dtype=torch.uint8)
    model.register_buffer("packed", packed)
    up = model.layers[0].mlp.up_proj
    up.weight = torch.nn.Parameter(torch.zeros(2, 2, dtype=torch.uint8), requires_grad=False)
    bb.float_unquantized(model)
    for name, t in [*model.named_parameters(), *model.named_buffers()]:
        if name in ("packed", "layers.0.mlp.up_proj.weight"):
            assert t.dtype == torch.uint8, name
        elif t.is_floating_point():
            assert t.dtype == torch.float32, name
    assert model.get_input_embeddings().weight.dtype == torch.float32
    assert torch.equal(model.packed, packed)


def test_four_bit_needs_a_folder_backbone() -> None:
    with pytest.raises(ValueError, match="needs a checkpoint folder"):
        bb.load_backbone(
            bb.resolve_backbone("tiny"), 1, device="cpu", dtype=torch.float32, load_in_4bit=True
        )


def test_short_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_LLM_PATH", raising=False)
    assert bb.short_name("auto") == bb.short_name("smollm2") == "SmolLM2-135M"
    assert bb.short_name("/m/Meta-Llama-3-8B-Instruct/") == "Meta-Llama-3-8B-Instruct"
    assert bb.short_name("/m/x/model.Q4_0.gguf") == "model.Q4_0"
    assert bb.short_name(None) == "Llama (checkpoint not set)"
    monkeypatch.setenv("BENCH_LLM_PATH", "/m/llama3")
    assert bb.short_name("auto") == "llama3"
