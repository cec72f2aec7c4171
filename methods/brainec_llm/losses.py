"""BrainEC-LLM losses (reference §6).

``L = MSE(x̂, x) + α_sp·L_sp(A) + α_dag·(tr(exp(A∘A)) − N) + α_cons·L_csc``

* **Reconstruction**: MSE between the de-normalised reconstruction and the raw input.
* **Sparsity** (``sparsity=``):

  - ``"faithful"``: ``Σ_ij A_ij`` as released. A's columns are softmax outputs, so this is
    the constant N (exactly in eval mode; N plus zero-mean dropout noise in training): it has
    no expected gradient and does not sparsify. Kept to reproduce the reference.
  - ``"l-half"``: ``Σ_ij sqrt(A_ij + ε)``, the L½ quasi-norm. On the probability simplex
    (each column of A) L1 is constant but L½ is not: it is largest for a uniform column and
    smallest for a one-hot one, so it pushes every target towards few sources. A keeps its
    definition (the attention), only the penalty changes.

* **DAG**: NOTEARS ``tr(matrix_exp(A∘A)) − N`` on the batch A.
* **Cross-scale contrastive** (``contrastive=``), on the S post-backbone per-scale series
  ``X_m [B, T_m, N]``. For each anchor scale i = 0..S−2, every scale m is projected to
  length T_i by its own head ``Linear(T_m → T_i) → ReLU → Linear(T_i → T_i)`` (along time),
  giving ``Z_m``. ``sim(U, V) = Σ_n cos(U[:, n], V[:, n])``. Per sample::

      ℓ(i→i+1) = −log[ exp(sim(Z_i, Z_{i+1})/τ) / Σ_{m≠i} exp(sim(Z_i, Z_m)/τ) ]
      ℓ(i+1→i) = −log[ exp(sim(Z_{i+1}, Z_i)/τ) / Σ_{m≠i+1} exp(sim(Z_{i+1}, Z_m)/τ) ]
      L_csc = Σ_i Σ_b (ℓ(i→i+1) + ℓ(i+1→i)) / (2·B·(S−1))

  - ``"faithful"``: computed as written with ``exp``; since ``sim ≤ N``, ``exp(N/τ)``
    overflows float32 for N ≥ 18 (τ = 0.2) and the loss becomes NaN;
  - ``"logsumexp"``: the same function computed as ``−sim⁺/τ + logsumexp(sim/τ)``; equal up to
    rounding where the faithful form is finite, and finite everywhere.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(x_hat, x)


def sparsity_loss(a: torch.Tensor, kind: str = "faithful", eps: float = 1e-8) -> torch.Tensor:
    if kind == "faithful":
        return a.sum()
    if kind == "l-half":
        off = ~torch.eye(a.shape[0], dtype=torch.bool, device=a.device)
        return torch.sqrt(a[off] + eps).sum()
    raise ValueError(f"unknown sparsity {kind!r}")


def dag_loss(a: torch.Tensor) -> torch.Tensor:
    return torch.linalg.matrix_exp(a * a).diagonal().sum() - a.shape[0]


def _projection_head(t_in: int, t_out: int) -> nn.Module:
    return nn.Sequential(nn.Linear(t_in, t_out), nn.ReLU(), nn.Linear(t_out, t_out))


class CrossScaleContrastive(nn.Module):
    """Cross-scale contrastive loss; heads ``[i][m]`` project scale m onto anchor i's length."""

    def __init__(self, lengths: list[int], temperature: float = 0.2) -> None:
        super().__init__()
        self.lengths = lengths
        self.temperature = temperature
        self.heads = nn.ModuleList(
            nn.ModuleList(_projection_head(t_m, lengths[i]) for t_m in lengths)
            for i in range(len(lengths) - 1)
        )

    def forward(self, series: list[torch.Tensor], mode: str = "logsumexp") -> torch.Tensor:
        s = len(series)
        if s < 2:
            return series[0].new_zeros(())
        b = series[0].shape[0]
        total = series[0].new_zeros(())
        for i in range(s - 1):
            # Z_m [B, T_i, N] for every scale m, projected along time
            z = [self.heads[i][m](series[m].transpose(1, 2)).transpose(1, 2) for m in range(s)]
            zs = torch.stack(z, dim=1)  # [B, S, T_i, N]
            zn = F.normalize(zs, dim=2, eps=1e-8)
            sim = torch.einsum("batn,bctn->bac", zn, zn) / self.temperature  # [B, S, S]
            for anchor, pos in ((i, i + 1), (i + 1, i)):
                mask = torch.ones(s, dtype=torch.bool, device=sim.device)
                mask[anchor] = False
                row = sim[:, anchor, :]
                if mode == "faithful":
                    num = torch.exp(row[:, pos])
                    den = torch.exp(row[:, mask]).sum(dim=1)
                    ell = -torch.log(num / den)
                elif mode == "logsumexp":
                    ell = -row[:, pos] + torch.logsumexp(row[:, mask], dim=1)
                else:
                    raise ValueError(f"unknown contrastive mode {mode!r}")
                total = total + ell.sum()
        return total / (2 * b * (s - 1))
