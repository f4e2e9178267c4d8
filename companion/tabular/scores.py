"""Scores of a classifier on a rare binary outcome, where accuracy alone misleads.

On a 97:3 problem "always No" is already 97 % accurate, so `binary_scores` puts accuracy
next to that majority-class baseline, the balanced accuracy (0.5 for any constant guess)
and the ROC AUC (0.5 for chance); scikit-learn computes them, and the cross-entropy.
"""

from __future__ import annotations

import warnings
from inspect import signature

import numpy as np
from sklearn import metrics

# scikit-learn 1.9 renamed log_loss's y_pred to y_proba (the old name warns); 1.3-1.8 know y_pred.
_PROBA = "y_proba" if "y_proba" in signature(metrics.log_loss).parameters else "y_pred"


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative.

    Ties count one half (the Mann-Whitney U statistic), as in sklearn's roc_auc_score.
    """
    y_true = np.asarray(y_true).astype(bool).ravel()
    scores = np.asarray(scores, dtype="float64").ravel()
    if y_true.shape != scores.shape:
        raise ValueError(f"{len(y_true)} labels but {len(scores)} scores")
    if y_true.all() or not y_true.any():
        raise ValueError("ROC AUC needs both classes among the labels")
    return float(metrics.roc_auc_score(y_true, scores))


def balanced_accuracy(y_true, y_pred) -> float:
    """The mean of the recall of each class present (0.5 for a constant guess)."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    with warnings.catch_warnings():
        # A predicted class absent from y_true has no recall; sklearn leaves it out, as we want.
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        return float(metrics.balanced_accuracy_score(y_true, y_pred))


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
    """Mean cross-entropy of integer labels under predicted class probabilities (n x classes).

    Probabilities are clipped to [eps, 1 - eps] (float64's eps), so a sure miss costs about
    36 nats, not infinity.
    """
    labels = np.asarray(labels).astype("int64").ravel()
    probabilities = np.asarray(probabilities, dtype="float64")
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise ValueError(
            f"expected one row of class probabilities per label ({len(labels)}), "
            f"got shape {probabilities.shape}"
        )
    # float32 softmax rows sum to 1 only within ~1e-7, which log_loss warns about: rescale.
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    classes = np.arange(probabilities.shape[1])
    return float(metrics.log_loss(labels, labels=classes, **{_PROBA: probabilities}))
