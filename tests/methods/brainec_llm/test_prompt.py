"""The prompt text (reference §2), exact for a 3-node example."""

from __future__ import annotations

import numpy as np

from bench.methods.brainec_llm import prompt as P
from bench.methods.brainec_llm.backbone import tiny_tokenizer

PRIOR = np.array([[0.0, 0.5, -0.25], [0.5, 0.0, 0.123], [-0.25, 0.123, 0.0]])

MATRIX_TEXT = (
    "The following is a matrix of Pearson correlation coefficients for 3 fMRI time series, "
    "with the number i denoting the i-th brain region:\n"
    "1, 2, 3\n"
    "1: 0.00, 0.50, -0.25\n"
    "2: 0.50, 0.00, 0.12\n"
    "3: -0.25, 0.12, 0.00\n"
)

SMITH_USER = (
    "Dataset description: This simulated fMRI time series dataset is generated through dynamic "
    "causal models, with dimensions B × T × N, where B is the batch size, T is the data points, "
    "and N is the number of brain regions.Prior knowledge: " + MATRIX_TEXT
)

SYSTEM = (
    "You are a data analysis expert. Your task is to help users analyze fMRI time series data "
    "to extract brain effective connectivity network. "
)


def test_matrix_text_exact() -> None:
    assert P.matrix_to_text(PRIOR) == MATRIX_TEXT


def test_messages_exact_for_netsim() -> None:
    msgs = P.build_messages(P.dataset_description("netsim"), PRIOR)
    assert msgs == [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": SMITH_USER},
    ]


def test_rendered_with_chat_template_exact() -> None:
    tok = tiny_tokenizer()
    text = P.render_prompt(tok, P.build_messages(P.dataset_description("smith"), PRIOR))
    assert text == (
        "<|im_start|>system\n" + SYSTEM + "<|im_end|>\n"
        "<|im_start|>user\n" + SMITH_USER + "<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    ids = P.prompt_token_ids(tok, text)
    assert tok.decode(ids) == text  # character-level round trip: nothing lost


def test_descriptions_per_family() -> None:
    assert P.dataset_description("sanchez").endswith("regions.\n")
    assert "N,  where" in P.dataset_description("sanchez")
    assert "quadratic" in P.dataset_description("cdrl")
    assert P.dataset_description("generic", "My data.") == "My data."
    assert P.dataset_description("somethingelse") == P.DESCRIPTIONS["generic"]


def test_pearson_prior_is_group_mean_with_zero_diagonal() -> None:
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((50, 3)) for _ in range(3)]
    prior = P.pearson_prior(xs)
    want = np.mean([np.corrcoef(x, rowvar=False) for x in xs], axis=0)
    np.fill_diagonal(want, 0)
    np.testing.assert_allclose(prior, want)
    assert np.allclose(prior, prior.T)
