"""Sentence-level inference (entails / contradicts / neutral) from two sentence vectors.

A small LightGBM model over [u, v, |u - v|, u * v] of the multilingual USE vectors, trained on
XNLI dev in English, Arabic and both cross-lingual directions. The stance model applies it to
the claim and its closest article sentences and aggregates the result over the article.
"""

from __future__ import annotations

import sys
import zlib

import numpy as np

from factnlp.stance_model.corpus import VectorCache, progress
from factnlp.stance_model.datasets import load_xnli
from factnlp.stance_model.features import pair_vectors

NLI_CLASSES = ("entails", "contradicts", "neutral")
_XNLI_LABELS = {"confirms": 0, "contradicts": 1, "discusses": 2}
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


def train_nli(*, embedder, seed: int = 13):
    """Booster and held-out accuracy: XNLI dev pairs, 20% of premises held out for stopping."""
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
                groups.append(zlib.crc32(en.title.encode("utf-8")) % 5)
    features, targets, folds = np.vstack(rows), np.array(labels), np.array(groups)
    train, held_out = folds != 0, folds == 0
    params = dict(NLI_PARAMS, seed=seed)
    train_set = lightgbm.Dataset(features[train], targets[train])
    dev_set = lightgbm.Dataset(features[held_out], targets[held_out], reference=train_set)
    booster = lightgbm.train(
        params, train_set, 800, valid_sets=[dev_set], callbacks=[lightgbm.early_stopping(40, verbose=False)]
    )
    predicted = np.asarray(booster.predict(features[held_out], num_iteration=booster.best_iteration)).argmax(axis=1)
    accuracy = float((predicted == targets[held_out]).mean())
    print(f"sentence NLI: {booster.best_iteration} rounds, held-out XNLI accuracy {accuracy:.3f}", file=sys.stderr)
    return booster, accuracy
