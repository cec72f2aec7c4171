"""Records are written atomically and read back identically."""

import json

import numpy as np

from bench.records import Record, RecordStore, record_key
from bench.types import Estimate


def _record(status="ok"):
    est = Estimate(
        adjacency=np.eye(3, k=1, dtype=bool),
        scores=np.arange(9, dtype=float).reshape(3, 3),
        extra={"epoch_adjacency": np.zeros((2, 3, 3), bool), "loss": [1.0, 0.5]},
    )
    return Record(
        key=record_key("m", {"a": 1}, "smith:1", "h", 0, "c"),
        method="m",
        params={"a": 1},
        dataset="smith:1",
        data_hash="h",
        subject="sub01",
        seed=0,
        status=status,
        extra={"loss": [1.0, 0.5]},
        estimate=est,
    )


def test_roundtrip(tmp_path):
    store = RecordStore(tmp_path)
    rec = _record()
    path = store.write(rec)
    assert path == store.find("m", "smith:1", "sub01", 0, rec.key)
    back = store.load_ok(path)
    assert back is not None
    np.testing.assert_array_equal(back.estimate.adjacency, rec.estimate.adjacency)
    np.testing.assert_array_equal(back.estimate.scores, rec.estimate.scores)
    assert back.estimate.extra["epoch_adjacency"].shape == (2, 3, 3)
    assert back.params == {"a": 1} and back.seed == 0
    assert not list(path.parent.glob("*.tmp"))


def test_key_changes_with_each_part():
    base = ("m", {"a": 1}, "d", "h", 0, "c")
    k0 = record_key(*base)
    for i, alt in enumerate(("n", {"a": 2}, "e", "g", 1, "d")):
        args = list(base)
        args[i] = alt
        assert record_key(*args) != k0
    assert record_key("m", {"a": 1}, "d", "h", None, "c") != k0


def test_failed_or_corrupt_records_are_not_cache_hits(tmp_path):
    store = RecordStore(tmp_path)
    assert store.load_ok(store.write(_record(status="failed"))) is None
    rec = _record()
    rec.key = "other"
    path = store.write(rec)
    path.write_text(path.read_text()[:20])  # truncated JSON
    assert store.load_ok(path) is None
    body = json.loads(store.path(_record()).read_text()) if store.path(_record()).exists() else {}
    assert body.get("status") == "failed"


def test_a_cut_short_estimate_file_is_not_a_cache_hit(tmp_path):
    """After a crash the JSON may be on disk while its .npz is truncated: recompute it."""
    store = RecordStore(tmp_path)
    path = store.write(_record())
    npz = path.with_suffix(".npz")
    npz.write_bytes(npz.read_bytes()[:30])
    assert store.load_ok(path) is None
