"""Classifier two-sample test: can gradient boosting tell real from synthetic ECGs?

ROC AUC of out-of-fold predictions (stratified k-fold) is 0.5 when the classifier cannot
separate the sets and 1.0 when it always can. The interval is a percentile bootstrap over the
out-of-fold predictions (the classifier is not refitted: it shows the uncertainty of the AUC
for the given folds). Features that separate most: permutation importance on each held-out
fold (drop in fold AUC when one named feature is shuffled), averaged over folds.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from .._seeding import rng_for
from ..errors import SynthECGError


def c2st(real: np.ndarray, synthetic: np.ndarray, feature_names, *, seed: int = 0,
         n_splits: int = 5, n_bootstrap: int = 1000, top: int = 10) -> dict:
    """Cross-validated real-vs-synthetic AUC on feature rows (NaN allowed: the classifier
    routes missing values itself, so "could not be measured" can separate the sets too).

    ``real`` (n, d) and ``synthetic`` (m, d): callers pass equal sizes (balanced classes).
    Returns ``{"auc", "auc_low", "auc_high", "n_real", "n_synthetic", "n_splits",
    "importance": [{"feature", "importance"}...] sorted, largest first, ``top`` kept}``.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    real = np.asarray(real, dtype=np.float64)
    synthetic = np.asarray(synthetic, dtype=np.float64)
    names = list(feature_names)
    if real.shape[1] != len(names) or synthetic.shape[1] != len(names):
        raise SynthECGError(f"c2st: {len(names)} feature names for {real.shape[1]} columns")
    n_splits = int(min(n_splits, len(real), len(synthetic)))
    if n_splits < 2:
        raise SynthECGError("c2st: need at least 2 real and 2 synthetic ECGs")
    x = np.concatenate([real, synthetic])
    y = np.r_[np.zeros(len(real), dtype=int), np.ones(len(synthetic), dtype=int)]
    oof = np.empty(len(y))
    drops = np.zeros((n_splits, len(names)))
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    rng = rng_for(seed, 1)
    # One thread: the data are small, and OpenMP's spinning threads cost more than they give
    # on a busy machine (measured 40x slower predictions at load 8 on 2 cores).
    with threadpool_limits(limits=1, user_api="openmp"):
        for f, (train, test) in enumerate(folds.split(x, y)):
            # sklearn's default of 20 ECGs per leaf forbids almost every split below ~60
            # training ECGs (the classifier then predicts a constant and AUC is 0.5 by fiat)
            leaf = int(min(20, max(3, len(train) // 20)))
            model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1,
                                                   max_leaf_nodes=15, min_samples_leaf=leaf,
                                                   early_stopping=False, random_state=seed)
            model.fit(x[train], y[train])
            oof[test] = model.predict_proba(x[test])[:, 1]
            drops[f] = roc_auc(y[test], oof[test]) - _shuffled_aucs(model, x[test], y[test], rng)
    auc = roc_auc(y, oof)
    low, high = bootstrap_auc_interval(y, oof, n_bootstrap, seed)
    importance = drops.mean(axis=0)
    order = np.argsort(-importance)[:top]
    return {"auc": auc, "auc_low": low, "auc_high": high, "n_real": int(len(real)),
            "n_synthetic": int(len(synthetic)), "n_splits": n_splits,
            "importance": [{"feature": names[j], "importance": float(importance[j])} for j in order]}


def _shuffled_aucs(model, x: np.ndarray, y: np.ndarray, rng) -> np.ndarray:
    """Fold AUC with each feature shuffled in turn: all d shuffled copies in one prediction."""
    n, d = x.shape
    copies = np.repeat(x[None], d, axis=0)  # (d, n, d)
    for j in range(d):
        copies[j, :, j] = x[rng.permutation(n), j]
    proba = model.predict_proba(copies.reshape(d * n, d))[:, 1].reshape(d, n)
    return np.array([roc_auc(y, proba[j]) for j in range(d)])


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC from ranks (ties count half); NaN when one class is absent."""
    y = np.asarray(y)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def bootstrap_auc_interval(y: np.ndarray, score: np.ndarray, n_bootstrap: int, seed: int,
                           level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the AUC (resampling ECGs with replacement).

    All resamples at once: a resample is a count per ECG, and its AUC is the count-weighted
    Mann-Whitney statistic, read off cumulative sums over the ECGs sorted by score (ties
    grouped, counting half), so the cost is O(n_bootstrap x n) without re-ranking.
    """
    y = np.asarray(y).astype(bool)
    n = len(y)
    rng = rng_for(seed, 2)
    picks = rng.integers(0, n, (n_bootstrap, n))
    counts = np.bincount((picks + n * np.arange(n_bootstrap)[:, None]).ravel(),
                         minlength=n_bootstrap * n).reshape(n_bootstrap, n).astype(np.float64)
    order = np.argsort(score, kind="stable")
    sorted_score = np.asarray(score)[order]
    starts = np.r_[0, np.nonzero(np.diff(sorted_score))[0] + 1]  # groups of tied scores
    c = counts[:, order]
    pos = np.add.reduceat(c * y[order], starts, axis=1)
    neg = np.add.reduceat(c * ~y[order], starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
    ok = (n_pos > 0) & (n_neg > 0)
    if not ok.any():
        return float("nan"), float("nan")
    values = (pos * (below + 0.5 * neg)).sum(axis=1)[ok] / (n_pos[ok] * n_neg[ok])
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1.0 - alpha))
