"""Building blocks of BrainEC-LLM (reference/brainec-llm.md §1, §3, §4, §1.7-8).

Shapes use B = batch (subjects), T = time points, N = nodes (regions), D = ``d_model``,
P = ``patch_len``, L = number of patches, S = number of scales (``down_sampling_layers + 1``).

* :class:`InstanceNorm` - per sample and node, statistics over time, detached, no affine.
* :class:`MultiscaleDecomposition` - average-pool scales; per scale a moving-average
  trend/season split and a shared node-mixing MLP; bottom-up season mixing (fine → coarse) and
  top-down trend mixing (coarse → fine) through :class:`GroupFFN` blocks (ModernTCN style).
* :class:`PatchEmbedding` - right replication pad by ``stride``, unfold, circular Conv1d token
  embedding (shared by the scales and by the GroupFFN blocks' own patching).
* :class:`Reprogramming` - cross-attention of patch tokens to text prototypes.
* :class:`OutProjection` - backbone width → ``d_model`` → per-scale series.
* :class:`ReconstructionMix` - per-scale ``Linear(T_i → T)`` along time, summed.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def scale_lengths(t: int, down_sampling_layers: int) -> list[int]:
    """Lengths of the scales made by repeated ``AvgPool1d(2, 2)``: T, ⌊T/2⌋, ⌊T/4⌋, ..."""
    out = [t]
    for _ in range(down_sampling_layers):
        out.append(out[-1] // 2)
    return out


def n_patches(t: int, patch_len: int, stride: int) -> int:
    """Patches after right padding by ``stride``: ⌊(T + stride − P) / stride⌋ + 1."""
    return (t + stride - patch_len) // stride + 1


class InstanceNorm(nn.Module):
    """RevIN without affine: ``x̃ = (x − μ)/sqrt(var + eps)`` per sample and node over time."""

    def __init__(self, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps

    def normalize(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mean = x.mean(dim=1, keepdim=True).detach()
        std = torch.sqrt(x.var(dim=1, keepdim=True, unbiased=False) + self.eps).detach()
        return (x - mean) / std, mean, std

    @staticmethod
    def denormalize(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
        return x * std + mean


class MovingAverageDecomp(nn.Module):
    """Autoformer ``series_decomp``: trend = moving average (edge-padded), season = x − trend."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # x [B, T, N]
        k = self.kernel_size
        front = x[:, :1, :].expand(-1, (k - 1) // 2, -1)
        end = x[:, -1:, :].expand(-1, (k - 1) // 2, -1)
        padded = torch.cat([front, x, end], dim=1)
        trend = F.avg_pool1d(padded.transpose(1, 2), kernel_size=k, stride=1).transpose(1, 2)
        return x - trend, trend


class TokenEmbedding(nn.Module):
    """``Conv1d(P → D, k=3, circular, no bias)`` over the patch sequence, Kaiming init."""

    def __init__(self, patch_len: int, d_model: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(
            patch_len, d_model, kernel_size=3, padding=1, padding_mode="circular", bias=False
        )
        nn.init.kaiming_normal_(self.conv.weight, mode="fan_in", nonlinearity="leaky_relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [M, L, P] -> [M, L, D]
        return self.conv(x.transpose(1, 2)).transpose(1, 2)


class PatchEmbedding(nn.Module):
    """Series ``[M, T]`` → patch tokens ``[M, L, D]`` (replication pad by stride, unfold).

    ``input_dtype=torch.bfloat16`` rounds the series to bfloat16 before patching and casts the
    patches back to float32 for the token embedding, as the reference's CUDA path does
    (``patch_embedding(x.to(bfloat16))``, whose ``TokenEmbedding`` casts to float32); the
    gradient into the series is then rounded to bfloat16 too. ``None``: no cast.
    """

    def __init__(
        self,
        d_model: int,
        patch_len: int,
        stride: int,
        dropout: float,
        input_dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.patch_len = patch_len
        self.stride = stride
        self.input_dtype = input_dtype
        self.value = TokenEmbedding(patch_len, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x [M, T]
        if self.input_dtype is not None:
            x = x.to(self.input_dtype)
        x = F.pad(x.unsqueeze(1), (0, self.stride), mode="replicate").squeeze(1)
        x = x.unfold(-1, self.patch_len, self.stride)  # [M, L, P]
        return self.dropout(self.value(x.to(self.value.conv.weight.dtype)))


def _pointwise_ffn(channels: int, hidden: int, groups: int, dropout: float) -> nn.Sequential:
    """Grouped pointwise ``Conv1d`` FFN ``channels → hidden → channels`` in ``groups`` groups.

    ModernTCN order, as the reference: ``conv → dropout → GELU → conv → dropout`` (dropout
    before the activation).
    """
    return nn.Sequential(
        nn.Conv1d(channels, hidden, 1, groups=groups),
        nn.Dropout(dropout),
        nn.GELU(),
        nn.Conv1d(hidden, channels, 1, groups=groups),
        nn.Dropout(dropout),
    )


class GroupFFN(nn.Module):
    """ModernTCN-style block mapping ``[B, N, T_in]`` → ``[B, N, T_out]`` (reference §3).

    Patch embedding (P, S, D) → depthwise Conv1d over patches (N·D channels, kernel
    ``kernel_size``) → BatchNorm1d(D) → ConvFFN1 → ConvFFN2 → residual with the embedded input
    → ``Linear(D → P)`` per patch, flatten ``L·P`` → ``Linear(L·P → T_out)`` (the reference's
    ``Conv1d(k=1)`` over that axis, which is the same map).

    The two FFNs are the reference's pointwise convolutions, both ``N·D → N·d_ff → N·D``:

    * ConvFFN1, ``groups=N`` on the node-major layout (channel ``n·D + d``): per node a feature
      mixing ``D → d_ff → D``;
    * ConvFFN2, ``groups=D`` on the feature-major layout (channel ``d·N + n``): per feature a
      node mixing ``N → N·d_ff/D → N`` (``N → N → N`` at the reference's ``d_ff = D = 32``).
      This is a path between nodes outside A. ``N·d_ff`` must be a multiple of ``D``.
    """

    def __init__(
        self,
        n_nodes: int,
        t_in: int,
        t_out: int,
        *,
        d_model: int,
        d_ff: int,
        patch_len: int,
        stride: int,
        kernel_size: int,
        dropout: float,
    ) -> None:
        super().__init__()
        n, d = n_nodes, d_model
        if (n * d_ff) % d:
            raise ValueError(
                f"GroupFFN: N·d_ff = {n}·{d_ff} must be a multiple of d_model = {d} "
                "(ConvFFN2 has d_model groups)"
            )
        self.n, self.d = n, d
        self.embed = PatchEmbedding(d_model, patch_len, stride, dropout)
        self.dw = nn.Conv1d(n * d, n * d, kernel_size, padding=kernel_size // 2, groups=n * d)
        self.norm = nn.BatchNorm1d(d)
        self.ffn1 = _pointwise_ffn(n * d, n * d_ff, groups=n, dropout=dropout)  # per node
        self.ffn2 = _pointwise_ffn(n * d, n * d_ff, groups=d, dropout=dropout)  # per feature
        n_patch = n_patches(t_in, patch_len, stride)
        self.head = nn.Linear(d, patch_len)
        self.out = nn.Linear(n_patch * patch_len, t_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, N, T_in]
        b, n, _ = x.shape
        d = self.d
        e = self.embed(x.reshape(b * n, -1))  # [B·N, L, D]
        n_patch = e.shape[1]
        e = e.reshape(b, n, n_patch, d).permute(0, 1, 3, 2)  # [B, N, D, L]
        h = self.dw(e.reshape(b, n * d, n_patch))
        h = self.norm(h.reshape(b * n, d, n_patch)).reshape(b, n * d, n_patch)
        h = self.ffn1(h).reshape(b, n, d, n_patch)
        h = h.permute(0, 2, 1, 3).reshape(b, d * n, n_patch)
        h = self.ffn2(h).reshape(b, d, n, n_patch).permute(0, 2, 1, 3)  # [B, N, D, L]
        h = e + h
        h = self.head(h.permute(0, 1, 3, 2))  # [B, N, L, P]
        return self.out(h.reshape(b, n, -1))  # [B, N, T_out]


class MultiscaleDecomposition(nn.Module):
    """Downsampling + one past-decomposable-mixing block (reference §3).

    Input ``[B, T, N]`` → list of S series ``[B, T_i, N]``. Per scale: season/trend split with a
    moving average, the shared node-mixing MLP ``Linear(N → d_ff) → GELU → Linear(d_ff → N)``
    applied to both (replacing them, as TimeMixer does with channel mixing on); then
    ``s'_0 = s_0``, ``s'_{i+1} = s_{i+1} + G↓_i(s'_i)`` and ``t'_{S-1} = t_{S-1}``,
    ``t'_i = t_i + G↑_i(t'_{i+1})``; output ``s'_i + t'_i``. No outer residual (as in the
    reference with ``channel_independence=0``).
    """

    def __init__(
        self,
        n_nodes: int,
        t: int,
        *,
        down_sampling_layers: int,
        moving_avg: int,
        d_model: int,
        d_ff: int,
        patch_len: int,
        stride: int,
        kernel_size: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.lengths = scale_lengths(t, down_sampling_layers)
        self.decomp = MovingAverageDecomp(moving_avg)
        self.node_mix = nn.Sequential(nn.Linear(n_nodes, d_ff), nn.GELU(), nn.Linear(d_ff, n_nodes))
        kw = dict(
            d_model=d_model,
            d_ff=d_ff,
            patch_len=patch_len,
            stride=stride,
            kernel_size=kernel_size,
            dropout=dropout,
        )
        ls = self.lengths
        self.down = nn.ModuleList(
            GroupFFN(n_nodes, ls[i], ls[i + 1], **kw) for i in range(len(ls) - 1)
        )
        self.up = nn.ModuleList(
            GroupFFN(n_nodes, ls[i + 1], ls[i], **kw) for i in range(len(ls) - 1)
        )

    def downsample(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = [x]
        for _ in range(len(self.lengths) - 1):
            prev = out[-1].transpose(1, 2)
            out.append(F.avg_pool1d(prev, kernel_size=2, stride=2).transpose(1, 2))
        return out

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:  # [B, T, N]
        scales = self.downsample(x)
        seasons, trends = [], []
        for xs in scales:
            s, t = self.decomp(xs)
            seasons.append(self.node_mix(s).transpose(1, 2))  # [B, N, T_i]
            trends.append(self.node_mix(t).transpose(1, 2))
        # bottom-up season mixing (fine -> coarse)
        mixed_s = [seasons[0]]
        for i, g in enumerate(self.down):
            mixed_s.append(seasons[i + 1] + g(mixed_s[-1]))
        # top-down trend mixing (coarse -> fine)
        mixed_t = [trends[-1]]
        for i in reversed(range(len(self.up))):
            mixed_t.insert(0, trends[i] + self.up[i](mixed_t[0]))
        return [(s + t).transpose(1, 2) for s, t in zip(mixed_s, mixed_t, strict=True)]


class Reprogramming(nn.Module):
    """Cross-attention: queries from patch tokens, keys/values from the text prototypes.

    ``Q = Linear(D → H·d_k)``, ``K, V = Linear(d_llm → H·d_k)``, ``softmax(QKᵀ/√d_k)`` with
    attention dropout, times V, then ``Linear(H·d_k → d_llm)``; no residual, no norm.
    """

    def __init__(
        self, d_model: int, n_heads: int, d_keys: int, d_llm: int, attention_dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.h, self.dk = n_heads, d_keys
        self.q = nn.Linear(d_model, n_heads * d_keys)
        self.k = nn.Linear(d_llm, n_heads * d_keys)
        self.v = nn.Linear(d_llm, n_heads * d_keys)
        self.out = nn.Linear(n_heads * d_keys, d_llm)
        self.dropout = nn.Dropout(attention_dropout)

    def forward(self, tokens: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
        m, length, _ = tokens.shape  # [M, L, D]
        s = prototypes.shape[0]  # [S', d_llm]
        q = self.q(tokens).view(m, length, self.h, self.dk)
        k = self.k(prototypes).view(s, self.h, self.dk)
        v = self.v(prototypes).view(s, self.h, self.dk)
        scores = torch.einsum("blhe,she->bhls", q, k) / math.sqrt(self.dk)
        att = self.dropout(torch.softmax(scores, dim=-1))
        out = torch.einsum("bhls,she->blhe", att, v).reshape(m, length, self.h * self.dk)
        return self.out(out)


class OutProjection(nn.Module):
    """Backbone output ``[B·N, ΣL_i, d_llm]`` → S series ``[B, T_i, N]``.

    ``Linear(d_llm → D)``, split per scale, flatten ``L_i·D``, per-scale
    ``Linear(L_i·D → T_i)``; no dropout (as the reference).
    """

    def __init__(
        self, d_llm: int, d_model: int, patch_counts: list[int], lengths: list[int]
    ) -> None:
        super().__init__()
        self.patch_counts = patch_counts
        self.proj = nn.Linear(d_llm, d_model)
        self.heads = nn.ModuleList(
            nn.Linear(lp * d_model, t) for lp, t in zip(patch_counts, lengths, strict=True)
        )

    def forward(self, h: torch.Tensor, batch: int, n_nodes: int) -> list[torch.Tensor]:
        h = self.proj(h)  # [B·N, ΣL, D]
        out = []
        for part, head in zip(torch.split(h, self.patch_counts, dim=1), self.heads, strict=True):
            y = head(part.reshape(batch, n_nodes, -1))  # [B, N, T_i]
            out.append(y.transpose(1, 2))
        return out


class ReconstructionMix(nn.Module):
    """Multiscale reconstruction: ``Σ_i Linear(T_i → T)`` applied along time."""

    def __init__(self, lengths: list[int]) -> None:
        super().__init__()
        self.maps = nn.ModuleList(nn.Linear(t, lengths[0]) for t in lengths)

    def forward(self, series: list[torch.Tensor]) -> torch.Tensor:
        out = 0
        for y, lin in zip(series, self.maps, strict=True):
            out = out + lin(y.transpose(1, 2)).transpose(1, 2)
        return out  # [B, T, N]
