"""Developer tool: rebuild the vendored NetSim files from the original downloads.

Run by hand (never at run time)::

    python datasets/_vendor_netsim.py /path/to/netsim_smith2011 [--manifest MANIFEST.md]

The source folder holds ``mat/simK.mat`` (sims 1, 2, 3, 4, 8), ``gvar_npy/fmri_simK.npy``
(sims 5, 10-18, 21-28) and ``tcdf_subject1/timeseriesK.csv`` + ``simK_gt_processed.csv``
(subject 1 of all 28 sims); ``MANIFEST.md`` (default: beside the source folder) gives each
file's provenance and SHA-256. It writes into ``datasets/data/netsim/``:

* ``simK.npz`` for K = 1..28: ``ts`` float32 ``(S, T, N)``; ``truth`` uint8 ``(N, N)`` with
  ``truth[i, j] = 1`` meaning i → j; ``weights`` float32 ``(S, N, N)`` with a zero diagonal
  where the original ``net`` field exists (sims 1, 2, 3, 4, 8). The ``.npz`` archives are written
  with fixed timestamps, so a rebuild is byte-identical.
* ``SHA256SUMS`` and ``PROVENANCE.md``.

Orientation checks (asserted; the build stops if one fails):

* ``net[s, i, j] != 0`` means i → j; each row of ``simK_gt_processed.csv`` is
  ``effect, cause, delay``, so ``truth[cause, effect] = 1`` (self-loops dropped). The TCDF truth
  must equal the ``net`` truth for sims 1-4 and 8 (a transposed reading would fail).
* subject 1 of every ``.mat`` / ``.npy`` series must match the TCDF csv to 5 significant figures.
* the ``net`` topology must be the same for all 50 subjects of each sim that has one.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "data" / "netsim"

MAT_SIMS = (1, 2, 3, 4, 8)
NPY_SIMS = (5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 21, 22, 23, 24, 25, 26, 27, 28)
CSV_SIMS = (6, 7, 9, 19, 20)  # only subject 1 exists in the source
# Expected (stored subjects, T, N, edges); from reference/datasets.md and Smith et al. 2011.
EXPECTED: dict[int, tuple[int, int, int, int]] = {
    1: (50, 200, 5, 5), 2: (50, 200, 10, 11), 3: (50, 200, 15, 18), 4: (50, 200, 50, 61),
    5: (50, 1200, 5, 5), 6: (1, 1200, 10, 11), 7: (1, 5000, 5, 5), 8: (50, 200, 5, 5),
    9: (1, 5000, 5, 5), 10: (50, 200, 5, 5), 11: (50, 200, 10, 11), 12: (50, 200, 10, 11),
    13: (50, 200, 5, 8), 14: (50, 200, 5, 5), 15: (50, 200, 5, 5), 16: (50, 200, 5, 7),
    17: (50, 200, 10, 11), 18: (50, 200, 5, 5), 19: (1, 2400, 5, 5), 20: (1, 2400, 5, 5),
    21: (50, 200, 5, 5), 22: (50, 200, 5, 5), 23: (50, 200, 5, 5), 24: (50, 200, 5, 5),
    25: (50, 100, 5, 5), 26: (50, 50, 5, 5), 27: (50, 50, 5, 5), 28: (50, 100, 5, 5),
}  # fmt: skip


@dataclass
class Sim:
    ts: np.ndarray  # float64 (S, T, N)
    truth: np.ndarray  # uint8 (N, N), truth[i, j] = i -> j
    weights: np.ndarray | None  # float64 (S, N, N), zero diagonal
    sources: list[str]  # source files, relative to the data root (as in MANIFEST.md)


def check(ok: object, message: str) -> None:
    """Stop the build with ``message`` unless ``ok`` (unlike ``assert``, survives ``python -O``)."""
    if not ok:
        raise SystemExit(f"check failed: {message}")


def tcdf_truth(src: Path, k: int, n: int) -> np.ndarray:
    """Binary truth from TCDF's ``simK_gt_processed.csv`` (rows ``effect, cause, delay``)."""
    rows = np.loadtxt(src / "tcdf_subject1" / f"sim{k}_gt_processed.csv", delimiter=",", ndmin=2)
    check((rows == rows.astype(int)).all() and (rows[:, 2] == 1).all(), f"sim{k}: gt rows")
    truth = np.zeros((n, n), dtype=np.uint8)
    for effect, cause, _delay in rows.astype(int):
        if effect != cause:  # (i, i, 1) rows are the self-decay, not edges
            truth[cause, effect] = 1
    return truth


def tcdf_series(src: Path, k: int) -> np.ndarray:
    """Subject 1 of sim K from TCDF's csv (header row of node indices; 5 significant figures)."""
    return np.loadtxt(src / "tcdf_subject1" / f"timeseries{k}.csv", delimiter=",", skiprows=1)


def assert_matches_5_sig(full: np.ndarray, rounded: np.ndarray, what: str) -> None:
    """Assert that ``rounded`` is ``full`` written with 5 significant figures."""
    check(full.shape == rounded.shape, f"{what}: shape {full.shape} vs csv {rounded.shape}")
    mag = np.floor(np.log10(np.abs(np.where(full == 0, 1.0, full))))
    err = np.abs(full - rounded) / 10.0 ** (mag - 4)  # in units of the 5th significant digit
    check(err.max() <= 0.5 + 1e-6, f"{what}: differs from the csv by {err.max():.3f} units")


def read_sim(src: Path, k: int) -> Sim:
    """Read and cross-check one simulation; returns float64 data in our orientation."""
    csv = f"netsim_smith2011/tcdf_subject1/sim{k}_gt_processed.csv"
    sources = [csv, f"netsim_smith2011/tcdf_subject1/timeseries{k}.csv"]
    weights = None
    if k in MAT_SIMS:
        from scipy.io import loadmat

        m = loadmat(src / "mat" / f"sim{k}.mat")
        s, t, n = (int(m[key].item()) for key in ("Nsubjects", "Ntimepoints", "Nnodes"))
        ts = m["ts"].reshape(s, t, n)
        net = np.asarray(m["net"], dtype=np.float64)
        diag = np.diagonal(net, axis1=1, axis2=2)
        check(np.all(diag == -1), f"sim{k}: diagonal of net is not -1")
        weights = net.copy()
        for w in weights:
            np.fill_diagonal(w, 0.0)
        topo = weights != 0
        check(all((topo[0] == tp).all() for tp in topo), f"sim{k}: topology varies by subject")
        truth = topo[0].astype(np.uint8)
        off = weights[topo]
        check(off.min() >= 0.2 - 1e-9 and off.max() <= 0.6 + 1e-9, f"sim{k}: weight range")
        check((tcdf_truth(src, k, n) == truth).all(), f"sim{k}: TCDF truth != net truth")
        check(not (tcdf_truth(src, k, n) == truth.T).all(), f"sim{k}: truth is symmetric")
        sources.insert(0, f"netsim_smith2011/mat/sim{k}.mat")
    elif k in NPY_SIMS:
        x = np.load(src / "gvar_npy" / f"fmri_sim{k}.npy")
        ts = x[..., 0].transpose(0, 2, 1)
        truth = tcdf_truth(src, k, ts.shape[2])
        sources.insert(0, f"netsim_smith2011/gvar_npy/fmri_sim{k}.npy")
    else:
        ts = tcdf_series(src, k)[None]
        truth = tcdf_truth(src, k, ts.shape[2])
    assert_matches_5_sig(ts[0], tcdf_series(src, k), f"sim{k} subject 1")
    ts = np.ascontiguousarray(ts, dtype=np.float64)
    return Sim(ts=ts, truth=truth, weights=weights, sources=sources)


def check_sim(k: int, sim: Sim) -> None:
    """Shapes, edge counts and basic sanity against :data:`EXPECTED`."""
    s, t, n, edges = EXPECTED[k]
    check(sim.ts.shape == (s, t, n), f"sim{k}: ts shape {sim.ts.shape}, expected {(s, t, n)}")
    check(sim.truth.shape == (n, n) and not np.diagonal(sim.truth).any(), f"sim{k}: truth")
    check(int(sim.truth.sum()) == edges, f"sim{k}: {sim.truth.sum()} edges, expected {edges}")
    check(np.isfinite(sim.ts).all() and (np.ptp(sim.ts, axis=1) > 0).all(), f"sim{k}: bad ts")


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A compressed ``.npz`` with fixed timestamps (so a rebuild gives identical bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=9)
    return buf.getvalue()


def parse_manifest(manifest: Path) -> dict[str, dict[str, str]]:
    """Rows of the per-file provenance table of ``MANIFEST.md``, keyed by local file."""
    cols = ["local", "bytes", "repo", "path", "commit", "blob", "sha256"]
    rows: dict[str, dict[str, str]] = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and re.fullmatch(r"[0-9a-f]{64}", cells[6]):
            rows[cells[0]] = dict(zip(cols, cells, strict=True))
    return rows


PROVENANCE_HEAD = """\
# NetSim (Smith et al. 2011): provenance of the vendored files

Smith, S. M., Miller, K. L., Salimi-Khorshidi, G., Webster, M., Beckmann, C. F., Nichols, T. E.,
Ramsey, J. D., & Woolrich, M. W. (2011). Network modelling methods for FMRI. *NeuroImage*,
54(2), 875-891. https://doi.org/10.1016/j.neuroimage.2010.08.063

**Licence:** none stated in any copy. The simulations are distributed by FMRIB (Oxford,
https://www.fmrib.ox.ac.uk/datasets/netsim/). Cite Smith et al. 2011 wherever the data are used.

Built by `datasets/_vendor_netsim.py` from the copies below (each checked against its SHA-256).
Each `simK.npz` holds `ts` float32 (subjects, T, N), `truth` uint8 (N, N) with `truth[i, j] = 1`
meaning i → j, and, for sims 1, 2, 3, 4 and 8 only, `weights` float32 (subjects, N, N): the
original `net` (which is already row = source) with its −1 self-decay diagonal set to 0.
Conversions: float64 → float32; `.mat` `ts` reshaped to (Nsubjects, Ntimepoints, Nnodes);
GVAR `.npy` (50, N, T, 1) → `x[..., 0].transpose(0, 2, 1)`; TCDF ground truth rows
`effect, cause, delay` → `truth[cause, effect] = 1` with the self-loops dropped.

Checks made by the build (all passed): the TCDF truth equals the `net` truth for sims 1-4 and 8;
subject 1 of every `.mat` / `.npy` series equals the TCDF csv to 5 significant figures; the `net`
topology is the same for all 50 subjects; shapes and edge counts match Smith et al. 2011.
The archives are written with fixed timestamps: a rebuild reproduces `SHA256SUMS` exactly.

Caveats:

* Sims 6, 7, 9, 19 and 20: only subject 1 is available (TCDF's csv, 5 significant figures).
* Sim 13: all 50 subjects are stored, but the backward connections differ per subject and only
  subject 1's graph is known, so the `smith:13` dataset exposes subject 1 only.
* Sims without `net` (all but 1-4, 8): the truth is TCDF's subject-1 graph; the topology is the
  same for all subjects (Smith et al. 2011); true weights are not available.
* Sim 21: subjects 1-25 are identical to subjects 1-25 of sim 1 (the unmodified group); TCDF's
  `timeseries21.csv` is accordingly byte-identical to its `timeseries1.csv`.
* Sim 8's `net` equals sim 1's exactly (its series differ).

## Source files

| sim | local file (shared data) | source repo | path in repo | snapshot commit | sha256 |
|---|---|---|---|---|---|
"""


def cross_check(sims: dict[int, Sim]) -> None:
    """Facts stated in PROVENANCE.md that relate two simulations."""
    check(np.array_equal(sims[8].weights, sims[1].weights), "sim8 net != sim1 net")
    check(not np.array_equal(sims[8].ts, sims[1].ts), "sim8 ts == sim1 ts")
    same = [np.array_equal(a, b) for a, b in zip(sims[21].ts, sims[1].ts, strict=True)]
    check(same == [True] * 25 + [False] * 25, "sim21 subjects 1-25 are not those of sim1")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src", type=Path, help="folder netsim_smith2011 of the shared data")
    ap.add_argument("--manifest", type=Path, help="MANIFEST.md (default: beside src)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    args = ap.parse_args(argv)
    src: Path = args.src.resolve()
    manifest = parse_manifest(args.manifest or src.parent / "MANIFEST.md")

    args.out.mkdir(parents=True, exist_ok=True)
    sums: list[str] = []
    prov: list[str] = []
    sims = {k: read_sim(src, k) for k in range(1, 29)}
    cross_check(sims)
    for k, sim in sims.items():
        check_sim(k, sim)
        for rel in sim.sources:
            row = manifest[rel]
            digest = hashlib.sha256((src.parent / rel).read_bytes()).hexdigest()
            check(digest == row["sha256"], f"{rel}: sha256 differs from MANIFEST.md")
            prov.append(
                f"| {k} | {rel} | {row['repo']} | {row['path']} | {row['commit']} | {digest} |"
            )
        arrays = {"ts": sim.ts.astype(np.float32), "truth": sim.truth}
        if sim.weights is not None:
            arrays["weights"] = sim.weights.astype(np.float32)
        data = npz_bytes(arrays)
        (args.out / f"sim{k}.npz").write_bytes(data)
        sums.append(f"{hashlib.sha256(data).hexdigest()}  sim{k}.npz")
        print(f"sim{k}: ts {sim.ts.shape}, {int(sim.truth.sum())} edges, {len(data)} bytes")
    (args.out / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    (args.out / "PROVENANCE.md").write_text(
        PROVENANCE_HEAD + "\n".join(prov) + "\n", encoding="utf-8"
    )
    total = sum(p.stat().st_size for p in args.out.glob("sim*.npz"))
    print(f"wrote {len(sums)} files, {total / 1e6:.2f} MB, to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
