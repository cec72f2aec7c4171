"""Group-level training of BrainEC-LLM and the two evaluation protocols.

Training (reference §7): all subjects of a dataset, batches of ``batch_size`` whole subjects,
shuffled every epoch; Adam (lr 1e-3, default betas, no weight decay, no clipping) over every
trainable parameter; ``CosineAnnealingLR(T_max=20, eta_min=1e-8)`` stepped once per epoch (so
the rate oscillates with a period of 40 epochs over longer runs, as in the reference).

Dtypes: the backbone is loaded as bfloat16 on CUDA and float32 on CPU (``dtype`` overrides: a
bf16 backbone on CPU is how the tests exercise the GPU's dtype path). With a bf16 backbone each
scale is rounded to bf16 before the patch embedding, as the reference on CUDA. With
``load_in_4bit`` the reference's recipe applies (FP4 weights, float32 compute, the rest of the
backbone cast to float32; :func:`backbone.folder_load_kwargs`). The trainable heads and the
LoRA adapters are float32 in every case.

Evaluation protocols (both recorded):

* **honest** (``adjacency_``/``scores_``): the final model in eval mode (no dropout), A
  averaged over all subjects, binarised by the reference rule (:mod:`.binarize`);
* **paper** (an oracle once scored): per epoch, the training-mode A averaged over the epoch's
  batches weighted by batch size, binarised by the same rule. The estimator stores the arrays
  (``extra_["epoch_scores"]``, ``extra_["epoch_adjacency"]``); the runner scores them against
  the truth afterwards and picks the best epoch (``oracle_best_*``), which is what the
  reference prints. The estimator never sees the truth.

All randomness comes from ``seed``: the torch RNG is forked and seeded inside :func:`train`
(model init, LoRA init, dropout), the batch order from ``numpy.random.SeedSequence(seed)``.
"""

from __future__ import annotations

import logging
import resource
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from bench.types import BenchError

from .backbone import add_lora, load_backbone, resolve_backbone
from .binarize import binarize
from .model import BrainECLLMNet, LossWeights, ModelConfig, total_loss
from .prompt import build_messages, pearson_prior, prompt_token_ids, render_prompt

log = logging.getLogger(__name__)

CONTRASTIVE_OVERFLOW_N = 18  # exp(N/0.2) overflows float32 from N = 18 on


@dataclass
class TrainConfig:
    backbone: str = "auto"
    llm_layers: int = 4
    epochs: int = 20
    model: dict[str, Any] = field(default_factory=dict)
    lora_r: int = 64
    lora_alpha: float = 32.0
    lora_dropout: float = 0.01
    lora_targets: tuple[str, ...] = ("q_proj", "k_proj")
    lr: float = 1e-3
    t_max: int = 20
    eta_min: float = 1e-8
    batch_size: int = 2
    weights: LossWeights = field(default_factory=LossWeights)
    contrastive: str = "logsumexp"
    proportion: float = 0.4
    use_prompt: bool = True
    prompt_sharing: bool = True
    load_in_4bit: bool = False
    device: str = "auto"
    dtype: str = "auto"


BACKBONE_DTYPES = ("auto", "float32", "bfloat16")


def resolve_dtype(dtype: str, device: str) -> torch.dtype:
    """Backbone dtype: ``"auto"`` = bfloat16 on CUDA, float32 on CPU (heads stay float32)."""
    if dtype not in BACKBONE_DTYPES:
        raise ValueError(f"dtype must be one of {BACKBONE_DTYPES}, not {dtype!r}")
    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    return getattr(torch, dtype)


def resolve_device(device: str) -> str:
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        from bench.types import UnavailableError

        raise UnavailableError("BrainEC-LLM: device='cuda' requested but no CUDA GPU is visible")
    return device


def _peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def train(
    series: np.ndarray,
    cfg: TrainConfig,
    *,
    family: str,
    description: str,
    seed: int,
    label: str = "",
) -> dict[str, Any]:
    """Train on ``series [S, T, N]``; return the honest A, per-epoch A's and training facts.

    ``label`` prefixes the per-epoch progress lines (logger ``bench.methods.brainec_llm``).
    """
    device = resolve_device(cfg.device)
    cuda = device.startswith("cuda")
    with torch.random.fork_rng(devices=[torch.cuda.current_device()] if cuda else []):
        torch.manual_seed(seed)
        return _train(
            series,
            cfg,
            family=family,
            description=description,
            seed=seed,
            device=device,
            label=label,
        )


def _train(
    series: np.ndarray,
    cfg: TrainConfig,
    *,
    family: str,
    description: str,
    seed: int,
    device: str,
    label: str = "",
) -> dict[str, Any]:
    cuda = device.startswith("cuda")
    dtype = resolve_dtype(cfg.dtype, device)
    s, t, n = series.shape
    warnings: list[str] = []
    contrastive = cfg.contrastive
    if contrastive == "faithful" and n >= CONTRASTIVE_OVERFLOW_N:
        contrastive = "logsumexp"
        warnings.append(
            f"contrastive='faithful' overflows float32 for N >= {CONTRASTIVE_OVERFLOW_N} "
            f"(N = {n}); switched to the equal, stable 'logsumexp' form"
        )
    if cuda:
        torch.cuda.reset_peak_memory_stats()

    t0 = time.perf_counter()
    net, loaded, spec = build_network(cfg, n, t, seed=seed, device=device, dtype=dtype)
    prompt_emb, prompt_len, prompt_text = prompt_embedding(loaded, cfg, series, description, device)
    word_emb = net.word_embeddings
    mcfg = net.cfg
    load_seconds = time.perf_counter() - t0

    params = [p for p in net.parameters() if p.requires_grad]
    n_trainable = int(sum(p.numel() for p in params))
    n_lora = int(
        sum(p.numel() for name, p in net.named_parameters() if p.requires_grad and "lora_" in name)
    )
    opt = torch.optim.Adam(params, lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.t_max, eta_min=cfg.eta_min)

    data = torch.as_tensor(series, dtype=torch.float32, device=device)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    bs = max(1, int(cfg.batch_size))

    losses: list[float] = []
    parts_hist: list[dict[str, float]] = []
    seconds: list[float] = []
    epoch_scores = np.zeros((cfg.epochs, n, n), dtype=np.float32)
    epoch_adj = np.zeros((cfg.epochs, n, n), dtype=bool)
    for epoch in range(cfg.epochs):
        te = time.perf_counter()
        net.train()
        order = rng.permutation(s)
        a_sum = torch.zeros(n, n, dtype=torch.float64, device=device)
        loss_sum = 0.0
        parts_sum: dict[str, float] = {}
        for start in range(0, s, bs):
            idx = torch.as_tensor(order[start : start + bs], device=device)
            xb = data[idx]
            out = net(xb, prompt_emb, share_prompt=cfg.prompt_sharing, contrastive=contrastive)
            loss, parts = total_loss(out, xb, cfg.weights)
            if not torch.isfinite(loss):
                raise BenchError(
                    f"BrainEC-LLM: the loss is not finite at epoch {epoch + 1} ({parts}); "
                    "training diverged"
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            k = len(idx)
            a_sum += out["A"].detach().to(torch.float64) * k
            loss_sum += float(loss.detach()) * k
            for key, v in parts.items():
                parts_sum[key] = parts_sum.get(key, 0.0) + v * k
        sched.step()
        a_epoch = (a_sum / s).cpu().numpy()
        np.fill_diagonal(a_epoch, 0.0)
        epoch_scores[epoch] = a_epoch.astype(np.float32)
        epoch_adj[epoch] = binarize(a_epoch, cfg.proportion)
        losses.append(loss_sum / s)
        parts_hist.append({key: v / s for key, v in parts_sum.items()})
        seconds.append(time.perf_counter() - te)
        log.info(
            "%sepoch %d/%d: loss %.4f (%.1f s)",
            f"{label}: " if label else "",
            epoch + 1,
            cfg.epochs,
            losses[-1],
            seconds[-1],
        )

    a_final = eval_ec(net, data, prompt_emb, cfg, contrastive)
    return {
        "A": a_final,
        "epoch_scores": epoch_scores,
        "epoch_adjacency": epoch_adj,
        "facts": {
            "backbone": loaded.name,
            "backbone_kind": spec.kind,
            "backbone_layers": loaded.n_layers,
            "backbone_layers_total": loaded.n_layers_total,
            "backbone_width": loaded.hidden_size,
            "device": device,
            "dtype": str(dtype).replace("torch.", ""),
            "backbone_compute_dtype": str(word_emb.dtype).replace("torch.", ""),
            "load_in_4bit": bool(cfg.load_in_4bit),
            "scale_dtype": mcfg.scale_dtype,
            "trainable_params": n_trainable,
            "lora_params": n_lora,
            "prompt_tokens": prompt_len,
            "prompt_sharing": bool(cfg.prompt_sharing and prompt_emb is not None),
            "contrastive": contrastive,
            "epochs": cfg.epochs,
            "loss": losses,
            "loss_parts": parts_hist,
            "seconds_per_epoch": seconds,
            "load_seconds": load_seconds,
            "train_seconds": float(sum(seconds)),
            "peak_memory_mb": _peak_memory_mb(device),
            "peak_memory_kind": "cuda max_memory_allocated" if cuda else "process max RSS",
            "warnings": warnings,
        },
        "prompt_text": prompt_text,
        "net": net,
        "loaded": loaded,
        "prompt_emb": prompt_emb,
    }


def build_network(
    cfg: TrainConfig, n: int, t: int, *, seed: int, device: str, dtype: torch.dtype
) -> tuple[BrainECLLMNet, Any, Any]:
    """The untrained network for ``N = n`` nodes and ``T = t`` points: ``(net, loaded, spec)``.

    The backbone is loaded frozen (its first ``cfg.llm_layers`` layers), wrapped with LoRA when
    it keeps a layer, and the heads are created in float32 on ``device``. The torch RNG is
    consumed in a fixed order (backbone, LoRA, heads), so under the same seed the same
    network comes out (:func:`train` trains it; :func:`restore_network` loads saved weights
    into it). Node-dependent layers (GroupFFN channels N·D, the node-mixing MLP, the EC head's
    positional table) and length-dependent ones (scale lengths, out-projections, the EC head's
    T-wide projections) fix ``n`` and ``t``.
    """
    spec = resolve_backbone(cfg.backbone)
    loaded = load_backbone(
        spec,
        cfg.llm_layers,
        device=device,
        dtype=dtype,
        load_in_4bit=cfg.load_in_4bit,
        seed=seed,
    )
    word_emb = loaded.model.get_input_embeddings().weight.detach()
    backbone = None
    if loaded.n_layers > 0:
        backbone = add_lora(
            loaded.model,
            r=cfg.lora_r,
            alpha=cfg.lora_alpha,
            dropout=cfg.lora_dropout,
            targets=list(cfg.lora_targets),
        )
    mcfg = ModelConfig(
        n_nodes=n,
        t=t,
        d_llm=loaded.hidden_size,
        vocab_size=loaded.vocab_size,
        scale_dtype="bfloat16" if dtype == torch.bfloat16 else "float32",
        **cfg.model,
    )
    net = BrainECLLMNet(mcfg, backbone, word_emb)
    # heads are created in float32; only move them (the backbone keeps its dtype)
    net.to(device)
    return net, loaded, spec


def prompt_embedding(
    loaded: Any, cfg: TrainConfig, series: np.ndarray, description: str, device: str
) -> tuple[torch.Tensor | None, int, str]:
    """The prompt of ``series [S, T, N]`` (description + Pearson prior), embedded once:
    ``(embeddings [1, L, d_llm] or None, L, text)``; ``None`` without an LLM or a prompt."""
    if loaded.n_layers == 0 or not cfg.use_prompt:
        return None, 0, ""
    prior = pearson_prior(list(series))
    text = render_prompt(loaded.tokenizer, build_messages(description, prior))
    ids = prompt_token_ids(loaded.tokenizer, text)
    with torch.no_grad():
        ids_t = torch.tensor([ids], dtype=torch.long, device=device)
        emb = loaded.model.get_input_embeddings()(ids_t).detach()
    return emb, len(ids), text


def trainable_state(net: BrainECLLMNet) -> dict[str, torch.Tensor]:
    """The part of ``net``'s state dict that training changes: every non-backbone parameter
    and buffer (BatchNorm statistics included) and the LoRA adapters; not the frozen
    pretrained backbone, which :func:`build_network` reloads."""
    return {
        k: v.detach().cpu().clone()
        for k, v in net.state_dict().items()
        if not k.startswith("backbone.") or "lora_" in k
    }


def restore_network(net: BrainECLLMNet, state: dict[str, torch.Tensor]) -> None:
    """Load :func:`trainable_state` into a network from :func:`build_network`; raise
    ``ValueError`` when the saved state does not cover exactly its trainable part."""
    expected = set(trainable_state(net))
    got = set(state)
    if got != expected:
        missing, extra = sorted(expected - got), sorted(got - expected)
        raise ValueError(
            f"BrainEC-LLM: the saved weights do not fit the network (missing {missing[:3]}, "
            f"unexpected {extra[:3]})"
        )
    result = net.load_state_dict(state, strict=False)
    if result.unexpected_keys:  # pragma: no cover - checked above
        raise ValueError(f"BrainEC-LLM: unexpected weights {result.unexpected_keys[:3]}")


@torch.no_grad()
def eval_ec(
    net: BrainECLLMNet,
    data: torch.Tensor,
    prompt_emb: torch.Tensor | None,
    cfg: TrainConfig,
    contrastive: str = "logsumexp",
) -> np.ndarray:
    """Eval-mode A averaged over all subjects (batches of ``batch_size``), zero diagonal."""
    net.eval()
    s, _, n = data.shape
    bs = max(1, int(cfg.batch_size))
    a_sum = torch.zeros(n, n, dtype=torch.float64, device=data.device)
    for start in range(0, s, bs):
        xb = data[start : start + bs]
        out = net(xb, prompt_emb, share_prompt=cfg.prompt_sharing, contrastive=contrastive)
        a_sum += out["A"].to(torch.float64) * xb.shape[0]
    a = (a_sum / s).cpu().numpy()
    np.fill_diagonal(a, 0.0)
    return np.clip(a, 0.0, None)


def n_scales_ok(t: int, down_sampling_layers: int) -> bool:
    """The coarsest scale must keep at least 2 time points."""
    return t // (2**down_sampling_layers) >= 2
