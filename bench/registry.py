"""Registries of methods and datasets, and the selection grammar of the command line.

Methods register with :func:`register_method` on an estimator class, datasets with
:func:`register_dataset` on a dataset-family class. Selections accept ``all``, comma lists,
shell-style globs (``pcmci*``) and, for datasets, member sub-selections such as ``smith:1-4``,
``smith:1,3`` or ``smith:2-4,7``. Unknown names raise :class:`UnknownNameError` with close
matches ("did you mean ...?") and the list of what exists.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from bench.canaries import Canary
from bench.types import BenchError, Dataset, DatasetInfo, Level

if TYPE_CHECKING:
    from bench.methods.base import Estimator


class UnknownNameError(BenchError, KeyError):
    """An unknown method, dataset, member or metric name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def natural_key(text: str) -> list[Any]:
    """Sort key that orders digit runs numerically ("smith:2" before "smith:10")."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def did_you_mean(kind: str, name: str, known: Iterable[str]) -> UnknownNameError:
    """An error for an unknown ``name`` that lists close matches and every known name."""
    known = sorted(known, key=natural_key)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return UnknownNameError(f"unknown {kind} {name!r}.{hint} Known {kind}s: {', '.join(known)}")


# --------------------------------------------------------------------------- methods


@dataclass(frozen=True)
class MethodInfo:
    """Metadata every registered method declares (DESIGN.md, "Method metadata").

    ``scores`` says what the continuous score is (e.g. ``"|partial correlation|"``), or is
    ``None`` when the method has no natural continuous score; threshold-free metrics are then
    reported as not applicable. ``lagged`` methods also return per-lag scores
    (``lag_scores_``, shape ``(L, N, N)``) and their ``scores_`` is the max over lags.
    ``oracle`` is true when the method looks at the ground truth to pick anything (a threshold,
    an epoch); such results are labelled wherever they appear. ``canary`` is the method's
    reversal canary (:class:`bench.canaries.Canary`), run by the common-checks suite;
    ``test_params`` are small settings (e.g. few epochs, a tiny backbone) under which the common
    checks fit the method quickly. ``orients`` is false for methods that cannot orient an edge
    (symmetric scores and decisions), which tables say. ``ablation_of`` names the method this
    one is an ablation of (``bench ablation <method>`` runs it beside the full method).
    """

    name: str
    cls: type
    level: Level
    deterministic: bool
    needs_gpu: bool
    requires: tuple[str, ...]
    citation: str
    description: str
    scores: str | None
    lagged: bool = False
    oracle: bool = False
    slow: bool = False
    in_all: bool = True
    canary: Canary | None = None
    test_params: Mapping[str, Any] = field(default_factory=dict)
    orients: bool = True
    ablation_of: str | None = None

    def display_label(self, params: Mapping[str, Any] | None = None) -> str:
        """The method's label in tables, figures and MLflow: its name, or what the estimator's
        ``display_label(params)`` says (e.g. BrainEC-LLM names its backbone and epochs)."""
        fn = getattr(self.cls, "display_label", None)
        if fn is None:
            return self.name
        return str(fn({**self.defaults, **dict(params or {})}))

    def label_for(self, params: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> str:
        """The label of one fit: what the fitted estimator recorded (``extra["label"]``, e.g.
        the layers a backbone actually has) or else :meth:`display_label` of its params."""
        label = (extra or {}).get("label")
        return str(label) if label else self.display_label(params)

    @property
    def defaults(self) -> dict[str, Any]:
        """Default parameters, read from the estimator's keyword-only ``__init__``."""
        sig = inspect.signature(self.cls.__init__)
        return {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty
        }

    def missing_packages(self) -> list[str]:
        """Import names from ``requires`` that cannot be imported here."""
        missing = []
        for mod in self.requires:
            if importlib.util.find_spec(mod) is None:
                missing.append(mod)
        return missing

    def make(self, **params: Any) -> Estimator:
        """A new estimator with ``params`` over the defaults; unknown names raise."""
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise BenchError(
                f"method {self.name!r}: unknown parameter(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(self.defaults))}"
            )
        return self.cls(**params)


METHODS: dict[str, MethodInfo] = {}

E = TypeVar("E", bound=type)


def register_method(
    name: str,
    *,
    level: Level = "subject",
    deterministic: bool = True,
    needs_gpu: bool = False,
    requires: tuple[str, ...] = (),
    citation: str,
    description: str,
    scores: str | None,
    lagged: bool = False,
    oracle: bool = False,
    slow: bool = False,
    in_all: bool = True,
    canary: Canary | None = None,
    test_params: Mapping[str, Any] | None = None,
    orients: bool = True,
    ablation_of: str | None = None,
) -> Callable[[E], E]:
    """Class decorator that registers an estimator under ``name``.

    ``canary`` is required: a method cannot be registered without a reversal canary (see
    :mod:`bench.canaries`); the common-checks suite runs it for every registered method.
    """
    if not isinstance(canary, Canary):
        raise ValueError(
            f"method {name!r}: register_method needs canary=Canary(...), the reversal canary "
            "the common checks run (see bench/canaries.py)"
        )

    def deco(cls: E) -> E:
        if name in METHODS and METHODS[name].cls is not cls:
            raise ValueError(f"method {name!r} registered twice")
        METHODS[name] = MethodInfo(
            name=name,
            cls=cls,
            level=level,
            deterministic=deterministic,
            needs_gpu=needs_gpu,
            requires=requires,
            citation=citation,
            description=description,
            scores=scores,
            lagged=lagged,
            oracle=oracle,
            slow=slow,
            in_all=in_all,
            canary=canary,
            test_params=dict(test_params or {}),
            orients=orients,
            ablation_of=ablation_of,
        )
        cls.method_name = name  # type: ignore[attr-defined]
        return cls

    return deco


# --------------------------------------------------------------------------- datasets


class DatasetFamily:
    """A family of datasets (``smith``) with named members (``"1"`` ... ``"28"``).

    Subclasses set ``info`` and implement :meth:`members` and :meth:`load`.

    * ``seeded = True`` marks generated data: :meth:`load` is then called once per run seed
      (``load(member, seed=s)``) and every method is fitted on each seed's data.
    * :meth:`expand` lets a family accept member specs beyond its listed members (aliases such
      as ``net5``, or a path for user data); :meth:`accepts` says whether a member can load.
    """

    info: DatasetInfo
    seeded: bool = False

    def members(self) -> list[str]:
        raise NotImplementedError

    def load(self, member: str, seed: int | None = None) -> Dataset:
        raise NotImplementedError

    def expand(self, spec: str) -> list[str] | None:
        """Members for a family-specific ``spec``, or ``None`` to use the standard grammar."""
        return None

    def accepts(self, member: str) -> bool:
        return member in self.members()

    def describe_member(self, member: str) -> str:
        """One line about a member, for ``bench list datasets``."""
        return ""


DATASETS: dict[str, DatasetFamily] = {}

F = TypeVar("F", bound=type[DatasetFamily])


def register_dataset(name: str) -> Callable[[F], F]:
    """Class decorator that registers a dataset family under ``name``."""

    def deco(cls: F) -> F:
        if name in DATASETS and type(DATASETS[name]) is not cls:
            raise ValueError(f"dataset {name!r} registered twice")
        DATASETS[name] = cls()
        return cls

    return deco


PLUGINS_ENV = "BENCH_PLUGINS"


def _load_plugins() -> None:
    """Import the method and dataset modules so that their decorators run.

    ``BENCH_PLUGINS`` adds the user's own: a comma list of module names or ``.py`` file paths
    whose ``register_method`` / ``register_dataset`` decorators then run in the driver and in
    every worker process.
    """
    importlib.import_module("bench.methods")
    importlib.import_module("bench.datasets")
    for entry in filter(None, (e.strip() for e in os.environ.get(PLUGINS_ENV, "").split(","))):
        if entry in _LOADED:
            continue
        try:
            if entry.endswith(".py"):
                name = "bench_plugin_" + re.sub(r"\W", "_", os.path.abspath(entry))
                spec = importlib.util.spec_from_file_location(name, entry)
                if spec is None or spec.loader is None:
                    raise ImportError(f"cannot load {entry}")
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
            else:
                importlib.import_module(entry)
        except (ImportError, OSError) as exc:
            raise BenchError(f"{PLUGINS_ENV}: cannot import {entry!r}: {exc}") from None
        _LOADED.add(entry)


_LOADED: set[str] = set()


# --------------------------------------------------------------------------- selection


def _split(spec: str | Iterable[str]) -> list[str]:
    items = [spec] if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for item in items:
        out.extend(tok.strip() for tok in item.split(",") if tok.strip())
    return out


def select_methods(spec: str | Iterable[str], *, include_hidden: bool = False) -> list[str]:
    """Resolve a method selection (``all``, comma list, globs) to registered names, in order.

    ``all`` means every method registered with ``in_all=True``; a glob matches all names.
    """
    _load_plugins()
    tokens = _split(spec)
    if not tokens:
        raise BenchError("no methods selected (use --methods all, or a comma list)")
    chosen: list[str] = []
    for tok in tokens:
        if tok == "all":
            names = [n for n, m in METHODS.items() if m.in_all or include_hidden]
        elif any(c in tok for c in "*?["):
            names = [n for n in METHODS if fnmatch.fnmatchcase(n, tok)]
            if not names:
                raise did_you_mean("method", tok, METHODS)
        elif tok in METHODS:
            names = [tok]
        else:
            raise did_you_mean("method", tok, METHODS)
        chosen.extend(n for n in names if n not in chosen)
    return chosen


_RANGE = re.compile(r"^(\d+)-(\d+)$")


@dataclass
class DatasetSelection:
    """A family, the members chosen from it and, per member, an optional subject spec.

    ``subjects[member]`` is the text after ``@`` (e.g. ``"1-10"``), resolved against the loaded
    data by :func:`select_subjects`; a member without an entry uses all its subjects.
    """

    family: str
    members: list[str] = field(default_factory=list)
    subjects: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [f"{self.family}:{m}" for m in self.members]


def _expand_members(family: str, spec: str, known: list[str]) -> list[str]:
    special = DATASETS[family].expand(spec)
    if special is not None:
        return special
    m = _RANGE.match(spec)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo > hi:
            raise BenchError(f"dataset {family}: empty range {spec!r}")
        wanted = [str(k) for k in range(lo, hi + 1)]
        absent = [w for w in wanted if w not in known]
        if absent:
            raise did_you_mean(f"{family} member", absent[0], known)
        return wanted
    if any(c in spec for c in "*?["):
        hits = [k for k in known if fnmatch.fnmatchcase(k, spec)]
        if not hits:
            raise did_you_mean(f"{family} member", spec, known)
        return hits
    if spec in known:
        return [spec]
    raise did_you_mean(f"{family} member", spec, known)


_SUBJECT_TOKEN = re.compile(r"^[A-Za-z0-9_.-]+$")


def _split_subjects(tok: str) -> tuple[str, str | None]:
    """``smith:3@1-10`` → (``smith:3``, ``1-10``); a token without a subject spec → (tok, None).

    Only the text after the last ``@`` counts, and only when it looks like a subject spec
    (letters, digits, ``_.-``), so a folder path holding ``@`` is left alone.
    """
    head, at, tail = tok.rpartition("@")
    if at and head and _SUBJECT_TOKEN.match(tail):
        return head, tail
    if at and head and not tail:
        raise BenchError(f"dataset {tok!r}: nothing after '@' (e.g. smith:3@1-10)")
    return tok, None


def select_datasets(spec: str | Iterable[str]) -> list[DatasetSelection]:
    """Resolve a dataset selection to families, members and subject specs.

    Grammar: comma-separated tokens; ``family`` (all its members), ``family:SPEC`` where SPEC is
    a member, a range ``a-b`` or a glob; a bare token after ``family:SPEC`` that is not a family
    name continues that family's member list (so ``smith:1,3`` is members 1 and 3). ``all``
    selects every family.

    Subjects: ``@SUBJECTS`` at the end of a token selects subjects of the members named since
    the last ``family`` token (``smith:3@1-10``: sim 3, subjects 1–10; ``smith:1-28@1``: subject
    1 of each sim; ``smith:1,3@1-5``: subjects 1–5 of sims 1 and 3); bare tokens after it
    continue the subject list (``smith:3@1,4,7``). Subjects are numbers (the number in the
    subject id: ``sub04`` is 4), ranges ``a-b`` or subject ids (``sub04``); see
    :func:`select_subjects`. A member selected several times gets the union of its subjects
    (all of them if one mention has no ``@``).
    """
    _load_plugins()
    tokens = _split(spec)
    if not tokens:
        raise BenchError("no datasets selected (use --datasets smith, or a comma list)")
    # pass 1: groups of (family, members, subject spec); a family token starts a group
    groups: list[tuple[str, list[str], list[str] | None]] = []
    current: str | None = None
    for raw in tokens:
        if groups and groups[-1][2] is not None and current is not None:
            if raw not in DATASETS and ":" not in raw and _SUBJECT_TOKEN.match(raw):
                groups[-1][2].append(raw)  # continues the subject list after an '@'
                continue
        tok, subjects = _split_subjects(raw)
        subj = None if subjects is None else [subjects]
        if tok == "all":
            if subj is not None:
                raise BenchError("dataset selection: 'all@...' is not supported; name a family")
            groups += [(fam, obj.members(), None) for fam, obj in DATASETS.items()]
            current = None
            continue
        if ":" in tok:
            fam, _, mspec = tok.partition(":")
            if fam not in DATASETS:
                raise did_you_mean("dataset", fam, DATASETS)
            groups.append((fam, _expand_members(fam, mspec, DATASETS[fam].members()), subj))
            current = fam
            continue
        if tok in DATASETS:
            if not DATASETS[tok].members():
                raise BenchError(
                    f"dataset {tok!r} lists no members of its own: name one, e.g. {tok}:<member> "
                    f"(see bench list datasets)"
                )
            groups.append((tok, DATASETS[tok].members(), subj))
            current = tok if subj is not None else None
            continue
        fams = [f for f in DATASETS if any(c in tok for c in "*?[") and fnmatch.fnmatchcase(f, tok)]
        if fams:
            if subj is not None:
                raise BenchError(f"dataset selection: {raw!r}: '@' needs one family, not a glob")
            groups += [(fam, DATASETS[fam].members(), None) for fam in fams]
            current = None
            continue
        if current is not None and groups and groups[-1][2] is None:
            fam, members, _ = groups[-1]
            more = _expand_members(fam, tok, DATASETS[fam].members())
            groups[-1] = (fam, members + [m for m in more if m not in members], subj)
            continue
        if current is not None:  # a new member after a subject list: a group of its own
            groups.append(
                (current, _expand_members(current, tok, DATASETS[current].members()), subj)
            )
            continue
        raise did_you_mean("dataset", tok, DATASETS)
    # pass 2: merge groups per family; subjects are the union over the mentions of a member
    out: dict[str, DatasetSelection] = {}
    every: dict[str, set[str]] = {}  # members mentioned at least once without '@'
    for fam, members, subj in groups:
        sel = out.setdefault(fam, DatasetSelection(fam))
        for m in members:
            if m not in sel.members:
                sel.members.append(m)
            if subj is None:
                every.setdefault(fam, set()).add(m)
            else:
                prev = sel.subjects.get(m)
                sel.subjects[m] = ",".join(([prev] if prev else []) + subj)
    for fam, sel in out.items():
        for m in every.get(fam, ()):
            sel.subjects.pop(m, None)
    return list(out.values())


_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def subject_number(subject: str) -> int | None:
    """The number in a subject id (its last digit run: ``sub04`` → 4, ``sub-12`` → 12)."""
    m = _NUMBER.search(subject)
    return int(m.group(1)) if m else None


def select_subjects(dataset: str, spec: str, subjects: list[str]) -> list[str]:
    """The subjects of ``dataset`` (ids in ``subjects``, the dataset's order) that ``spec`` names.

    ``spec`` is a comma list of numbers (``4`` is the subject whose id carries the number 4,
    e.g. ``sub04``; where ids carry no numbers, the 1-based position), ranges ``a-b`` and
    subject ids. Unknown subjects raise with close matches and what the dataset has; the result
    keeps the dataset's order.
    """
    numbers = {subject_number(s): s for s in subjects}
    by_number = None not in numbers and len(numbers) == len(subjects)
    if not by_number:
        numbers = {k + 1: s for k, s in enumerate(subjects)}
    have = (
        f"{len(subjects)} subjects ({subjects[0]} … {subjects[-1]})"
        if len(subjects) > 1
        else f"subject {subjects[0]} only"
    )
    chosen: set[str] = set()
    for tok in (t.strip() for t in spec.split(",")):
        if not tok:
            continue
        if tok in subjects:
            chosen.add(tok)
            continue
        m = _RANGE.match(tok)
        if m or tok.isdigit():
            lo, hi = (int(m.group(1)), int(m.group(2))) if m else (int(tok), int(tok))
            if lo > hi:
                raise BenchError(f"dataset {dataset}: empty subject range {tok!r}")
            absent = [k for k in range(lo, hi + 1) if k not in numbers]
            if absent:
                raise BenchError(f"dataset {dataset}: no subject {absent[0]}; it has {have}")
            chosen.update(numbers[k] for k in range(lo, hi + 1))
            continue
        close = difflib.get_close_matches(tok, subjects, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownNameError(f"unknown {dataset} subject {tok!r}.{hint} It has {have}")
    if not chosen:
        raise BenchError(f"dataset {dataset}: empty subject selection {spec!r}")
    return [s for s in subjects if s in chosen]


def subject_label(subjects: list[str], all_subjects: list[str]) -> str:
    """A compact ``@`` spec for ``subjects`` of a dataset (e.g. ``1-10``, ``1,4,7``)."""
    nums = [subject_number(s) for s in subjects]
    if None in nums or len(set(nums)) != len(nums):
        pos = {s: k + 1 for k, s in enumerate(all_subjects)}
        nums = [pos[s] for s in subjects]
    nums = sorted(n for n in nums if n is not None)
    parts, start, prev = [], nums[0], nums[0]
    for n in nums[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ",".join(parts)


def get_method(name: str) -> MethodInfo:
    _load_plugins()
    if name not in METHODS:
        raise did_you_mean("method", name, METHODS)
    return METHODS[name]


def get_family(name: str) -> DatasetFamily:
    _load_plugins()
    if name not in DATASETS:
        raise did_you_mean("dataset", name, DATASETS)
    return DATASETS[name]


def load_dataset(name: str, seed: int | None = None) -> Dataset:
    """Load ``family:member`` (e.g. ``smith:1``); ``seed`` is for generated (seeded) families."""
    fam, sep, member = name.partition(":")
    if not sep:
        raise BenchError(f"dataset name {name!r} needs a member, e.g. {name}:1")
    family = get_family(fam)
    if not family.accepts(member):
        raise did_you_mean(f"{fam} member", member, family.members())
    if family.seeded:
        return family.load(member, seed=0 if seed is None else seed)
    return family.load(member)
