"""The ``smith`` dataset family: the 28 NetSim simulations of Smith et al. (2011).

Members are ``"1"`` ... ``"28"`` (``smith:1`` ... ``smith:28``). The data are vendored in
``data/netsim/simK.npz`` (built by ``_vendor_netsim.py``; provenance in
``data/netsim/PROVENANCE.md``) and checked against ``data/netsim/SHA256SUMS`` on every load.

Conventions:

* ``series[k]`` is subject ``subjects[k]`` (``"sub01"`` ...) as float64 ``(T, N)``; the
  released series are demeaned per subject and high-pass filtered (about 200 s).
* ``truth[i, j]`` is True when i → j (row = source). The original ``net[s, i, j] != 0`` is
  already in this orientation; its −1 diagonal (self-decay) is not an edge.
* ``weights`` (sims 1, 2, 3, 4 and 8 only) is ``(S, N, N)`` float, same orientation, zero
  diagonal; the other sims have no published weights here.
* TR is 3 s, except sims 19 and 20 (0.25 s).

Subject coverage: sims 6, 7, 9, 19 and 20 hold subject 1 only (the only copy available, at
5 significant figures). Sim 13's backward connections differ per subject and only subject 1's
graph is known, so ``smith:13`` holds subject 1 only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.registry import DatasetFamily, did_you_mean, register_dataset
from bench.types import DataError, Dataset, DatasetInfo

from ._store import load_npz

DATA_DIR = Path(__file__).resolve().parent / "data" / "netsim"

CITATION = (
    "Smith, S. M., Miller, K. L., Salimi-Khorshidi, G., Webster, M., Beckmann, C. F., "
    "Nichols, T. E., Ramsey, J. D., & Woolrich, M. W. (2011). Network modelling methods for "
    "FMRI. NeuroImage, 54(2), 875-891. https://doi.org/10.1016/j.neuroimage.2010.08.063"
)

_SUBJECT1_ONLY = (
    "Only subject 1 of the 50 simulated subjects is available for this simulation "
    "(a copy at 5 significant figures)."
)
_SIM13 = (
    "The backward connections of sim 13 are random and differ per subject; only subject 1's "
    "graph is known, so only subject 1 is included (scoring other subjects against it would "
    "be wrong)."
)
_NO_NET = (
    "Ground truth from the subject-1 graph (the topology is the same for all subjects); "
    "true weights are not available."
)


@dataclass(frozen=True)
class _Sim:
    """What one NetSim simulation should contain (from Smith et al. 2011, Table 1)."""

    nodes: int
    timepoints: int
    varies: str
    stored: int = 50  # subjects in the vendored file
    tr: float = 3.0
    has_net: bool = False


_SIMS: dict[str, _Sim] = {
    "1": _Sim(5, 200, "baseline", has_net=True),
    "2": _Sim(10, 200, "baseline", has_net=True),
    "3": _Sim(15, 200, "baseline", has_net=True),
    "4": _Sim(50, 200, "baseline", has_net=True),
    "5": _Sim(5, 1200, "60 min sessions"),
    "6": _Sim(10, 1200, "60 min sessions", stored=1),
    "7": _Sim(5, 5000, "250 min sessions", stored=1),
    "8": _Sim(5, 200, "shared inputs", has_net=True),
    "9": _Sim(5, 5000, "250 min sessions and shared inputs", stored=1),
    "10": _Sim(5, 200, "global mean confound"),
    "11": _Sim(10, 200, "bad ROIs (time series mixed with other nodes)"),
    "12": _Sim(10, 200, "bad ROIs (new random time series mixed in)"),
    "13": _Sim(5, 200, "backward connections (random per subject)"),
    "14": _Sim(5, 200, "cyclic connections (5 -> 1 instead of 1 -> 5)"),
    "15": _Sim(5, 200, "stronger connections"),
    "16": _Sim(5, 200, "more connections (2 -> 4, 3 -> 5)"),
    "17": _Sim(10, 200, "less noise"),
    "18": _Sim(5, 200, "no HRF variability"),
    "19": _Sim(5, 2400, "neural lag 100 ms, TR 0.25 s", stored=1, tr=0.25),
    "20": _Sim(5, 2400, "neural lag 100 ms, TR 0.25 s, no HRF variability", stored=1, tr=0.25),
    "21": _Sim(5, 200, "two groups: one connection halved in half the subjects"),
    "22": _Sim(5, 200, "non-stationary connection strengths"),
    "23": _Sim(5, 200, "stationary connection strengths"),
    "24": _Sim(5, 200, "one strong external input"),
    "25": _Sim(5, 100, "5 min sessions"),
    "26": _Sim(5, 50, "2.5 min sessions"),
    "27": _Sim(5, 50, "2.5 min sessions, less noise"),
    "28": _Sim(5, 100, "5 min sessions, less noise"),
}
_EXPOSED = {"13": 1}  # members that expose fewer subjects than the file stores


def _exposed(member: str) -> int:
    return _EXPOSED.get(member, _SIMS[member].stored)


def _member_notes(member: str) -> str:
    sim = _SIMS[member]
    notes = []
    if sim.stored == 1:
        notes.append(_SUBJECT1_ONLY)
    if member == "13":
        notes.append(_SIM13)
    elif not sim.has_net:
        notes.append(_NO_NET)
    if member == "8":
        notes.append("The true weights equal those of sim 1 (different series).")
    if member == "21":
        notes.append("Subjects 1-25 are identical to subjects 1-25 of sim 1.")
    return " ".join(notes)


@register_dataset("smith")
class SmithNetSim(DatasetFamily):
    """NetSim (Smith et al. 2011): 28 simulations of BOLD fMRI from known directed networks.

    ``root`` overrides the data folder (for tests); it must hold ``simK.npz`` files and their
    ``SHA256SUMS``. Loaded members are cached per instance (verified once); every call
    returns a new :class:`Dataset` with its own copies of the arrays, so a caller that
    modifies them cannot change what the next caller gets.
    """

    info = DatasetInfo(
        name="smith",
        title="NetSim: simulated FMRI networks (Smith et al. 2011)",
        citation=CITATION,
        licence=(
            "No licence stated; distributed by FMRIB (University of Oxford). "
            "Cite Smith et al. 2011 wherever the data are used."
        ),
        description=(
            "Simulated BOLD fMRI from 28 scenarios of Smith et al. (2011): neural activity from "
            "a DCM-style linear network with a directed ground-truth graph (5 to 50 nodes, the "
            "5-node base graph 1->2->3->4->5 plus 1->5), passed through a nonlinear balloon "
            "haemodynamic model with variable HRFs, plus thermal noise, sampled at TR 3 s "
            "(0.25 s in sims 19-20), high-pass filtered and demeaned. Each simulation varies one "
            "factor (network size, session length, shared inputs, bad ROIs, cycles, backward "
            "connections, noise, HRF variability, ...); most have 50 subjects of 10 minutes."
        ),
        tr=3.0,
        notes=(
            "Sims 6, 7, 9, 19 and 20 hold subject 1 only (the only copy available). Sim 13 holds "
            "subject 1 only: its backward connections differ per subject and only subject 1's "
            "graph is known. TR is 0.25 s in sims 19 and 20. True weights only for sims 1-4, 8."
        ),
        kind="netsim",
    )

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = DATA_DIR if root is None else Path(root)
        self._cache: dict[str, tuple[list[np.ndarray], np.ndarray, np.ndarray | None]] = {}

    def members(self) -> list[str]:
        return sorted(_SIMS, key=int)

    def describe_member(self, member: str) -> str:
        sim = _SIMS[self._check(member)]
        n = _exposed(member)
        who = f"{n} subjects" if n > 1 else "1 subject"
        only = " (subject 1 only)" if n == 1 else ""
        size = f"{sim.nodes} nodes, {who} x {sim.timepoints} time points{only}"
        return f"{size}, TR {sim.tr:g} s: {sim.varies}"

    def load(self, member: str) -> Dataset:
        member = self._check(member)
        if member not in self._cache:
            self._cache[member] = self._read(member)
        series, truth, weights = self._cache[member]
        sim = _SIMS[member]
        return Dataset(
            name=f"smith:{member}",
            family="smith",
            member=member,
            subjects=[f"sub{k + 1:02d}" for k in range(len(series))],
            series=[x.copy() for x in series],
            truth=truth.copy(),
            tr=sim.tr,
            info=self.info,
            weights=None if weights is None else weights.copy(),
            notes=_member_notes(member),
            extra={"varies": sim.varies, "file": f"sim{member}.npz"},
        )

    # ------------------------------------------------------------------ internals

    def _check(self, member: str) -> str:
        member = str(member)
        if member not in _SIMS:
            raise did_you_mean("smith member", member, self.members())
        return member

    def _read(self, member: str) -> tuple[list[np.ndarray], np.ndarray, np.ndarray | None]:
        """Verify and read ``simK.npz``; return read-only float64 series, bool truth, weights."""
        path = self.root / f"sim{member}.npz"
        arrays = load_npz(path)
        sim = _SIMS[member]
        shape = (sim.stored, sim.timepoints, sim.nodes)
        ts, truth = arrays.get("ts"), arrays.get("truth")
        if ts is None or truth is None:
            raise DataError(f"{path}: missing array 'ts' or 'truth'")
        if ts.shape != shape or truth.shape != (sim.nodes, sim.nodes):
            raise DataError(
                f"{path}: ts shape {ts.shape} / truth shape {truth.shape}, expected {shape} / "
                f"{(sim.nodes, sim.nodes)}"
            )
        n = _exposed(member)
        series = [_readonly(ts[k].astype(np.float64)) for k in range(n)]
        truth_b = _readonly(truth.astype(bool))
        if truth_b.diagonal().any():
            raise DataError(f"{path}: the truth has self-loops")
        weights = arrays.get("weights")
        if weights is not None:
            if weights.shape != (sim.stored, sim.nodes, sim.nodes):
                raise DataError(f"{path}: weights shape {weights.shape}")
            weights = _readonly(weights[:n].astype(np.float64))
        return series, truth_b, weights


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a
