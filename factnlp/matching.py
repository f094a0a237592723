"""The article-to-claims pipeline: split and embed an article once, retrieve claims, ask the stance model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from factnlp.embeddings import Embedder
from factnlp.retrieval import DEFAULT_MIN_SCORE, Candidate, ClaimIndex
from factnlp.stance import ArticleText, ClaimInput, StanceModel, predict_many
from factnlp.text import detect_language, split_sentences


@dataclass(frozen=True)
class ClaimText:
    """What matching needs to know about a claim."""

    text: str
    language: str | None = None
    made_on: date | None = None


@dataclass(frozen=True)
class EmbeddedBody:
    """An article body split and embedded before (a reprint of it need not be embedded again)."""

    sentences: tuple[str, ...]
    vectors: np.ndarray  # (len(sentences), dim)


@dataclass(frozen=True)
class PreparedArticle:
    """An article split into sentences (title first) with one embedding per sentence."""

    title: str
    body: str
    language: str
    sentences: tuple[str, ...]
    sentence_vectors: np.ndarray  # (len(sentences), dim) float32, L2-normalised
    embedder_name: str
    published_on: date | None = None

    def as_article_text(self) -> ArticleText:
        """The stance model's view, carrying the sentences and vectors so it need not re-embed."""
        return ArticleText(
            title=self.title,
            body=self.body,
            language=self.language,
            published_on=self.published_on,
            sentences=self.sentences,
            sentence_vectors=self.sentence_vectors,
            embedder_name=self.embedder_name,
        )


@dataclass(frozen=True)
class Match:
    """A claim the article confirms, contradicts or discusses."""

    claim_id: int
    stance: str
    confidence: float
    evidence: list[str]
    retrieval_score: float
    high_confidence: bool  # strong enough to flag; otherwise a suggestion for an editor


def prepare_article(
    *,
    title: str,
    body: str,
    language: str | None = None,
    embedder: Embedder,
    published_on: date | None = None,
) -> PreparedArticle:
    """Split title + body into sentences and embed them all in one batch."""
    article = ArticleText(title=title, body=body, language=language, published_on=published_on)
    return prepare_articles([article], embedder=embedder)[0]


def prepare_articles(
    articles: Sequence[ArticleText],
    *,
    embedder: Embedder,
    embedded_bodies: Sequence[EmbeddedBody | None] | None = None,
) -> list[PreparedArticle]:
    """Split several articles into sentences (title first) and embed all their sentences in one call.

    Only title, body, language and published_on are read; sentences given on the input are ignored.
    Where ``embedded_bodies`` holds the article's body as split and embedded before, only its
    title is embedded.
    """
    known = list(embedded_bodies) if embedded_bodies is not None else [None] * len(articles)
    if len(known) != len(articles):
        raise ValueError("embedded_bodies must hold one entry (or None) per article")
    split = []
    for article, body_done in zip(articles, known, strict=True):
        title = (article.title or "").strip()
        body = article.body or ""
        language = article.language or detect_language(f"{title}\n{body}", default="und")
        split_language = None if language == "und" else language
        body_sentences = body_done.sentences if body_done else tuple(split_sentences(body, language=split_language))
        to_embed = ([title] if title else []) + ([] if body_done else list(body_sentences))
        split.append((title, body, language, ([title] if title else []) + list(body_sentences), to_embed))
    vectors = embedder.embed([sentence for *_, to_embed in split for sentence in to_embed])
    bounds = np.cumsum([0] + [len(to_embed) for *_, to_embed in split])
    prepared = []
    for (title, body, language, sentences, _), article, body_done, start, stop in zip(
        split, articles, known, bounds[:-1], bounds[1:], strict=True
    ):
        embedded = vectors[start:stop]
        if body_done is not None:
            embedded = np.vstack([embedded, np.asarray(body_done.vectors, dtype=embedded.dtype)])
        prepared.append(
            PreparedArticle(
                title=title,
                body=body,
                language=language,
                sentences=tuple(sentences),
                sentence_vectors=embedded,
                embedder_name=embedder.name,
                published_on=article.published_on,
            )
        )
    return prepared


def match_article(
    *,
    article: PreparedArticle,
    index: ClaimIndex,
    claims: Mapping[int, ClaimText],
    stance_model: StanceModel,
    top_k: int = 20,
    min_retrieval_score: float = DEFAULT_MIN_SCORE,
    high_confidence: float = 0.8,
    min_evidence_chars: int = 80,
    candidates: Sequence[Candidate] | None = None,
) -> list[Match]:
    """Claims the article takes a stance on, most confident first.

    Candidates come from ``index`` unless the caller already searched it (to
    load just those claims) and passes them; a candidate missing from ``claims``
    (deleted since the index was built) is skipped.  ``unrelated`` verdicts are dropped.
    """
    if not article.sentences:
        return []
    if candidates is None:
        candidates = index.search(
            sentence_vectors=article.sentence_vectors,
            sentences=article.sentences,
            top_k=top_k,
            min_score=min_retrieval_score,
        )
    article_text = article.as_article_text()
    candidates = [candidate for candidate in candidates if candidate.claim_id in claims]
    inputs = [
        ClaimInput(
            text=claims[c.claim_id].text,
            language=claims[c.claim_id].language,
            made_on=claims[c.claim_id].made_on,
            vector=index.vector_of(c.claim_id),
        )
        for c in candidates
    ]
    results = predict_many(stance_model, inputs, article_text) if inputs else []
    matches: list[Match] = []
    for candidate, result in zip(candidates, results, strict=True):
        if result.stance == "unrelated":
            continue
        # A model that names no evidence still gets the sentences retrieval matched,
        # so an editor always sees why the article was flagged.
        evidence = list(result.evidence) or [article.sentences[i] for i in candidate.sentence_indexes]
        evidence_chars = sum(len(sentence) for sentence in evidence)
        matches.append(
            Match(
                claim_id=candidate.claim_id,
                stance=result.stance,
                confidence=float(result.confidence),
                evidence=evidence,
                retrieval_score=candidate.score,
                high_confidence=result.confidence >= high_confidence and evidence_chars >= min_evidence_chars,
            )
        )
    matches.sort(key=lambda match: (match.high_confidence, match.confidence, match.retrieval_score), reverse=True)
    return matches
