"""Runner behaviour with generated (seeded) data and missing subjects, on a tiny test family."""

import numpy as np
import pytest

from bench.config import build_config
from bench.plan import fit_random_state
from bench.registry import DATASETS, DatasetFamily, register_dataset
from bench.runner import run_benchmark
from bench.types import Dataset, DatasetInfo

INFO = DatasetInfo(name="tiny", title="tiny", citation="test", licence="test", description="test")


def _chain(seed: int, t: int = 300) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.zeros((t, 3))
    for k in range(1, t):
        x[k, 0] = 0.5 * x[k - 1, 0] + rng.normal()
        x[k, 1] = 0.5 * x[k - 1, 1] + 0.8 * x[k - 1, 0] + rng.normal()
        x[k, 2] = 0.5 * x[k - 1, 2] + 0.8 * x[k - 1, 1] + rng.normal()
    return x


class _Tiny(DatasetFamily):
    info = INFO
    seeded = True

    def members(self):
        return ["a"]

    def load(self, member, seed=None):
        truth = np.zeros((3, 3), bool)
        truth[0, 1] = truth[1, 2] = True
        subjects = ["s1", "s2"]
        return Dataset(
            name=f"tiny:{member}",
            family="tiny",
            member=member,
            subjects=subjects,
            series=[_chain(1000 * seed + k) for k in range(2)],
            truth=truth,
            tr=1.0,
            info=INFO,
            missing={"s3": "tiny/s3.npy: empty file"},
        )


@pytest.fixture
def tiny():
    register_dataset("tiny")(_Tiny)
    yield "tiny"
    DATASETS.pop("tiny")


def test_seeded_data_is_generated_per_seed_and_missing_subjects_are_reported(tiny, tmp_path):
    notes = []
    cfg = build_config(
        methods=["granger"],
        datasets=["tiny"],
        seeds=[0, 1],
        jobs=1,
        results=str(tmp_path),
        track=False,
    )
    res = run_benchmark(cfg, progress=False, log=notes.append)
    # a deterministic method is fitted on each seed's data: 2 seeds x 2 subjects
    assert res.n_computed == 4
    assert sorted({r.seed for r in res.records}) == [0, 1]
    ps = res.per_subject
    missing = ps[ps["status"] == "missing"]
    assert list(missing["subject"]) == ["s3", "s3"] and "empty file" in missing["error"].iloc[0]
    assert any("subject s3 is missing" in n for n in notes)
    ok = ps[ps["status"] == "ok"]
    assert len(ok) == 4 and ok["f1"].between(0, 1).all()
    # the two seeds saw different data, so their estimates differ in general
    a = [r.estimate.scores for r in res.records if r.seed == 0]
    b = [r.estimate.scores for r in res.records if r.seed == 1]
    assert not np.allclose(a[0], b[0])


def test_random_state_is_fixed_by_seed_dataset_and_subject():
    assert fit_random_state(0, "smith:1", 3) == fit_random_state(0, "smith:1", 3)
    assert len({fit_random_state(s, d, k) for s in (0, 1) for d in ("a", "b") for k in (0, 1)}) == 8
