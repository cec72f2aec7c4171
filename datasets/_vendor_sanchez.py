"""Developer tool: rebuild the vendored Sanchez-Romero et al. (2019) files from the originals.

Run by hand (never at run time)::

    python datasets/_vendor_sanchez.py /path/to/sanchez_romero2019 [--manifest MANIFEST.md]

The source folder is the cmu-phil/example-causal-datasets copy of ``simulated/feedbacks``:
``data/<Variant>/sim-KK.<Variant>.continuous.txt`` (60 per variant; tab-separated, header
``X1 .. Xn``, 500 rows, six decimals) and
``ground.truth/<Variant>/<Variant>.ground.truth.graph.txt`` (Tetrad edge lists
``k. Xa --> Xb``), plus the CC0 licence; ``MANIFEST.md`` (default: beside the
source folder) gives each file's SHA-256. It writes into ``datasets/data/sanchez/``:

* ``<Variant>.npz`` for the 18 variants (``Network1_amp`` ... ``Network9_cont_amp``):
  ``ts`` float32 ``(S, 500, N)`` for the S subjects present; ``subjects`` uint8 ``(S,)``, their
  1-based upstream numbers K; ``truth`` uint8 ``(N, N)`` with ``truth[i, j] = 1`` meaning
  i → j (``Xa --> Xb`` sets ``truth[a-1, b-1]``); ``missing`` uint8 ``(M,)`` and
  ``missing_reason`` str ``(M,)`` for upstream files that hold no data (only
  ``Network6_amp`` sim 25, an empty file). Archives have fixed timestamps, so a rebuild is
  byte-identical.
* ``SHA256SUMS``, ``PROVENANCE.md`` and ``LICENSE-CC0.txt`` (the upstream licence, verbatim).

Checks (the build stops if one fails):

* every source file's SHA-256 equals its ``MANIFEST.md`` entry;
* every series is 500 × N, finite and non-constant, its header is ``X1 .. XN`` and N equals the
  node list of the ground-truth file; the only empty file is ``Network6_amp`` sim 25;
* edge lists: every line ``k. Xa --> Xb`` parses, no self-loops, no duplicates, the edge count
  matches the expected one (from Sanchez-Romero et al. 2019, Fig. 1);
* orientation against the data (networks 4, 5 and 6, where the stated graph and its transpose
  predict different independences): node pairs with no common ancestor only in the stated graph
  have a subject-averaged correlation |r| < 0.05, and pairs with no common ancestor only in the
  transposed graph have |r| > 0.15 (a transposed reading of ``-->`` would fail);
* float32 storage changes no value by more than 1e-6.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import sys
from pathlib import Path

import numpy as np

from bench.datasets._vendor_netsim import check, npz_bytes, parse_manifest

OUT = Path(__file__).resolve().parent / "data" / "sanchez"
T = 500
SUBJECTS = 60
# variant -> (N, edges); Sanchez-Romero et al. 2019, Fig. 1.
EXPECTED: dict[str, tuple[int, int]] = {
    "Network1_amp": (5, 6), "Network2_amp": (5, 7), "Network3_amp": (5, 7),
    "Network4_amp": (10, 19), "Network5_amp": (5, 5), "Network5_cont": (5, 5),
    "Network5_cont_p3n7": (5, 5), "Network5_cont_p7n3": (5, 5), "Network6_amp": (8, 8),
    "Network6_cont": (8, 8), "Network7_amp": (6, 6), "Network7_cont": (6, 6),
    "Network8_amp_amp": (8, 9), "Network8_amp_cont": (8, 9), "Network8_cont_amp": (8, 9),
    "Network9_amp_amp": (9, 10), "Network9_amp_cont": (9, 10), "Network9_cont_amp": (9, 10),
}  # fmt: skip
KNOWN_EMPTY = {("Network6_amp", 25)}
UPSTREAM = "cmu-phil/example-causal-datasets"
UPSTREAM_DIR = "simulated/feedbacks"
EDGE = re.compile(r"^\s*\d+\.\s+X(\d+)\s+-->\s+X(\d+)\s*$")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_truth(path: Path) -> np.ndarray:
    """Binary truth from a Tetrad graph file: ``Xa --> Xb`` sets ``truth[a-1, b-1] = 1``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    check(lines[0].strip() == "Graph Nodes:", f"{path}: first line")
    nodes = lines[1].strip().split(",")
    n = len(nodes)
    check(nodes == [f"X{k}" for k in range(1, n + 1)], f"{path}: node list {nodes}")
    check(lines[3].strip() == "Graph Edges:", f"{path}: 'Graph Edges:' line")
    truth = np.zeros((n, n), dtype=np.uint8)
    for line in lines[4:]:
        if not line.strip():
            continue
        m = EDGE.match(line)
        check(m is not None, f"{path}: cannot parse edge line {line!r}")
        assert m is not None
        a, b = int(m.group(1)) - 1, int(m.group(2)) - 1
        check(0 <= a < n and 0 <= b < n and a != b, f"{path}: bad edge {line!r}")
        check(truth[a, b] == 0, f"{path}: duplicate edge {line!r}")
        truth[a, b] = 1
    return truth


def read_series(path: Path, n: int) -> np.ndarray | None:
    """One subject as float64 ``(500, n)``; ``None`` for an empty file."""
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return None
    header, *rows = text.splitlines()
    check(header.split("\t") == [f"X{k}" for k in range(1, n + 1)], f"{path}: header {header!r}")
    x = np.array([[float(v) for v in r.split("\t")] for r in rows], dtype=np.float64)
    check(x.shape == (T, n), f"{path}: shape {x.shape}, expected {(T, n)}")
    check(np.isfinite(x).all() and (np.ptp(x, axis=0) > 0).all(), f"{path}: bad values")
    return x


def ancestors(truth: np.ndarray) -> np.ndarray:
    """``R[i, j]`` is True when i = j or there is a directed path i → ... → j."""
    r = np.eye(len(truth), dtype=bool) | truth.astype(bool)
    for _ in range(len(truth)):
        r = r | ((r.astype(int) @ r.astype(int)) > 0)
    return r


def unconfounded_pairs(truth: np.ndarray) -> set[tuple[int, int]]:
    """Pairs i < j with no common ancestor (neither is an ancestor of the other either)."""
    r = ancestors(truth).astype(int)
    common = (r.T @ r) > 0  # common[i, j]: some k is an ancestor of both i and j
    n = len(truth)
    return {(i, j) for i in range(n) for j in range(i + 1, n) if not common[i, j]}


def orientation_evidence(truth: np.ndarray, ts: np.ndarray) -> tuple[float, float] | None:
    """Mean |r| on the pairs where the stated graph and its transpose disagree about confounding.

    Every node has its own independent input (Sanchez-Romero et al. 2019), so two nodes with no
    common ancestor are uncorrelated. Returns (mean |r| over the pairs unconfounded only in the
    stated graph, mean |r| over the pairs unconfounded only in the transposed graph), NaN for an
    empty set; ``None`` when both readings predict the same unconfounded pairs.
    """
    stated, transposed = unconfounded_pairs(truth), unconfounded_pairs(truth.T)
    only_s, only_t = stated - transposed, transposed - stated
    if not only_s and not only_t:
        return None
    corr = np.mean([np.corrcoef(x, rowvar=False) for x in ts], axis=0)

    def mean_abs(pairs: set[tuple[int, int]]) -> float:
        return float(np.mean([abs(corr[p]) for p in pairs])) if pairs else float("nan")

    return mean_abs(only_s), mean_abs(only_t)


PROVENANCE_HEAD = """\
# Sanchez-Romero et al. (2019): provenance of the vendored files

Sanchez-Romero, R., Ramsey, J. D., Zhang, K., Glymour, M. R. K., Huang, B., & Glymour, C. (2019).
Estimating feedforward and feedback effective connections from fMRI time series: Assessments of
statistical methods. *Network Neuroscience*, 3(2), 274-306. https://doi.org/10.1162/netn_a_00061

**Licence:** CC0 1.0 Universal (public domain dedication), as stated by the source repository
`cmu-phil/example-causal-datasets`; the licence text is in `LICENSE-CC0.txt` beside this file.
Please cite the paper above wherever the data are used.

Built by `datasets/_vendor_sanchez.py` from the `simulated/feedbacks` folder of
`cmu-phil/example-causal-datasets` (snapshot commit {commit}), each file checked against its
SHA-256. Each `<Variant>.npz` holds `ts` float32 (subjects, 500, N), `subjects` uint8 (the
1-based upstream numbers K of `sim-KK`), `truth` uint8 (N, N) with `truth[i, j] = 1` meaning
i → j, and `missing` / `missing_reason` for upstream files without data. Conversions: the
tab-separated text (header `X1 .. Xn`, six decimals) → float32 (largest change {max_err:.1e});
Tetrad edge lines `k. Xa --> Xb` (a → b) → `truth[a-1, b-1] = 1`. No weights are published.

Data: 9 networks (Fig. 1 of the paper) in 18 variants; 60 simulated subjects per variant, 500
time points (TR 1.2 s, 10 min), BOLD simulated with the NetSim generator (Smith et al. 2011);
`amp` = amplifying cycles (all coefficients positive), `cont` = control cycles (one coefficient
of the cycle negative); `p3n7` / `p7n3` fix the two coefficients of the 2-cycle at +0.3 and -0.7, or
+0.7 and -0.3. Networks 1-6 contain 2-cycles; networks 7-9 contain longer cycles only.

Checks made by the build (all passed): SHA-256 of every source file against MANIFEST.md; shapes,
headers, finiteness and non-constant series; edge counts; float32 rounding below 1e-6;
orientation against the data for networks 4, 5 and 6: nodes with no common ancestor are
uncorrelated (every node has its own independent input), and the stated graph and its transpose
disagree about which pairs those are; the data side with the stated reading (table below).
The archives are written with fixed timestamps: a rebuild reproduces `SHA256SUMS` exactly.

**Missing data:** `data/Network6_amp/sim-25.Network6_amp.continuous.txt` is empty (0 bytes)
upstream. `Network6_amp.npz` holds the other 59 subjects and records sim 25 as missing; the
`sanchez:6_amp` dataset reports it in `Dataset.missing` (announced by the runner, listed in
per_subject.csv), never silently.

## Orientation evidence (subject-averaged |Pearson r|)

Mean |r| over the node pairs with no common ancestor in the stated graph only (predicted
uncorrelated by the stated reading, correlated by the transposed one), and over the pairs with
no common ancestor in the transposed graph only (the reverse prediction); "-" where there are none.

| variant | only-stated pairs (expect ~0) | only-transposed pairs (expect > 0.15) |
|---|---|---|
{evidence}

## Source files

Every file is listed with its SHA-256 in `MANIFEST.md` of the shared data. Per variant: the
ground-truth file (`{up_dir}/ground.truth/<Variant>/<Variant>.ground.truth.graph.txt`) with its
SHA-256, and the 60 data files with the SHA-256 of their sorted
`sha256sum` lines (`<sha256>  sim-KK.<Variant>.continuous.txt`).

| variant | ground-truth file sha256 | data files | sha256 of their checksum list |
|---|---|---|---|
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src", type=Path, help="folder sanchez_romero2019 of the shared data")
    ap.add_argument("--manifest", type=Path, help="MANIFEST.md (default: beside src)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"output folder (default {OUT})")
    args = ap.parse_args(argv)
    src: Path = args.src.resolve()
    manifest = parse_manifest(args.manifest or src.parent / "MANIFEST.md")

    def rel(path: Path) -> str:
        return f"{src.name}/{path.relative_to(src).as_posix()}"

    def verified(path: Path) -> str:
        row = manifest.get(rel(path))
        check(row is not None, f"{rel(path)}: not in MANIFEST.md")
        assert row is not None
        digest = sha256(path)
        check(digest == row["sha256"], f"{rel(path)}: sha256 differs from MANIFEST.md")
        return digest

    licence = src / "LICENSE_CC0_cmu-phil-example-causal-datasets.txt"
    verified(licence)
    commits = {row["commit"] for key, row in manifest.items() if key.startswith(src.name + "/")}
    check(len(commits) == 1, f"several upstream commits: {commits}")

    args.out.mkdir(parents=True, exist_ok=True)
    sums: list[str] = []
    prov: list[str] = []
    evidence: list[str] = []
    max_err = 0.0
    discriminating = 0
    for variant, (n, edges) in EXPECTED.items():
        gt = src / "ground.truth" / variant / f"{variant}.ground.truth.graph.txt"
        gt_digest = verified(gt)
        truth = read_truth(gt)
        check(truth.shape == (n, n), f"{variant}: {truth.shape[0]} nodes, expected {n}")
        check(int(truth.sum()) == edges, f"{variant}: {truth.sum()} edges, expected {edges}")
        present: list[int] = []
        series: list[np.ndarray] = []
        missing: list[int] = []
        reasons: list[str] = []
        lines: list[str] = []
        for k in range(1, SUBJECTS + 1):
            path = src / "data" / variant / f"sim-{k:02d}.{variant}.continuous.txt"
            lines.append(f"{verified(path)}  {path.name}")
            x = read_series(path, n)
            if x is None:
                check((variant, k) in KNOWN_EMPTY, f"{rel(path)}: unexpectedly empty")
                missing.append(k)
                reasons.append(
                    f"upstream file data/{variant}/{path.name} ({UPSTREAM}) is empty (0 bytes)"
                )
                continue
            present.append(k)
            series.append(x)
        check(
            {(variant, k) for k in missing} == {e for e in KNOWN_EMPTY if e[0] == variant},
            f"{variant}: missing subjects {missing}",
        )
        ts = np.stack(series)
        ts32 = ts.astype(np.float32)
        err = float(np.abs(ts32.astype(np.float64) - ts).max())
        check(err < 1e-6, f"{variant}: float32 changes a value by {err}")
        max_err = max(max_err, err)
        ev = orientation_evidence(truth, ts)
        if ev is not None:
            stated, only_t = ev
            if not np.isnan(stated):
                check(stated < 0.05, f"{variant}: unconfounded pairs correlate ({stated:.3f})")
            # (pairs unconfounded in both readings are uninformative and not used)
            if not np.isnan(only_t):
                check(only_t > 0.15, f"{variant}: transposed reading not refuted ({only_t:.3f})")
            discriminating += 1
            cells = ["-" if np.isnan(v) else f"{v:.3f}" for v in (stated, only_t)]
            evidence.append(f"| {variant} | {cells[0]} | {cells[1]} |")
        arrays = {
            "ts": ts32,
            "subjects": np.array(present, dtype=np.uint8),
            "truth": truth,
            "missing": np.array(missing, dtype=np.uint8),
            "missing_reason": np.array(reasons, dtype=str if reasons else "<U1"),
        }
        data = npz_bytes(arrays)
        name = f"{variant}.npz"
        (args.out / name).write_bytes(data)
        sums.append(f"{hashlib.sha256(data).hexdigest()}  {name}")
        list_digest = hashlib.sha256(("\n".join(sorted(lines)) + "\n").encode()).hexdigest()
        prov.append(f"| {variant} | {gt_digest} | {len(lines)} | {list_digest} |")
        print(f"{variant}: ts {ts.shape}, {edges} edges, missing {missing}, {len(data)} bytes")
    check(discriminating >= 7, f"only {discriminating} variants test the orientation")
    shutil.copyfile(licence, args.out / "LICENSE-CC0.txt")
    (args.out / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    head = PROVENANCE_HEAD.format(
        commit=commits.pop(), max_err=max_err, evidence="\n".join(evidence), up_dir=UPSTREAM_DIR
    )
    (args.out / "PROVENANCE.md").write_text(head + "\n".join(prov) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in args.out.glob("*.npz"))
    print(f"wrote {len(sums)} files, {total / 1e6:.2f} MB, to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
