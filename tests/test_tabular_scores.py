"""The scores of a rare binary outcome: ROC AUC by hand and by pairs, baselines, cross-entropy."""

import itertools
import warnings

import numpy as np
import pytest

from companion.tabular.scores import balanced_accuracy, binary_scores, cross_entropy, roc_auc


def test_roc_auc_by_hand():
    # Pairs (positive, negative): 0.35>0.1 yes, 0.35>0.4 no, 0.8>both yes: 3 of 4.
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    # A tie counts one half: 0.5>0.2 (1) and 0.5=0.5 (1/2) over 2 pairs.
    assert roc_auc([0, 0, 1], [0.2, 0.5, 0.5]) == pytest.approx(0.75)
    assert roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert roc_auc([0, 0, 1], [0.1, 0.2, 0.9]) == 1.0
    assert roc_auc([1, 1, 0], [0.1, 0.2, 0.9]) == 0.0
    with pytest.raises(ValueError, match="both classes"):
        roc_auc([1, 1], [0.1, 0.2])


def test_roc_auc_matches_counting_pairs():
    rng = np.random.default_rng(0)
    labels = rng.random(60) < 0.3
    scores = np.round(rng.random(60), 1)  # many ties
    pos, neg = scores[labels], scores[~labels]
    wins = sum((p > n) + 0.5 * (p == n) for p, n in itertools.product(pos, neg))
    assert roc_auc(labels, scores) == pytest.approx(wins / (len(pos) * len(neg)))


def test_balanced_accuracy_and_baseline():
    y = np.array([0] * 97 + [1] * 3)
    assert balanced_accuracy(y, np.zeros(100)) == 0.5
    scores = binary_scores(y, np.zeros(100))
    assert scores["test_accuracy"] == scores["baseline_accuracy"] == 0.97
    assert scores["recall_yes"] == 0.0 and scores["roc_auc"] == 0.5
    perfect = binary_scores(y, y * 0.9)
    assert perfect["balanced_accuracy"] == 1.0 and perfect["roc_auc"] == 1.0


def test_cross_entropy_by_hand():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    expected = -(np.log(0.9) + np.log(0.8) + np.log(0.5)) / 3
    assert cross_entropy([0, 1, 1], probabilities) == pytest.approx(expected)
    # A confident wrong answer costs much more than a hesitant one.
    assert cross_entropy([1], [[0.99, 0.01]]) > 4 * cross_entropy([1], [[0.6, 0.4]])
    assert np.isfinite(cross_entropy([1], [[1.0, 0.0]]))  # clipped, not infinite
    with pytest.raises(ValueError, match="per label"):
        cross_entropy([0, 1], [0.3, 0.7])


def test_scores_match_the_hand_formulas_without_warnings():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 200)
    predicted = np.where(rng.random(200) < 0.7, labels, rng.integers(0, 3, 200))
    recalls = [np.mean(predicted[labels == c] == c) for c in range(3)]
    logits = rng.normal(size=(200, 3))
    # float32 softmax rows, as a Keras model predicts them: sums off 1 by ~1e-7
    softmax = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype("float32")
    by_hand = -np.mean(np.log(softmax.astype("float64")[np.arange(200), labels]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "do not sum to one", no renamed-argument warning
        assert balanced_accuracy(labels, predicted) == pytest.approx(np.mean(recalls), abs=1e-9)
        assert cross_entropy(labels, softmax) == pytest.approx(by_hand, abs=1e-6)
        # A split without deaths: the predicted Yes has no recall to average, and no warning.
        only_no = binary_scores([0, 0, 0, 0], [0.1, 0.7, 0.2, 0.3])
    assert only_no["balanced_accuracy"] == 0.75 and np.isnan(only_no["roc_auc"])
    assert only_no["recall_yes"] is None
