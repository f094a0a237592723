"""Sentence-level inference (entails / contradicts / neutral) from two sentence vectors.

A small LightGBM model over [u, v, |u - v|, u * v] of the multilingual USE vectors, trained on
XNLI dev in English, Arabic and both cross-lingual directions, and on ANS headline pairs
(agree / disagree / other read as entails / contradicts / neutral). The stance model applies it
to the claim and its closest article sentences and aggregates the result over the article.

ANS pairs are also stance training pairs, so the stance model must not see inference scores
from a model that learnt their labels: :func:`train_nli` also returns one model per fold of
ANS claims, each trained without that fold, to score those pairs (out-of-fold stacking).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from factnlp.stance_model.corpus import VectorCache, progress
from factnlp.stance_model.datasets import LabelledPair, load_xnli, stable_fold
from factnlp.stance_model.features import pair_vectors

NLI_CLASSES = ("entails", "contradicts", "neutral")
_XNLI_LABELS = {"confirms": 0, "contradicts": 1, "discusses": 2}
_PAIR_LABELS = {"confirms": 0, "contradicts": 1, "discusses": 2, "unrelated": 2}
STACKING_FOLDS = 5
# ANS dev accuracy of the inference model (ANS train added): weight 1 gave 0.695, 3 gave 0.722;
# without ANS it was 0.370, below always answering "contradicts".
PAIR_WEIGHT = 3.0
NLI_PARAMS = {
    "objective": "multiclass",
    "num_class": 3,
    "learning_rate": 0.08,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.4,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 63,
    "num_threads": 2,
    "seed": 13,
    "deterministic": True,
    "force_row_wise": True,
    "verbosity": -1,
}


def stacking_fold(pair: LabelledPair) -> int:
    """The fold of a sentence pair, by its claim, so a claim's pairs share one fold."""
    return stable_fold(pair.claim, STACKING_FOLDS)


def train_nli(*, embedder, pairs: Sequence[LabelledPair] = (), seed: int = 13):
    """(booster, held-out XNLI accuracy, fold boosters): XNLI dev plus ``pairs``, 20% of
    premises held out for stopping; fold booster ``k`` never saw the pairs of fold ``k``."""
    import lightgbm

    english, arabic = load_xnli(language="en"), load_xnli(language="ar")
    cache = VectorCache("xnli", embedder)
    texts = [p.title for p in english + arabic] + [p.claim for p in english + arabic]
    cache.embed(texts, label="xnli")
    rows, labels, groups = [], [], []
    # Aligned lines are translations: pair every premise language with every hypothesis language.
    for en, ar in progress(zip(english, arabic, strict=True), total=len(english), label="xnli pairs"):
        premise_vectors = cache.embed([en.title, ar.title], label="xnli")
        hypothesis_vectors = cache.embed([en.claim, ar.claim], label="xnli")
        for premise in premise_vectors:
            for hypothesis in hypothesis_vectors:
                rows.append(pair_vectors(premise, hypothesis)[0])
                labels.append(_XNLI_LABELS[en.stance])
                groups.append(stable_fold(en.title, 5))
    features, targets, folds = np.vstack(rows), np.array(labels), np.array(groups)
    weights = np.ones(len(targets))
    pair_folds = np.full(len(targets), -1)
    if pairs:
        pair_cache = VectorCache("nli-pairs", embedder)
        premises = pair_cache.embed([p.title for p in pairs], label="nli pairs")
        hypotheses = pair_cache.embed([p.claim for p in pairs], label="nli pairs")
        features = np.vstack([features, pair_vectors(premises, hypotheses)])
        targets = np.concatenate([targets, [_PAIR_LABELS[p.stance] for p in pairs]])
        weights = np.concatenate([weights, np.full(len(pairs), PAIR_WEIGHT)])
        pair_folds = np.concatenate([pair_folds, [stacking_fold(p) for p in pairs]])
        folds = np.concatenate([folds, pair_folds[-len(pairs) :]])
    train, held_out = folds != 0, folds == 0
    params = dict(NLI_PARAMS, seed=seed)
    train_set = lightgbm.Dataset(features[train], targets[train], weight=weights[train])
    dev_set = lightgbm.Dataset(features[held_out], targets[held_out], weight=weights[held_out], reference=train_set)
    booster = lightgbm.train(
        params, train_set, 800, valid_sets=[dev_set], callbacks=[lightgbm.early_stopping(40, verbose=False)]
    )
    xnli_held_out = held_out & (pair_folds < 0)
    predicted = np.asarray(booster.predict(features[xnli_held_out], num_iteration=booster.best_iteration))
    accuracy = float((predicted.argmax(axis=1) == targets[xnli_held_out]).mean())
    print(f"sentence NLI: {booster.best_iteration} rounds, held-out XNLI accuracy {accuracy:.3f}", file=sys.stderr)
    rounds = booster.best_iteration
    # The shipped model and the fold models all learn from every row for the chosen rounds, so a
    # fold model differs from the shipped one only by the pairs it leaves out.
    booster = lightgbm.train(params, lightgbm.Dataset(features, targets, weight=weights), rounds)
    fold_boosters = {}
    if pairs:
        for fold in progress(range(STACKING_FOLDS), total=STACKING_FOLDS, label="out-of-fold NLI models"):
            keep = pair_folds != fold
            fold_boosters[fold] = lightgbm.train(
                params, lightgbm.Dataset(features[keep], targets[keep], weight=weights[keep]), rounds
            )
    return booster, accuracy, fold_boosters
