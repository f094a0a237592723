"""Claims that a piece of free text (a tweet, a forwarded message, a quote) repeats.

Runs where the claim index lives, in a worker process (``claims.tasks.claims_search_task``):
a web process would otherwise load the embedder and, at 100,000 claims, hundreds of
megabytes of index of its own.
"""

from __future__ import annotations

from factnlp.queries import query_sentences

from . import engine


def claims_search(*, text: str, limit: int, min_score: float) -> list[dict]:
    """The best matching claims, best first, as JSON-ready rows (claim id and the scores that ranked it).

    The text is searched as one query, the way the CLEF 2020 retrieval benchmark searches
    a tweet (``evaluate_retrieval``), across languages: semantic similarity plus shared words.
    """
    sentences = query_sentences(text)
    vectors = engine.embedder().embed(sentences)
    index, _ = engine.claim_index_cache.snapshot()
    hits = index.search(sentence_vectors=vectors, sentences=sentences, top_k=limit, min_score=min_score)
    return [
        {
            "claim": hit.claim_id,
            "score": round(hit.score, 4),
            "semantic_score": round(hit.semantic_score, 4),
            "lexical_score": round(hit.lexical_score, 4),
        }
        for hit in hits
    ]
