"""Test-split scores of the cross-encoder alone and combined with the shipped trees.

    python -m experiments.cross_encoder.evaluate trees fnc1 baly ans promises   # project venv
    python -m experiments.cross_encoder.evaluate score OUT_DIR/ce-stepN.npz fnc1 baly ans promises

``trees`` stores the shipped model's per-pair probabilities (the project's own environment);
``score`` runs the cross-encoder (torch) and prints, per test split, the cross-encoder alone,
the trees alone, and the mean of the two models' probabilities.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from experiments.cross_encoder.prepare import OUT_DIR
from factnlp.stance import STANCES
from factnlp.stance_model.evaluate import classify_test_split, scored_labels
from factnlp.stance_model.metrics import fnc_score, macro_f1, per_class_f1


def store_tree_probabilities(datasets: list[str]) -> None:
    for dataset in datasets:
        _model, _pairs, results, _seconds = classify_test_split(dataset=dataset)
        # the verdict is not always the most probable stance: the model applies decision offsets
        rows = [[*(r.scores.get(stance, 0.0) for stance in STANCES), STANCES.index(r.stance)] for r in results]
        np.save(OUT_DIR / f"trees_{dataset}.npy", np.array(rows, dtype=np.float32))


def report(dataset: str, gold: np.ndarray, predicted: np.ndarray) -> dict:
    gold_names, names, labels = scored_labels(
        dataset=dataset, gold=[STANCES[i] for i in gold], predicted=[STANCES[i] for i in predicted]
    )
    result = {
        "macro_f1": round(macro_f1(gold=gold_names, predicted=names, labels=labels), 4),
        "per_class_f1": {
            k: round(v, 3) for k, v in per_class_f1(gold=gold_names, predicted=names, labels=labels).items()
        },
    }
    if dataset == "fnc1":
        result["fnc_score"] = round(fnc_score(gold=gold_names, predicted=names), 2)
    return result


def score(checkpoint: str, datasets: list[str]) -> None:
    import torch

    from experiments.cross_encoder.torch_model import CrossEncoder
    from experiments.cross_encoder.train import probabilities
    from factnlp.e5 import E5File

    e5 = E5File()
    state = np.load(checkpoint)
    model = CrossEncoder(e5, rank=state["layers.0.q.a"].shape[0])
    model.load_trained_state(state)
    torch.set_grad_enabled(False)
    for dataset in datasets:
        data = np.load(OUT_DIR / f"test_{dataset}.npz")
        ids, gold = data["ids"], data["y"]
        lengths = (ids != e5.pad).sum(1)
        cross = probabilities(model, ids, lengths, e5.pad, np.arange(len(ids)))
        print(dataset, "cross-encoder", json.dumps(report(dataset, gold, cross.argmax(1))), flush=True)
        trees_path = OUT_DIR / f"trees_{dataset}.npy"
        if trees_path.exists():
            trees = np.load(trees_path)
            verdicts = trees[:, len(STANCES)].astype(int)
            print(dataset, "trees 1.2.1", json.dumps(report(dataset, gold, verdicts)), flush=True)
            mean = (trees[:, : len(STANCES)] + cross) / 2
            print(dataset, "mean of both", json.dumps(report(dataset, gold, mean.argmax(1))), flush=True)


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "trees":
        store_tree_probabilities(arguments)
    else:
        score(arguments[0], arguments[1:])
