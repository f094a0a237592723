"""Scores the shipped stance model on the public test splits through the product's predict().

``python -m factnlp.stance_model.evaluate --dataset fnc1|baly|ans|promises[-2|-3|-all] --json``: the last
line printed is a JSON object (macro_f1, accuracy, per_class_f1, pairs, seconds; fnc_score for
FNC-1). Article sentence vectors come from the on-disk cache, as the matching pipeline passes
them precomputed; claims are embedded per call. ``--throughput`` instead times raw-text pairs.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from factnlp.stance import STANCES, ArticleText, StanceResult, load_stance_model
from factnlp.stance_model.corpus import prepare_corpus, progress
from factnlp.stance_model.datasets import LabelledPair, load_ans, load_baly, load_fnc1, load_promises
from factnlp.stance_model.metrics import accuracy, calibration, flagged_precision, fnc_score, macro_f1, per_class_f1
from factnlp.stance_model.model import TrainedStanceModel
from factnlp.text import split_sentences

ANS_LABELS = ("confirms", "contradicts", "unrelated")
# The service's default MATCH_HIGH_CONFIDENCE: evidence at or above it is flagged high-confidence.
HIGH_CONFIDENCE = 0.8


# The test split of each dataset: FNC-1 competition test, Baly fold 5, ANS test, our held-out
# promises (the first 45, the 60 written later by another hand, 60 more by a third, and all).
TEST_SPLITS = {
    "fnc1": lambda: load_fnc1(split="test"),
    "baly": lambda: load_baly(folds=(5,)),
    "ans": lambda: load_ans(split="test"),
    "promises": lambda: load_promises(split="test"),
    "promises-2": lambda: load_promises(split="test-2"),
    "promises-3": lambda: load_promises(split="test-3"),
    # 165 pairs since the sixteenth session; 105 (the first two files) before it.
    "promises-all": lambda: load_promises(split="test") + load_promises(split="test-2") + load_promises(split="test-3"),
}
DATASETS = tuple(TEST_SPLITS)


def test_pairs(dataset: str) -> list[LabelledPair]:
    if dataset not in TEST_SPLITS:
        raise ValueError(f"unknown dataset {dataset!r}: use one of {sorted(TEST_SPLITS)}")
    return TEST_SPLITS[dataset]()


def load_model(spec: str, *, artifact: Path | None = None, article_cache_size: int) -> TrainedStanceModel:
    """A built-in model (``default``, ``cross-encoder``) or ``module:Class`` taking the same options."""
    options = {"artifact": artifact} if artifact else {}
    return load_stance_model(spec, article_cache_size=article_cache_size, **options)


def classify_test_split(
    *, dataset: str, artifact: Path | None = None, model_spec: str = "default"
) -> tuple[TrainedStanceModel, list[LabelledPair], list[StanceResult], float]:
    """(model, the split's pairs, the model's result for each, seconds spent classifying)."""
    pairs = test_pairs(dataset)
    _claims, articles = prepare_corpus(pairs, name=f"{dataset}-test")
    model = load_model(model_spec, artifact=artifact, article_cache_size=len(articles))
    results = []
    started = time.monotonic()
    for pair in progress(pairs, total=len(pairs), label=f"classifying {dataset}"):
        prepared = articles[(pair.title, pair.body)]
        article = ArticleText(
            title=pair.title,
            body=pair.body,
            language=pair.article_language or pair.language,
            sentences=prepared.sentences,
            sentence_vectors=prepared.vectors,
            embedder_name=model.embedder.name,
        )
        results.append(model.predict(pair.claim, article, claim_language=pair.language))
    return model, pairs, results, time.monotonic() - started


def scored_labels(
    *, dataset: str, gold: list[str], predicted: list[str]
) -> tuple[list[str], list[str], tuple[str, ...]]:
    """(gold, predicted, labels) as a dataset's scores count them: ANS has agree / disagree / other
    only, and our promise examples have no "discusses" gold (an empty class would score 0)."""
    if dataset == "ans":
        fold = [label if label in ANS_LABELS else "unrelated" for label in gold]
        return fold, [label if label in ANS_LABELS else "unrelated" for label in predicted], ANS_LABELS
    if dataset.startswith("promises"):
        return gold, predicted, tuple(label for label in STANCES if label in gold)
    return gold, predicted, STANCES


def evaluate_stance(*, dataset: str, artifact: Path | None = None, model_spec: str = "default") -> dict:
    """Metrics of the model on a dataset's test split."""
    model, pairs, results, seconds = classify_test_split(dataset=dataset, artifact=artifact, model_spec=model_spec)
    gold = [pair.stance for pair in pairs]
    predicted = [result.stance for result in results]
    confidences = [float(result.confidence) for result in results]
    gold, predicted, labels = scored_labels(dataset=dataset, gold=gold, predicted=predicted)
    report = {
        "dataset": dataset,
        "model_version": model.version,
        "pairs": len(pairs),
        "macro_f1": round(macro_f1(gold=gold, predicted=predicted, labels=labels), 4),
        "accuracy": round(accuracy(gold=gold, predicted=predicted), 4),
        "per_class_f1": {
            k: round(v, 4) for k, v in per_class_f1(gold=gold, predicted=predicted, labels=labels).items()
        },
        "confusion": {
            g: {p: sum(1 for a, b in zip(gold, predicted, strict=True) if a == g and b == p) for p in labels}
            for g in labels
        },
        "calibration": calibration(
            confidences=confidences, correct=[g == p for g, p in zip(gold, predicted, strict=True)]
        ),
        "high_confidence": flagged_precision(
            gold=gold, predicted=predicted, confidences=confidences, threshold=HIGH_CONFIDENCE
        ),
        "seconds": round(seconds, 2),
        "pairs_per_second": round(len(pairs) / seconds, 1) if seconds else None,
    }
    if dataset == "fnc1":
        report["fnc_score"] = round(fnc_score(gold=gold, predicted=predicted), 2)
    return report


def measure_throughput(*, pairs: int = 200, artifact: Path | None = None, model_spec: str = "default") -> dict:
    """Load time, pairs/s and peak memory on FNC-1 test pairs, each with a different article.

    ``raw``: the model splits and embeds every article itself (claim in the same call).
    ``precomputed``: articles arrive with sentences and vectors, as the matching pipeline sends them.
    """
    started = time.monotonic()
    model = load_model(model_spec, artifact=artifact, article_cache_size=1)
    model.embedder.embed(["load the embedding weights"])  # the embedder loads lazily
    load_seconds = time.monotonic() - started
    seen, sample = set(), []
    for pair in load_fnc1(split="test"):
        if pair.body not in seen:  # a new body every time: no reuse of article work
            seen.add(pair.body)
            sample.append(pair)
        if len(sample) == pairs:
            break
    words = sum(len(p.body.split()) for p in sample) / len(sample)
    started = time.monotonic()
    for pair in sample:
        model.predict(pair.claim, ArticleText(title="", body=pair.body, language="en"), claim_language="en")
    raw_seconds = time.monotonic() - started
    prepared = []
    for pair in sample:
        sentences = tuple(split_sentences(pair.body, language="en"))
        prepared.append(
            ArticleText(
                title="",
                body=pair.body,
                language="en",
                sentences=sentences,
                sentence_vectors=model.embedder.embed(list(sentences)),
                embedder_name=model.embedder.name,
            )
        )
    fresh = load_model(model_spec, artifact=artifact, article_cache_size=1)
    started = time.monotonic()
    for pair, article in zip(sample, prepared, strict=True):
        fresh.predict(pair.claim, article, claim_language="en")
    precomputed_seconds = time.monotonic() - started
    return {
        "pairs": len(sample),
        "mean_article_words": round(words, 1),
        "load_seconds": round(load_seconds, 2),
        "raw_seconds": round(raw_seconds, 2),
        "raw_pairs_per_second": round(len(sample) / raw_seconds, 1),
        "precomputed_seconds": round(precomputed_seconds, 2),
        "precomputed_pairs_per_second": round(len(sample) / precomputed_seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=DATASETS)
    parser.add_argument("--json", action="store_true", help="print only the JSON report as the last line")
    parser.add_argument("--artifact", type=Path, default=None)
    parser.add_argument("--throughput", action="store_true", help="time raw-text pairs instead")
    parser.add_argument("--model", default="default", help="default, cross-encoder or module:Class")
    args = parser.parse_args(argv)
    if args.throughput:
        report = measure_throughput(artifact=args.artifact, model_spec=args.model)
    elif args.dataset:
        report = evaluate_stance(dataset=args.dataset, artifact=args.artifact, model_spec=args.model)
    else:
        parser.error("give --dataset or --throughput")
    if not args.json:
        for key, value in report.items():
            print(f"{key}: {value}", file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
