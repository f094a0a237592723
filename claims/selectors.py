"""Reads on claims and evidence, shaped for the API and the admin."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from .choices import ReviewState
from .models import Claim, ClaimStatusChange, Evidence


def claim_list() -> QuerySet[Claim]:
    """Claims with their claimant, tags and whether evidence awaits review."""
    pending = Evidence.objects.filter(claim=OuterRef("pk"), review_state=ReviewState.PENDING)
    return (
        Claim.objects.select_related("claimant").prefetch_related("tags").annotate(has_pending_evidence=Exists(pending))
    )


def claim_history(*, claim: Claim) -> QuerySet[ClaimStatusChange]:
    return claim.history.select_related("changed_by").prefetch_related("evidence").order_by("changed_at", "id")


def evidence_list() -> QuerySet[Evidence]:
    return Evidence.objects.select_related("article", "article__outlet", "claim", "reviewed_by")
