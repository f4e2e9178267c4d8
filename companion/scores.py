"""Scores of a classifier on a rare binary outcome, where accuracy alone misleads.

On a 97:3 problem "always No" is already 97 % accurate, so `binary_scores` puts accuracy
next to that majority-class baseline, the balanced accuracy (0.5 for any constant guess)
and the ROC AUC (0.5 for chance), computed from ranks with NumPy only.
"""

from __future__ import annotations

import numpy as np


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative.

    Computed from ranks (the Mann-Whitney U statistic), ties counting one half.
    """
    y_true = np.asarray(y_true).astype(bool).ravel()
    scores = np.asarray(scores, dtype="float64").ravel()
    if y_true.shape != scores.shape:
        raise ValueError(f"{len(y_true)} labels but {len(scores)} scores")
    n_pos, n_neg = int(y_true.sum()), int((~y_true).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC AUC needs both classes among the labels")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    mean_rank = ends - (counts - 1) / 2.0  # ranks 1..n, averaged over ties
    rank_sum = mean_rank[inverse][y_true].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def balanced_accuracy(y_true, y_pred) -> float:
    """The mean of the recall of each class present (0.5 for a constant guess)."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    recalls = [np.mean(y_pred[y_true == c] == c) for c in np.unique(y_true)]
    return float(np.mean(recalls))


def binary_scores(y_true, p_yes, *, threshold: float = 0.5) -> dict[str, float]:
    """Accuracy, the majority-class baseline, balanced accuracy, ROC AUC and recall of Yes.

    The ROC AUC is NaN (null in JSON) when the labels hold only one class.
    """
    y_true = np.asarray(y_true).astype("int64").ravel()
    p_yes = np.asarray(p_yes, dtype="float64").ravel()
    y_pred = (p_yes >= threshold).astype("int64")
    majority = int(np.bincount(y_true, minlength=2).argmax())
    both = len(np.unique(y_true)) == 2  # a tiny test split may hold no deaths at all
    return {
        "test_accuracy": float(np.mean(y_pred == y_true)),
        "baseline_accuracy": float(np.mean(y_true == majority)),
        "balanced_accuracy": balanced_accuracy(y_true, y_pred),
        "roc_auc": roc_auc(y_true, p_yes) if both else float("nan"),
        "recall_yes": float(np.mean(y_pred[y_true == 1] == 1)) if (y_true == 1).any() else None,
        "predicted_yes": float(np.mean(y_pred)),
    }


def cross_entropy(labels, probabilities) -> float:
    """Mean cross-entropy of integer labels under predicted class probabilities (n x classes)."""
    labels = np.asarray(labels).astype("int64").ravel()
    probabilities = np.asarray(probabilities, dtype="float64")
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise ValueError(
            f"expected one row of class probabilities per label ({len(labels)}), "
            f"got shape {probabilities.shape}"
        )
    picked = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))
