"""Celery tasks of the claims app: thin, idempotent, taking ids."""

from __future__ import annotations

from celery import shared_task

from . import matching


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


from .alerts.tasks import *  # noqa: E402,F401,F403  (Celery autodiscovers only <app>.tasks)
