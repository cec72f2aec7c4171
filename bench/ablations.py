"""The ablation table: a method and its registered ablations, with the random floor.

``bench ablation brainec-llm --datasets smith:1`` runs the full method, every method registered
with ``ablation_of="brainec-llm"`` (:class:`bench.registry.MethodInfo`; for BrainEC-LLM: w/o
LLM, w/o prompt, one scale, w/o contrastive) and the ``random`` baseline as a floor, through the
ordinary pipeline (:func:`bench.api.run_config`: records, cache, resume, MLflow and the usual
tables; :func:`bench.api.ablation`), then tabulates them side by side
(:mod:`bench.reports.ablation`).

**Parameters.** ``--param brainec-llm.NAME=V`` applies to the full method and to every
variant, except where a variant's ablation sets that parameter itself (its
``ablation_overrides``, e.g. ``llm_layers=0`` for w/o LLM), so each variant differs from the
full method by its ablation only. A ``--param`` naming a variant applies to it last.

**Protocols.** The main table is honest (each variant's own final-model decision). The oracle
numbers the runner scores from the per-epoch decisions (``oracle_best_*``: the best epoch chosen
against the truth, the reference code's protocol) are in their own table under ``oracle/``,
labelled ORACLE.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from bench.config import BenchConfig
from bench.registry import METHODS, _load_plugins, get_method
from bench.types import BenchError

__all__ = [
    "FLOOR",
    "AblationResult",
    "ablation_methods",
    "ablation_params",
    "ablation_result",
    "ablation_run_config",
]

FLOOR = "random"


def ablation_methods(method: str) -> list[str]:
    """``method`` then the methods registered with ``ablation_of=method`` (registry order)."""
    _load_plugins()
    get_method(method)  # unknown names: "did you mean"
    variants = [n for n, m in METHODS.items() if m.ablation_of == method]
    if not variants:
        raise BenchError(f"ablation: no method is registered with ablation_of={method!r}")
    return [method, *variants]


def ablation_params(
    method: str, variants: list[str], params: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The parameters of each variant: the full method's, less what the ablation sets, then
    the variant's own (see the module docstring)."""
    base = dict(params.get(method, {}))
    out = {k: dict(v) for k, v in params.items()}
    for v in variants:
        if v == method:
            continue
        fixed = getattr(get_method(v).cls, "ablation_overrides", {})
        out[v] = {**{k: x for k, x in base.items() if k not in fixed}, **params.get(v, {})}
    return out


@dataclass
class AblationResult:
    """What :func:`bench.api.ablation` holds in ``.result``: the variants, their labels and
    the pipeline's run."""

    config: BenchConfig
    method: str
    variants: list[str]
    labels: dict[str, str]
    bench: Any  # the bench.api.BenchResult of the run
    notes: list[str] = field(default_factory=list)

    @property
    def summary(self) -> pd.DataFrame:
        return self.bench.summary

    @property
    def long(self) -> pd.DataFrame:
        return self.bench.long

    @property
    def datasets(self) -> list[str]:
        from bench.aggregate import natural_key

        long = self.bench.long
        return sorted(dict.fromkeys(long["dataset"]), key=natural_key) if len(long) else []


def ablation_run_config(
    config: BenchConfig, method: str, *, floor: bool = True
) -> tuple[BenchConfig, list[str], dict[str, str]]:
    """The benchmark config that runs ``method``, its ablations and (``floor``) the random
    floor on ``config.datasets``, with the variants' parameters (:func:`ablation_params`);
    also the methods in table order and their display labels. :func:`bench.api.ablation`
    runs it with the ordinary pipeline (``run_config``)."""
    variants = ablation_methods(method)
    params = ablation_params(method, variants, config.params)
    methods = [*variants, FLOOR] if floor else variants
    cfg = replace(config, methods=methods, params=params)
    labels = {m: get_method(m).display_label(params.get(m)) for m in methods}
    if floor:
        labels[FLOOR] = f"{labels[FLOOR]} (floor)"
    return cfg, methods, labels


def ablation_result(
    cfg: BenchConfig, method: str, methods: list[str], labels: dict[str, str], bench: Any
) -> AblationResult:
    """The :class:`AblationResult` of the pipeline's run ``bench`` (a ``BenchResult``)."""
    notes = []
    bad = [r for r in bench.records if r.status != "ok"]
    if bad:
        notes.append(
            f"{len(bad)} fit(s) did not succeed ({', '.join(sorted({r.method for r in bad}))}); "
            "their units are missing (–)"
        )
    return AblationResult(cfg, method, methods, labels, bench, notes)
