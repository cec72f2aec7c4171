"""The BrainEC-LLM prompt: task, dataset description and the group Pearson prior as text.

The text follows the reference implementation (reference/brainec-llm.md, §2) character for
character, oddities included, so that the backbone sees the same prompt:

* system message (note the trailing space)::

      You are a data analysis expert. Your task is to help users analyze fMRI time series data
      to extract brain effective connectivity network.␠

* user message: ``"Dataset description: " + description + "Prior knowledge: " + matrix_text``
  (no separator between the description and ``"Prior knowledge:"``, as in the reference);
* ``matrix_text``::

      The following is a matrix of Pearson correlation coefficients for {N} fMRI time series,
      with the number i denoting the i-th brain region:\\n
      1, 2, ..., N\\n
      1: v11, v12, ..., v1N\\n
      ...

  with every value formatted ``{:.2f}`` and the diagonal printed as ``0.00``.

The prior is the Pearson correlation matrix of each subject (``np.corrcoef`` over nodes),
averaged over all subjects of the dataset, diagonal set to zero: one matrix per dataset.

The messages are rendered with the backbone's own chat template (``add_generation_prompt``),
so the time-series tokens follow the assistant header. A template that refuses a system role
(Mistral) gets one user message, system sentence (stripped) + user text, as the reference's
Mistral path does. The prompt length grows as O(N²) (about 4-5 tokens per matrix entry).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

SYSTEM_PROMPT = (
    "You are a data analysis expert. Your task is to help users analyze fMRI time series data "
    "to extract brain effective connectivity network. "
)

# The reference's prompt_bank texts, verbatim (Sanchez: double space after "N," and a newline).
_SMITH = (
    "This simulated fMRI time series dataset is generated through dynamic causal models, with "
    "dimensions B × T × N, where B is the batch size, T is the data points, and N is the number "
    "of brain regions."
)
_SANCHEZ = (
    "This simulated fMRI time series dataset is generated through dynamic causal models, with "
    "dimensions B × T × N,  where B is the batch size, T is the data points, and N is the "
    "number of brain regions.\n"
)
_CDRL = (
    "This is a simulated dataset generated through the nonlinear causal relationships with "
    "quadratic functions, with dimensions 1 × T × N, where T is the data points of the time "
    "series, and N is the number of nodes."
)
_REAL = "This is real resting-state fMRI time series dataset."
_GENERIC = "This is an fMRI time series dataset, with dimensions B × T × N."

DESCRIPTIONS: dict[str, str] = {
    "netsim": _SMITH,
    "smith": _SMITH,
    "sanchez": _SANCHEZ,
    "cdrl": _CDRL,
    "real": _REAL,
    "generic": _GENERIC,
}


def dataset_description(family: str, fallback: str = "") -> str:
    """The reference description text for a dataset family.

    ``netsim``/``smith``, ``sanchez``, ``cdrl`` and ``real`` get the reference texts. Any other
    family is "generic": ``fallback`` (e.g. ``FitContext.description``) when given, else a
    neutral one-sentence description.
    """
    key = (family or "generic").lower()
    if key in DESCRIPTIONS and key != "generic":
        return DESCRIPTIONS[key]
    return fallback.strip() or _GENERIC


def pearson_prior(series: Sequence[np.ndarray]) -> np.ndarray:
    """Group Pearson prior: mean over subjects of ``np.corrcoef`` (nodes), zero diagonal."""
    mats = [np.corrcoef(np.asarray(x, dtype=np.float64), rowvar=False) for x in series]
    prior = np.mean(mats, axis=0)
    np.fill_diagonal(prior, 0.0)
    return prior


def matrix_to_text(prior: np.ndarray) -> str:
    """The reference's text rendering of the prior (1-based node numbers, ``{:.2f}``)."""
    n = prior.shape[0]
    lines = [
        f"The following is a matrix of Pearson correlation coefficients for {n} fMRI time "
        "series, with the number i denoting the i-th brain region:\n",
        ", ".join(str(i + 1) for i in range(n)) + "\n",
    ]
    for i in range(n):
        lines.append(f"{i + 1}: " + ", ".join(f"{v:.2f}" for v in prior[i]) + "\n")
    return "".join(lines)


def build_messages(description: str, prior: np.ndarray) -> list[dict[str, str]]:
    """System and user messages (reference LLAMA3 path)."""
    user = "Dataset description: " + description + "Prior knowledge: " + matrix_to_text(prior)
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def render_prompt(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """Render ``messages`` with the tokenizer's chat template (generation prompt added).

    A template that rejects the system role gets the reference's Mistral form (one user
    message). A tokenizer without any chat template is an error: the prompt would be silently
    different from the reference, so we refuse.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("the backbone's tokenizer has no chat template")
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    except Exception:  # noqa: BLE001 - jinja raises TemplateError for an unsupported role
        merged = [{"role": "user", "content": SYSTEM_PROMPT.strip() + messages[1]["content"]}]
        return tokenizer.apply_chat_template(merged, tokenize=False, add_generation_prompt=True)


def prompt_token_ids(tokenizer: Any, text: str) -> list[int]:
    """Token ids of the rendered prompt (the template already holds the special tokens)."""
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])
