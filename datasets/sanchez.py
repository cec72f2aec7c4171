"""The ``sanchez`` dataset family: the simple cyclic networks of Sanchez-Romero et al. (2019).

Nine networks (Fig. 1 of the paper) in 18 variants, 60 simulated subjects each, 500 time points
at TR 1.2 s. Members are the variant names without the ``Network`` prefix:

    1_amp 2_amp 3_amp 4_amp 5_amp 5_cont 5_cont_p3n7 5_cont_p7n3 6_amp 6_cont 7_amp 7_cont
    8_amp_amp 8_amp_cont 8_cont_amp 9_amp_amp 9_amp_cont 9_cont_amp

Selections: ``sanchez`` (all 18), ``sanchez:5_cont`` (one variant), ``sanchez:net5`` or
``sanchez:5`` (every variant of network 5), ``sanchez:net1-4`` or ``sanchez:1-4`` (networks 1 to
4), the upstream names (``sanchez:Network5_cont``) and globs (``sanchez:*_cont*``).

The data are vendored in ``data/sanchez/<Variant>.npz`` (built by ``_vendor_sanchez.py``;
provenance, licence and orientation evidence in ``data/sanchez/PROVENANCE.md``) and checked
against ``data/sanchez/SHA256SUMS`` on every first load.

Conventions:

* ``series[k]`` is subject ``subjects[k]`` (``"sub01"`` ... ``"sub60"``, the upstream
  ``sim-01`` ... ``sim-60``) as float64 ``(500, N)``; stored as float32 (the upstream text has
  six decimals; rounding changes values by < 1e-6). The series are demeaned and gently high-pass
  filtered upstream.
* ``truth[i, j]`` is True when i → j (row = source). The upstream Tetrad edge ``Xa --> Xb``
  means a → b and becomes ``truth[a-1, b-1]``; the build checked this reading against the data
  (nodes without a common ancestor are uncorrelated in the stated graph, not in its transpose).
* All truths contain cycles: networks 1-6 have 2-cycles (i ⇄ j), networks 7-9 longer cycles
  only. No true weights are published.
* ``missing``: ``6_amp`` subject ``sub25`` is an empty file upstream; the dataset holds 59
  subjects and names the file in ``Dataset.missing`` (the runner announces it and lists it in
  ``per_subject.csv``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.registry import DatasetFamily, did_you_mean, register_dataset
from bench.types import BenchError, DataError, Dataset, DatasetInfo

from ._store import load_npz

DATA_DIR = Path(__file__).resolve().parent / "data" / "sanchez"
TR = 1.2
TIMEPOINTS = 500
SUBJECTS = 60

CITATION = (
    "Sanchez-Romero, R., Ramsey, J. D., Zhang, K., Glymour, M. R. K., Huang, B., & Glymour, C. "
    "(2019). Estimating feedforward and feedback effective connections from fMRI time series: "
    "Assessments of statistical methods. Network Neuroscience, 3(2), 274-306. "
    "https://doi.org/10.1162/netn_a_00061"
)


@dataclass(frozen=True)
class _Variant:
    """What one variant should contain (Sanchez-Romero et al. 2019, Fig. 1)."""

    network: int
    nodes: int
    edges: int
    cycles: str  # the cycles of the graph, 1-based (checked against the truth by the tests)
    missing: tuple[int, ...] = ()  # 1-based upstream subject numbers without data


_VARIANTS: dict[str, _Variant] = {
    "1_amp": _Variant(1, 5, 6, "2-cycle 1<->2"),
    "2_amp": _Variant(2, 5, 7, "2-cycles 1<->2, 2<->3"),
    "3_amp": _Variant(3, 5, 7, "2-cycles 1<->2, 3<->4"),
    "4_amp": _Variant(4, 10, 19, "2-cycles 2<->3, 4<->5, 6<->10, 8<->9"),
    "5_amp": _Variant(5, 5, 5, "2-cycle 3<->4"),
    "5_cont": _Variant(5, 5, 5, "2-cycle 3<->4"),
    "5_cont_p3n7": _Variant(5, 5, 5, "2-cycle 3<->4"),
    "5_cont_p7n3": _Variant(5, 5, 5, "2-cycle 3<->4"),
    "6_amp": _Variant(6, 8, 8, "2-cycle 3<->4", missing=(25,)),
    "6_cont": _Variant(6, 8, 8, "2-cycle 3<->4"),
    "7_amp": _Variant(7, 6, 6, "4-cycle 2->3->4->5->2"),
    "7_cont": _Variant(7, 6, 6, "4-cycle 2->3->4->5->2"),
    "8_amp_amp": _Variant(8, 8, 9, "cycles 2->3->4->5->2, 2->3->4->6->7->5->2"),
    "8_amp_cont": _Variant(8, 8, 9, "cycles 2->3->4->5->2, 2->3->4->6->7->5->2"),
    "8_cont_amp": _Variant(8, 8, 9, "cycles 2->3->4->5->2, 2->3->4->6->7->5->2"),
    "9_amp_amp": _Variant(9, 9, 10, "4-cycles 2->3->4->5->2, 4->6->7->8->4"),
    "9_amp_cont": _Variant(9, 9, 10, "4-cycles 2->3->4->5->2, 4->6->7->8->4"),
    "9_cont_amp": _Variant(9, 9, 10, "4-cycles 2->3->4->5->2, 4->6->7->8->4"),
}

_KIND = {
    "amp": "amplifying cycle (all coefficients positive)",
    "cont": "control cycle (one coefficient of the cycle negative)",
    "cont_p3n7": "control 2-cycle with coefficients fixed at +0.3 and -0.7",
    "cont_p7n3": "control 2-cycle with coefficients fixed at +0.7 and -0.3",
    "amp_amp": "both cycles amplifying",
    "amp_cont": "one cycle amplifying, one control (upstream order amp_cont)",
    "cont_amp": "one cycle control, one amplifying (upstream order cont_amp)",
}

_NETWORK = re.compile(r"^(?:net(?:work)?)?(\d+)$", re.IGNORECASE)
_NETWORKS = re.compile(r"^(?:net(?:work)?)?(\d+)-(?:net(?:work)?)?(\d+)$", re.IGNORECASE)
_UPSTREAM = re.compile(r"^network(\d+_\w+)$", re.IGNORECASE)


def _file(member: str) -> str:
    return f"Network{member}.npz"


@register_dataset("sanchez")
class SanchezRomero(DatasetFamily):
    """Sanchez-Romero et al. (2019): simulated BOLD fMRI from 9 small cyclic networks.

    ``root`` overrides the data folder (for tests); it must hold ``Network<member>.npz`` files
    and their ``SHA256SUMS``. Loaded members are cached per instance (verified once); every
    call returns a new :class:`Dataset` with its own copies of the arrays.
    """

    info = DatasetInfo(
        name="sanchez",
        title="Simple cyclic networks (Sanchez-Romero et al. 2019)",
        citation=CITATION,
        licence="CC0 1.0 (public domain dedication); cite Sanchez-Romero et al. 2019",
        description=(
            "Simulated BOLD fMRI of Sanchez-Romero et al. (2019): 9 small networks (5 to 10 "
            "nodes) with feedback, 2-cycles in networks 1-6 and longer cycles in 7-9, each "
            "simulated as amplifying (positive) or control (one negative coefficient) variants. "
            "Neural activity from a DCM-style linear network driven by independent inputs at "
            "every node, passed through the balloon haemodynamic model of NetSim (Smith et al. "
            "2011) with variable HRFs, plus noise; 60 subjects of 500 time points (10 min) at "
            "TR 1.2 s, demeaned and high-pass filtered."
        ),
        tr=TR,
        notes=(
            "Every ground truth has cycles (2-cycles in networks 1-6). 6_amp holds 59 subjects: "
            "the upstream file of subject 25 is empty and is reported as missing. No true "
            "weights are published."
        ),
        kind="sanchez",
    )

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = DATA_DIR if root is None else Path(root)
        self._cache: dict[str, tuple[list[str], list[np.ndarray], np.ndarray, dict[str, str]]] = {}

    def members(self) -> list[str]:
        return list(_VARIANTS)

    def expand(self, spec: str) -> list[str] | None:
        """``netK`` / ``K`` (all variants of network K), ``netA-B`` / ``A-B``, ``NetworkK_x``."""
        m = _NETWORK.match(spec)
        if m:
            return self._network(int(m.group(1)), spec)
        m = _NETWORKS.match(spec)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo > hi:
                raise BenchError(f"dataset sanchez: empty network range {spec!r}")
            return [v for k in range(lo, hi + 1) for v in self._network(k, spec)]
        m = _UPSTREAM.match(spec)
        if m:
            return [self._check(m.group(1))]
        return None

    def describe_member(self, member: str) -> str:
        v = _VARIANTS[self._check(member)]
        n = SUBJECTS - len(v.missing)
        lost = f" (sim {', '.join(map(str, v.missing))} empty upstream)" if v.missing else ""
        kind = _KIND[member.partition("_")[2]]
        return (
            f"network {v.network}: {v.nodes} nodes, {v.edges} edges, {v.cycles}; {kind}; "
            f"{n} subjects{lost} x {TIMEPOINTS} time points, TR {TR:g} s"
        )

    def load(self, member: str, seed: int | None = None) -> Dataset:
        """The variant ``member`` (``seed`` is ignored: the data are fixed)."""
        member = self._check(member)
        if member not in self._cache:
            self._cache[member] = self._read(member)
        subjects, series, truth, missing = self._cache[member]
        v = _VARIANTS[member]
        notes = f"Network {v.network} ({v.cycles}); {_KIND[member.partition('_')[2]]}."
        if missing:
            notes += " " + " ".join(f"{sid} missing: {why}." for sid, why in missing.items())
        return Dataset(
            name=f"sanchez:{member}",
            family="sanchez",
            member=member,
            subjects=list(subjects),
            series=[x.copy() for x in series],
            truth=truth.copy(),
            tr=TR,
            info=self.info,
            notes=notes,
            extra={"network": v.network, "variant": f"Network{member}", "file": _file(member)},
            missing=dict(missing),
        )

    # ------------------------------------------------------------------ internals

    def _check(self, member: str) -> str:
        member = str(member)
        if member not in _VARIANTS:
            raise did_you_mean("sanchez member", member, self.members())
        return member

    def _network(self, k: int, spec: str) -> list[str]:
        found = [m for m, v in _VARIANTS.items() if v.network == k]
        if not found:
            raise did_you_mean("sanchez member", spec, [f"net{j}" for j in range(1, 10)])
        return found

    def _read(self, member: str) -> tuple[list[str], list[np.ndarray], np.ndarray, dict[str, str]]:
        """Verify and read one variant; read-only float64 series, bool truth, missing subjects."""
        path = self.root / _file(member)
        arrays = load_npz(path)
        v = _VARIANTS[member]
        need = ("ts", "subjects", "truth", "missing", "missing_reason")
        absent = [k for k in need if k not in arrays]
        if absent:
            raise DataError(f"{path}: missing array(s) {', '.join(absent)}")
        ts, ids, truth = arrays["ts"], arrays["subjects"], arrays["truth"]
        lost, reasons = arrays["missing"], arrays["missing_reason"]
        present = SUBJECTS - len(v.missing)
        if ts.shape != (present, TIMEPOINTS, v.nodes) or truth.shape != (v.nodes, v.nodes):
            raise DataError(
                f"{path}: ts shape {ts.shape} / truth shape {truth.shape}, expected "
                f"{(present, TIMEPOINTS, v.nodes)} / {(v.nodes, v.nodes)}"
            )
        if sorted([*ids.tolist(), *lost.tolist()]) != list(range(1, SUBJECTS + 1)):
            raise DataError(f"{path}: subject numbers do not cover 1-{SUBJECTS} exactly once")
        if tuple(lost.tolist()) != v.missing or len(reasons) != len(lost):
            raise DataError(f"{path}: missing subjects {lost.tolist()}, expected {v.missing}")
        truth_b = _readonly(truth.astype(bool))
        if truth_b.diagonal().any() or int(truth_b.sum()) != v.edges:
            raise DataError(f"{path}: truth has {int(truth_b.sum())} edges or self-loops")
        subjects = [f"sub{k:02d}" for k in ids.tolist()]
        series = [_readonly(x.astype(np.float64)) for x in ts]
        missing = {
            f"sub{k:02d}": f"{path.name}: {why}"
            for k, why in zip(lost.tolist(), reasons.tolist(), strict=True)
        }
        return subjects, series, truth_b, missing


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a
