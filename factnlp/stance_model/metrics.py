"""Stance metrics: per-class and macro F1, accuracy, and the official FNC-1 weighted score."""

from __future__ import annotations

from collections.abc import Sequence

RELATED = frozenset({"confirms", "contradicts", "discusses"})


def per_class_f1(*, gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """F1 of each label (0.0 where a label is neither gold nor predicted)."""
    scores = {}
    for label in labels:
        true_positive = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        predicted_count = sum(1 for p in predicted if p == label)
        gold_count = sum(1 for g in gold if g == label)
        denominator = predicted_count + gold_count
        scores[label] = 2 * true_positive / denominator if denominator else 0.0
    return scores


def macro_f1(*, gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> float:
    scores = per_class_f1(gold=gold, predicted=predicted, labels=labels)
    return sum(scores.values()) / len(scores)


def accuracy(*, gold: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / max(len(gold), 1)


def fnc_score(*, gold: Sequence[str], predicted: Sequence[str]) -> float:
    """FNC-1 weighted score as a percent of the maximum (scorer.py logic, labels mapped to stances)."""
    score = 0.0
    for g, p in zip(gold, predicted, strict=True):
        if g == p:
            score += 0.25
            if g != "unrelated":
                score += 0.50
        if g in RELATED and p in RELATED:
            score += 0.25
    best = sum(1.0 if g in RELATED else 0.25 for g in gold)
    return 100.0 * score / best if best else 0.0
