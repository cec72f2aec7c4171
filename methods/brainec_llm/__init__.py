"""BrainEC-LLM (Xiong et al., NeurIPS 2025) as registered group-level methods.

Importing this package registers ``brainec-llm`` and its ablations (``brainec-llm-no-llm``,
``brainec-llm-no-prompt``, ``brainec-llm-one-scale``, ``brainec-llm-no-contrastive``). It stays
cheap to import: torch, transformers and peft are imported inside ``fit``.

Modules: :mod:`.prompt` (prompt text), :mod:`.layers` (norm, decomposition, GroupFFN, patch
embedding, reprogramming, out-projection, reconstruction mixing), :mod:`.attention` (the EC
head), :mod:`.losses`, :mod:`.backbone` (loading, LoRA, shared prompt prefix, doctor status),
:mod:`.model`, :mod:`.train` (training and the two protocols), :mod:`.binarize` (the reference
rule), :mod:`.estimator` (registered methods).
"""

from bench.methods.brainec_llm.estimator import (  # noqa: F401
    BrainECLLM,
    BrainECLLMNoContrastive,
    BrainECLLMNoLLM,
    BrainECLLMNoPrompt,
    BrainECLLMOneScale,
)
