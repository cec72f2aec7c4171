"""Benchmark configuration: a TOML or YAML file describes a whole benchmark; CLI flags override.

Example (``bench.toml``)::

    name = "netsim-baselines"        # MLflow experiment name
    methods = ["pc", "granger"]      # or "all", globs, comma lists
    datasets = ["smith:1-4"]
    seeds = [0, 1, 2]
    jobs = 2
    timeout = 600                    # seconds per fit; [timeouts] sets it per method
    results = "results"
    metrics = ["f1", "shd", "auroc"]  # tables to write (all metrics are always recorded)

    [params.granger]                 # method parameters over the defaults
    alpha = 0.01

    [sweep.pc]                       # grids for `bench sweep` (ignored by `bench run`)
    alpha = [0.01, 0.05, 0.1]

A value given on the command line always wins over the file, including ``False`` and ``0``
(flags left unset on the command line are ``None`` and do not override).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import tomllib

from bench.types import BenchError

DEFAULT_TABLE_METRICS = ("precision", "recall", "f1", "shd", "shd_fpfn", "auroc", "auprc")


@dataclass
class BenchConfig:
    """Everything that defines a benchmark run."""

    name: str = "bench"
    methods: list[str] = field(default_factory=lambda: ["all"])
    datasets: list[str] = field(default_factory=lambda: ["smith"])
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    jobs: int = 0  # 0 = all cores
    executor: str = "local"  # "local" (process pool) or "ray"
    ray_address: str | None = None  # None: a local Ray instance
    timeout: float | None = None  # seconds per fit, every method (None: no limit)
    timeouts: dict[str, float] = field(default_factory=dict)  # per method, over `timeout`
    results: str = "results"
    tracking_uri: str | None = None
    metrics: list[str] = field(default_factory=lambda: list(DEFAULT_TABLE_METRICS))
    layout: str = "auto"
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    rerun: bool = False
    track: bool = True
    sweep: dict[str, Any] = field(default_factory=dict)  # [sweep] tables for `bench sweep`

    def validate(self) -> BenchConfig:
        if not self.seeds:
            raise BenchError("seeds: at least one seed is needed")
        for s in self.seeds:
            if isinstance(s, bool) or not isinstance(s, int):
                raise BenchError(f"seeds: {s!r} is not an integer")
            if s < 0:
                raise BenchError(f"seeds: {s} is negative (seeds are non-negative integers)")
        if len(set(self.seeds)) != len(self.seeds):
            raise BenchError(f"seeds: duplicates in {self.seeds}")
        if not isinstance(self.jobs, int) or self.jobs < 0:
            raise BenchError(f"jobs: {self.jobs!r} must be a non-negative integer (0 = all cores)")
        if self.executor not in ("local", "ray"):
            raise BenchError(f"executor: {self.executor!r} is not one of local, ray")
        limits = [("timeout", self.timeout)]
        limits += [(f"timeout for {k}", v) for k, v in self.timeouts.items()]
        for what, value in limits:
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
            ):
                raise BenchError(f"{what}: {value!r} must be a positive number of seconds")
        if self.layout not in ("auto", "methods", "datasets"):
            raise BenchError(f"layout: {self.layout!r} is not one of auto, methods, datasets")
        if not self.name or any(c in self.name for c in "/\\"):
            raise BenchError(f"name: {self.name!r} is not a valid experiment name")
        if not isinstance(self.params, dict) or not all(
            isinstance(v, dict) for v in self.params.values()
        ):
            raise BenchError(
                "params: expected a table of tables, e.g. [params.granger] alpha = 0.01"
            )
        if not isinstance(self.sweep, dict):
            raise BenchError("sweep: expected a table, e.g. [sweep.pc] alpha = [0.01, 0.05]")
        return self

    @property
    def n_jobs(self) -> int:
        return self.jobs or (os.cpu_count() or 1)

    @property
    def results_dir(self) -> Path:
        return Path(self.results)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _as_list(value: Any, key: str) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    raise BenchError(f"config key {key!r}: expected a string or a list, got {value!r}")


def load_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML (``.toml``) or YAML (``.yaml``/``.yml``) config file into a dict."""
    p = Path(path)
    if not p.is_file():
        raise BenchError(f"config file {p}: not found")
    try:
        if p.suffix == ".toml":
            data = tomllib.loads(p.read_text())
        elif p.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(p.read_text()) or {}
        else:
            raise BenchError(f"config file {p}: use a .toml, .yaml or .yml file")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BenchError(f"config file {p}: cannot parse: {exc}") from None
    except Exception as exc:  # yaml errors
        if isinstance(exc, BenchError):
            raise
        raise BenchError(f"config file {p}: cannot parse: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise BenchError(f"config file {p}: expected a table of settings at the top level")
    known = {f.name for f in fields(BenchConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise BenchError(
            f"config file {p}: unknown key(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}"
        )
    return data


def build_config(file: str | None = None, **overrides: Any) -> BenchConfig:
    """A validated config from an optional file, then ``overrides`` that are not ``None``.

    ``params`` and ``timeouts`` are merged into the file's tables (a ``--param`` changes one
    parameter, not the method's whole table); every other override replaces the file's value.
    """
    data: dict[str, Any] = load_config_file(file) if file else {}
    for key, value in overrides.items():
        if value is None:
            continue
        base = data.get(key)
        if key == "params" and isinstance(base, dict):
            merged = {m: dict(v) if isinstance(v, dict) else v for m, v in base.items()}
            for method, table in value.items():
                current = merged.get(method)
                merged[method] = {**(current if isinstance(current, dict) else {}), **table}
            data[key] = merged
        elif key == "timeouts" and isinstance(base, dict):
            data[key] = {**base, **value}
        else:
            data[key] = value
    for key in ("methods", "datasets", "metrics"):
        if key in data:
            data[key] = _as_list(data[key], key)
    if "seeds" in data:
        data["seeds"] = _as_list(data["seeds"], "seeds")
    return BenchConfig(**data).validate()
