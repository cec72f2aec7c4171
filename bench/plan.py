"""The plan: resolve names, load and check data, check parameters, list every fit.

Everything that can fail on bad input (names, parameters, data) fails here, before any work.

* **Fits.** A subject-level method gives one fit per subject; a group-level method one fit per
  dataset (subject ``"group"``, all subjects as input). A deterministic method is fitted once
  (seed tag ``det``) and that result serves every seed; a stochastic one once per seed. On
  generated (seeded) data, every method is fitted on each seed's data.
* **Seeds.** A stochastic fit gets ``random_state`` from ``numpy.random.SeedSequence`` with
  entropy ``[seed, crc32(dataset), subject index]`` (:func:`fit_random_state`), so the stream is
  fixed by the seed and the task, not by the plan's order or the number of workers.
* **Keys.** A fit's key hashes the method, its parameters, the dataset, the subject's data hash,
  the seed and the method's code version (:func:`method_code_version`); a record with that key
  is the cached result.
* **Subjects.** ``smith:3@1-10`` selects subjects (:func:`bench.registry.select_subjects`); the
  unit's dataset label then carries the selection (``smith:3@1-10``) in every table and MLflow
  run, while records stay under the dataset's own name, so a fit is cached whatever selection
  asked for it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import math
import sys
import types
import typing
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.config import BenchConfig
from bench.records import record_key
from bench.registry import (
    MethodInfo,
    get_family,
    get_method,
    load_dataset,
    natural_key,
    select_datasets,
    select_methods,
    select_subjects,
    subject_label,
)
from bench.types import BenchError, Dataset, check_values

# --------------------------------------------------------------------------- identity


def method_code_version(info: MethodInfo) -> str:
    """Hash of the method's source and of the project modules it uses.

    The files hashed: the method's module (or its whole sub-package, for a method that lives
    in one), every ``bench.*`` module that module refers to (helpers it imports, such as
    ``methods/_graph.py`` or another adapter's conversion function), and ``methods/base.py``.
    Part of the cache key: changing that code invalidates exactly the records it produced.
    """
    from bench.provenance import SOURCE_ROOT, files_hash

    module = importlib.import_module(info.cls.__module__)
    path = Path(inspect.getfile(module))
    if path.name == "__init__.py" or info.cls.__module__.count(".") >= 3:
        files = set(path.parent.rglob("*.py"))  # a method sub-package
    else:
        files = {path}
    for value in vars(module).values():  # the bench helpers the module imported
        owner = value if inspect.ismodule(value) else inspect.getmodule(value)
        if owner is not None and owner.__name__.startswith("bench."):
            src = getattr(owner, "__file__", None)
            if src:
                files.add(Path(src))
    files.add(SOURCE_ROOT / "methods" / "base.py")
    return files_hash(f for f in files if f.name != "registry.py")


def subject_hash(x: np.ndarray, truth: np.ndarray) -> str:
    """SHA-256 (first 16 hex digits) of one subject's series and truth."""
    h = hashlib.sha256(np.ascontiguousarray(x, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(truth, dtype=np.uint8).tobytes())
    return h.hexdigest()[:16]


def fit_random_state(seed: int, dataset: str, index: int) -> int:
    """The ``random_state`` of one stochastic fit (see the module docstring)."""
    ss = np.random.SeedSequence([seed, zlib.crc32(dataset.encode()), index])
    return int(ss.generate_state(1)[0])


# --------------------------------------------------------------------------- plan


@dataclass
class Fit:
    """One estimator fit: one subject (or the whole dataset for a group-level method).

    ``dataset`` is the unit's dataset label (``smith:3``, or ``smith:3@1-10`` for a subject
    selection); ``source`` the dataset's own name, under which records are kept.
    """

    method: str
    params: dict[str, Any]
    dataset: str
    subject: str
    index: int
    seed: int | None  # None: a deterministic fit that serves every seed
    key: str
    data_hash: str
    data_seed: int | None = None  # the seed that generated the data (seeded families)
    source: str = ""

    def __post_init__(self) -> None:
        self.source = self.source or self.dataset


@dataclass
class Plan:
    config: BenchConfig
    methods: list[MethodInfo]
    datasets: dict[tuple[str, int | None], Dataset]  # (label, data seed or None) -> data
    fits: list[Fit]
    skipped: dict[str, str] = field(default_factory=dict)  # method -> reason left out

    def data(self, fit: Fit) -> Dataset:
        return self.datasets[(fit.dataset, fit.data_seed)]

    def method(self, name: str) -> MethodInfo:
        return next(m for m in self.methods if m.name == name)

    def unit_seeds(self, fit: Fit) -> list[int]:
        """The seeds whose units a fit serves (every seed for a deterministic fit)."""
        return list(self.config.seeds) if fit.seed is None else [fit.seed]

    def units(self) -> dict[tuple[str, str, int], list[Fit]]:
        """The fits behind each (method, dataset, seed) unit, in plan order."""
        out: dict[tuple[str, str, int], list[Fit]] = {}
        for f in self.fits:
            for s in self.unit_seeds(f):
                out.setdefault((f.method, f.dataset, s), []).append(f)
        return out


def has_cuda() -> bool:
    """Whether torch is installed and sees a CUDA device (without importing torch otherwise)."""
    if "torch" not in sys.modules and importlib.util.find_spec("torch") is None:
        return False
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:
        return False


def resolve_methods(spec: list[str]) -> tuple[list[MethodInfo], dict[str, str]]:
    """Selected methods. ``all`` leaves out slow methods, and GPU methods on a machine without
    CUDA; each left out with its reason. Methods named explicitly (or by a glob) always run."""
    names = select_methods(spec)
    explicit = set()
    for tok in ",".join(spec).split(","):
        tok = tok.strip()
        if tok and tok != "all":
            explicit.update(select_methods(tok))
    infos, skipped = [], {}
    cuda = None
    for name in names:
        info = get_method(name)
        if info.slow and name not in explicit:
            skipped[name] = f"slow; left out of 'all' (run it with --methods {name})"
            continue
        if info.needs_gpu and name not in explicit:
            cuda = has_cuda() if cuda is None else cuda
            if not cuda:
                skipped[name] = (
                    "needs a GPU and none is visible; left out of 'all' "
                    f"(run it on the CPU with --methods {name})"
                )
                continue
        infos.append(info)
    if not infos:
        raise BenchError(
            "no methods left to run: " + "; ".join(f"{k}: {v}" for k, v in skipped.items())
        )
    return infos, skipped


# --------------------------------------------------------------------------- parameters


def _type_name(t: Any) -> str:
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        t, getattr(t, "__name__", str(t))
    )


def _accepts(value: Any, hint: Any) -> tuple[bool, list[str]]:
    """Whether ``value`` fits the annotation ``hint``; with the names of what it accepts."""
    if hint is Any or hint is inspect.Parameter.empty:
        return True, []
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        names: list[str] = []
        for arm in typing.get_args(hint):
            ok, n = _accepts(value, arm)
            if ok:
                return True, []
            names += n
        return False, names
    if origin is typing.Literal:
        choices = typing.get_args(hint)
        return value in choices, [" / ".join(repr(c) for c in choices)]
    if hint is type(None):
        return value is None, ["none (null)"]
    if hint is bool:
        return isinstance(value, bool), ["true or false"]
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), ["an integer"]
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, ["a number"]
    if hint is str:
        return isinstance(value, str), ["a string"]
    base = origin or hint
    if isinstance(base, type) and base in (tuple, list):
        return isinstance(value, (tuple, list)), ["a list"]
    if isinstance(base, type) and base in (dict, Mapping):
        return isinstance(value, Mapping), ["a table"]
    return True, []  # an annotation we do not check here; check_params does


def check_param_types(info: MethodInfo, params: Mapping[str, Any]) -> None:
    """Raise :class:`BenchError` naming ``method.param`` for a value of the wrong type.

    The expected types are the annotations of the estimator's ``__init__`` (``float | None``,
    ``int``, ``bool``, ``str``, ``Literal[...]``); numbers must be finite. The method's own
    ``check_params`` then checks ranges and choices.
    """
    try:
        hints = typing.get_type_hints(info.cls.__init__)
    except Exception:  # unresolvable annotations: leave the checks to check_params
        hints = {}
    for name, value in params.items():
        where = f"invalid parameter {info.name}.{name}"
        if isinstance(value, float) and not math.isfinite(value):
            raise BenchError(f"{where}: must be a finite number, got {value!r}")
        hint = hints.get(name, Any)
        ok, accepted = _accepts(value, hint)
        if not ok:
            what = " or ".join(dict.fromkeys(accepted)) or _type_name(hint)
            got = f"{value!r} ({type(value).__name__})"
            raise BenchError(f"{where}: expected {what}, got {got}")


def check_method_params(info: MethodInfo, params: Mapping[str, Any]) -> None:
    """Types, names and values of ``params`` for ``info``; one-line :class:`BenchError`."""
    check_param_types(info, params)
    try:  # unknown parameter names and invalid values raise here, before any work
        info.make(**params).check_params()
    except (ValueError, TypeError) as exc:
        raise BenchError(f"invalid parameter: {exc}") from None


# --------------------------------------------------------------------------- data


POSITIONS = "subject_positions"  # Dataset.extra key: each subject's index in the whole dataset


def _load_unit(name: str, seed: int | None, subjects: str | None) -> tuple[str, Dataset]:
    """Load ``name`` (for ``seed``), apply a subject selection; return (label, data).

    ``extra["subject_positions"]`` keeps each kept subject's index in the whole dataset, from
    which stochastic fits derive their ``random_state``: a subject gets the same stream whatever
    selection asked for it (its cached record stays valid).
    """
    ds = load_dataset(name, seed=seed)
    label = name
    positions = list(range(len(ds.subjects)))
    if subjects is not None:
        everyone = sorted([*ds.subjects, *ds.missing], key=natural_key)
        chosen = select_subjects(name, subjects, everyone)
        label = f"{name}@{subject_label(chosen, everyone)}"
        keep = [s for s in ds.subjects if s in chosen]
        missing = {s: why for s, why in ds.missing.items() if s in chosen}
        if not keep:
            why = "; ".join(f"{s}: {w}" for s, w in missing.items())
            raise BenchError(f"dataset {label}: no data for the selected subjects ({why})")
        index = {s: k for k, s in enumerate(ds.subjects)}
        positions = [index[s] for s in keep]
        ds = ds.subset(keep)
        ds.missing = missing
    ds.extra[POSITIONS] = positions
    for sid, x in zip(ds.subjects, ds.series, strict=True):
        check_values(x, f"dataset {name} subject {sid}")
    return label, ds


def load_units(config: BenchConfig) -> dict[tuple[str, int | None], Dataset]:
    """Every selected dataset, keyed by (label, data seed or None), checked and subset."""
    datasets: dict[tuple[str, int | None], Dataset] = {}
    for sel in select_datasets(config.datasets):
        family = get_family(sel.family)
        for member, name in zip(sel.members, sel.names, strict=True):
            for s in config.seeds if family.seeded else [None]:
                label, ds = _load_unit(name, s, sel.subjects.get(member))
                datasets[(label, s)] = ds
    return datasets


def make_plan(config: BenchConfig) -> Plan:
    """Resolve names, load data, check parameters, and list every fit. Fails before computing."""
    methods, skipped = resolve_methods(config.methods)
    for name, params in config.params.items():
        check_method_params(get_method(name), params)  # unknown method names: "did you mean"
    for name in config.timeouts:
        get_method(name)  # a time limit for an unknown method is a typo: say so
    from bench.metrics import get_metric

    for name in config.metrics:
        get_metric(name)
    datasets = load_units(config)

    fits: list[Fit] = []
    for info in methods:
        params = {**info.defaults, **config.params.get(info.name, {})}
        code = method_code_version(info)
        for (label, data_seed), ds in datasets.items():
            if info.level == "group":
                units = [("group", 0, ds.data_hash())]
            else:
                units = [
                    (sid, k, subject_hash(x, ds.truth_for(sid)))
                    for k, (sid, x) in enumerate(zip(ds.subjects, ds.series, strict=True))
                ]
            if data_seed is not None:
                seeds: list[int | None] = [data_seed]
            else:
                seeds = [None] if info.deterministic else list(config.seeds)
            for seed in seeds:
                for sid, k, dh in units:
                    key = record_key(info.name, params, ds.name, dh, seed, code)
                    fits.append(
                        Fit(info.name, params, label, sid, k, seed, key, dh, data_seed, ds.name)
                    )
    return Plan(config, methods, datasets, fits, skipped)
