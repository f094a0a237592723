"""Would decision offsets of their own help the shipped trees read promise outcomes?

The shipped model's decision offsets were tuned for FNC-1, Baly and ANS. This asks whether
offsets tuned for promises and predictions alone would read their outcomes better, before the
product pays for carrying a claim's kind through the stance seam. The offsets are tuned (by the
training's own ``tune_offsets``) on the shipped model's verdicts for our 180 promise outcome
examples, which it never learnt, then applied once to the held-out promise pairs (105 when it
was decided; "promises-all" holds 165 since the sixteenth session).

``python -m experiments.promise_offsets.run`` (from the repository root): prints the shipped
model's scores on the 180 outcome examples, the tuned offsets, then one JSON line per held-out
set with the shipped offsets and with the tuned ones.
"""

from __future__ import annotations

import json

import numpy as np

from factnlp.stance import STANCES, ArticleText
from factnlp.stance_model.datasets import LabelledPair, load_promise_outcomes
from factnlp.stance_model.evaluate import scored_labels, test_pairs
from factnlp.stance_model.metrics import accuracy, macro_f1
from factnlp.stance_model.model import TrainedStanceModel
from factnlp.stance_model.train import tune_offsets


def verdicts(model: TrainedStanceModel, pairs: list[LabelledPair]) -> tuple[np.ndarray, list]:
    """Calibrated probabilities of every pair, and what ``_choose`` needs to decide them again."""
    rows, contexts = [], []
    for pair in pairs:
        article = ArticleText(title=pair.title, body=pair.body, language=pair.article_language or pair.language)
        prepared_article, _ = model.prepare_article(article)
        claim = model.prepare_claim(pair.claim, language=pair.language)
        orders, probabilities = model._score_many([claim], prepared_article)
        rows.append(probabilities[0])
        contexts.append((prepared_article, orders))
    return np.vstack(rows), contexts


def decide(model: TrainedStanceModel, probabilities: np.ndarray, contexts: list, offsets: np.ndarray) -> list[str]:
    """The shipped decision (offsets, then the guard on "contradicts") with the given offsets."""
    shipped = model.classifier.offsets
    model.classifier.offsets = offsets
    try:
        return [
            STANCES[int(model._choose(probabilities[i : i + 1], article, orders)[0])]
            for i, (article, orders) in enumerate(contexts)
        ]
    finally:
        model.classifier.offsets = shipped


def score(name: str, gold: list[str], predicted: list[str]) -> dict:
    gold, predicted, labels = scored_labels(dataset="promises", gold=gold, predicted=predicted)
    kept_as_broken = sum(g == "confirms" and p == "contradicts" for g, p in zip(gold, predicted, strict=True))
    broken_as_kept = sum(g == "contradicts" and p == "confirms" for g, p in zip(gold, predicted, strict=True))
    return {
        "offsets": name,
        "pairs": len(gold),
        "macro_f1": round(macro_f1(gold=gold, predicted=predicted, labels=labels), 4),
        "accuracy": round(accuracy(gold=gold, predicted=predicted), 4),
        "breaches_read_as_kept": broken_as_kept,
        "kept_read_as_broken": kept_as_broken,
    }


def main() -> None:
    model = TrainedStanceModel()
    tuning = load_promise_outcomes()
    probabilities, tuning_contexts = verdicts(model, tuning)
    labels = np.array([STANCES.index(pair.stance) for pair in tuning])
    tuned = tune_offsets(probabilities, labels, np.array(["outcomes"] * len(tuning)))
    # How the shipped decision reads the tuning set itself: outcomes told in other words, often
    # without the cue words the held-out files' reports carry.
    shipped_on_tuning = decide(model, probabilities, tuning_contexts, model.classifier.offsets)
    print(json.dumps({"dataset": "outcomes", **score("shipped", [p.stance for p in tuning], shipped_on_tuning)}))
    print(
        json.dumps(
            {
                "model": model.version,
                "shipped_offsets": model.classifier.offsets.round(2).tolist(),
                "tuned_offsets": tuned.round(2).tolist(),
            }
        )
    )
    for dataset in ("promises", "promises-2", "promises-all"):
        pairs = test_pairs(dataset)
        held_out, contexts = verdicts(model, pairs)
        gold = [pair.stance for pair in pairs]
        for name, offsets in (("shipped", model.classifier.offsets), ("tuned on outcomes", tuned)):
            print(json.dumps({"dataset": dataset, **score(name, gold, decide(model, held_out, contexts, offsets))}))


if __name__ == "__main__":
    main()
