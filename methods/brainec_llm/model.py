"""The BrainEC-LLM network (reference/brainec-llm.md §1) and its loss.

Forward pass for a batch ``x [B, T, N]`` (B subjects, full series):

1. instance normalisation (statistics kept for de-normalisation);
2. multiscale decomposition mixing → S series ``[B, T_i, N]``, ``T_i = ⌊T/2^i⌋``;
3. per scale (rounded to bfloat16 first with a bf16 backbone, as the reference on CUDA):
   patch embedding (shared) → ``[B·N, L_i, D]``; reprogramming (shared) against
   the text prototypes ``E' = (W_map · E_vocabᵀ)ᵀ`` → ``[B·N, L_i, d_llm]``;
4. backbone on ``[prompt | scale 0 | ... | scale S−1]`` (``inputs_embeds``, causal), prompt
   positions dropped; the prompt prefix is run once and shared (see
   :func:`backbone.run_backbone`), or repeated B·N times (``prompt_sharing=False``);
5. out-projection → S series ``[B, T_i, N]``; cross-scale contrastive loss on them;
6. multiscale reconstruction mixing → ``[B, T, N]``; the node-attention EC head → the
   reconstruction and ``A``; de-normalisation.

Without an LLM (``n_layers = 0``, the "w/o LLM" ablation) the backbone is the identity and
the prompt is not used (its positions would be dropped anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .attention import NodeAttention, attention_to_ec
from .backbone import run_backbone
from .layers import (
    InstanceNorm,
    MultiscaleDecomposition,
    OutProjection,
    PatchEmbedding,
    ReconstructionMix,
    Reprogramming,
    n_patches,
    scale_lengths,
)
from .losses import CrossScaleContrastive, dag_loss, reconstruction_loss, sparsity_loss


@dataclass(frozen=True)
class ModelConfig:
    n_nodes: int
    t: int
    d_llm: int
    vocab_size: int
    d_model: int = 32
    d_ff: int = 32
    n_heads: int = 8
    patch_len: int = 8
    stride: int = 8
    down_sampling_layers: int = 3
    moving_avg: int = 25
    kernel_size: int = 5
    att_n_head: int = 2
    att_hidden: int = 16
    dropout: float = 0.01
    num_tokens: int = 1000
    temperature: float = 0.2
    # "bfloat16": round each scale to bf16 before the patch embedding (the reference's CUDA
    # path, used with a bf16 backbone); "float32": no cast
    scale_dtype: str = "float32"


class BrainECLLMNet(nn.Module):
    """The trainable network around a (LoRA-wrapped or absent) backbone."""

    def __init__(self, cfg: ModelConfig, backbone: Any | None, word_embeddings: torch.Tensor):
        super().__init__()
        self.cfg = cfg
        self.backbone = backbone
        # frozen (vocab, d_llm) table, kept as a non-persistent buffer (not a parameter)
        self.register_buffer("word_embeddings", word_embeddings, persistent=False)
        self.lengths = scale_lengths(cfg.t, cfg.down_sampling_layers)
        self.patch_counts = [n_patches(t, cfg.patch_len, cfg.stride) for t in self.lengths]
        self.norm = InstanceNorm()
        self.decomp = MultiscaleDecomposition(
            cfg.n_nodes,
            cfg.t,
            down_sampling_layers=cfg.down_sampling_layers,
            moving_avg=cfg.moving_avg,
            d_model=cfg.d_model,
            d_ff=cfg.d_ff,
            patch_len=cfg.patch_len,
            stride=cfg.stride,
            kernel_size=cfg.kernel_size,
            dropout=cfg.dropout,
        )
        self.mapping = nn.Linear(cfg.vocab_size, cfg.num_tokens)
        cast = torch.bfloat16 if cfg.scale_dtype == "bfloat16" else None
        self.patch = PatchEmbedding(cfg.d_model, cfg.patch_len, cfg.stride, cfg.dropout, cast)
        self.reprogram = Reprogramming(cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.d_llm)
        self.out_proj = OutProjection(cfg.d_llm, cfg.d_model, self.patch_counts, self.lengths)
        self.contrastive = CrossScaleContrastive(self.lengths, cfg.temperature)
        self.recon = ReconstructionMix(self.lengths)
        self.ec_head = NodeAttention(
            cfg.t,
            cfg.n_nodes,
            n_head=cfg.att_n_head,
            d_hidden=cfg.att_hidden,
            dropout=cfg.dropout,
        )

    # ---------------------------------------------------------------- stages

    def prototypes(self) -> torch.Tensor:
        """``E' = (W_map · E_vocabᵀ)ᵀ``: ``[num_tokens, d_llm]``."""
        e = self.word_embeddings
        return self.mapping(e.transpose(0, 1).to(self.mapping.weight.dtype)).transpose(0, 1)

    def embed_scales(self, scales: list[torch.Tensor]) -> torch.Tensor:
        """Per-scale patch tokens reprogrammed to the backbone width, concatenated."""
        protos = self.prototypes()
        parts = []
        for xs in scales:  # [B, T_i, N]
            b, t, n = xs.shape
            tok = self.patch(xs.transpose(1, 2).reshape(b * n, t))  # [B·N, L_i, D]
            parts.append(self.reprogram(tok, protos))
        return torch.cat(parts, dim=1)  # [B·N, ΣL, d_llm]

    def run_llm(
        self, tokens: torch.Tensor, prompt: torch.Tensor | None, share_prompt: bool
    ) -> torch.Tensor:
        if self.backbone is None:
            return tokens
        dtype = self.word_embeddings.dtype
        p = None if prompt is None else prompt.to(dtype)
        out = run_backbone(self.backbone, p, tokens.to(dtype), share_prompt=share_prompt)
        return out.to(tokens.dtype)

    def forward(
        self,
        x: torch.Tensor,
        prompt: torch.Tensor | None = None,
        *,
        share_prompt: bool = True,
        contrastive: str = "logsumexp",
    ) -> dict[str, torch.Tensor]:
        b, _, n = x.shape
        xn, mean, std = self.norm.normalize(x)
        scales = self.decomp(xn)
        tokens = self.embed_scales(scales)
        h = self.run_llm(tokens, prompt, share_prompt)
        per_scale = self.out_proj(h, b, n)
        l_cons = self.contrastive(per_scale, contrastive)
        y = self.recon(per_scale)
        y, attn = self.ec_head(y)
        x_hat = self.norm.denormalize(y, mean, std)
        return {"x_hat": x_hat, "attn": attn, "A": attention_to_ec(attn), "l_cons": l_cons}


@dataclass(frozen=True)
class LossWeights:
    alpha_sp: float = 2.0
    alpha_dag: float = 100.0
    alpha_cons: float = 10.0
    sparsity: str = "faithful"


def total_loss(
    out: dict[str, torch.Tensor], x: torch.Tensor, w: LossWeights
) -> tuple[torch.Tensor, dict[str, float]]:
    """``MSE + α_sp·L_sp + α_dag·L_dag + α_cons·L_csc`` and its parts (floats)."""
    a = out["A"]
    rec = reconstruction_loss(out["x_hat"], x)
    sp = sparsity_loss(a, w.sparsity)
    dag = dag_loss(a)
    cons = out["l_cons"]
    loss = rec + w.alpha_sp * sp + w.alpha_dag * dag + w.alpha_cons * cons
    parts = {
        "rec": float(rec.detach()),
        "sparsity": float(sp.detach()),
        "dag": float(dag.detach()),
        "contrastive": float(cons.detach()),
    }
    return loss, parts
