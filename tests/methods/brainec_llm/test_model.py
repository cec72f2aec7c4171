"""Shapes through every stage, A's properties, losses and gradients (tiny random backbone)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.methods.brainec_llm import backbone as bb
from bench.methods.brainec_llm.attention import sinusoidal_table
from bench.methods.brainec_llm.layers import GroupFFN, n_patches, scale_lengths
from bench.methods.brainec_llm.losses import CrossScaleContrastive, dag_loss, sparsity_loss
from bench.methods.brainec_llm.model import BrainECLLMNet, LossWeights, ModelConfig, total_loss

B, T, N = 2, 64, 3


@pytest.fixture
def parts():
    torch.manual_seed(0)
    tok = bb.tiny_tokenizer()
    base = bb.tiny_llama(len(tok), 2, seed=0)
    emb = base.get_input_embeddings().weight.detach()
    llm = bb.add_lora(base, r=8, alpha=4, dropout=0.0, targets=["q_proj", "k_proj"])
    cfg = ModelConfig(n_nodes=N, t=T, d_llm=32, vocab_size=emb.shape[0], num_tokens=50)
    net = BrainECLLMNet(cfg, llm, emb)
    prompt = emb[torch.arange(20)].unsqueeze(0)
    x = torch.randn(B, T, N)
    return net, prompt, x


def test_scale_and_patch_arithmetic() -> None:
    assert scale_lengths(200, 3) == [200, 100, 50, 25]
    assert [n_patches(t, 8, 8) for t in (200, 100, 50, 25)] == [26, 13, 7, 4]


def test_shapes_through_every_stage(parts) -> None:
    net, prompt, x = parts
    xn, mean, std = net.norm.normalize(x)
    assert xn.shape == (B, T, N) and mean.shape == (B, 1, N)
    torch.testing.assert_close(xn.mean(1), torch.zeros(B, N), atol=1e-5, rtol=0)
    scales = net.decomp(xn)
    assert [s.shape for s in scales] == [(B, t, N) for t in (64, 32, 16, 8)]
    tokens = net.embed_scales(scales)
    n_tok = sum(n_patches(t, 8, 8) for t in (64, 32, 16, 8))
    assert tokens.shape == (B * N, n_tok, 32)
    assert net.prototypes().shape == (50, 32)
    h = net.run_llm(tokens, prompt, share_prompt=True)
    assert h.shape == (B * N, n_tok, 32)
    per_scale = net.out_proj(h, B, N)
    assert [p.shape for p in per_scale] == [(B, t, N) for t in (64, 32, 16, 8)]
    y = net.recon(per_scale)
    assert y.shape == (B, T, N)
    out = net(x, prompt)
    assert out["x_hat"].shape == (B, T, N)
    assert out["attn"].shape == (B, 2, N, N)
    assert out["A"].shape == (N, N)


def test_group_ffn_maps_lengths() -> None:
    g = GroupFFN(3, 50, 25, d_model=8, d_ff=8, patch_len=8, stride=8, kernel_size=5, dropout=0.0)
    assert g(torch.randn(2, 3, 50)).shape == (2, 3, 25)
    g = GroupFFN(3, 25, 50, d_model=8, d_ff=8, patch_len=8, stride=8, kernel_size=5, dropout=0.0)
    assert g(torch.randn(2, 3, 25)).shape == (2, 3, 50)


def test_sinusoidal_table_odd_width() -> None:
    pe = sinusoidal_table(10, 5)
    assert pe.shape == (10, 5)
    assert torch.all(pe[0, 0::2] == 0) and torch.all(pe[0, 1::2] == 1)


def test_a_is_nonnegative_zero_diagonal_columns_sum_to_one(parts) -> None:
    net, prompt, x = parts
    net.eval()
    with torch.no_grad():
        a = net(x, prompt)["A"]
    assert (a >= 0).all()
    assert torch.all(torch.diagonal(a) < 1e-12)
    torch.testing.assert_close(a.sum(0), torch.ones(N))  # column = target: sums to 1


def test_losses_finite_and_parts(parts) -> None:
    net, prompt, x = parts
    out = net(x, prompt)
    loss, p = total_loss(out, x, LossWeights())
    assert torch.isfinite(loss)
    assert set(p) == {"rec", "sparsity", "dag", "contrastive"}
    assert all(np.isfinite(v) for v in p.values())


def test_gradients_reach_lora_and_heads_not_frozen_weights(parts) -> None:
    net, prompt, x = parts
    out = net(x, prompt)
    loss, _ = total_loss(out, x, LossWeights())
    loss.backward()
    named = dict(net.named_parameters())
    lora = [p for k, p in named.items() if "lora_" in k]
    assert lora and all(p.requires_grad for p in lora)
    # LoRA B starts at zero, so A's gradient is zero at step 0; B's is not
    assert any(
        p.grad is not None and p.grad.abs().sum() > 0 for k, p in named.items() if "lora_B" in k
    )
    for head in (
        "mapping.weight",
        "reprogram.q.weight",
        "patch.value.conv.weight",
        "out_proj.proj.weight",
        "recon.maps.0.weight",
        "ec_head.wq.weight",
        "decomp.node_mix.0.weight",
        "decomp.down.0.dw.weight",
        "contrastive.heads.0.1.0.weight",
    ):
        g = named[head].grad
        assert g is not None and g.abs().sum() > 0, head
    frozen = [(k, p) for k, p in named.items() if "lora_" not in k and k.startswith("backbone")]
    assert frozen
    for k, p in frozen:
        assert not p.requires_grad and p.grad is None, k
    assert not net.word_embeddings.requires_grad


def test_shared_prompt_equals_repeated_prompt(parts) -> None:
    net, prompt, x = parts
    net.eval()
    xn, _, _ = net.norm.normalize(x)
    tokens = net.embed_scales(net.decomp(xn)).detach()
    grads = []
    outs = []
    for share in (True, False):
        net.zero_grad()
        h = net.run_llm(tokens, prompt, share_prompt=share)
        h.pow(2).sum().backward()
        outs.append(h.detach())
        grads.append([p.grad.clone() for k, p in net.named_parameters() if "lora_B" in k])
    torch.testing.assert_close(outs[0], outs[1], atol=1e-5, rtol=1e-5)
    for g1, g2 in zip(*grads, strict=True):
        torch.testing.assert_close(g1, g2, atol=1e-4, rtol=1e-4)


def test_contrastive_logsumexp_equals_faithful_and_survives_large_n() -> None:
    torch.manual_seed(0)
    lengths = [32, 16, 8]
    c = CrossScaleContrastive(lengths)
    xs = [torch.randn(2, t, 4) for t in lengths]
    torch.testing.assert_close(c(xs, "faithful"), c(xs, "logsumexp"))
    with torch.no_grad():  # make every projection constant: every sim = N = 25
        for row in c.heads:
            for head in row:
                head[2].weight.zero_()
                head[2].bias.fill_(1.0)
    same = [torch.randn(2, t, 25) for t in lengths]  # exp(25 / 0.2) overflows float32
    assert not torch.isfinite(c(same, "faithful"))
    assert torch.isfinite(c(same, "logsumexp"))
    assert c([torch.ones(2, 8, 3)], "logsumexp") == 0  # one scale: no contrastive term


def test_sparsity_and_dag() -> None:
    uniform = torch.full((3, 3), 0.5).fill_diagonal_(0)
    onehot = torch.tensor([[0.0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert sparsity_loss(uniform, "faithful") == sparsity_loss(onehot, "faithful") == 3
    assert sparsity_loss(onehot, "l-half") < sparsity_loss(uniform, "l-half")
    assert abs(float(dag_loss(torch.zeros(3, 3)))) < 1e-6
    chain = torch.tensor([[0.0, 1, 0], [0, 0, 1], [0, 0, 0]])
    assert abs(float(dag_loss(chain))) < 1e-6  # acyclic
    assert float(dag_loss(onehot)) > 0.1  # a 3-cycle
