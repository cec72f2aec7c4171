"""The EC head: a one-layer node-as-token Transformer encoder (reference §5, ``AttEncoderLayer``).

Input: the reconstructed series ``Y [B, T, N]``.

1. ``Z = LayerNorm_T(Dropout(Y + PE))ᵀ`` of shape ``[B, N, T]``; ``PE`` is a fixed sinusoidal
   table ``[T, N]`` (position = time step, "hidden" size = N).
2. Multi-head attention over the N node tokens: ``n_head`` heads, ``d_k = d_v = ⌊T/2⌋``,
   ``Q, K, V = Linear(T → n_head·d_k)`` without bias; scores ``QKᵀ/√d_k``; the diagonal is
   set to −1e9 (a node never attends to itself); softmax over keys; attention dropout.
3. ``out = LN(Z + Dropout(fc(attn·V)))``; position-wise FFN ``T → d_hidden → T`` (ReLU) with
   residual and LN; an outer residual ``+ Z``; transposed back to ``[B, T, N]``.
4. ``A = (mean over batch and heads of attn)ᵀ``. ``attn[i, j]`` is how much node i pulls from
   node j ("j causes i"), so after the transpose ``A[j, i]`` is the strength of **j → i**
   (row = source, column = target, the bench convention). Hence ``A ≥ 0``, ``diag(A) = 0``
   and, without dropout (eval mode), **every column of A sums to 1**. In training mode A is
   taken after the attention dropout, as in the reference.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_table(t: int, n: int) -> torch.Tensor:
    """Fixed sinusoidal table ``[t, n]`` (sin on even, cos on odd columns; any ``n``)."""
    pos = torch.arange(t, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, n, 2, dtype=torch.float32) * (-math.log(10000.0) / n))
    pe = torch.zeros(t, n)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div[: n // 2])
    return pe


class NodeAttention(nn.Module):
    """Returns ``(reconstruction [B, T, N], attn [B, H, N, N])``; see the module docstring."""

    def __init__(
        self,
        t: int,
        n_nodes: int,
        *,
        n_head: int = 2,
        d_hidden: int = 16,
        dropout: float = 0.01,
        att_dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.h = n_head
        self.dk = max(1, t // 2)
        self.register_buffer("pe", sinusoidal_table(t, n_nodes), persistent=False)
        self.in_drop = nn.Dropout(dropout)
        self.ln0 = nn.LayerNorm(t, eps=1e-6)
        self.wq = nn.Linear(t, n_head * self.dk, bias=False)
        self.wk = nn.Linear(t, n_head * self.dk, bias=False)
        self.wv = nn.Linear(t, n_head * self.dk, bias=False)
        self.fc = nn.Linear(n_head * self.dk, t, bias=False)
        self.att_drop = nn.Dropout(att_dropout)
        self.drop = nn.Dropout(dropout)
        self.ln1 = nn.LayerNorm(t, eps=1e-6)
        self.ffn = nn.Sequential(nn.Linear(t, d_hidden), nn.ReLU(), nn.Linear(d_hidden, t))
        self.ffn_drop = nn.Dropout(dropout)
        self.ln2 = nn.LayerNorm(t, eps=1e-6)

    def forward(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, _, n = y.shape
        z = self.ln0(self.in_drop(y + self.pe).transpose(1, 2))  # [B, N, T]
        q = self.wq(z).view(b, n, self.h, self.dk).transpose(1, 2)  # [B, H, N, dk]
        k = self.wk(z).view(b, n, self.h, self.dk).transpose(1, 2)
        v = self.wv(z).view(b, n, self.h, self.dk).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.dk)
        eye = torch.eye(n, dtype=torch.bool, device=y.device)
        scores = scores.masked_fill(eye, -1e9)
        attn = self.att_drop(torch.softmax(scores, dim=-1))  # [B, H, N, N]
        ctx = (attn @ v).transpose(1, 2).reshape(b, n, self.h * self.dk)
        out = self.ln1(z + self.drop(self.fc(ctx)))
        out = self.ln2(out + self.ffn_drop(self.ffn(out)))
        out = out + z
        return out.transpose(1, 2), attn


def attention_to_ec(attn: torch.Tensor) -> torch.Tensor:
    """``A = (mean over batch and heads of attn)ᵀ``: row = source, column = target."""
    return attn.mean(dim=(0, 1)).transpose(0, 1)
