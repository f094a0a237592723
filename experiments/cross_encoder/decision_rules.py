"""Decision rules for the cross-encoder model, compared on pairs the cross-encoder never trained
on: its held-out 10 % of training topics (FNC-1 train, Baly folds 1-4, our promises) and ANS dev.
``python -m experiments.cross_encoder.decision_rules`` (project venv, FACTCHECK_DATA_DIR).

A: the most probable stance of the mean of both models, on the pairs the trees find related
   (what the product does).
B: the same pairs, the mean decided as the trees decide their own probabilities (their dev-tuned
   offsets, then the contradiction-cue guard).
P0.5, P0.7, P0.9: rule A's mean on every pair but those the trees give at least that
   probability of "unrelated" (which then keep the trees' verdict); all: the mean on every pair.

The trees were refit on all of these pairs, so every figure here is optimistic; only the
difference between the rules is of use.
"""

from __future__ import annotations

import numpy as np

from experiments.cross_encoder.prepare import training_pairs
from factnlp.stance import STANCES, ArticleText
from factnlp.stance_model.corpus import progress
from factnlp.stance_model.cross_encoder import TreesWithCrossEncoder
from factnlp.stance_model.datasets import load_ans, stable_fold
from factnlp.stance_model.evaluate import scored_labels
from factnlp.stance_model.metrics import macro_f1, per_class_f1

GATES = (0.5, 0.7, 0.9)


class AllRules(TreesWithCrossEncoder):
    """Records each pair's stance under every rule (``predict`` one pair at a time)."""

    def __init__(self, **options):
        super().__init__(**options)
        self.decisions: dict[str, list[int]] = {name: [] for name in ("A", "B", *(f"P{g}" for g in GATES), "all")}

    def _decide_many(self, claims, article):
        orders, probabilities = self._score_many(claims, article)
        choices = self._choose(probabilities, article, orders)
        mean = (probabilities + self.read(claims, article)) / 2
        related = np.array([STANCES[choice] != "unrelated" for choice in choices])
        unrelated = STANCES.index("unrelated")
        by_mean = mean.argmax(axis=1)
        self.decisions["A"].append(int(np.where(related, by_mean, choices)[0]))
        self.decisions["B"].append(int(np.where(related, self._choose(mean.copy(), article, orders), choices)[0]))
        for gate in GATES:
            self.decisions[f"P{gate}"].append(int(np.where(probabilities[:, unrelated] >= gate, choices, by_mean)[0]))
        self.decisions["all"].append(int(by_mean[0]))
        return self._results(probabilities, choices, article, orders)


def held_out_pairs():
    """The training pairs of the topics held out from training (ANS train's aside: ANS dev
    stands for ANS), then ANS dev."""
    held_out = [p for p in training_pairs() if p.source != "ans" and stable_fold(p.topic, 10) == 0]
    return held_out + load_ans(split="dev")


def main() -> None:
    pairs = held_out_pairs()
    model = AllRules(article_cache_size=4)
    for pair in progress(pairs, total=len(pairs), label="held-out pairs"):
        article = ArticleText(pair.title, pair.body, pair.article_language or pair.language)
        model.predict(pair.claim, article, claim_language=pair.language)
    for source in ("fnc1", "baly", "ans", "promises"):
        rows = [i for i, pair in enumerate(pairs) if pair.source == source]
        gold = [pairs[i].stance for i in rows]
        for rule, decisions in model.decisions.items():
            predicted = [STANCES[decisions[i]] for i in rows]
            gold_names, names, labels = scored_labels(dataset=source, gold=gold, predicted=predicted)
            f1 = per_class_f1(gold=gold_names, predicted=names, labels=labels)
            print(
                source,
                rule,
                len(rows),
                round(macro_f1(gold=gold_names, predicted=names, labels=labels), 4),
                {k: round(v, 3) for k, v in f1.items()},
            )


if __name__ == "__main__":
    main()
