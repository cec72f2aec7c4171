"""The ``folder`` dataset family: the user's own data, given by a path.

Select it as ``--datasets folder:/path/to/study`` (several: ``folder:/a,/b``; a glob such as
``folder:/data/study-*`` selects every matching folder), or in a config file as
``datasets = ["folder:/path/to/study"]``. Relative paths are resolved against the current
working directory. The dataset is named ``folder:<absolute path>``.

Folder layout::

    study/
      dataset.toml               optional metadata (below)
      truth.csv                  the ground truth: exactly one of truth.npy, truth.csv,
                                 truth.tsv (N × N matrix) or truth.txt (edge list)
      sub-01.npy                 one file per subject: sub-<id>.npy | .csv | .tsv | .mat
      sub-02.csv
      ...

Other files (README, notes) are ignored; a ``sub-*`` entry of another type is an error (never a
silently dropped subject). Subjects are sorted naturally (``sub-2`` before ``sub-10``) and
named by the file stem (``sub-01``).

Subject files hold one subject's series as a ``(T, N)`` table: **rows are time points, columns
are nodes** (set ``series_layout = "nodes x time"`` for the transpose). ``.npy``: a 2-D numeric
array. ``.csv`` (comma) / ``.tsv`` (tab): numbers only, with an optional header row of node
names (no index column). ``.mat`` (MATLAB v4-v7.2; v7.3/HDF5 is not supported): the variable
``ts`` or ``data`` if present, else the only 2-D numeric variable. All subjects must have the
same N (T may differ); every value finite; no node constant; T ≥ 3, N ≥ 2.

Ground truth, orientation: **``truth[i, j] = 1`` means i → j (row = source, column = target)**,
nodes numbered in the column order of the subject files.

* Matrix (``truth.npy``, ``truth.csv``, ``truth.tsv``): N × N of 0/1 (or true/false in
  ``.npy``), an optional header row in the text forms; zero diagonal. A matrix written the other
  way round (row = target, e.g. a LiNGAM/CDRL ``B`` with ``B[i, j] ≠ 0`` for j → i) needs
  ``truth_orientation = "column -> row"`` and is transposed on load.
* Edge list (``truth.txt``): one directed edge a → b per line, written ``a -> b``, ``a --> b``,
  ``a,b``, ``a<TAB>b`` or ``a b``; blank lines and ``#`` comments are ignored; a 2-cycle is two
  lines. Nodes are named by number or by name. Numbers need ``index_base = 0`` or ``1`` in
  ``dataset.toml`` (nothing is guessed). Names are the ``nodes`` of ``dataset.toml`` or the
  header row of the ``.csv``/``.tsv`` subject files.

``dataset.toml`` (all keys optional; an unknown key is an error)::

    title = "My study"
    description = "Resting-state fMRI, 10 ROIs ..."   # shown to methods that take a description
    tr = 2.0                                         # seconds
    truth_orientation = "row -> column"              # or "column -> row"
    index_base = 1                                   # for numbered edge lists
    nodes = ["V1", "V2", "MT"]                       # node names, in column order
    series_layout = "time x nodes"                   # or "nodes x time"
    citation = "..."
    licence = "..."

Checks on load, each a one-line :class:`~bench.types.DataError` that names the file: missing or
unreadable folder, no subject files, no or several truth files, empty, unreadable or corrupt files,
non-numeric cells, ragged rows, NaN/Inf, constant nodes, values whose squares overflow float64
or a node whose variation float64 cannot resolve (:func:`bench.types.check_values`), too few
time points or nodes, subjects with different N or different header rows, truth not square or not
matching N, non-binary truth, non-zero diagonal (self-loops), edge lines that do not parse or name
unknown nodes, bad ``dataset.toml`` values, a subject given as a folder, a symbolic link loop.

NetSim-style ``.mat`` subject files (``ts`` with ``Nsubjects`` and ``Ntimepoints``, as the NetSim
release's ``sim<k>.mat``) are split into their ``Nsubjects`` subjects (ids ``<file stem>_01``,
``_02``, ...); a ``ts`` whose length is not ``Nsubjects × Ntimepoints`` is an error.
"""

from __future__ import annotations

import glob
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tomllib

from bench.registry import DatasetFamily, natural_key, register_dataset
from bench.types import BenchError, DataError, Dataset, DatasetInfo, check_values

SUBJECT_EXTS = (".npy", ".csv", ".tsv", ".mat")
TRUTH_FILES = ("truth.npy", "truth.csv", "truth.tsv", "truth.txt")
META_FILE = "dataset.toml"
MIN_T = 3

_ORIENTATIONS = ("row -> column", "column -> row")
_LAYOUTS = ("time x nodes", "nodes x time")
_STR_KEYS = ("title", "description", "citation", "licence")
_KEYS = (*_STR_KEYS, "tr", "truth_orientation", "index_base", "nodes", "series_layout")
_ARROW = re.compile(r"^(\S+?)\s*(?:-->|->|→)\s*(\S+)$")


@dataclass
class _Meta:
    """Validated ``dataset.toml`` values."""

    title: str | None = None
    description: str | None = None
    citation: str | None = None
    licence: str | None = None
    tr: float | None = None
    truth_orientation: str = "row -> column"
    index_base: int | None = None
    nodes: list[str] | None = None
    series_layout: str = "time x nodes"
    extra: dict[str, Any] = field(default_factory=dict)


@register_dataset("folder")
class UserFolder(DatasetFamily):
    """A folder of per-subject series plus a ground-truth file (see the module docstring)."""

    info = DatasetInfo(
        name="folder",
        title="Your own data: a folder of subject files and a ground truth",
        citation="(given in the folder's dataset.toml)",
        licence="(the user's data)",
        description=(
            "A folder with sub-*.npy|csv|tsv|mat files (rows = time points, columns = nodes) and "
            "truth.npy|csv|tsv (truth[i, j] = 1 means i -> j) or truth.txt (edges 'a -> b'), "
            "plus optional dataset.toml. Select it as folder:/path/to/study."
        ),
        tr=None,
        notes="Select with folder:/path/to/study; see bench.datasets.folder for the layout.",
        kind="generic",
    )

    def members(self) -> list[str]:
        return []  # any folder path; nothing to list

    def expand(self, spec: str) -> list[str] | None:
        """A path (``~`` expanded, made absolute) or a glob of folders."""
        if not spec.strip():
            raise BenchError("dataset folder: give a path, e.g. folder:/path/to/study")
        path = os.path.expanduser(spec.strip())
        if any(c in path for c in "*?[") and not os.path.exists(path):
            hits = sorted((p for p in glob.glob(path) if os.path.isdir(p)), key=natural_key)
            if not hits:
                raise BenchError(f"dataset folder: no folder matches {spec!r}")
            return [os.path.abspath(p) for p in hits]
        return [os.path.abspath(path)]

    def accepts(self, member: str) -> bool:
        return bool(member.strip())

    def describe_member(self, member: str) -> str:
        return f"user data in {member}"

    def load(self, member: str, seed: int | None = None) -> Dataset:
        """Read and check the folder ``member`` (``seed`` is ignored: the data are fixed)."""
        return load_folder(member)


# --------------------------------------------------------------------------- loading


def load_folder(path: str | Path) -> Dataset:
    """Read and check a dataset folder; every problem raises a one-line :class:`DataError`."""
    root = Path(os.path.abspath(os.path.expanduser(str(path))))
    if not root.exists():
        if root.is_symlink():
            try:
                root.resolve(strict=True)
            except RuntimeError:
                raise DataError(
                    f"{root}: a symbolic link loop (the link points back at itself)"
                ) from None
            except OSError:
                pass
            target = os.readlink(root)
            raise DataError(f"{root}: a broken symbolic link (to {target}, which does not exist)")
        raise DataError(f"{root}: no such folder")
    if not root.is_dir():
        raise DataError(f"{root}: not a folder (give the folder that holds the subject files)")
    meta = _read_meta(root / META_FILE)
    files = _subject_files(root)
    truth_path = _truth_file(root)

    ids: list[str] = []
    series: list[np.ndarray] = []
    headers: dict[Path, list[str]] = {}
    first: Path | None = None
    n_nodes = 0
    for sid, f in files:
        parts, header = _read_series(f, meta.series_layout)
        for part, x in parts:
            _add_subject(ids, series, f"{sid}{part}", x)
        x = parts[0][1]
        if first is None:
            first, n_nodes = f, x.shape[1]
        elif x.shape[1] != n_nodes:
            raise DataError(
                f"{f}: {x.shape[1]} nodes (columns), but {first.name} has {n_nodes}; every "
                "subject must have the same nodes"
            )
        if header is not None:
            headers[f] = header
    assert first is not None
    names = _node_names(meta, headers, n_nodes, root / META_FILE)

    if truth_path.suffix == ".txt":
        truth = _read_edge_list(truth_path, n_nodes, names, meta.index_base)
    else:
        truth = _read_truth_matrix(truth_path, meta.truth_orientation)
        if truth.shape != (n_nodes, n_nodes):
            hint = ""
            if truth.shape[0] in {x.shape[0] for x in series}:
                hint = (
                    " (if the subject files are nodes x time, set series_layout = "
                    f'"nodes x time" in {META_FILE})'
                )
            raise DataError(
                f"{truth_path}: truth is {truth.shape[0]} x {truth.shape[1]}, but the subject "
                f"files have {n_nodes} nodes (e.g. {first.name}){hint}"
            )
        _check_truth(truth_path, truth)

    t_values = sorted({x.shape[0] for x in series})
    t_text = str(t_values[0]) if len(t_values) == 1 else f"{t_values[0]}-{t_values[-1]}"
    description = meta.description or (
        f"User data from the folder {root.name}: {len(series)} subject(s), {n_nodes} nodes, "
        f"{t_text} time points each."
    )
    info = DatasetInfo(
        name="folder",
        title=meta.title or root.name,
        citation=meta.citation or "(not stated)",
        licence=meta.licence or "(not stated)",
        description=description,
        tr=meta.tr,
        notes=f"Loaded from {root}.",
        kind="generic",
    )
    return Dataset(
        name=f"folder:{root}",
        family="folder",
        member=str(root),
        subjects=ids,
        series=series,
        truth=truth,
        tr=meta.tr,
        info=info,
        notes=f"{len(series)} subject file(s) and {truth_path.name} from {root}.",
        extra={
            "path": str(root),
            "truth_file": truth_path.name,
            "files": [f.name for _, f in files],
            "nodes": names,
        },
    )


def _read_meta(path: Path) -> _Meta:
    """Validate ``dataset.toml`` (absent: defaults)."""
    if not path.exists():
        return _Meta()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({_reason(exc)})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: invalid TOML ({_reason(exc)})") from None
    unknown = sorted(set(raw) - set(_KEYS))
    if unknown:
        raise DataError(
            f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}"
        )
    meta = _Meta()
    for key in _STR_KEYS:
        if key in raw:
            if not isinstance(raw[key], str):
                raise DataError(f"{path}: {key} must be a string")
            setattr(meta, key, raw[key].strip() or None)
    if "tr" in raw:
        tr = raw["tr"]
        if isinstance(tr, bool) or not isinstance(tr, int | float) or not tr > 0:
            raise DataError(f"{path}: tr must be a positive number of seconds, not {tr!r}")
        if not math.isfinite(tr):
            raise DataError(f"{path}: tr must be finite, not {tr!r}")
        meta.tr = float(tr)
    for key, allowed in (("truth_orientation", _ORIENTATIONS), ("series_layout", _LAYOUTS)):
        if key in raw:
            value = " ".join(str(raw[key]).split())
            if value not in allowed:
                choices = " or ".join(repr(a) for a in allowed)
                raise DataError(f"{path}: {key} must be {choices}, not {raw[key]!r}")
            setattr(meta, key, value)
    if "index_base" in raw:
        base = raw["index_base"]
        if isinstance(base, bool) or base not in (0, 1):
            raise DataError(f"{path}: index_base must be 0 or 1, not {base!r}")
        meta.index_base = int(base)
    if "nodes" in raw:
        nodes = raw["nodes"]
        if not isinstance(nodes, list) or not all(isinstance(n, str) and n for n in nodes):
            raise DataError(f"{path}: nodes must be a list of non-empty strings")
        if len(set(nodes)) != len(nodes):
            raise DataError(f"{path}: nodes has duplicate names")
        meta.nodes = list(nodes)
    return meta


def _subject_files(root: Path) -> list[tuple[str, Path]]:
    """``(subject id, file)`` for every ``sub-*`` file, natural order; bad entries raise."""
    found: dict[str, Path] = {}
    for p in root.iterdir():
        if p.name.startswith(".") or not p.name.startswith("sub-"):
            continue
        if p.is_dir():
            stem = p.stem if p.suffix.lower() in SUBJECT_EXTS else p.name
            raise DataError(
                f"{p}: is a folder, not a subject file; put the file {stem}.npy (or .csv, .tsv, "
                ".mat) directly in the dataset folder (subject folders are not supported)"
            )
        if p.suffix.lower() not in SUBJECT_EXTS:
            raise DataError(
                f"{p}: unsupported subject file type {p.suffix or '(none)'!r}; use "
                f"{', '.join(SUBJECT_EXTS)}"
            )
        sid = p.stem
        if sid in found:
            raise DataError(f"{p}: subject {sid} also has the file {found[sid].name}; keep one")
        found[sid] = p
    if not found:
        patterns = ", ".join(f"sub-*{e}" for e in SUBJECT_EXTS)
        raise DataError(f"{root}: no subject files (expected {patterns})")
    return [(sid, found[sid]) for sid in sorted(found, key=natural_key)]


def _truth_file(root: Path) -> Path:
    present = [root / name for name in TRUTH_FILES if (root / name).is_file()]
    if not present:
        raise DataError(f"{root}: no ground-truth file (expected one of {', '.join(TRUTH_FILES)})")
    if len(present) > 1:
        names = ", ".join(p.name for p in present)
        raise DataError(f"{root}: several ground-truth files ({names}); keep exactly one")
    return present[0]


def _reason(exc: BaseException) -> str:
    """The first line of an exception's message (one-line errors)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _check_nonempty(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({_reason(exc)})") from None
    if size == 0:
        raise DataError(f"{path}: empty file")


# --------------------------------------------------------------------------- series


def _add_subject(ids: list[str], series: list[np.ndarray], sid: str, x: np.ndarray) -> None:
    ids.append(sid)
    series.append(x)


def _read_series(path: Path, layout: str) -> tuple[list[tuple[str, np.ndarray]], list[str] | None]:
    """A subject file as ``[(id suffix, float64 (T, N))]`` and its header (node names), if any.

    A file holds one subject (suffix ``""``), except a NetSim-style ``.mat`` file with
    ``Nsubjects`` > 1, whose ``ts`` stacks the subjects' series: it is split into ``Nsubjects``
    subjects of ``Ntimepoints`` rows each, with the suffixes ``_01``, ``_02``, ...
    """
    _check_nonempty(path)
    ext = path.suffix.lower()
    header: list[str] | None = None
    if ext == ".mat":
        blocks = [(part, _check_matrix(path, x, layout)) for part, x in _read_mat_subjects(path)]
        return blocks, None
    if ext == ".npy":
        x = _read_npy(path)
    else:
        header, x = _read_table(path, "," if ext == ".csv" else "\t")
    if header is not None and layout == "nodes x time":
        raise DataError(f"{path}: a header row needs series_layout = 'time x nodes'")
    return [("", _check_matrix(path, x, layout))], header


def _check_matrix(path: Path, x: np.ndarray, layout: str) -> np.ndarray:
    """Shape, type and values of one subject's series read from ``path``; float64 ``(T, N)``."""
    if x.ndim != 2:
        raise DataError(f"{path}: expected a 2-D (time x nodes) table, got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool) or np.iscomplexobj(x):
        raise DataError(f"{path}: values must be real numbers, not {x.dtype}")
    if layout == "nodes x time":
        x = x.T
    x = np.ascontiguousarray(x, dtype=np.float64)
    t, n = x.shape
    if t < MIN_T:
        raise DataError(f"{path}: only {t} time point(s) (rows); at least {MIN_T} are needed")
    if n < 2:
        raise DataError(f"{path}: only {n} node(s) (columns); at least 2 are needed")
    bad = ~np.isfinite(x)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"{path}: {int(bad.sum())} NaN/Inf value(s), the first at time point {r}, node {c} "
            "(0-based row and column)"
        )
    constant = np.flatnonzero(np.ptp(x, axis=0) == 0)
    if constant.size:
        c = int(constant[0])
        more = f"; also node(s) {', '.join(map(str, constant[1:]))}" if constant.size > 1 else ""
        raise DataError(
            f"{path}: node {c} (0-based column) is constant ({x[0, c]:g} at all {t} time "
            f"points){more}"
        )
    check_values(x, str(path))  # magnitudes float64 can square, variation it can resolve
    return x


def _read_npy(path: Path) -> np.ndarray:
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({_reason(exc)})") from None
    if magic != b"\x93NUMPY":
        raise DataError(f"{path}: not a .npy file (no NumPy header); save it with numpy.save")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: unreadable .npy file ({_reason(exc)})") from None


def _mat_count(path: Path, content: dict, name: str) -> int | None:
    if name not in content:
        return None
    v = np.asarray(content[name]).ravel()
    if v.size != 1 or not np.isfinite(v[0]) or v[0] != int(v[0]) or v[0] < 1:
        raise DataError(f"{path}: {name} must be one positive integer, got {content[name]!r}")
    return int(v[0])


def _read_mat_subjects(path: Path) -> list[tuple[str, np.ndarray]]:
    """The subjects of a ``.mat`` file (see :func:`_read_series`); NetSim fields honoured."""
    content = _load_mat(path)
    x = _mat_matrix(path, content)
    n_sub = _mat_count(path, content, "Nsubjects")
    n_t = _mat_count(path, content, "Ntimepoints")
    if n_sub is None and n_t is None:
        return [("", x)]
    if n_sub is None or n_t is None:
        have = "Nsubjects" if n_t is None else "Ntimepoints"
        lack = "Ntimepoints" if n_t is None else "Nsubjects"
        raise DataError(f"{path}: has {have} but not {lack}; NetSim-style files need both")
    if x.ndim != 2 or x.shape[0] != n_sub * n_t:
        raise DataError(
            f"{path}: ts has {x.shape[0] if x.ndim else 0} rows, but Nsubjects × Ntimepoints = "
            f"{n_sub} × {n_t} = {n_sub * n_t}"
        )
    if n_sub == 1:
        return [("", x)]
    return [(f"_{k + 1:02d}", x[k * n_t : (k + 1) * n_t]) for k in range(n_sub)]


def _load_mat(path: Path) -> dict:
    from scipy.io import loadmat

    try:
        content = loadmat(path)
    except NotImplementedError:
        raise DataError(
            f"{path}: MATLAB v7.3 (HDF5) files are not supported; save with "
            "save(..., '-v7') or use .npy/.csv"
        ) from None
    except Exception as exc:  # scipy raises several types for corrupt files
        raise DataError(f"{path}: unreadable .mat file ({_reason(exc)})") from None
    return content


def _mat_matrix(path: Path, content: dict) -> np.ndarray:
    """The series variable of a loaded ``.mat`` file: ``ts``, ``data`` or the only 2-D one."""
    skip = {"Nsubjects", "Ntimepoints", "Nnodes", "net"}
    variables = {k: v for k, v in content.items() if not k.startswith("__")}
    for name in ("ts", "data"):
        if name in variables:
            return np.asarray(variables[name])
    arrays = {
        k: v
        for k, v in variables.items()
        if isinstance(v, np.ndarray)
        and v.ndim == 2
        and np.issubdtype(v.dtype, np.number)
        and k not in skip
    }
    if len(arrays) != 1:
        listed = ", ".join(sorted(variables)) or "none"
        raise DataError(
            f"{path}: expected a variable 'ts' or 'data', or exactly one 2-D numeric variable; "
            f"found {len(arrays)} (variables: {listed})"
        )
    return next(iter(arrays.values()))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_table(path: Path, sep: str) -> tuple[list[str] | None, np.ndarray]:
    """A numeric text table with an optional header row (detected: a non-numeric cell)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({_reason(exc)})") from None
    lines = [(k + 1, line) for k, line in enumerate(text.splitlines()) if line.strip()]
    if not lines:
        raise DataError(f"{path}: empty file (no rows)")
    rows = [(k, [cell.strip() for cell in line.split(sep)]) for k, line in lines]
    header: list[str] | None = None
    if not all(_is_number(c) for c in rows[0][1]):
        header = rows[0][1]
        rows = rows[1:]
        if not rows:
            raise DataError(f"{path}: a header row but no data rows")
    width = len(header) if header is not None else len(rows[0][1])
    for k, cells in rows:
        if len(cells) != width:
            raise DataError(f"{path}: line {k} has {len(cells)} values, expected {width}")
    try:
        data = np.array([cells for _, cells in rows], dtype=np.float64)
    except ValueError:
        for k, cells in rows:
            for c, cell in enumerate(cells):
                if not _is_number(cell):
                    raise DataError(
                        f"{path}: line {k}, column {c + 1}: {cell!r} is not a number"
                    ) from None
        raise
    if header is not None and len(set(header)) != len(header):
        raise DataError(f"{path}: the header row has duplicate names")
    return header, data


def _node_names(
    meta: _Meta, headers: dict[Path, list[str]], n: int, meta_path: Path
) -> list[str] | None:
    """Node names from dataset.toml or the subject headers (which must all agree)."""
    names = meta.nodes
    if names is not None and len(names) != n:
        raise DataError(f"{meta_path}: nodes lists {len(names)} names, the data have {n} nodes")
    ref: tuple[Path, list[str]] | None = None
    for f, header in headers.items():
        if names is not None and header != names:
            raise DataError(
                f"{f}: header {', '.join(header)} differs from nodes in {META_FILE} "
                f"({', '.join(names)}); the columns must be in the same order"
            )
        if ref is not None and header != ref[1]:
            raise DataError(
                f"{f}: header {', '.join(header)} differs from {ref[0].name} "
                f"({', '.join(ref[1])}); every subject must list the nodes in the same order"
            )
        ref = ref or (f, header)
    if names is None and ref is not None:
        names = ref[1]
    return names


# --------------------------------------------------------------------------- truth


def _read_truth_matrix(path: Path, orientation: str) -> np.ndarray:
    """A 0/1 matrix from ``truth.npy|csv|tsv`` in our orientation (row = source)."""
    _check_nonempty(path)
    if path.suffix == ".npy":
        t = _read_npy(path)
        if t.dtype == bool:
            t = t.astype(np.int64)
        if not np.issubdtype(t.dtype, np.number):
            raise DataError(f"{path}: truth values must be 0/1 numbers, not {t.dtype}")
    else:
        _, t = _read_table(path, "," if path.suffix == ".csv" else "\t")
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise DataError(f"{path}: the truth must be a square N x N matrix, got shape {t.shape}")
    if not np.isfinite(t).all():
        raise DataError(f"{path}: the truth contains NaN/Inf")
    odd = t[(t != 0) & (t != 1)]
    if odd.size:
        raise DataError(
            f"{path}: the truth must be binary (0/1), found {odd.size} other value(s) such as "
            f"{odd[0]:g}; give an adjacency, not weights"
        )
    truth = t.astype(bool)
    return truth.T.copy() if orientation == "column -> row" else truth


def _check_truth(path: Path, truth: np.ndarray) -> None:
    diag = np.flatnonzero(truth.diagonal())
    if diag.size:
        raise DataError(
            f"{path}: non-zero diagonal at node(s) {', '.join(map(str, diag))} (0-based); "
            "self-loops are not edges, set them to 0"
        )


def _read_edge_list(
    path: Path, n: int, names: list[str] | None, index_base: int | None
) -> np.ndarray:
    """Edges ``a -> b`` (a → b), one per line, into an ``(n, n)`` bool truth."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None
    lookup = {name: k for k, name in enumerate(names or [])}
    truth = np.zeros((n, n), dtype=bool)

    def node(token: str, lineno: int) -> int:
        if index_base is None or not re.fullmatch(r"[+-]?\d+", token):
            if token in lookup:
                return lookup[token]
        if re.fullmatch(r"[+-]?\d+", token):
            if index_base is None:
                raise DataError(
                    f"{path}: line {lineno} numbers its nodes; state index_base = 0 or 1 in "
                    f"{META_FILE} (node numbers are never guessed)"
                )
            k = int(token) - index_base
            if not 0 <= k < n:
                raise DataError(
                    f"{path}: line {lineno}: node {token} is out of range for {n} nodes "
                    f"numbered from {index_base}"
                )
            return k
        known = f" (known: {', '.join(names)})" if names else ""
        raise DataError(f"{path}: line {lineno}: unknown node {token!r}{known}")

    edges = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "<" in line or re.search(r"(^|\s)(--|---|o-o|o->)(\s|$)", line):
            raise DataError(
                f"{path}: line {lineno}: {raw.strip()!r} is not a directed edge; write a -> b "
                "(a 2-cycle as two lines)"
            )
        m = _ARROW.match(line)
        tokens = [m.group(1), m.group(2)] if m else [t for t in re.split(r"[,\s]+", line) if t]
        if len(tokens) != 2:
            raise DataError(
                f"{path}: line {lineno}: cannot read {raw.strip()!r} as an edge "
                "(expected 'a -> b', 'a,b' or 'a b')"
            )
        a, b = node(tokens[0], lineno), node(tokens[1], lineno)
        if a == b:
            raise DataError(
                f"{path}: line {lineno}: self-loop {raw.strip()!r} (non-zero diagonal); "
                "self-loops are not edges"
            )
        truth[a, b] = True
        edges += 1
    if edges == 0 and not text.strip():
        raise DataError(f"{path}: empty file (write one edge per line; no edges at all?)")
    return truth
