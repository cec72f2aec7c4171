"""A small, fully deterministic report fixture (no MLflow): the rows ``bench report`` reads.

Three 3-node datasets ``toy:1..3`` (truth 0 → 1 → 2), six subjects, seeds 0 and 1:

* ``alpha``: deterministic (its fits serve both seeds), scores; estimate 0 → 1 and 2 → 1
  (one true positive, one reversal).
* ``beta``: stochastic, scores, and an oracle metric ``oracle_best_f1``; estimate 0 → 1, 1 → 2,
  0 → 2 (two true positives, one false positive); no run for seed 1 on ``toy:2``.
* ``gamma``: stochastic, no scores (AUROC n/a); subject ``s2`` times out on ``toy:1`` (both
  seeds); every fit failed on ``toy:3`` (a FAILED run, no result).
* ``omega``: an oracle method, on ``toy:1`` only.

Per-subject values follow simple formulas (no randomness) so that golden files are stable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.reports.report import FrameSource

SUBJECTS = [f"s{k}" for k in range(1, 7)]
DATASETS = ["toy:1", "toy:2", "toy:3"]
TRUTH = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)
BASE = {"alpha": 0.60, "beta": 0.55, "gamma": 0.40, "omega": 0.85}
SHD = {"alpha": 2.0, "beta": 1.0, "gamma": 3.0, "omega": 0.0}
AUROC = {"alpha": 0.80, "beta": 0.85, "gamma": None, "omega": 0.99}
EDGES = {
    "alpha": [(0, 1), (2, 1)],
    "beta": [(0, 1), (1, 2), (0, 2)],
    "gamma": [(0, 1)],
    "omega": [(0, 1), (1, 2)],
}
METRICS = ("f1", "shd", "auroc")


def _estimate(method: str, k: int) -> dict[str, np.ndarray]:
    a = np.zeros((3, 3), dtype=bool)
    for i, j in EDGES[method]:
        a[i, j] = True
    out = {"adjacency": a}
    if AUROC[method] is not None:
        s = 0.1 + 0.8 * a + 0.01 * k
        np.fill_diagonal(s, 0.0)
        out["scores"] = s
    return out


def build() -> FrameSource:
    units, ps_rows, estimates = [], [], {}
    for m in ("alpha", "beta", "gamma", "omega"):
        for di, d in enumerate(DATASETS):
            if m == "omega" and d != "toy:1":
                continue
            for seed in (0, 1):
                if m == "beta" and d == "toy:2" and seed == 1:
                    continue
                rid = f"{m}-{d}-{seed}"
                stat = []
                for k, s in enumerate(SUBJECTS):
                    status, error = "ok", ""
                    if m == "gamma" and d == "toy:1" and s == "s2":
                        status, error = "timeout", "exceeded the time limit of 60 s"
                    if m == "gamma" and d == "toy:3":
                        status, error = "failed", "RuntimeError: boom"
                    shift = 0.0 if m == "alpha" else 0.01 * seed
                    row = {
                        "run_id": rid,
                        "subject": s,
                        "seed": seed,
                        "status": status,
                        "error": error,
                        "wall_time_s": 0.5 + 0.1 * k + 0.2 * di,
                    }
                    if status == "ok":
                        row["f1"] = BASE[m] + 0.02 * k - 0.05 * di + shift + 0.003 * (k % 2)
                        row["shd"] = SHD[m] + (k % 3) + di
                        if AUROC[m] is not None:
                            row["auroc"] = AUROC[m] - 0.01 * k + shift
                        if m == "beta":
                            row["oracle_best_f1"] = row["f1"] + 0.1
                    ps_rows.append(row)
                    stat.append(status)
                n_ok = stat.count("ok")
                units.append(
                    {
                        "method": m,
                        "dataset": d,
                        "seed": seed,
                        "run_id": rid,
                        "run_status": "FINISHED" if n_ok else "FAILED",
                        "oracle": m == "omega",
                        "reused": m == "alpha",
                        "n_subjects": float(len(SUBJECTS)),
                        "n_failed": float(len(SUBJECTS) - n_ok),
                        "missing": "",
                        "seconds_per_fit": 0.5 + 0.2 * di + (2.0 if m == "beta" else 0.0),
                    }
                )
                if n_ok:
                    estimates[rid] = {
                        s: _estimate(m, k)
                        for k, (s, st) in enumerate(zip(SUBJECTS, stat, strict=True))
                        if st == "ok"
                    }
    units_df = pd.DataFrame(units)
    per_subject = pd.DataFrame(ps_rows)
    ok = per_subject[per_subject["status"] == "ok"].merge(
        units_df[["run_id", "method", "dataset"]], on="run_id"
    )
    long_rows = []
    for (m, d, seed), g in ok.groupby(["method", "dataset", "seed"], sort=False):
        for metric in (*METRICS, "oracle_best_f1"):
            if metric not in g or (metric == "oracle_best_f1" and m != "beta"):
                continue
            v = g[metric].to_numpy(dtype=float)
            long_rows.append(
                (m, d, seed, metric, float(np.nanmean(v)) if np.isfinite(v).any() else np.nan)
            )
        long_rows.append((m, d, seed, "seconds_per_fit", float(g["wall_time_s"].mean())))
    long = pd.DataFrame(long_rows, columns=["method", "dataset", "seed", "metric", "value"])
    truths = {(d, s): TRUTH for d in DATASETS for s in (0, 1)}
    return FrameSource(units_df, long, per_subject, estimates, truths)
