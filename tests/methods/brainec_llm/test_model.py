"""Shapes through every stage, A's properties, losses and gradients (tiny random backbone)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from bench.methods.brainec_llm import backbone as bb
from bench.methods.brainec_llm.attention import sinusoidal_table
from bench.methods.brainec_llm.layers import (
    GroupFFN,
    OutProjection,
    PatchEmbedding,
    n_patches,
    scale_lengths,
)
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


def _group_ffn(n: int, d: int = 32, d_ff: int = 32, dropout: float = 0.0) -> GroupFFN:
    return GroupFFN(
        n, 50, 25, d_model=d, d_ff=d_ff, patch_len=8, stride=8, kernel_size=5, dropout=dropout
    )


@pytest.mark.parametrize(("n", "d", "d_ff"), [(5, 32, 32), (50, 32, 32), (4, 8, 16)])
def test_group_ffn_parameter_shapes_and_groups(n: int, d: int, d_ff: int) -> None:
    """The reference's convolutions: dw N·D (groups N·D, k 5); ConvFFN1 N·D → N·d_ff → N·D in
    N groups; ConvFFN2 N·D → N·d_ff → N·D in D groups (per feature N → N·d_ff/D → N)."""
    g = _group_ffn(n, d, d_ff)
    assert g.dw.weight.shape == (n * d, 1, 5) and g.dw.groups == n * d and g.dw.bias is not None
    assert g.norm.num_features == d
    c1, c2 = g.ffn1[0], g.ffn1[3]
    assert (c1.in_channels, c1.out_channels, c1.groups) == (n * d, n * d_ff, n)
    assert c1.weight.shape == (n * d_ff, d, 1) and c2.weight.shape == (n * d, d_ff, 1)
    assert c2.groups == n
    c1, c2 = g.ffn2[0], g.ffn2[3]
    assert (c1.in_channels, c1.out_channels, c1.groups) == (n * d, n * d_ff, d)
    assert c1.weight.shape == (n * d_ff, n, 1) and c2.weight.shape == (n * d, n * d_ff // d, 1)
    assert c2.groups == d
    if d == d_ff:  # the reference's setting: per feature a node mixing N -> N -> N
        assert c1.weight.shape == c2.weight.shape == (n * d, n, 1)


def test_group_ffn_rejects_indivisible_width() -> None:
    with pytest.raises(ValueError, match="multiple of d_model"):
        _group_ffn(3, d=8, d_ff=4)  # 3·4 = 12 hidden channels in 8 groups


def _changed_channels(ffn: nn.Module, x: torch.Tensor, channel: int) -> torch.Tensor:
    x2 = x.clone()
    x2[:, channel] += 1.0
    with torch.no_grad():
        return (ffn(x2) - ffn(x)).abs().amax(dim=(0, 2)) > 0  # [channels]


def test_convffn2_mixes_nodes_only_within_a_feature() -> None:
    """ConvFFN2 (feature-major layout, channel d·N + n): a change in feature d of node n
    reaches feature d of every node, and no other feature. ConvFFN1 (node-major, n·D + d):
    a change in node n reaches every feature of node n, and no other node."""
    n, d = 5, 32
    g = _group_ffn(n).eval()
    torch.manual_seed(0)
    x = torch.randn(2, n * d, 7)
    changed = _changed_channels(g.ffn2, x, channel=3 * n + 1).reshape(d, n)  # feature 3, node 1
    assert changed[3].all() and not changed[:3].any() and not changed[4:].any()
    changed = _changed_channels(g.ffn1, x, channel=2 * d + 7).reshape(n, d)  # node 2, feature 7
    assert changed[2].all() and not changed[:2].any() and not changed[3:].any()


def test_group_ffn_feeds_convffn2_the_feature_major_layout() -> None:
    """Inside the block, ConvFFN2's input is ConvFFN1's output permuted to (D, N), and its
    output goes back to (N, D) before the residual."""
    b, n, d = 2, 4, 32
    g = _group_ffn(n).eval()
    seen: dict[str, torch.Tensor] = {}
    g.ffn1.register_forward_hook(lambda m, i, o: seen.__setitem__("ffn1_out", o))
    g.ffn2.register_forward_hook(lambda m, i, o: seen.update(ffn2_in=i[0], ffn2_out=o))
    g.head.register_forward_hook(lambda m, i, o: seen.__setitem__("head_in", i[0]))
    g.embed.register_forward_hook(lambda m, i, o: seen.__setitem__("embedded", o))
    with torch.no_grad():
        g(torch.randn(b, n, 50))
    length = seen["ffn1_out"].shape[-1]
    want_in = seen["ffn1_out"].reshape(b, n, d, length).permute(0, 2, 1, 3).reshape(b, d * n, -1)
    torch.testing.assert_close(seen["ffn2_in"], want_in, rtol=0, atol=0)
    e = seen["embedded"].reshape(b, n, length, d).permute(0, 1, 3, 2)  # [B, N, D, L]
    back = seen["ffn2_out"].reshape(b, d, n, length).permute(0, 2, 1, 3)
    torch.testing.assert_close(seen["head_in"], (e + back).permute(0, 1, 3, 2), rtol=0, atol=0)


def test_module_order_matches_the_reference() -> None:
    """Both GroupFFN FFNs apply dropout before GELU; the per-scale output heads have none."""
    g = _group_ffn(3, dropout=0.01)
    for ffn in (g.ffn1, g.ffn2):
        assert [type(m) for m in ffn] == [nn.Conv1d, nn.Dropout, nn.GELU, nn.Conv1d, nn.Dropout]
        assert ffn[1].p == ffn[4].p == 0.01
    out = OutProjection(32, 8, [4, 2], [30, 15])
    assert not any(isinstance(m, nn.Dropout) for m in out.modules())
    assert [type(m) for m in out.children()] == [nn.Linear, nn.ModuleList]


def test_bfloat16_scale_cast_before_the_patch_embedding() -> None:
    """``input_dtype=bfloat16``: the patches are the series rounded to bf16 (then float32), and
    the gradient back into the series is bf16-rounded too (the reference's CUDA path)."""
    torch.manual_seed(0)
    cast = PatchEmbedding(8, 8, 8, 0.0, input_dtype=torch.bfloat16)
    plain = PatchEmbedding(8, 8, 8, 0.0)
    plain.load_state_dict(cast.state_dict())
    x = torch.randn(3, 40, requires_grad=True)
    y = cast(x)
    assert y.dtype == torch.float32
    torch.testing.assert_close(y, plain(x.detach().to(torch.bfloat16).float()), rtol=0, atol=0)
    assert not torch.equal(y, plain(x.detach()))
    y.pow(2).sum().backward()
    assert x.grad.dtype == torch.float32
    torch.testing.assert_close(x.grad, x.grad.to(torch.bfloat16).float(), rtol=0, atol=0)


def test_net_casts_scales_only_with_bfloat16(parts) -> None:
    net, _, _ = parts
    assert net.patch.input_dtype is None
    emb = net.word_embeddings
    cfg = ModelConfig(
        n_nodes=N, t=T, d_llm=32, vocab_size=emb.shape[0], num_tokens=50, scale_dtype="bfloat16"
    )
    net16 = BrainECLLMNet(cfg, None, emb)
    assert net16.patch.input_dtype is torch.bfloat16
    assert all(g.embed.input_dtype is None for g in net16.decomp.down)  # GroupFFN: no cast


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
