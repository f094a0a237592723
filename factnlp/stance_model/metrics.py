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


def calibration(*, confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> dict:
    """How far stated confidence is from the share of answers that are right.

    ``ece`` is the expected calibration error: over equal-width confidence bins, the gap
    between mean confidence and accuracy, weighted by the bin's share of the answers
    (0 for a perfectly calibrated model). ``bins`` lists the non-empty bins.
    """
    if len(confidences) != len(correct):
        raise ValueError("confidences and correct differ in length")
    rows = []
    gap = 0.0
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        members = [
            (c, ok)
            for c, ok in zip(confidences, correct, strict=True)
            if low <= c < high or (index == bins - 1 and c == high)
        ]
        if not members:
            continue
        mean_confidence = sum(c for c, _ in members) / len(members)
        share_right = sum(1 for _, ok in members if ok) / len(members)
        gap += len(members) * abs(mean_confidence - share_right)
        rows.append(
            {
                "from": low,
                "to": high,
                "pairs": len(members),
                "mean_confidence": round(mean_confidence, 4),
                "accuracy": round(share_right, 4),
            }
        )
    return {"ece": round(gap / len(confidences), 4) if confidences else 0.0, "bins": rows}


def flagged_precision(
    *, gold: Sequence[str], predicted: Sequence[str], confidences: Sequence[float], threshold: float
) -> dict:
    """Of the related verdicts (confirms, contradicts, discusses) at or above ``threshold``, how
    many are right, overall and per stance: what an editor finds among high-confidence flags."""
    flagged = [(g, p) for g, p, c in zip(gold, predicted, confidences, strict=True) if p in RELATED and c >= threshold]
    per_stance = {}
    for stance in sorted({p for _, p in flagged}):
        answers = [g == p for g, p in flagged if p == stance]
        per_stance[stance] = {"pairs": len(answers), "precision": round(sum(answers) / len(answers), 4)}
    right = sum(1 for g, p in flagged if g == p)
    return {
        "threshold": threshold,
        "pairs": len(flagged),
        "precision": round(right / len(flagged), 4) if flagged else None,
        "per_stance": per_stance,
    }
