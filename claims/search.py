"""Claims that a piece of free text (a tweet, a forwarded message, a quote) repeats.

Runs where the claim index lives, in a worker process (``claims.tasks.claims_search_task``):
a web process would otherwise load the embedder and, at 100,000 claims, hundreds of
megabytes of index of its own.
"""

from __future__ import annotations

import logging

from celery.exceptions import TimeoutError as CeleryTimeoutError
from django.conf import settings

from factnlp.queries import query_sentences
from factnlp.text import tokenize

from . import engine

logger = logging.getLogger(__name__)

# A search text is embedded as one query: a tweet, a message or a quote, not a whole article.
SEARCH_TEXT_MAX_CHARS = 2000


NO_WORDS = "The text has no words to search."


def has_words(text: str) -> bool:
    """Whether a search text has anything to search with: marks, tatweel, emoji and invisible
    characters alone would cost a worker search and can only match claims as empty as they are."""
    return bool(tokenize(text))


class SearchUnavailable(Exception):
    """No worker answered the search in time, or it failed there."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def search_in_worker(*, text: str, limit: int, min_score: float) -> list[dict]:
    """:func:`claims_search` run where the claim index is loaded, waited for no longer than
    ``CLAIM_SEARCH_TIMEOUT_SECONDS``."""
    from .tasks import claims_search_task  # the tasks module imports this one

    timeout = settings.CLAIM_SEARCH_TIMEOUT_SECONDS
    # A search nobody waits for any more is dropped by the worker rather than run late.
    result = claims_search_task.apply_async(
        kwargs={"text": text, "limit": limit, "min_score": min_score},
        queue=settings.CLAIM_SEARCH_QUEUE,
        expires=timeout,
    )
    try:
        return result.get(timeout=timeout, interval=0.05)
    except CeleryTimeoutError:
        raise SearchUnavailable(
            "Claim search is busy or no worker is running; try again shortly.", code="search_unavailable"
        ) from None
    except Exception:
        logger.exception("Claim search failed in the worker")
        raise SearchUnavailable("Claim search failed; try again shortly.", code="search_failed") from None
    finally:
        result.forget()


def search_claims(*, text: str, limit: int, min_score: float, claims) -> list[dict]:
    """:func:`search_in_worker`'s hits with their claims loaded from the ``claims`` queryset.

    A claim deleted since the worker's index last refreshed is left out.
    """
    hits = search_in_worker(text=text, limit=limit, min_score=min_score)
    found = claims.in_bulk([hit["claim"] for hit in hits])
    return [{**hit, "claim": found[hit["claim"]]} for hit in hits if hit["claim"] in found]


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
