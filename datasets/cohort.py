"""Labelled two-group cohorts: the testbeds of group classification from EC (``bench classify``).

The ``cohort`` dataset family generates NetSim-style BOLD (:mod:`bench.datasets.simulate`: DCM
neural model + balloon–Windkessel, the recipe of Smith et al. 2011) for two groups of
independent subjects, **A** and **B**, that differ in known connections. Which subject is in
which group is drawn at random from the run seed (balanced: ⌈S/2⌉ in A, ⌊S/2⌋ in B), so the
subject order and ids carry no label. The labels are **not** part of the :class:`Dataset`
that the estimators' driver holds: :func:`load_labels` gives them to the classifier only,
after the fits (estimators get only the series).

Designs (truth ``T[i, j]`` = i → j, 0-based nodes; NetSim's 5-node graph is
0→1→2→3→4 plus 0→4):

* ``edge`` (NetSim sim 21 style): the 5-node graph; in group B the connection 1 → 2 (NetSim's
  "2 → 3") has ``f`` times its strength (default ``f = 0.5``: halved, as in sim 21). Sim 21
  itself cannot serve: its vendored files carry no group labels.
* ``pathway``: the 10-node graph of NetSim sim 2; in group B the whole pathway 1 → 2 → 7 → 8
  (from the first block through the cross-link into the second) has ``f`` times its strength
  (default 0.5; ``f = 0`` removes it, and B's truth then lacks those edges).
* ``reverse``: the 5-node graph where group A has 1 → 2 and group B has 2 → 1 instead (with
  ``f`` times a freshly drawn strength, default 1). The groups have the same undirected
  structure, so symmetric features (correlation) can tell them apart only through the
  asymmetric dynamics, while a method that orients the edge can.

Difficulty knobs, appended to the design name in this order: ``-f<factor>`` (the size of the
change; ``edge-f1`` and ``pathway-f1`` are **null cohorts**: two groups from the same model,
on which accuracy should be near 0.5 and the permutation p-value uniform), ``-s<subjects>``
(default 40), ``-n<noise>`` (observation noise SD in % signal change, default 1 as in
NetSim), ``-t<time points>`` (default 200: 10 min at TR 3 s). Example:
``cohort:edge-f0.25-s60``. Names are canonical (defaults dropped, knobs in order), so
``edge-s40-f0.5`` is ``edge``.

Every draw comes from the run seed. The simulation stream is the design's (``cohort-edge``),
so ``edge-f0.5`` and ``edge-f0.25`` share their subjects' weights, inputs, haemodynamics and
noise (only group B's changed connection differs): a controlled difficulty curve. Subjects are
independent (no NetSim pairing). Each subject's truth is its non-zero connections.

Generated data are cached on disk (they take about 20–30 s per cohort on 2 cores) under
``$BENCH_CACHE_DIR/cohorts`` (default ``~/.cache/bench/cohorts``), keyed by the name, the seed
and the hash of the simulator's code; ``BENCH_CACHE_DIR=off`` disables the cache.

Users' own labelled data: a folder as the ``folder`` family reads it (subject files and a
truth file, see :mod:`bench.datasets.folder`) plus ``labels.csv`` with columns
``subject,label`` (exactly two distinct labels; every subject labelled), selected as
``folder:/path/to/study``.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.registry import DatasetFamily, did_you_mean, register_dataset
from bench.types import BenchError, DataError, Dataset, DatasetInfo

from .simulate import FixedGraph, Scenario, netsim_truth, simulate

GROUPS = ("A", "B")  # B is the group with the change (the positive class of ROC AUC)
LABELS_FILE = "labels.csv"
CACHE_ENV = "BENCH_CACHE_DIR"


@dataclass(frozen=True)
class Design:
    """A two-group design: a graph and the connections group B changes.

    ``graph`` holds every connection either group has; ``only_a`` are connections group B
    lacks, ``scaled`` the connections whose strength group B multiplies by ``f`` (``f = 0``
    removes them).
    """

    name: str
    title: str
    sim: int  # the NetSim graph it starts from
    scaled: tuple[tuple[int, int], ...]
    only_a: tuple[tuple[int, int], ...] = ()
    extra_edges: tuple[tuple[int, int], ...] = ()  # added to the NetSim graph
    factor: float = 0.5

    def truth(self) -> np.ndarray:
        t = netsim_truth(self.sim).copy()
        for i, j in self.extra_edges:
            t[i, j] = True
        return t

    def scale(self, labels: np.ndarray, factor: float) -> np.ndarray:
        """``(S, N, N)`` multipliers of each subject's weights (1 for group A's connections)."""
        t = self.truth()
        n = t.shape[0]
        a = np.ones((n, n))
        for i, j in self.extra_edges:
            a[i, j] = 0.0  # B's own connections are absent in A
        b = np.ones((n, n))
        for i, j in self.only_a:
            b[i, j] = 0.0
        for i, j in self.scaled:
            b[i, j] = factor
        return np.where(np.asarray(labels, dtype=bool)[:, None, None], b[None], a[None])


DESIGNS: dict[str, Design] = {
    d.name: d
    for d in (
        Design(
            "edge",
            "NetSim 5-node graph; group B has connection 1 -> 2 scaled by f (sim 21 style)",
            sim=1,
            scaled=((1, 2),),
            factor=0.5,
        ),
        Design(
            "pathway",
            "NetSim sim 2 graph (10 nodes); group B has the pathway 1 -> 2 -> 7 -> 8 scaled by f",
            sim=2,
            scaled=((1, 2), (2, 7), (7, 8)),
            factor=0.5,
        ),
        Design(
            "reverse",
            "NetSim 5-node graph; group A has 1 -> 2, group B has 2 -> 1 instead (strength x f)",
            sim=1,
            scaled=((2, 1),),
            only_a=((1, 2),),
            extra_edges=((2, 1),),
            factor=1.0,
        ),
    )
}


@dataclass(frozen=True)
class CohortSpec:
    """A design with its knobs (see the module docstring)."""

    design: str
    factor: float
    n_subjects: int = 40
    noise: float = 1.0
    n_samples: int = 200

    @property
    def name(self) -> str:
        """The canonical member name: the design, then the knobs that differ from the default."""
        d = DESIGNS[self.design]
        parts = [self.design]
        if self.factor != d.factor:
            parts.append(f"f{self.factor:g}")
        if self.n_subjects != 40:
            parts.append(f"s{self.n_subjects}")
        if self.noise != 1.0:
            parts.append(f"n{self.noise:g}")
        if self.n_samples != 200:
            parts.append(f"t{self.n_samples}")
        return "-".join(parts)


_KNOB = re.compile(r"-([fsnt])(\d+(?:\.\d*)?|\.\d+)")


def parse_member(member: str) -> CohortSpec:
    """The :class:`CohortSpec` of a member name; a bad name raises a one-line error."""
    head = member.split("-", 1)[0]
    if head not in DESIGNS:
        raise did_you_mean("cohort design", head, DESIGNS)
    rest = member[len(head) :]
    knobs: dict[str, str] = {}
    pos = 0
    for m in _KNOB.finditer(rest):
        if m.start() != pos:
            break
        if m.group(1) in knobs:
            raise BenchError(f"cohort {member!r}: knob -{m.group(1)} given twice")
        knobs[m.group(1)] = m.group(2)
        pos = m.end()
    if pos != len(rest):
        raise BenchError(
            f"cohort {member!r}: cannot read {rest[pos:]!r}; expected <design>[-f<factor>]"
            "[-s<subjects>][-n<noise>][-t<time points>], e.g. edge-f0.25-s60"
        )
    for k in ("s", "t"):
        if "." in knobs.get(k, ""):
            raise BenchError(f"cohort {member!r}: -{k} takes a whole number, got {knobs[k]}")
    d = DESIGNS[head]
    spec = CohortSpec(
        head,
        float(knobs.get("f", d.factor)),
        int(knobs.get("s", 40)),
        float(knobs.get("n", 1.0)),
        int(knobs.get("t", 200)),
    )
    if not 0.0 <= spec.factor <= 4.0:
        raise BenchError(f"cohort {member!r}: factor f must be in [0, 4], got {spec.factor:g}")
    if spec.n_subjects < 4:
        raise BenchError(f"cohort {member!r}: at least 4 subjects are needed (-s4)")
    if spec.n_samples < 10:
        raise BenchError(f"cohort {member!r}: at least 10 time points are needed (-t10)")
    if spec.noise < 0:
        raise BenchError(f"cohort {member!r}: the noise SD must be >= 0")
    return spec


def draw_labels(spec: CohortSpec, seed: int) -> np.ndarray:
    """Group of each subject (True = B): a balanced random assignment drawn from ``seed``.

    From its own stream (the design and the number of subjects), so the knobs f, n and t do
    not change who is in which group.
    """
    key = zlib.crc32(f"cohort-labels:{spec.design}:{spec.n_subjects}".encode())
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), key]))
    n_b = spec.n_subjects // 2
    labels = np.zeros(spec.n_subjects, dtype=bool)
    labels[:n_b] = True
    return rng.permutation(labels)


def scenario(spec: CohortSpec) -> Scenario:
    """The simulator's scenario of a cohort (NetSim baseline settings, independent subjects)."""
    d = DESIGNS[spec.design]
    return Scenario(
        graph=FixedGraph(d.truth(), f"cohort {d.name} graph"),
        stream=f"cohort-{d.name}",
        n_subjects=spec.n_subjects,
        duration=spec.n_samples * 3.0,
        tr=3.0,
        noise_sd=spec.noise,
        paired=False,
        title=d.title,
    )


# --------------------------------------------------------------------------- disk cache


def _code_hash() -> str:
    from bench.provenance import files_hash

    here = Path(__file__).resolve().parent
    return files_hash([*(here / "simulate").glob("*.py"), Path(__file__).resolve()])


def cache_dir() -> Path | None:
    """Where generated cohorts are cached (``None`` when ``BENCH_CACHE_DIR=off``)."""
    root = os.environ.get(CACHE_ENV, "")
    if root.lower() in ("off", "none", "0"):
        return None
    base = Path(root) if root else Path.home() / ".cache" / "bench"
    return base / "cohorts"


def _generate(spec: CohortSpec, seed: int) -> dict[str, np.ndarray]:
    labels = draw_labels(spec, seed)
    sc = scenario(spec)
    sim = simulate(sc, seed, edge_scale=DESIGNS[spec.design].scale(labels, spec.factor))
    return {
        "series": sim.series,
        "truth_per_subject": sim.truth_per_subject,
        "weights": sim.weights,
    }


_MEMORY: dict[tuple[str, int], dict[str, np.ndarray]] = {}  # the last few cohorts generated


def generate(spec: CohortSpec, seed: int) -> dict[str, np.ndarray]:
    """The cohort's arrays (``series`` (S, T, N), ``truth_per_subject``, ``weights``), from
    memory or the disk cache when present (see the module docstring)."""
    key = (f"{spec.name}|{_code_hash()}", int(seed))
    if key not in _MEMORY:
        if len(_MEMORY) >= 4:
            _MEMORY.pop(next(iter(_MEMORY)))
        _MEMORY[key] = _cached_generate(spec, seed)
    return {k: v.copy() for k, v in _MEMORY[key].items()}


def _cached_generate(spec: CohortSpec, seed: int) -> dict[str, np.ndarray]:
    folder = cache_dir()
    path = None
    if folder is not None:
        path = folder / f"{spec.name}__seed{int(seed)}__{_code_hash()}.npz"
        if path.is_file():
            try:
                with np.load(path) as z:
                    return {k: z[k] for k in ("series", "truth_per_subject", "weights")}
            except (OSError, ValueError, KeyError, EOFError):
                pass  # unreadable: generate again
    out = _generate(spec, seed)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **out)
            os.replace(tmp, path)
        except OSError:  # an unwritable cache only costs time
            pass
    return out


# --------------------------------------------------------------------------- the family


@register_dataset("cohort")
class Cohorts(DatasetFamily):
    """Two-group simulated cohorts with known group differences (see the module docstring)."""

    seeded = True
    info = DatasetInfo(
        name="cohort",
        title="Two-group cohorts: NetSim-style BOLD with a known group difference in EC",
        citation=(
            "Simulation recipe: Smith, S. M., et al. (2011). Network modelling methods for FMRI. "
            "NeuroImage, 54(2), 875-891 (two-group design as in its sim 21)."
        ),
        licence="Generated data (bench's simulator, under the project's MIT licence).",
        description=(
            "Simulated BOLD fMRI generated with the NetSim recipe (Smith et al. 2011): "
            "per-node Markov inputs drive a linear DCM neural network over a directed graph; "
            "each node's activity passes through a balloon-Windkessel haemodynamic model, is "
            "sampled every TR (3 s), given white noise, high-pass filtered and demeaned."
        ),
        tr=3.0,
        notes=(
            "Generated from the run seed; every subject is independent. The group labels are "
            "given to the classifier only (bench classify), never to an estimator."
        ),
        kind="netsim",
    )

    def members(self) -> list[str]:
        return list(DESIGNS)

    def accepts(self, member: str) -> bool:
        try:
            parse_member(member)
        except BenchError:
            return False
        return True

    def expand(self, spec: str) -> list[str] | None:
        if spec in DESIGNS or any(c in spec for c in "*?["):
            return None  # listed members and globs: the standard grammar
        return [parse_member(spec).name]  # a design with knobs, canonical (errors say why)

    def describe_member(self, member: str) -> str:
        spec = parse_member(member)
        d = DESIGNS[spec.design]
        n = d.truth().shape[0]
        return (
            f"{n} nodes, {spec.n_subjects} subjects x {spec.n_samples} time points, TR 3 s, "
            f"f = {spec.factor:g}: {d.title}"
        )

    def load(self, member: str, seed: int | None = None) -> Dataset:
        spec = parse_member(member)
        seed = 0 if seed is None else int(seed)
        arrays = generate(spec, seed)
        subjects = [f"sub{k + 1:02d}" for k in range(spec.n_subjects)]
        tps = arrays["truth_per_subject"].astype(bool)
        same = bool((tps == tps[:1]).all())
        d = DESIGNS[spec.design]
        settings: dict[str, Any] = {
            "design": d.name,
            "factor": spec.factor,
            "subjects": spec.n_subjects,
            "noise_sd": spec.noise,
            "time_points": spec.n_samples,
            "tr_s": 3.0,
        }
        return Dataset(
            name=f"cohort:{spec.name}",
            family="cohort",
            member=spec.name,
            subjects=subjects,
            series=[np.array(x) for x in arrays["series"]],
            truth=tps[0].copy() if same else None,
            tr=3.0,
            info=self.info,
            truth_per_subject=None if same else {s: tps[k] for k, s in enumerate(subjects)},
            weights=arrays["weights"].copy(),
            notes=f"{d.title}. Seed {seed}. Groups drawn at random from the seed.",
            extra={"seed": seed, "settings": settings},
        )


# --------------------------------------------------------------------------- labels


def _folder_labels(root: Path, subjects: list[str]) -> dict[str, str]:
    path = root / LABELS_FILE
    if not path.is_file():
        raise DataError(
            f"{path}: not found; a labelled folder needs {LABELS_FILE} with columns subject,label"
        )
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows or [c.strip().lower() for c in rows[0]] != ["subject", "label"]:
        raise DataError(f"{path}: the first row must be the header subject,label")
    out: dict[str, str] = {}
    for k, row in enumerate(rows[1:], 2):
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise DataError(f"{path}: line {k}: expected subject,label, got {','.join(row)!r}")
        sid, label = row[0].strip(), row[1].strip()
        if sid in out:
            raise DataError(f"{path}: line {k}: subject {sid} labelled twice")
        out[sid] = label
    unknown = sorted(set(out) - set(subjects))
    if unknown:
        raise DataError(
            f"{path}: subject(s) {', '.join(unknown[:5])} have no series file (the folder has "
            f"{', '.join(subjects[:5])}{' …' if len(subjects) > 5 else ''})"
        )
    unlabelled = [s for s in subjects if s not in out]
    if unlabelled:
        raise DataError(f"{path}: no label for subject(s) {', '.join(unlabelled[:5])}")
    return out


def load_labels(dataset: Dataset) -> dict[str, str]:
    """Subject → group label of a labelled dataset (a ``cohort`` or a ``folder`` with labels).

    For the driver of the classifier only: estimators never get this. Raises
    :class:`BenchError` for a dataset without labels and :class:`DataError` for a bad
    ``labels.csv``; the result must hold exactly two distinct labels.
    """
    if dataset.family == "cohort":
        spec = parse_member(dataset.member)
        groups = draw_labels(spec, int(dataset.extra.get("seed", 0)))
        every = [f"sub{k + 1:02d}" for k in range(spec.n_subjects)]
        by_id = {s: GROUPS[int(g)] for s, g in zip(every, groups, strict=True)}
        labels = {s: by_id[s] for s in dataset.subjects}
    elif dataset.family == "folder":
        labels = _folder_labels(Path(dataset.member), list(dataset.subjects))
    else:
        raise BenchError(
            f"dataset {dataset.name} has no group labels; classification needs a labelled "
            "cohort (cohort:edge, cohort:pathway, ... or folder:/path with labels.csv)"
        )
    distinct = sorted(set(labels.values()))
    if len(distinct) != 2:
        where = dataset.name if dataset.family == "cohort" else Path(dataset.member) / LABELS_FILE
        raise DataError(
            f"{where}: classification needs exactly two groups, found {len(distinct)} "
            f"({', '.join(distinct[:5])})"
        )
    return labels
