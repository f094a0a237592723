"""Reads on claims and evidence, shaped for the API and the admin."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from .choices import BackfillState, ClaimStatus, ReviewState
from .models import BackfillRun, Claim, ClaimStatusChange, Evidence


def claim_list() -> QuerySet[Claim]:
    """Claims with their claimant, tags and whether evidence awaits review."""
    pending = Evidence.objects.filter(claim=OuterRef("pk"), review_state=ReviewState.PENDING)
    return (
        Claim.objects.select_related("claimant").prefetch_related("tags").annotate(has_pending_evidence=Exists(pending))
    )


def claim_history(*, claim: Claim) -> QuerySet[ClaimStatusChange]:
    return claim.history.select_related("changed_by").prefetch_related("evidence").order_by("changed_at", "id")


def evidence_list() -> QuerySet[Evidence]:
    copies = Evidence.objects.only("id", "copy_of_id").order_by("pk")
    return Evidence.objects.select_related("article", "article__outlet", "claim", "reviewed_by").prefetch_related(
        Prefetch("copies", queryset=copies)
    )


def review_counts() -> dict:
    """What waits for editors and the pipeline: evidence to review, open claims, backfills under way.

    Copies of a row are reviewed with it, so they are not counted as more to review.
    """
    evidence = Evidence.objects.filter(review_state=ReviewState.PENDING, copy_of__isnull=True).aggregate(
        pending=Count("id"), pending_high_confidence=Count("id", filter=Q(high_confidence=True))
    )
    backfills = dict(
        BackfillRun.objects.filter(state__in=[BackfillState.QUEUED, BackfillState.RUNNING])
        .values_list("state")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {
        "evidence": evidence,
        "open_claims": Claim.objects.filter(status=ClaimStatus.OPEN).count(),
        "backfills": {state: backfills.get(state, 0) for state in (BackfillState.QUEUED, BackfillState.RUNNING)},
    }
