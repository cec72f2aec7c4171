"""Hand-worked checks of bench.metrics (A[i, j] = i -> j; diagonal ignored)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from bench.metrics import METRICS, compute_metrics, get_metric
from bench.registry import UnknownNameError

SCORE_METRICS = ("auroc", "auprc", "c_sensitivity", "d_accuracy")


def graph(n: int, *edges: tuple[int, int]) -> np.ndarray:
    """Binary (n, n) matrix with A[i, j] = 1 for each edge i -> j."""
    a = np.zeros((n, n), dtype=int)
    for i, j in edges:
        a[i, j] = 1
    return a


def check(got: dict, expected: dict) -> None:
    for name, value in expected.items():
        if value is None:
            assert got[name] is None, f"{name}: {got[name]!r} != None"
        else:
            assert got[name] == pytest.approx(value), f"{name}: {got[name]!r} != {value!r}"


# --------------------------------------------------------------------------- registry


def test_registry_order_and_directions():
    assert list(METRICS)[:5] == ["precision", "recall", "f1", "shd", "shd_fpfn"]
    assert METRICS["f1"].higher_is_better is True
    assert METRICS["shd"].higher_is_better is False
    assert METRICS["shd_fpfn"].higher_is_better is False
    assert METRICS["fp"].higher_is_better is False
    assert METRICS["shd"].integer and not METRICS["f1"].integer
    assert {n for n, m in METRICS.items() if m.needs_scores} == set(SCORE_METRICS)
    assert not METRICS["auprc_null"].ranked and not METRICS["n_pred"].ranked
    assert all(m.description and m.label for m in METRICS.values())


def test_compute_returns_every_metric_in_order():
    t = graph(3, (0, 1))
    out = compute_metrics(t, t, None)
    assert list(out) == list(METRICS)


def test_get_metric_known_and_unknown():
    assert get_metric("shd").label == "SHD"
    with pytest.raises(UnknownNameError, match="Did you mean 'skeleton_f1'"):
        get_metric("skeleton_f2")


# --------------------------------------------------------------------------- 2-cycles


TWO_CYCLE_TRUTH = graph(3, (0, 1), (1, 0), (1, 2))  # 0 <-> 1, 1 -> 2


def test_two_cycle_estimated_with_both_directions():
    out = compute_metrics(TWO_CYCLE_TRUTH, TWO_CYCLE_TRUTH, None)
    check(
        out,
        {
            "precision": 1.0,
            "recall": 1.0,
            "f1": 1.0,
            "shd": 0.0,
            "shd_fpfn": 0.0,
            "orientation_accuracy": 1.0,
            "two_cycle_recall": 1.0,
            "tp": 3.0,
            "n_true": 3.0,
        },
    )


def test_two_cycle_estimated_as_one_edge():
    est = graph(3, (0, 1), (1, 2))  # 1 -> 0 missing
    out = compute_metrics(TWO_CYCLE_TRUTH, est, None)
    check(
        out,
        {
            "precision": 1.0,
            "recall": 2 / 3,
            "f1": 0.8,  # 2 * 1 * (2/3) / (5/3)
            "shd": 1.0,  # pair {0,1}: (1,1) vs (1,0)
            "shd_fpfn": 1.0,  # one FN
            "skeleton_precision": 1.0,
            "skeleton_recall": 1.0,
            "orientation_accuracy": 0.5,  # {0,1} wrong, {1,2} right
            "two_cycle_recall": 0.0,
            "tp": 2.0,
            "fp": 0.0,
            "fn": 1.0,
        },
    )


def test_two_cycle_missed_entirely():
    est = graph(3, (1, 2))
    out = compute_metrics(TWO_CYCLE_TRUTH, est, None)
    check(
        out,
        {
            "precision": 1.0,
            "recall": 1 / 3,
            "f1": 0.5,  # 2 * 1 * (1/3) / (4/3)
            "shd": 2.0,  # the missed 2-cycle takes two deletions
            "shd_fpfn": 2.0,
            "skeleton_precision": 1.0,
            "skeleton_recall": 0.5,
            "skeleton_f1": 2 / 3,
            "orientation_accuracy": 1.0,  # only {1,2} found, and right
            "two_cycle_recall": 0.0,
        },
    )


def test_no_two_cycle_in_truth_gives_none():
    t = graph(3, (0, 1), (1, 2))
    out = compute_metrics(t, graph(3, (0, 1), (1, 0)), None)
    assert out["two_cycle_recall"] is None
    # an estimated 2-cycle where the truth has one edge: one pair differs
    assert out["shd"] == 2.0  # {0,1} (1,0) vs (1,1); {1,2} missing
    assert out["shd_fpfn"] == 2.0


# --------------------------------------------------------------------------- reversal, cycles


def test_reversal_counts_once_in_shd_twice_in_fpfn():
    t = graph(3, (0, 1), (1, 2))
    est = graph(3, (1, 0), (1, 2))
    out = compute_metrics(t, est, None)
    check(
        out,
        {
            "shd": 1.0,
            "shd_fpfn": 2.0,
            "precision": 0.5,
            "recall": 0.5,
            "f1": 0.5,
            "skeleton_precision": 1.0,
            "skeleton_recall": 1.0,
            "skeleton_f1": 1.0,
            "orientation_accuracy": 0.5,
            "tp": 1.0,
            "fp": 1.0,
            "fn": 1.0,
        },
    )


THREE_CYCLE = graph(3, (0, 1), (1, 2), (2, 0))


def test_three_cycle_recovered():
    out = compute_metrics(THREE_CYCLE, THREE_CYCLE, None)
    check(out, {"precision": 1.0, "recall": 1.0, "shd": 0.0, "orientation_accuracy": 1.0})


def test_three_cycle_fully_reversed():
    out = compute_metrics(THREE_CYCLE, THREE_CYCLE.T, None)
    check(
        out,
        {
            "precision": 0.0,
            "recall": 0.0,
            "f1": 0.0,
            "shd": 3.0,
            "shd_fpfn": 6.0,
            "skeleton_f1": 1.0,
            "orientation_accuracy": 0.0,
        },
    )


def test_three_cycle_one_edge_reversed():
    est = graph(3, (0, 1), (1, 2), (0, 2))
    out = compute_metrics(THREE_CYCLE, est, None)
    check(
        out,
        {"tp": 2.0, "fp": 1.0, "fn": 1.0, "shd": 1.0, "shd_fpfn": 2.0, "precision": 2 / 3},
    )


# The per-pair SHD costs of the docstring's table, state (E[i,j], E[j,i]) against (T[i,j], T[j,i]):
# none, i->j, j->i, both.
STATES = {"none": (0, 0), "i->j": (1, 0), "j->i": (0, 1), "both": (1, 1)}
SHD_TABLE = {
    "none": {"none": 0, "i->j": 1, "j->i": 1, "both": 2},
    "i->j": {"none": 1, "i->j": 0, "j->i": 1, "both": 1},
    "j->i": {"none": 1, "i->j": 1, "j->i": 0, "both": 1},
    "both": {"none": 2, "i->j": 1, "j->i": 1, "both": 0},
}


@pytest.mark.parametrize("true_state", sorted(STATES))
@pytest.mark.parametrize("est_state", sorted(STATES))
def test_shd_is_the_per_pair_edit_distance(true_state: str, est_state: str) -> None:
    def pair(state: str) -> np.ndarray:
        a = np.zeros((2, 2), dtype=int)
        a[0, 1], a[1, 0] = STATES[state]
        return a

    out = compute_metrics(pair(true_state), pair(est_state), None)
    assert out["shd"] == SHD_TABLE[true_state][est_state]
    assert out["shd_fpfn"] == sum(
        x != y for x, y in zip(STATES[true_state], STATES[est_state], strict=True)
    )


def test_shd_two_cycles_cost_two_edits() -> None:
    # truth 0 <-> 1 and 2 -> 3; estimate empty: 2 deletions for the 2-cycle, 1 for the edge
    t = graph(4, (0, 1), (1, 0), (2, 3))
    assert compute_metrics(t, np.zeros((4, 4)), None)["shd"] == 3.0
    # an estimated 2-cycle where the truth has none costs 2; with one true edge, 1
    e = graph(4, (0, 1), (1, 0), (2, 3), (3, 2), (1, 2), (2, 1))
    t = graph(4, (2, 3))
    # {0,1}: none vs both = 2; {2,3}: 2->3 vs both = 1; {1,2}: none vs both = 2
    assert compute_metrics(t, e, None)["shd"] == 5.0
    assert compute_metrics(t, e, None)["shd_fpfn"] == 5.0


# --------------------------------------------------------------------------- edge cases


def test_empty_estimate():
    t = graph(3, (0, 1), (1, 2))
    out = compute_metrics(t, np.zeros((3, 3)), None)
    check(
        out,
        {
            "precision": 0.0,
            "recall": 0.0,
            "f1": 0.0,
            "shd": 2.0,
            "shd_fpfn": 2.0,
            "skeleton_precision": 0.0,
            "skeleton_recall": 0.0,
            "skeleton_f1": 0.0,
            "orientation_accuracy": None,
            "n_pred": 0.0,
            "n_true": 2.0,
        },
    )


def test_empty_truth_nonempty_estimate():
    s = np.arange(9, dtype=float).reshape(3, 3)
    out = compute_metrics(np.zeros((3, 3)), graph(3, (0, 1)), s)
    check(
        out,
        {
            "precision": 0.0,
            "recall": 1.0,
            "f1": 0.0,
            "shd": 1.0,
            "shd_fpfn": 1.0,
            "skeleton_precision": 0.0,
            "skeleton_recall": 1.0,
            "orientation_accuracy": None,
            "two_cycle_recall": None,
            "auroc": None,  # one class only
            "auprc": None,  # no positive pair
            "auprc_null": 0.0,
            "c_sensitivity": None,
            "d_accuracy": None,
        },
    )


def test_empty_truth_empty_estimate_is_perfect():
    z = np.zeros((4, 4))
    out = compute_metrics(z, z, None)
    check(
        out,
        {
            "precision": 1.0,
            "recall": 1.0,
            "f1": 1.0,
            "skeleton_precision": 1.0,
            "skeleton_recall": 1.0,
            "skeleton_f1": 1.0,
            "shd": 0.0,
        },
    )


def test_all_positive_truth():
    t = np.ones((3, 3)) - np.eye(3)
    s = np.array([[0.0, 0.9, 0.2], [0.4, 0.0, 0.7], [0.3, 0.6, 0.0]])
    out = compute_metrics(t, graph(3, (0, 1), (1, 0)), s)
    check(
        out,
        {
            "precision": 1.0,
            "recall": 2 / 6,
            "auroc": None,  # one class only
            "auprc": 1.0,  # every threshold has precision 1
            "auprc_null": 1.0,
            "c_sensitivity": None,  # no absent edge
            "d_accuracy": None,  # every true edge is in a 2-cycle
            "two_cycle_recall": 1 / 3,
            "shd": 4.0,  # two missed 2-cycles, two edges each
            "orientation_accuracy": 1.0,
        },
    )


def test_diagonal_is_ignored():
    t = graph(3, (0, 1), (1, 2))
    e = graph(3, (0, 1))
    s = np.array([[0.0, 0.9, 0.1], [0.2, 0.0, 0.3], [0.1, 0.2, 0.0]])
    base = compute_metrics(t, e, s)
    t2, e2, s2 = t.copy(), e.copy(), s.copy()
    np.fill_diagonal(t2, 1)
    np.fill_diagonal(e2, [1, 0, 1])
    np.fill_diagonal(s2, [100.0, -5.0, np.nan])  # even NaN on the diagonal is ignored
    assert compute_metrics(t2, e2, s2) == base
    assert base["n_true"] == 2.0 and base["n_pred"] == 1.0


def test_two_nodes():
    t = graph(2, (0, 1))
    s = np.array([[0.0, 0.2], [0.8, 0.0]])
    out = compute_metrics(t, graph(2, (1, 0)), s)
    check(
        out,
        {
            "shd": 1.0,
            "shd_fpfn": 2.0,
            "precision": 0.0,
            "auroc": 0.0,  # the true pair scores below the absent one
            "auprc": 0.5,  # true pair ranked second: precision 1/2 at recall 1
            "auprc_null": 0.5,
            "c_sensitivity": None,  # the only pair holds a true edge: no null pair
            "d_accuracy": 0.0,
        },
    )


# --------------------------------------------------------------------------- scores


# Truth 0 -> 1, 1 -> 2. Positives: s[0,1] = 0.9, s[1,2] = 0.4.
# Negatives: s[1,0] = 0.5, s[2,1] = 0.1, s[0,2] = 0.3, s[2,0] = 0.4.
CHAIN = graph(3, (0, 1), (1, 2))
CHAIN_SCORES = np.array([[0.0, 0.9, 0.3], [0.5, 0.0, 0.4], [0.4, 0.1, 0.0]])


def test_auroc_by_hand():
    # P(s+ > s-) + 0.5 P(s+ = s-) over 2 x 4 pairs:
    # 0.9 beats all 4 -> 4; 0.4 beats 0.1 and 0.3, ties 0.4, loses to 0.5 -> 2.5.
    out = compute_metrics(CHAIN, CHAIN, CHAIN_SCORES)
    assert out["auroc"] == pytest.approx(6.5 / 8)


def test_auprc_by_hand():
    # thresholds 0.9: P=1, R=1/2; 0.5: P=1/2, R=1/2; 0.4: P=2/4, R=1.
    # AP = (1/2)(1) + 0 + (1/2)(1/2) = 0.75; null = 2 / 6.
    out = compute_metrics(CHAIN, CHAIN, CHAIN_SCORES)
    assert out["auprc"] == pytest.approx(0.75)
    assert out["auprc_null"] == pytest.approx(1 / 3)


def test_auroc_transposed_scores_are_penalised():
    good = compute_metrics(CHAIN, CHAIN, CHAIN_SCORES)["auroc"]
    bad = compute_metrics(CHAIN, CHAIN, CHAIN_SCORES.T)["auroc"]
    # transposed: positives 0.5, 0.1; negatives 0.9, 0.4, 0.4, 0.3.
    # 0.5 beats 0.4, 0.4, 0.3 -> 3; 0.1 beats none -> 0; total 3 / 8.
    assert bad == pytest.approx(3 / 8)
    assert good > bad


def test_c_sensitivity_by_hand():
    # 95th percentile of negatives [0.1, 0.3, 0.4, 0.5] (linear): 0.4 + 0.85 * 0.1 = 0.485.
    # 0.9 > 0.485, 0.4 is not -> 1 / 2.
    out = compute_metrics(CHAIN, CHAIN, CHAIN_SCORES)
    assert out["c_sensitivity"] == pytest.approx(0.5)
    s = CHAIN_SCORES.copy()
    s[1, 2] = 0.49  # just above the percentile, below the max negative
    assert compute_metrics(CHAIN, CHAIN, s)["c_sensitivity"] == pytest.approx(1.0)
    # equal to the percentile is not above it: negatives all 0.3 -> q = 0.3
    s = np.full((3, 3), 0.3)
    s[0, 1] = 0.31
    assert compute_metrics(CHAIN, CHAIN, s)["c_sensitivity"] == pytest.approx(0.5)


def test_c_sensitivity_is_about_connections_not_directions():
    # Chain 0 -> 1 -> 2 on 4 nodes; a symmetric method that ranks both true pairs first.
    t = graph(4, (0, 1), (1, 2))
    s = np.full((4, 4), 0.1)
    for i, j in ((0, 1), (1, 2)):
        s[i, j] = s[j, i] = 0.8  # the reverse direction of a true edge is as strong
    np.fill_diagonal(s, 0.0)
    # connections: {0,1}: 0.8, {1,2}: 0.8; null pairs (no edge either way): {0,2}, {0,3},
    # {1,3}, {2,3} at 0.1 -> q = 0.1; both true connections exceed it.
    assert compute_metrics(t, t, s)["c_sensitivity"] == pytest.approx(1.0)
    # a connection's strength is the larger |score| of its two directions
    s2 = s.copy()
    s2[0, 1], s2[1, 0] = 0.05, -0.9  # weak forward, strong (negative) reverse: detected
    s2[1, 2] = s2[2, 1] = 0.1  # as weak as the null: not above its 95th percentile
    assert compute_metrics(t, t, s2)["c_sensitivity"] == pytest.approx(0.5)


def test_c_sensitivity_null_excludes_both_directions_of_true_edges():
    # 0 -> 1 only. Null pairs: {0,2}, {1,2} (strengths 0.2, 0.3) -> q = 0.2 + 0.95 * 0.1
    t = graph(3, (0, 1))
    s = np.array([[0.0, 0.3, 0.2], [0.9, 0.0, 0.1], [0.0, 0.3, 0.0]])
    # {0,1}: max(0.3, 0.9) = 0.9 > 0.295 -> 1.0 (the strong reverse is not a false connection)
    assert compute_metrics(t, t, s)["c_sensitivity"] == pytest.approx(1.0)
    # no pair without a true edge: undefined
    assert compute_metrics(graph(2, (0, 1)), graph(2, (0, 1)), np.eye(2))["c_sensitivity"] is None


def test_d_accuracy_by_hand():
    # 0->1: 0.9 > 0.5 right; 1->2: 0.4 > 0.1 right.
    assert compute_metrics(CHAIN, CHAIN, CHAIN_SCORES)["d_accuracy"] == pytest.approx(1.0)
    s = CHAIN_SCORES.copy()
    s[2, 1] = 0.6  # 1->2 now scores below 2->1
    assert compute_metrics(CHAIN, CHAIN, s)["d_accuracy"] == pytest.approx(0.5)
    s[2, 1] = 0.4  # a tie is not a correct direction
    assert compute_metrics(CHAIN, CHAIN, s)["d_accuracy"] == pytest.approx(0.5)


def test_d_accuracy_skips_two_cycle_edges():
    # truth 0 <-> 1, 1 -> 2: only 1 -> 2 has a direction to get right.
    s = np.array([[0.0, 0.9, 0.0], [0.1, 0.0, 0.2], [0.0, 0.3, 0.0]])
    assert compute_metrics(TWO_CYCLE_TRUTH, TWO_CYCLE_TRUTH, s)["d_accuracy"] == 0.0
    s[1, 2] = 0.5
    assert compute_metrics(TWO_CYCLE_TRUTH, TWO_CYCLE_TRUTH, s)["d_accuracy"] == 1.0


def test_scores_none_gives_none_for_score_metrics():
    out = compute_metrics(CHAIN, CHAIN, None)
    for name in SCORE_METRICS:
        assert out[name] is None, name
    assert out["auprc_null"] == pytest.approx(1 / 3)
    assert out["f1"] == 1.0


def test_no_metric_is_nan_on_edge_cases():
    cases = [
        (np.zeros((2, 2)), np.zeros((2, 2))),
        (np.ones((2, 2)), np.zeros((2, 2))),
        (np.zeros((3, 3)), np.ones((3, 3))),
        (np.ones((3, 3)), np.ones((3, 3))),
    ]
    for t, e in cases:
        for s in (None, np.zeros(t.shape), np.random.default_rng(0).random(t.shape)):
            for name, v in compute_metrics(t, e, s).items():
                assert v is None or np.isfinite(v), (name, t, e, s)


def test_directed_counts_match_sklearn_on_random_graphs():
    rng = np.random.default_rng(1)
    off = ~np.eye(6, dtype=bool)
    for _ in range(20):
        t = rng.random((6, 6)) < 0.3
        e = rng.random((6, 6)) < 0.3
        if not t[off].any() or not e[off].any():
            continue
        out = compute_metrics(t, e, None)
        y, p = t[off], e[off]
        assert out["precision"] == pytest.approx(precision_score(y, p))
        assert out["recall"] == pytest.approx(recall_score(y, p))
        assert out["f1"] == pytest.approx(f1_score(y, p))
        assert out["shd_fpfn"] == np.sum(y != p)
        assert out["shd"] <= out["shd_fpfn"]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("truth", "adjacency", "scores", "match"),
    [
        (np.zeros((3, 3)), np.zeros((3, 2)), None, "adjacency shape"),
        (np.zeros((3, 2)), np.zeros((3, 2)), None, "square"),
        (np.zeros(3), np.zeros(3), None, "square"),
        (np.full((3, 3), 2), np.zeros((3, 3)), None, "truth must be binary"),
        (np.full((3, 3), 0.5), np.zeros((3, 3)), None, "truth must be binary"),
        (np.zeros((3, 3)), np.full((3, 3), -1), None, "adjacency must be binary"),
        (np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((2, 2)), "scores shape"),
        (np.zeros((3, 3)), np.zeros((3, 3)), np.full((3, 3), np.nan), "NaN"),
        (np.zeros((1, 1)), np.zeros((1, 1)), None, "at least 2 nodes"),
    ],
)
def test_bad_inputs_raise_value_error(truth, adjacency, scores, match):
    with pytest.raises(ValueError, match=match):
        compute_metrics(truth, adjacency, scores)


# --------------------------------------------------------------------------- fast paths


def test_auroc_and_ap_equal_scikit_learn_on_random_and_tied_scores():
    """bench's rank AUROC and one-sort AP against scikit-learn (the reference)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from bench.metrics import auroc_score, average_precision

    rng = np.random.default_rng(7)
    for k in range(400):
        n = int(rng.integers(2, 2500))
        y = rng.random(n) < rng.uniform(0.02, 0.6)
        if y.all() or not y.any():
            continue
        s = rng.random(n)
        if k % 3 == 0:
            s = np.round(s * rng.integers(2, 20)) / 10  # many ties
        if k % 7 == 0:
            s = np.where(rng.random(n) < 0.5, 0.0, s)  # a block of zeros (untested links)
        assert auroc_score(y, s) == pytest.approx(roc_auc_score(y, s), rel=1e-12, abs=1e-14)
        assert average_precision(y, s) == pytest.approx(
            average_precision_score(y, s), rel=1e-12, abs=1e-14
        )


def test_auroc_and_ap_equal_scikit_learn_on_netsim_like_estimates():
    from sklearn.metrics import average_precision_score, roc_auc_score

    from bench.metrics import auroc_score, average_precision
    from bench.registry import load_dataset

    ds = load_dataset("smith:2")
    off = ~np.eye(ds.n_nodes, dtype=bool)
    y = ds.truth[off]
    for x in ds.series[:10]:
        r = np.abs(np.corrcoef(x, rowvar=False))[off]  # correlation scores of real data
        assert auroc_score(y, r) == pytest.approx(roc_auc_score(y, r), rel=1e-12)
        assert average_precision(y, r) == pytest.approx(average_precision_score(y, r), rel=1e-12)
