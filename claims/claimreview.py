"""schema.org ClaimReview (JSON-LD) for a claim, as search engines and fact-check aggregators read it."""

from __future__ import annotations

from django.conf import settings

from .choices import ClaimStatus
from .models import Claim

# schema.org leaves the scale to the publisher; 1..5 with the textual
# alternateName is what Google's fact-check markup guide shows.
_RATINGS = {
    ClaimStatus.CONFIRMED: (5, "True"),
    ClaimStatus.MIXED: (3, "Mixed"),
    ClaimStatus.CONTRADICTED: (1, "False"),
    ClaimStatus.UNVERIFIABLE: (None, "Unverifiable"),
    ClaimStatus.OPEN: (None, "Not yet rated"),
}


def claim_review_document(*, claim: Claim, url: str) -> dict:
    item = {"@type": "Claim", "text": claim.text, "inLanguage": claim.language or None}
    if claim.claimant:
        author = {
            "@type": "Organization" if claim.claimant.kind == "organization" else "Person",
            "name": claim.claimant.name,
        }
        if claim.claimant.link:
            author["sameAs"] = claim.claimant.link
        item["author"] = author
    if claim.made_on:
        item["datePublished"] = claim.made_on.isoformat()
    if claim.first_appearance_url:
        item["firstAppearance"] = {"@type": "CreativeWork", "url": claim.first_appearance_url}
        item["appearance"] = [{"@type": "CreativeWork", "url": claim.first_appearance_url}]

    value, label = _RATINGS[ClaimStatus(claim.status)]
    rating = {"@type": "Rating", "alternateName": label}
    if value is not None:
        rating.update({"ratingValue": value, "bestRating": 5, "worstRating": 1})
    last_change = claim.history.order_by("-changed_at", "-id").first()
    document = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim.text,
        "itemReviewed": {k: v for k, v in item.items() if v is not None},
        "reviewRating": rating,
        "author": {"@type": "Organization", "name": settings.FACTCHECK_ORGANIZATION_NAME},
    }
    if last_change:
        document["datePublished"] = last_change.changed_at.date().isoformat()
    return document
