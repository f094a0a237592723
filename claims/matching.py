"""Services that run the NLP core on stored rows: embed claims, match articles, backfill claims."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from factnlp.matching import ClaimText, EmbeddedBody, PreparedArticle, match_article, prepare_articles
from factnlp.retrieval import ClaimIndex
from factnlp.stance import ArticleText
from sources.choices import ArticleState
from sources.feeds import canonical_url
from sources.models import Article
from sources.services import article_body_key, articles_mark_done

from . import engine
from .choices import BackfillState
from .models import BackfillRun, Claim, ClaimEmbedding
from .services import Finding, evidence_record_many, text_hash

logger = logging.getLogger(__name__)


def claim_embed(*, claim_id: int) -> bool:
    """Compute and keep the claim's vector; a no-op when text and model are unchanged."""
    claim = Claim.objects.filter(pk=claim_id).only("text").first()
    if claim is None:
        return False
    model = engine.embedder()
    digest = text_hash(claim.text)
    existing = ClaimEmbedding.objects.filter(claim_id=claim_id).first()
    if existing and existing.model_name == model.name and existing.text_hash == digest:
        return False
    vector = model.embed([claim.text])[0]
    ClaimEmbedding.objects.update_or_create(
        claim_id=claim_id,
        defaults={"model_name": model.name, "vector": engine.vector_to_bytes(vector), "text_hash": digest},
    )
    return True


@dataclass(frozen=True)
class ClaimOrigin:
    """Where and when a claim was made: reports from there and from before are no evidence about it."""

    made_on: date | None
    article_id: int | None
    url: str  # canonical, as articles store theirs; "" when none was given

    def admits(self, *, article_id: int, article_url: str | None, published_at: datetime | None) -> bool:
        """Whether the article may be flagged for the claim: a later report, not the claim's own source.

        The article the claim was first reported in repeats it; one published before the
        claim was made cannot report what became of it. Unknown dates admit the article.
        """
        if article_id == self.article_id or (self.url and article_url == self.url):
            return False
        return not (self.made_on and published_at and timezone.localtime(published_at).date() < self.made_on)


def _claims_for_matching(claim_ids) -> tuple[dict[int, ClaimText], dict[int, ClaimOrigin]]:
    """What matching reads of each claim, and where it came from."""
    texts, origins = {}, {}
    rows = Claim.objects.filter(pk__in=list(claim_ids)).values_list(
        "pk", "text", "language", "made_on", "first_appearance_article_id", "first_appearance_url"
    )
    for pk, text, language, made_on, article_id, url in rows:
        texts[pk] = ClaimText(text=text, language=language or None, made_on=made_on)
        origins[pk] = ClaimOrigin(made_on=made_on, article_id=article_id, url=canonical_url(url) if url else "")
    return texts, origins


def _record_matches(*, article_id: int, matches, model_version: str) -> int:
    rows = evidence_record_many(findings=_findings(article_id, matches), model_version=model_version)
    return sum(created for _evidence, created in rows)


def _findings(article_id: int, matches) -> list[Finding]:
    return [
        Finding(
            claim_id=match.claim_id,
            article_id=article_id,
            stance=match.stance,
            confidence=match.confidence,
            sentences=match.evidence,
            retrieval_score=match.retrieval_score,
            high_confidence=match.high_confidence,
        )
        for match in matches
    ]


def _match_options() -> dict:
    return {
        "top_k": settings.MATCH_TOP_K,
        "min_retrieval_score": settings.MATCH_MIN_RETRIEVAL_SCORE,
        "high_confidence": settings.MATCH_HIGH_CONFIDENCE,
        "min_evidence_chars": settings.MATCH_MIN_EVIDENCE_CHARS,
    }


def article_match(*, article_id: int) -> int | None:
    """Run an article through the pipeline and store what it says about known claims.

    Returns the number of new evidence rows, or None when the article is gone or
    another worker already finished it.
    """
    return articles_match(article_ids=[article_id]).get(article_id)


def articles_match(*, article_ids: Sequence[int]) -> dict[int, int]:
    """:func:`article_match` for a batch of articles: one embedding call, one scan of the
    claim index, one query for the candidate claims and one transaction for the results.

    Returns new evidence rows per article processed; articles gone or already done are left out.
    """
    articles = _claim_articles(article_ids)
    if not articles:
        return {}
    model = engine.embedder()
    prepared = prepare_articles(
        [
            ArticleText(
                title=article.title,
                body=article.body,
                language=article.language or None,
                published_on=article.published_at.date() if article.published_at else None,
            )
            for article in articles
        ],
        embedder=model,
        embedded_bodies=_embedded_bodies(articles, model=model),
    )
    index, horizon = engine.claim_index_cache.snapshot()
    stance = engine.stance_model()
    findings = _find(articles=articles, prepared=prepared, index=index)
    for article, prepared_article in zip(articles, prepared, strict=True):
        article.language = article.language or prepared_article.language
        article.sentences = list(prepared_article.sentences)
        article.sentence_vectors = engine.vector_to_bytes(prepared_article.sentence_vectors)
    with transaction.atomic():
        rows = evidence_record_many(findings=findings, model_version=stance.version)
        articles_mark_done(articles=articles, embedding_model=model.name)
    # A claim whose vector landed after the index snapshot, and whose backfill looked for
    # done articles before these were done, would be missed by both paths. Now that the
    # articles are done, any such claim is visible here: check the batch against it.
    late = _claims_unseen_by(horizon, model_name=model.name)
    if late is not None:
        with transaction.atomic():
            rows += evidence_record_many(
                findings=_find(articles=articles, prepared=prepared, index=late), model_version=stance.version
            )
    created = dict.fromkeys((article.pk for article in articles), 0)
    for evidence, is_new in rows:
        created[evidence.article_id] += is_new
    return created


def _embedded_bodies(articles: list[Article], *, model) -> list[EmbeddedBody | None]:
    """The bodies of the batch that an article already done has word for word (another outlet's
    reprint of a wire story): their stored sentences and vectors, so that only the titles are
    embedded. Everything after embedding runs as for any article."""
    keys = [article_body_key(article.body) for article in articles]
    wanted = set(keys) - {""}
    if not wanted:
        return [None] * len(articles)
    first_of_each = (
        Article.objects.filter(body_key__in=wanted, state=ArticleState.DONE, embedding_model=model.name)
        .values("body_key")
        .annotate(first=Min("pk"))
        .values("first")
    )
    found = {}
    for key, title, sentences, vectors in Article.objects.filter(pk__in=first_of_each).values_list(
        "body_key", "title", "sentences", "sentence_vectors"
    ):
        if vectors is None:
            continue
        rows = engine.vectors_from_bytes(vectors, model.dim)
        title_count = 1 if title.strip() else 0  # prepare_articles makes the whole title one sentence
        if len(rows) == len(sentences) > title_count:
            found[key] = EmbeddedBody(sentences=tuple(sentences[title_count:]), vectors=rows[title_count:])
    return [found.get(key) for key in keys]


def _find(*, articles: list[Article], prepared: list[PreparedArticle], index: ClaimIndex) -> list[Finding]:
    """What the stance model says about the index's candidate claims for each article."""
    candidates = index.search_many(
        [(p.sentence_vectors, p.sentences) for p in prepared],
        top_k=settings.MATCH_TOP_K,
        min_score=settings.MATCH_MIN_RETRIEVAL_SCORE,
    )
    claims, origins = _claims_for_matching({c.claim_id for found in candidates for c in found})
    stance = engine.stance_model()
    findings = []
    for article, prepared_article, found in zip(articles, prepared, candidates, strict=True):
        # A claim deleted since the index was built has no origin, and is dropped here too.
        found = [
            c
            for c in found
            if c.claim_id in origins
            and origins[c.claim_id].admits(
                article_id=article.pk, article_url=article.url, published_at=article.published_at
            )
        ]
        matches = match_article(
            article=prepared_article,
            index=index,
            claims=claims,
            stance_model=stance,
            candidates=found,
            **_match_options(),
        )
        findings += _findings(article.pk, matches)
    return findings


def _claims_unseen_by(horizon: engine.IndexHorizon, *, model_name: str) -> ClaimIndex | None:
    """A small index of the claim vectors written since the snapshot's horizon that it did not hold."""
    recent = ClaimEmbedding.objects.filter(model_name=model_name, updated_at__gte=horizon.since)
    unseen = [
        claim_id
        for claim_id, updated_at in recent.values_list("claim_id", "updated_at")
        if horizon.indexed.get(claim_id) != updated_at
    ]
    if not unseen:
        return None
    rows = list(recent.filter(claim_id__in=unseen).values_list("claim_id", "vector", "claim__text"))
    return _small_index(rows) if rows else None  # none when deleted in the meantime


def _small_index(rows: list[tuple[int, bytes, str]]) -> ClaimIndex:
    """An index of a few claims, given as (id, stored vector, text), that scores articles exactly
    as the worker's index does."""
    dim = engine.embedder().dim
    index = ClaimIndex(dim)
    index.upsert_many(
        ids=[claim_id for claim_id, _, _ in rows],
        vectors=np.vstack([engine.vectors_from_bytes(vector, dim) for _, vector, _ in rows]),
        texts=[text for _, _, text in rows],
    )
    return index


def _claim_articles(article_ids: Sequence[int]) -> list[Article]:
    """Mark the articles as being processed and load them; done or deleted ones are skipped."""
    ids = list(dict.fromkeys(article_ids))
    if (
        not Article.objects.filter(pk__in=ids)
        .exclude(state=ArticleState.DONE)
        .update(state=ArticleState.PROCESSING, state_reason="", state_changed_at=timezone.now())
    ):
        return []
    return list(
        Article.objects.filter(pk__in=ids, state=ArticleState.PROCESSING)
        .only("title", "body", "language", "published_at", "url")
        .order_by("pk")
    )


def waiting_articles(*, limit: int, exclude: int | None = None) -> list[int]:
    """Claim up to ``limit`` articles that wait for matching, so one task can process them together.

    Their own tasks, still in the queue, then find them done and return at once. Rows
    another worker is claiming right now are skipped, not waited for.
    """
    if limit <= 0:
        return []
    with transaction.atomic():
        ids = list(
            Article.objects.select_for_update(skip_locked=True)
            .filter(state=ArticleState.QUEUED, crash_requeues=0)  # suspects are matched alone
            .exclude(body="")
            .exclude(pk=exclude)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        Article.objects.filter(pk__in=ids).update(state=ArticleState.PROCESSING, state_changed_at=timezone.now())
    return ids


def backfill_start(*, claim_id: int) -> BackfillRun:
    return BackfillRun.objects.create(claim_id=claim_id, window_days=settings.BACKFILL_WINDOW_DAYS)


def backfill_failed(*, run_id: int, reason: str) -> None:
    BackfillRun.objects.filter(pk=run_id).update(
        state=BackfillState.FAILED, error=reason[:5000], finished_at=timezone.now()
    )


def claim_backfill(*, run_id: int, chunk_size: int = 200) -> BackfillRun | None:
    """Check one claim against processed articles of the window, recording progress as it goes."""
    run = BackfillRun.objects.select_related("claim").filter(pk=run_id).first()
    if run is None or run.state == BackfillState.DONE:
        return run
    claim = run.claim
    model = engine.embedder()
    embedding = ClaimEmbedding.objects.filter(claim=claim, model_name=model.name).first()
    if embedding is None:
        claim_embed(claim_id=claim.pk)
        embedding = ClaimEmbedding.objects.get(claim=claim)
    since = timezone.now() - timedelta(days=run.window_days)
    articles = (
        Article.objects.filter(state=ArticleState.DONE, embedding_model=model.name)
        .filter(Q(published_at__gte=since) | Q(published_at__isnull=True, created_at__gte=since))
        .order_by("pk")
    )
    run.state, run.articles_total, run.articles_done, run.evidence_found = BackfillState.RUNNING, articles.count(), 0, 0
    run.save(update_fields=["state", "articles_total", "articles_done", "evidence_found"])

    index = _small_index([(claim.pk, embedding.vector, claim.text)])
    claims, origins = _claims_for_matching([claim.pk])
    origin = origins.get(claim.pk)  # None once the claim is deleted: nothing will be recorded
    stance = engine.stance_model()
    options = _match_options()
    fields = ("pk", "url", "title", "language", "published_at", "sentences", "sentence_vectors")
    done = found = 0
    for start in range(0, run.articles_total, chunk_size):
        for pk, url, title, language, published_at, sentences, vectors in articles[
            start : start + chunk_size
        ].values_list(*fields):
            if not sentences or vectors is None:
                continue
            if origin is None or not origin.admits(article_id=pk, article_url=url, published_at=published_at):
                continue
            # The stored sentences start with the title and cover the body.
            prepared = PreparedArticle(
                title=title,
                body="\n".join(sentences[1:] if title else sentences),
                language=language or "und",
                sentences=tuple(sentences),
                sentence_vectors=engine.vectors_from_bytes(vectors, model.dim),
                embedder_name=model.name,
                published_on=published_at.date() if published_at else None,
            )
            matches = match_article(article=prepared, index=index, claims=claims, stance_model=stance, **options)
            found += _record_matches(article_id=pk, matches=matches, model_version=stance.version)
        done = min(run.articles_total, start + chunk_size)
        BackfillRun.objects.filter(pk=run.pk).update(articles_done=done, evidence_found=found)
    run.state, run.articles_done, run.evidence_found, run.finished_at = BackfillState.DONE, done, found, timezone.now()
    run.save(update_fields=["state", "articles_done", "evidence_found", "finished_at"])
    return run
