"""Group classification from EC: features, the fast nested CV proved equal to GridSearchCV,
the AUC and bootstrap kernels, the permutation test, and the protocol end to end (labels never
reach an estimator)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.svm import SVC

from bench.classification import (
    ClassifyOptions,
    _LibsvmLinear,
    bootstrap_ci,
    check_groups,
    classify_features,
    features,
    mann_whitney_auc,
    nested_cv,
    p_value,
    run_classification,
)
from bench.config import build_config
from bench.registry import load_dataset
from bench.types import BenchError, Estimate

SMALL = dict(outer_folds=3, inner_folds=3, c_grid=(0.01, 1.0, 100.0), n_bootstrap=200)


def _data(seed: int, n: int = 30, p: int = 12, shift: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.r_[np.zeros(n // 2), np.ones(n - n // 2)]).astype(int)
    x = rng.standard_normal((n, p))
    x[y == 1, :2] += shift
    return x, y


def test_features_are_the_off_diagonal_entries_row_major() -> None:
    s = np.arange(9, dtype=float).reshape(3, 3)
    x, names = features(
        [Estimate(np.zeros((3, 3), bool), s), Estimate(np.zeros((3, 3), bool), 2 * s)]
    )
    assert names == ["0->1", "0->2", "1->0", "1->2", "2->0", "2->1"]
    assert x.tolist() == [[1, 2, 3, 5, 6, 7], [2, 4, 6, 10, 12, 14]]
    sym = s + s.T
    x, names = features([Estimate(np.zeros((3, 3), bool), sym)])
    assert names == ["0-1", "0-2", "1-2"] and x.tolist() == [[4, 8, 12]]
    adj = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], bool)
    x, _ = features([Estimate(adj, None)])  # no scores: the decision as 0/1
    assert x.tolist() == [[1, 0, 0, 1, 0, 0]]
    with pytest.raises(BenchError, match="non-finite"):
        features([Estimate(adj, np.full((3, 3), np.nan))])


def test_direct_libsvm_model_equals_svc() -> None:
    rng = np.random.default_rng(1)
    for c in (0.001, 1.0, 100.0):
        x, y = rng.standard_normal((25, 7)), rng.integers(0, 2, 25)
        z = rng.standard_normal((9, 7))
        ref = SVC(kernel="linear", C=c).fit(x, y)
        fast = _LibsvmLinear(c).fit(x, y)
        assert np.array_equal(fast.decision_function(z), ref.decision_function(z))
        assert np.array_equal(fast.predict(z), ref.predict(z))


def _netsim_features() -> tuple[np.ndarray, np.ndarray]:
    """Real data: |correlation| features of NetSim sim 1, labels by subject parity."""
    ds = load_dataset("smith:1")
    mats = [np.abs(np.corrcoef(x.T)) for x in ds.series[:30]]
    x, _ = features([Estimate(np.zeros((5, 5), bool), m) for m in mats])
    return x, np.arange(30) % 2


@pytest.mark.parametrize("case", ["signal", "null", "netsim"])
def test_fast_nested_cv_equals_the_gridsearchcv_reference(case: str) -> None:
    if case == "netsim":
        x, y = _netsim_features()
    else:
        x, y = _data(3, shift=1.5 if case == "signal" else 0.0)
    fast = nested_cv(x, y, ClassifyOptions(**SMALL, impl="fast"), seed=11)
    ref = nested_cv(x, y, ClassifyOptions(**SMALL, impl="reference"), seed=11)
    assert fast.chosen_c == ref.chosen_c
    assert np.array_equal(fast.fold, ref.fold)
    assert np.array_equal(fast.predicted, ref.predicted)
    assert np.array_equal(fast.decision, ref.decision)  # bit-identical: the same libsvm calls


def test_every_subject_is_predicted_once() -> None:
    x, y = _data(4)
    r = nested_cv(x, y, ClassifyOptions(**SMALL), seed=0)
    assert sorted(np.bincount(r.fold).tolist()) == [10, 10, 10]
    for k in range(3):  # stratified outer folds: both groups in every test fold
        assert set(y[r.fold == k]) == {0, 1}
    assert len(r.chosen_c) == 3 and set(r.chosen_c) <= set(SMALL["c_grid"])


def test_auc_kernel_equals_sklearn_with_ties_and_stacks() -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):
        y = rng.integers(0, 2, 40)
        s = rng.integers(0, 6, 40).astype(float)  # many ties
        assert mann_whitney_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    ys = np.stack([rng.permutation(np.r_[np.zeros(5), np.ones(5)]) for _ in range(4)])
    ss = rng.standard_normal((4, 10))
    assert np.allclose(
        mann_whitney_auc(ys, ss), [roc_auc_score(a, b) for a, b in zip(ys, ss, strict=True)]
    )


def test_bootstrap_is_stratified_percentile() -> None:
    y = np.r_[np.zeros(10, int), np.ones(10, int)]
    perfect = bootstrap_ci(
        y, y, y - 0.5, n_bootstrap=300, confidence=0.9, rng=np.random.default_rng(0)
    )
    assert perfect == {"accuracy": (1.0, 1.0), "roc_auc": (1.0, 1.0)}
    pred = y.copy()
    pred[:3] = 1  # 3 of the 10 in group 0 wrong
    ci = bootstrap_ci(
        y, pred, pred.astype(float), n_bootstrap=2000, confidence=0.95, rng=np.random.default_rng(1)
    )
    # stratified resamples keep 10 per group, so group 1 is always right: accuracy in [0.5, 1]
    lo, hi = ci["accuracy"]
    assert 0.5 <= lo < 0.85 < hi <= 1.0
    # the same quantiles from an explicit loop
    rng = np.random.default_rng(1)
    g0, g1 = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    a = g0[rng.integers(0, 10, size=(2000, 10))]
    b = g1[rng.integers(0, 10, size=(2000, 10))]
    accs = [(pred[np.r_[i, j]] == y[np.r_[i, j]]).mean() for i, j in zip(a, b, strict=True)]
    assert (lo, hi) == (np.quantile(accs, 0.025), np.quantile(accs, 0.975))


def test_permutation_p_values() -> None:
    assert p_value(0.9, np.array([0.5, 0.6, 0.9])) == pytest.approx(2 / 4)
    assert np.isnan(p_value(0.9, np.zeros(0)))
    opts = ClassifyOptions(**SMALL, n_permutations=19)
    strong = classify_features(*_data(5, shift=3.0), opts, seed=0)
    assert strong.accuracy >= 0.9 and strong.p_accuracy == pytest.approx(1 / 20)
    assert strong.roc_auc_ci[0] <= strong.roc_auc <= strong.roc_auc_ci[1]
    null = classify_features(*_data(6, shift=0.0), opts, seed=0)
    assert null.p_accuracy > 0.05 and null.null.shape == (19, 2)
    assert null.chance_accuracy == 0.5


def test_too_few_subjects_per_group_fail_with_one_line() -> None:
    with pytest.raises(BenchError, match="smaller group has 4 subjects"):
        check_groups(np.r_[np.zeros(4, int), np.ones(10, int)], ClassifyOptions(), "x on y")


# --------------------------------------------------------------------------- end to end


def _labelled_folder(root: Path, labels: list[str]) -> Path:
    """16 subjects of a 3-node lag-1 VAR; group B has a strong 0 -> 1 effect."""
    root.mkdir()
    rng = np.random.default_rng(0)
    for k, lab in enumerate(labels):
        w = np.array([[0.3, 0.6 if lab == "B" else 0.0, 0.0], [0, 0.3, 0.4], [0, 0, 0.3]])
        e = rng.standard_normal((150, 3))
        x = np.zeros_like(e)
        for t in range(1, 150):
            x[t] = x[t - 1] @ w + e[t]
        np.save(root / f"sub-{k + 1:02d}.npy", x)
    (root / "truth.txt").write_text("0 -> 1\n1 -> 2\n")
    (root / "dataset.toml").write_text("index_base = 0\n")
    rows = "".join(f"sub-{k + 1:02d},{lab}\n" for k, lab in enumerate(labels))
    (root / "labels.csv").write_text("subject,label\n" + rows)
    return root


def test_classification_end_to_end_and_labels_never_reach_an_estimator(tmp_path: Path) -> None:
    labels = ["A", "B"] * 8
    root = _labelled_folder(tmp_path / "study", labels)
    cfg = build_config(
        methods=["granger", "correlation"],
        datasets=[f"folder:{root}"],
        seeds=[0],
        jobs=1,
        results=str(tmp_path / "r"),
        track=False,
    )
    opts = ClassifyOptions(**{**SMALL, "n_bootstrap": 100}, n_permutations=9)
    run = run_classification(cfg, opts, progress=False)
    acc = run.long[run.long["metric"] == "accuracy"].set_index("method")["value"]
    assert acc["granger"] >= 0.8  # the directed effect separates the groups
    assert set(run.long["dataset"]) == {f"folder:{root}"}
    assert run.run.n_computed == 32
    # other labels: every fit is cached (the fits never depended on the labels)
    (root / "labels.csv").write_text(
        "subject,label\n" + "".join(f"sub-{k + 1:02d},{'AB'[k < 8]}\n" for k in range(16))
    )
    cfg2 = build_config(**{**cfg.to_dict(), "sweep": {}})
    again = run_classification(cfg2, opts, progress=False)
    assert again.run.n_computed == 0 and again.run.n_cached == 32
    old = {(r.method, r.subject): r.estimate.scores for r in run.run.records}
    for r in again.run.records:
        assert np.array_equal(r.estimate.scores, old[(r.method, r.subject)])


def test_group_level_methods_are_left_out_with_a_note(tmp_path: Path) -> None:
    root = _labelled_folder(tmp_path / "study", ["A", "B"] * 8)
    cfg = build_config(
        methods=["correlation", "brainec-llm"],
        datasets=[f"folder:{root}"],
        seeds=[0],
        jobs=1,
        results=str(tmp_path / "r"),
        track=False,
    )
    run = run_classification(cfg, ClassifyOptions(**SMALL, n_permutations=0), progress=False)
    assert any("brainec-llm: a group-level method" in n for n in run.notes)
    assert set(run.long["method"]) == {"correlation"}
    assert run.long[run.long["metric"] == "p_accuracy"]["value"].isna().all()  # no permutations


def test_unlabelled_datasets_fail_before_any_fit(tmp_path: Path) -> None:
    cfg = build_config(
        methods=["correlation"], datasets=["smith:1@1-4"], results=str(tmp_path / "r"), track=False
    )
    with pytest.raises(BenchError, match="has no group labels"):
        run_classification(cfg, ClassifyOptions(), progress=False)
    assert not (tmp_path / "r" / "records").exists()
