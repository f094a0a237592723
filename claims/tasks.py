"""Celery tasks of the claims app: thin, idempotent, taking ids."""

from __future__ import annotations

from celery import shared_task

from . import matching, search


@shared_task(acks_late=True)
def claim_index_task(claim_id: int) -> dict:
    """Embed a new or edited claim, then check it against recent articles."""
    embedded = matching.claim_embed(claim_id=claim_id)
    if not embedded:
        return {"claim": claim_id, "embedded": False}
    run = matching.backfill_start(claim_id=claim_id)
    claim_backfill_task.delay(run.pk)
    return {"claim": claim_id, "embedded": True, "backfill": run.pk}


@shared_task(acks_late=True)
def claim_backfill_task(run_id: int) -> dict | None:
    try:
        run = matching.claim_backfill(run_id=run_id)
    except Exception as exc:
        matching.backfill_failed(run_id=run_id, reason=str(exc))
        raise
    if run is None:
        return None
    return {"run": run.pk, "articles": run.articles_done, "evidence": run.evidence_found}


@shared_task(ignore_result=False)
def claims_search_task(text: str, limit: int, min_score: float) -> list[dict]:
    """A web request waits for this one (``GET /api/v1/claims/search/``), on its own queue so that
    a backlog of articles does not hold it up; nothing is written, so a lost run needs no retry."""
    return search.claims_search(text=text, limit=limit, min_score=min_score)


from .alerts.tasks import *  # noqa: E402,F401,F403  (Celery autodiscovers only <app>.tasks)
