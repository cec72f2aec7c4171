"""Group classification from estimated EC: the downstream task of the BrainEC-LLM paper.

For each (method, labelled dataset, seed) the subjects' estimated EC matrices are the features
and a linear SVM tells the two groups apart, scored by **nested** cross-validation.

* **Features** (:func:`features`): the off-diagonal entries ``scores[i, j]`` (i ≠ j, row-major)
  of each subject's estimate; for a method without continuous scores, its binary decision
  ``adjacency[i, j]`` as 0/1. When every subject's matrix is symmetric (methods that do not
  orient, e.g. correlation), each pair enters once (i < j). The classifier never sees the truth
  graph; the estimators never see the labels (the fits are the benchmark's ordinary, cached
  fits of the series alone; :func:`bench.datasets.cohort.load_labels` is read after them).
* **Model**: ``StandardScaler`` then ``sklearn.svm.SVC(kernel="linear", C)``, the scaler fitted
  on the training subjects only.
* **Nested CV** (:func:`nested_cv`): outer ``StratifiedKFold(outer_folds, shuffle=True)``; in
  each outer training set, an inner ``StratifiedKFold(inner_folds, shuffle=True)`` picks C from
  ``c_grid`` by mean inner accuracy (ties: the first C of the grid, as ``GridSearchCV``), the
  model is refitted on the whole outer training set with that C, and the outer test subjects
  get its decision values. Every subject is predicted once, by a model that never saw it.
  ``impl="reference"`` runs ``GridSearchCV(Pipeline(StandardScaler, SVC))`` per outer fold;
  ``impl="fast"`` (default) makes the same fits: one ``StandardScaler`` per inner split (which
  GridSearchCV refits identically for every C) and the libsvm calls of ``SVC`` without its
  per-call input validation (:class:`_LibsvmLinear`), 4–11× faster on NetSim features
  (``tests/benchmarks/classify_speed.py``). Tests check that both give the same C,
  predictions and (bit-identical) decision values on random and NetSim data.
* **Scores**: accuracy = the fraction of subjects whose out-of-fold prediction is right;
  ROC AUC = the Mann–Whitney statistic of the pooled out-of-fold decision values,
  ``AUC = (1/(n₊n₋)) Σ_{i∈B, j∈A} [s_i > s_j] + ½[s_i = s_j]`` (group B, the second label in
  sorted order, is the positive class; equal to ``sklearn.metrics.roc_auc_score``, tested).
* **Confidence intervals** (:func:`bootstrap_ci`): percentile bootstrap over **subjects** of
  the out-of-fold predictions, stratified by group (each resample keeps the group sizes),
  ``n_bootstrap`` resamples, level ``confidence``. The fold models are held fixed: the
  interval reflects the sampling of the test subjects, not the variability of training.
  The spread of the accuracy over the outer folds is reported beside it (``fold_accuracy_sd``,
  population SD over folds).
* **Permutation test** (:func:`permutation_test`): the labels are permuted ``n_permutations``
  times and the **whole** nested procedure (inner choice of C included) is repeated on each
  permutation with the same splitters; ``p = (1 + #{null ≥ observed}) / (1 + n_permutations)``
  (Phipson & Smyth 2010, as ``sklearn.model_selection.permutation_test_score``), for accuracy
  and for AUC.
* **Seeds**: the CV splitters, the permutations and the bootstrap are drawn from
  ``SeedSequence([seed, crc32(dataset)])``: the same for every method on a dataset and seed,
  so methods are compared on the same splits. On generated cohorts each seed is a new cohort;
  the summary over seeds is :func:`bench.aggregate.summarize` (mean ± population SD).

References: Varoquaux et al. (2017), "Assessing and tuning brain decoders: cross-validation,
caveats, and guidelines", NeuroImage 145:166-179 (nested CV); Ojala & Garriga (2010),
"Permutation tests for studying classifier performance", JMLR 11:1833-1863.
"""

from __future__ import annotations

import math
import sys
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from bench.aggregate import summarize
from bench.config import BenchConfig
from bench.registry import _split_subjects, get_family, get_method
from bench.types import BenchError, Estimate

__all__ = [
    "CLASSIFY_METRICS",
    "DEFAULT_COHORTS",
    "DEFAULT_METHODS",
    "REFERENCE_METHODS",
    "ClassifyOptions",
    "ClassifyResult",
    "CVResult",
    "bootstrap_ci",
    "classify_features",
    "features",
    "mann_whitney_auc",
    "nested_cv",
    "permutation_test",
    "run_classification",
]

# The default field: the fast methods (well under a second per fit on 5 nodes), the reference
# rows (correlation, partial correlation) and the random floor.
DEFAULT_METHODS = (
    "correlation",
    "partial-correlation",
    "granger",
    "patel",
    "pc",
    "ges",
    "direct-lingam",
    "rdcm",
    "random",
)
REFERENCE_METHODS = frozenset({"correlation", "partial-correlation"})
DEFAULT_COHORTS = ("cohort:edge", "cohort:pathway", "cohort:reverse")
CLASSIFY_METRICS = (
    "accuracy",
    "accuracy_ci_low",
    "accuracy_ci_high",
    "roc_auc",
    "roc_auc_ci_low",
    "roc_auc_ci_high",
    "p_accuracy",
    "p_roc_auc",
    "fold_accuracy_sd",
    "chance_accuracy",
    "n_subjects",
    "n_features",
)


@dataclass(frozen=True)
class ClassifyOptions:
    """Settings of the classifier and its evaluation (see the module docstring)."""

    outer_folds: int = 5
    inner_folds: int = 5
    c_grid: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)
    n_permutations: int = 100
    n_bootstrap: int = 2000
    confidence: float = 0.95
    impl: Literal["fast", "reference"] = "fast"
    n_jobs: int = 1

    def check(self) -> ClassifyOptions:
        for name in ("outer_folds", "inner_folds"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 2:
                raise BenchError(f"{name}: must be an integer >= 2, got {v!r}")
        if not self.c_grid or any(not (isinstance(c, (int, float)) and c > 0) for c in self.c_grid):
            raise BenchError(f"c_grid: needs positive numbers, got {self.c_grid!r}")
        if not isinstance(self.n_permutations, int) or self.n_permutations < 0:
            raise BenchError(f"permutations: must be an integer >= 0, got {self.n_permutations!r}")
        if not isinstance(self.n_bootstrap, int) or self.n_bootstrap < 0:
            raise BenchError(f"bootstrap: must be an integer >= 0, got {self.n_bootstrap!r}")
        if not 0.0 < self.confidence < 1.0:
            raise BenchError(f"confidence: must be in (0, 1), got {self.confidence!r}")
        if self.impl not in ("fast", "reference"):
            raise BenchError(f"impl: must be 'fast' or 'reference', got {self.impl!r}")
        return self


# --------------------------------------------------------------------------- features


def _matrix(est: Estimate) -> np.ndarray:
    a = est.scores if est.scores is not None else est.adjacency.astype(float)
    return np.asarray(a, dtype=float)


def features(estimates: Sequence[Estimate]) -> tuple[np.ndarray, list[str]]:
    """``(X, names)``: one row per estimate, the off-diagonal entries (see module docstring).

    ``names`` are ``"i->j"`` (0-based), or ``"i-j"`` for the pairs of symmetric matrices.
    Raises :class:`BenchError` for estimates of different sizes or non-finite entries.
    """
    mats = [_matrix(e) for e in estimates]
    if not mats:
        raise BenchError("no estimates to make features from")
    n = mats[0].shape[0]
    if any(m.shape != (n, n) for m in mats):
        raise BenchError("estimates of different sizes cannot be features of one classifier")
    stack = np.stack(mats)
    if not np.isfinite(stack).all():
        raise BenchError("an estimate holds non-finite values; it cannot be a feature vector")
    symmetric = bool(np.array_equal(stack, stack.transpose(0, 2, 1)))
    if symmetric:
        i, j = np.triu_indices(n, 1)
        names = [f"{a}-{b}" for a, b in zip(i, j, strict=True)]
    else:
        off = ~np.eye(n, dtype=bool)
        i, j = np.nonzero(off)
        names = [f"{a}->{b}" for a, b in zip(i, j, strict=True)]
    return stack[:, i, j], names


# --------------------------------------------------------------------------- nested CV


@dataclass
class CVResult:
    """Out-of-fold results of one nested CV: per subject its decision value, prediction and
    outer fold; per outer fold the C chosen by the inner loop."""

    decision: np.ndarray
    predicted: np.ndarray
    fold: np.ndarray
    chosen_c: list[float]

    def accuracy(self, y: np.ndarray) -> float:
        return float(np.mean(self.predicted == y))

    def fold_accuracies(self, y: np.ndarray) -> np.ndarray:
        return np.array(
            [
                np.mean(self.predicted[self.fold == k] == y[self.fold == k])
                for k in range(len(self.chosen_c))
            ]
        )


def _splitter(k: int, seed: int) -> Any:
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)


class _LibsvmLinear:
    """``SVC(kernel="linear", C=c)`` on dense float64 data with labels 0/1, without SVC's
    per-call input validation: the same ``sklearn.svm._libsvm`` calls with the same arguments
    as ``SVC.fit`` / ``predict`` / ``decision_function`` (scikit-learn 1.9), so the results are
    bit-identical (tested against ``SVC`` and against the ``GridSearchCV`` reference). The
    solver's own settings (``tol``, ``shrinking``, ``cache_size``, ...) are read from an
    ``SVC`` instance. For the default suite's data a fit is about 100 times faster than
    ``SVC.fit``, whose validation is nearly all of its time on 40 subjects.
    """

    def __init__(self, c: float) -> None:
        from sklearn.svm import SVC

        self.ref = SVC(kernel="linear", C=c)

    def fit(self, x: np.ndarray, y: np.ndarray) -> _LibsvmLinear:
        from sklearn.svm import _libsvm

        m = self.ref
        x = np.ascontiguousarray(x, dtype=np.float64)
        _libsvm.set_verbosity_wrap(int(m.verbose))
        var = x.var()
        gamma = 1.0 / (x.shape[1] * var) if var != 0 else 1.0  # SVC's gamma="scale" (unused)
        (
            self.support,
            self.sv,
            self.n_support,
            self.dual_coef,
            self.intercept,
            self.prob_a,
            self.prob_b,
            _status,
            _n_iter,
        ) = _libsvm.fit(
            x,
            np.ascontiguousarray(y, dtype=np.float64),
            svm_type=0,  # c_svc
            sample_weight=np.empty(0),
            class_weight=np.ones(2),  # SVC's class_weight_ for class_weight=None
            kernel="linear",
            C=float(m.C),
            nu=m.nu,
            probability=False,
            degree=m.degree,
            shrinking=m.shrinking,
            tol=m.tol,
            cache_size=m.cache_size,
            coef0=m.coef0,
            gamma=gamma,
            epsilon=m.epsilon,
            max_iter=m.max_iter,
            random_seed=0,  # used by libsvm only for probability estimates
        )
        self.gamma = gamma
        return self

    def _args(self) -> tuple[Any, ...]:
        return (
            self.support,
            self.sv,
            self.n_support,
            self.dual_coef,
            self.intercept,
            self.prob_a,
            self.prob_b,
        )

    def _kw(self) -> dict[str, Any]:
        """The keyword arguments of libsvm's predict / decision_function for this model."""
        m = self.ref
        return {
            "svm_type": 0,
            "kernel": "linear",
            "degree": m.degree,
            "coef0": m.coef0,
            "gamma": self.gamma,
            "cache_size": m.cache_size,
        }

    def predict(self, x: np.ndarray) -> np.ndarray:
        from sklearn.svm import _libsvm

        out = _libsvm.predict(
            np.ascontiguousarray(x, dtype=np.float64), *self._args(), **self._kw()
        )
        return np.asarray(out, dtype=np.intp)

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        from sklearn.svm import _libsvm

        dec = _libsvm.decision_function(
            np.ascontiguousarray(x, dtype=np.float64), *self._args(), **self._kw()
        )
        return -dec.ravel()  # SVC flips the sign for two classes


def _fast_fold(
    x: np.ndarray, y: np.ndarray, options: ClassifyOptions, inner_seed: int
) -> tuple[float, Any, Any]:
    """The inner choice of C on one outer training set and the refitted (scaler, model):
    the fits ``GridSearchCV`` makes, with one scaler per inner split (GridSearchCV refits the
    same scaler for every C) and the direct libsvm model."""
    from sklearn.preprocessing import StandardScaler

    inner = list(_splitter(options.inner_folds, inner_seed).split(x, y))
    scores = np.zeros((len(options.c_grid), len(inner)))
    for k, (tr, te) in enumerate(inner):
        scaler = StandardScaler().fit(x[tr])
        xtr, xte = scaler.transform(x[tr]), scaler.transform(x[te])
        for c_index, c in enumerate(options.c_grid):
            pred = _LibsvmLinear(c).fit(xtr, y[tr]).predict(xte)
            scores[c_index, k] = np.average(pred == y[te])
    best = int(np.argmax(np.average(scores, axis=1)))  # the first of tied C values
    c = float(options.c_grid[best])
    scaler = StandardScaler().fit(x)
    return c, scaler, _LibsvmLinear(c).fit(scaler.transform(x), y)


def _reference_fold(
    x: np.ndarray, y: np.ndarray, options: ClassifyOptions, inner_seed: int
) -> tuple[float, Any, Any]:
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    pipe = Pipeline([("scaler", StandardScaler()), ("svc", SVC(kernel="linear"))])
    search = GridSearchCV(
        pipe,
        {"svc__C": list(options.c_grid)},
        cv=_splitter(options.inner_folds, inner_seed),
        scoring="accuracy",
        refit=True,
    )
    search.fit(x, y)
    best = search.best_estimator_
    return float(search.best_params_["svc__C"]), best.named_steps["scaler"], best.named_steps["svc"]


def nested_cv(x: np.ndarray, y: np.ndarray, options: ClassifyOptions, seed: int) -> CVResult:
    """Nested cross-validation of the linear SVM (see the module docstring); ``y`` is 0/1."""
    fold_fn = _fast_fold if options.impl == "fast" else _reference_fold
    ss = np.random.SeedSequence([int(seed), 1])
    outer_seed, inner_seed = (int(v) for v in ss.generate_state(2) % (2**31 - 1))
    decision = np.zeros(len(y))
    predicted = np.zeros(len(y), dtype=y.dtype)
    fold = np.zeros(len(y), dtype=int)
    chosen = []
    for k, (tr, te) in enumerate(_splitter(options.outer_folds, outer_seed).split(x, y)):
        c, scaler, model = fold_fn(x[tr], y[tr], options, inner_seed)
        z = scaler.transform(x[te])
        decision[te] = model.decision_function(z)
        predicted[te] = model.predict(z)
        fold[te] = k
        chosen.append(c)
    return CVResult(decision, predicted, fold, chosen)


# --------------------------------------------------------------------------- scores


def mann_whitney_auc(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """ROC AUC of scores ``s`` for 0/1 labels ``y`` along the last axis (Mann–Whitney, ties ½).

    ``AUC = (R₊ − n₊(n₊+1)/2) / (n₊ n₋)`` with ``R₊`` the sum of the positives' mid-ranks;
    ``y`` and ``s`` may be ``(..., n)`` stacks (one AUC per row). Equal to
    ``sklearn.metrics.roc_auc_score`` (tested).
    """
    from scipy.stats import rankdata

    y = np.asarray(y, dtype=bool)
    s = np.asarray(s, dtype=float)
    ranks = rankdata(s, axis=-1)
    n_pos = y.sum(axis=-1)
    n_neg = y.shape[-1] - n_pos
    r_pos = np.where(y, ranks, 0.0).sum(axis=-1)
    return (r_pos - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def bootstrap_ci(
    y: np.ndarray,
    predicted: np.ndarray,
    decision: np.ndarray,
    *,
    n_bootstrap: int,
    confidence: float,
    rng: np.random.Generator,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of accuracy and AUC over subjects, stratified by group.

    Each resample draws, within each group, as many subjects as the group has, with
    replacement; the interval is the ``(1 − confidence)/2`` and ``(1 + confidence)/2``
    quantiles (linear interpolation) of the resampled statistics. ``n_bootstrap = 0`` gives
    NaN intervals.
    """
    if n_bootstrap == 0:
        nan = (math.nan, math.nan)
        return {"accuracy": nan, "roc_auc": nan}
    idx = []
    for g in (0, 1):
        members = np.flatnonzero(y == g)
        idx.append(members[rng.integers(0, members.size, size=(n_bootstrap, members.size))])
    take = np.concatenate(idx, axis=1)  # (B, n): group-0 draws, then group-1 draws
    correct = (predicted == y)[take]
    acc = correct.mean(axis=1)
    auc = mann_whitney_auc(y[take], decision[take])
    lo, hi = (1 - confidence) / 2, (1 + confidence) / 2
    return {
        "accuracy": (float(np.quantile(acc, lo)), float(np.quantile(acc, hi))),
        "roc_auc": (float(np.quantile(auc, lo)), float(np.quantile(auc, hi))),
    }


def _null_scores(
    x: np.ndarray, y: np.ndarray, options: ClassifyOptions, seed: int, perms: np.ndarray
) -> np.ndarray:
    """``(len(perms), 2)``: accuracy and AUC of the nested CV on each permutation of ``y``."""
    out = np.zeros((len(perms), 2))
    for k, p in enumerate(perms):
        yp = y[p]
        r = nested_cv(x, yp, options, seed)
        out[k] = r.accuracy(yp), float(mann_whitney_auc(yp, r.decision))
    return out


def permutation_test(
    x: np.ndarray,
    y: np.ndarray,
    options: ClassifyOptions,
    seed: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The null distribution ``(n_permutations, 2)`` of (accuracy, AUC): the whole nested CV
    repeated on permuted labels (same splitters); run in ``options.n_jobs`` processes."""
    perms = np.array([rng.permutation(len(y)) for _ in range(options.n_permutations)])
    if len(perms) == 0:
        return np.zeros((0, 2))
    jobs = max(1, min(options.n_jobs, len(perms)))
    if jobs == 1:
        return _null_scores(x, y, options, seed, perms)
    from joblib import Parallel, delayed

    chunks = np.array_split(perms, jobs)
    parts = Parallel(n_jobs=jobs)(
        delayed(_null_scores)(x, y, options, seed, c) for c in chunks if len(c)
    )
    return np.concatenate(parts)


def p_value(observed: float, null: np.ndarray) -> float:
    """``(1 + #{null ≥ observed}) / (1 + n)``; NaN without permutations."""
    if null.size == 0:
        return math.nan
    return float((1 + np.sum(null >= observed - 1e-12)) / (1 + null.size))


def check_groups(y: np.ndarray, options: ClassifyOptions, where: str) -> None:
    """Each group must fill the outer folds and, in every outer training set, the inner ones."""
    counts = np.bincount(y, minlength=2)
    need_inner = math.ceil(options.inner_folds * options.outer_folds / (options.outer_folds - 1))
    need = max(options.outer_folds, need_inner)
    if counts.min() < need:
        raise BenchError(
            f"{where}: the smaller group has {int(counts.min())} subjects; {options.outer_folds} "
            f"outer x {options.inner_folds} inner folds need at least {need} per group "
            "(use more subjects or fewer folds)"
        )


@dataclass
class ClassifyResult:
    """The scores of one feature set: accuracy and AUC with intervals and p-values."""

    accuracy: float
    accuracy_ci: tuple[float, float]
    roc_auc: float
    roc_auc_ci: tuple[float, float]
    p_accuracy: float
    p_roc_auc: float
    fold_accuracy_sd: float
    chance_accuracy: float
    chosen_c: list[float]
    cv: CVResult
    null: np.ndarray

    def metrics(self) -> dict[str, float]:
        return {
            "accuracy": self.accuracy,
            "accuracy_ci_low": self.accuracy_ci[0],
            "accuracy_ci_high": self.accuracy_ci[1],
            "roc_auc": self.roc_auc,
            "roc_auc_ci_low": self.roc_auc_ci[0],
            "roc_auc_ci_high": self.roc_auc_ci[1],
            "p_accuracy": self.p_accuracy,
            "p_roc_auc": self.p_roc_auc,
            "fold_accuracy_sd": self.fold_accuracy_sd,
            "chance_accuracy": self.chance_accuracy,
        }


def classify_features(
    x: np.ndarray, y: np.ndarray, options: ClassifyOptions, seed: int, *, where: str = "data"
) -> ClassifyResult:
    """Nested CV, bootstrap intervals and permutation test of features ``x`` for 0/1 ``y``."""
    options.check()
    y = np.asarray(y, dtype=int)
    if x.ndim != 2 or x.shape[0] != y.size:
        raise BenchError(f"{where}: {x.shape[0]} feature rows for {y.size} labels")
    if set(np.unique(y)) != {0, 1}:
        raise BenchError(f"{where}: labels must hold both groups 0 and 1")
    check_groups(y, options, where)
    ss = np.random.SeedSequence([int(seed), 7])
    cv_seed = int(ss.generate_state(1)[0] % (2**31 - 1))
    boot_rng, perm_rng = (np.random.default_rng(c) for c in ss.spawn(2))
    cv = nested_cv(x, y, options, cv_seed)
    acc = cv.accuracy(y)
    auc = float(mann_whitney_auc(y, cv.decision))
    ci = bootstrap_ci(
        y,
        cv.predicted,
        cv.decision,
        n_bootstrap=options.n_bootstrap,
        confidence=options.confidence,
        rng=boot_rng,
    )
    null = permutation_test(x, y, options, cv_seed, perm_rng)
    counts = np.bincount(y, minlength=2)
    return ClassifyResult(
        accuracy=acc,
        accuracy_ci=ci["accuracy"],
        roc_auc=auc,
        roc_auc_ci=ci["roc_auc"],
        p_accuracy=p_value(acc, null[:, 0]),
        p_roc_auc=p_value(auc, null[:, 1]),
        fold_accuracy_sd=float(np.std(cv.fold_accuracies(y))),
        chance_accuracy=float(counts.max() / counts.sum()),
        chosen_c=cv.chosen_c,
        cv=cv,
        null=null,
    )


# --------------------------------------------------------------------------- the protocol


def unit_seed(seed: int, dataset: str) -> int:
    """The seed of the splitters, permutations and bootstrap of one (dataset, seed): the same
    for every method, so that methods are compared on the same splits."""
    ss = np.random.SeedSequence([int(seed), zlib.crc32(dataset.encode())])
    return int(ss.generate_state(1)[0])


@dataclass
class ClassificationRun:
    """What :func:`run_classification` returns."""

    long: pd.DataFrame  # method, dataset, seed, metric, value
    details: dict[tuple[str, str, int], ClassifyResult]
    labels: dict[tuple[str, int], dict[str, str]]  # (dataset, seed) -> subject -> label
    classes: dict[tuple[str, int], tuple[str, str]]  # (negative, positive) label per dataset
    notes: list[str] = field(default_factory=list)
    run: Any = None  # the bench.runner.RunResult of the fits

    @property
    def summary(self) -> pd.DataFrame:
        """Mean ± std over seeds (:func:`bench.aggregate.summarize`)."""
        return summarize(self.long)


def run_classification(
    config: BenchConfig,
    options: ClassifyOptions,
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> ClassificationRun:
    """Fit ``config.methods`` on the labelled ``config.datasets`` (the benchmark's ordinary,
    cached fits) and classify the groups from each method's estimates.

    Group-level methods (one estimate per dataset) give no per-subject features and are left
    out with a note; subjects whose fit failed are left out of that method's classification,
    with a note.
    """
    from bench.datasets.cohort import load_labels
    from bench.plan import resolve_methods
    from bench.runner import run_benchmark

    options.check()
    say = log or (lambda msg: print(msg, file=sys.stderr))
    infos, _ = resolve_methods(config.methods)
    notes: list[str] = []
    subject_level = [m.name for m in infos if m.level == "subject"]
    for m in infos:
        if m.level != "subject":
            notes.append(
                f"{m.name}: a group-level method (one EC matrix per dataset) gives no "
                "per-subject features; left out"
            )
    if not subject_level:
        raise BenchError("classification needs subject-level methods; " + "; ".join(notes))
    config = replace(config, methods=subject_level)
    # labels first: an unlabelled dataset fails before any fit
    from bench.plan import load_units

    units = load_units(config)
    labels: dict[tuple[str, int], dict[str, str]] = {}
    classes: dict[tuple[str, int], tuple[str, str]] = {}
    for (label, data_seed), ds in units.items():
        lab = load_labels(ds)
        for s in config.seeds if data_seed is None else [data_seed]:
            labels[(label, s)] = {sid: lab[sid] for sid in ds.subjects}
            a, b = sorted(set(lab.values()))
            classes[(label, s)] = (a, b)
    run = run_benchmark(config, progress=progress, log=log)

    by_key = {}
    for rec in run.records:
        if rec.status == "ok" and rec.estimate is not None:
            by_key[(rec.method, rec.dataset, rec.subject, rec.seed)] = rec.estimate
    ps = run.per_subject
    rows: list[tuple[str, str, int, str, float]] = []
    details: dict[tuple[str, str, int], ClassifyResult] = {}
    for (method, label, seed), g in ps.groupby(["method", "dataset", "seed"], sort=False):
        seed = int(seed)
        info = get_method(method)
        source = _split_subjects(label)[0]  # records are kept under the dataset's own name
        seeded = get_family(source.partition(":")[0]).seeded
        lab = labels[(label, seed)]
        negative, positive = classes[(label, seed)]
        ests, ys, dropped = [], [], []
        for sid in g["subject"]:
            if sid not in lab:
                continue  # a subject whose data could not be loaded
            fit_seed = None if (info.deterministic and not seeded) else seed
            est = by_key.get((method, source, sid, fit_seed))
            if est is None:
                dropped.append(sid)
                continue
            ests.append(est)
            ys.append(1 if lab[sid] == positive else 0)
        where = f"{method} on {label} (seed {seed})"
        if dropped:
            notes.append(
                f"{where}: {len(dropped)} subject(s) without a successful fit left out "
                f"({', '.join(dropped[:5])})"
            )
        if not ests:
            notes.append(f"{where}: no successful fit; not classified")
            continue
        x, names = features(ests)
        y = np.array(ys)
        say(f"classify: {where}: {len(y)} subjects x {x.shape[1]} features")
        try:
            res = classify_features(x, y, options, unit_seed(seed, label), where=where)
        except BenchError as exc:
            notes.append(str(exc))
            continue
        details[(method, label, seed)] = res
        for name, value in {
            **res.metrics(),
            "n_subjects": float(len(y)),
            "n_features": float(x.shape[1]),
        }.items():
            rows.append((method, label, seed, name, float(value)))
    long = pd.DataFrame(rows, columns=["method", "dataset", "seed", "metric", "value"])
    return ClassificationRun(long, details, labels, classes, notes, run)
