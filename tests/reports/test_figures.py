"""bench.reports.figures: edge classes, figure content, files; no display is ever used."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from bench.reports import figures as F

TRUTH = np.array(
    [
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
        [0, 0, 1, 0],
    ],
    dtype=bool,
)  # 0 -> 1 -> 2 <-> 3 (a 2-cycle)


def test_edge_classes_tp_fp_reversal_miss_and_two_cycles():
    est = np.zeros((4, 4), dtype=bool)
    est[0, 1] = True  # true positive
    est[2, 1] = True  # reversal of 1 -> 2 (1 -> 2 not found)
    est[0, 3] = True  # false positive
    est[2, 3] = True  # one half of the true 2-cycle: tp; 3 -> 2 missed
    est[3, 3] = True  # the diagonal is never scored
    c = F.edge_classes(est, TRUTH)
    assert c == {
        "tp": [(0, 1), (2, 3)],
        "fp": [(0, 3)],
        "reversal": [(2, 1)],
        "miss": [(3, 2)],  # 1 -> 2 is drawn as the reversal, not also as a miss
    }
    # an estimated 2-cycle where the truth has one edge: one tp and one fp, no reversal
    both = np.zeros((4, 4), dtype=bool)
    both[0, 1] = both[1, 0] = True
    c = F.edge_classes(both, TRUTH)
    assert (0, 1) in c["tp"] and (1, 0) in c["fp"] and not c["reversal"]
    with pytest.raises(ValueError, match=r"expected a \(4, 4\) matrix"):
        F.edge_classes(np.zeros((3, 3)), TRUTH)


def test_ec_matrix_marks_true_edges_and_orientation():
    scores = np.arange(16, dtype=float).reshape(4, 4) / 16
    fig = F.ec_matrix_figure(TRUTH, TRUTH, scores, title="t")
    assert isinstance(fig.canvas, FigureCanvasAgg)  # Agg canvas, never a GUI window
    ax_est, ax_truth = fig.axes[:2]
    outlined = {
        (round(p.get_y() + 0.5), round(p.get_x() + 0.5)) for p in ax_est.patches
    }  # (row i, column j) of each square
    assert outlined == {tuple(ij) for ij in np.argwhere(TRUTH)}
    img = ax_est.images[0].get_array()
    assert np.ma.is_masked(img[1, 1]) or np.isnan(img[1, 1])  # diagonal blank
    assert img[0, 1] == pytest.approx(scores[0, 1])  # row = source, column = target
    assert "source i" in ax_truth.get_ylabel() and "target j" in ax_truth.get_xlabel()


def test_network_legend_counts():
    est = np.zeros((4, 4), dtype=bool)
    est[0, 1] = est[2, 1] = est[0, 3] = True
    fig = F.network_figure(est, TRUTH)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["true positive (1)", "false positive (1)", "reversed (1)", "missed (2)"]


def test_cd_cliques():
    # ranks 1.0 1.5 3.0 3.2 with CD 1.0: {1.0, 1.5} and {3.0, 3.2} are not different
    assert F._cliques([1.0, 1.5, 3.0, 3.2], 1.0) == [(0, 1), (2, 3)]
    assert F._cliques([1.0, 2.5, 4.0], 1.0) == []
    assert F._cliques([1.0, 1.4, 1.8], 1.0) == [(0, 2)]


def test_curves_runtime_and_saving(tmp_path):
    y = TRUTH[~np.eye(4, dtype=bool)]
    s = np.linspace(0, 1, y.size)
    fig = F.pr_roc_figure({"a": (y, s)}, skipped=["b"])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0].startswith("a (AP ") and labels[1] == f"null ({y.mean():.3f})"
    fig = F.runtime_figure({"a": [(5, 0.1), (10, 0.5), (10, 0.7)]})
    assert fig.axes[0].get_yscale() == "log"
    line = [ln for ln in fig.axes[0].lines if ln.get_label() == "a"][0]
    assert list(line.get_ydata()) == pytest.approx([0.1, 0.6])  # medians per node count
    for name, fig in {
        "box": F.boxplot_figure({"d:1": {"a": [0.1, 0.4, np.nan], "b": []}}, metric_label="F1"),
        "cd": F.cd_diagram({"a": 1.2, "b": 2.1, "c": 2.7}, 1.5),
    }.items():
        png, pdf = F.save_figure(fig, tmp_path / name)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000
        assert pdf.read_bytes()[:5] == b"%PDF-"
    with pytest.raises(ValueError, match="at least 2 methods"):
        F.cd_diagram({"a": 1.0}, 1.0)
