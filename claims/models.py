"""Claims, who made them, their status history and the evidence found for them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .choices import BackfillState, ClaimKind, ClaimStatus, FollowUpSource, ReviewAction, ReviewState, Stance

CLAIM_TEXT_MAX_CHARS = 5000


class Claimant(models.Model):
    """A person or organisation that makes claims, reused across claims."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANIZATION = "organization", "Organisation"

    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PERSON)
    name_normalized = models.CharField(max_length=300, editable=False, db_index=True)
    description = models.CharField(max_length=500, blank=True, help_text="e.g. 'President of Russia'")
    link = models.URLField(max_length=500, blank=True, help_text="e.g. a Wikidata URL")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["name_normalized"], name="claimant_name_unique")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free label editors group claims by (topic, desk, election...)."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Claim(models.Model):
    """Something someone said, tracked until later reporting settles it."""

    text = models.TextField(max_length=CLAIM_TEXT_MAX_CHARS)
    text_normalized = models.TextField(editable=False, help_text="Search form: no diacritics, folded alef/hamza")
    language = models.CharField(max_length=12, blank=True, help_text="ISO 639-1; detected when left empty")
    claimant = models.ForeignKey(Claimant, null=True, blank=True, on_delete=models.PROTECT, related_name="claims")
    kind = models.CharField(max_length=12, choices=ClaimKind.choices, default=ClaimKind.STATEMENT)
    made_on = models.DateField(null=True, blank=True, help_text="When the claim was made")
    first_appearance_url = models.URLField(max_length=2000, blank=True)
    first_appearance_article = models.ForeignKey(
        "sources.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="first_claims"
    )
    status = models.CharField(max_length=14, choices=ClaimStatus.choices, default=ClaimStatus.OPEN, db_index=True)
    follow_up_date = models.DateField(null=True, blank=True, db_index=True)
    follow_up_source = models.CharField(max_length=10, choices=FollowUpSource.choices, blank=True)
    follow_up_phrase = models.CharField(max_length=300, blank=True, help_text="Words the proposed date came from")
    follow_up_alerted_on = models.DateField(null=True, blank=True, help_text="Follow-up date an alert was sent for")
    tags = models.ManyToManyField(Tag, blank=True, related_name="claims")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:80]


class ClaimStatusChange(models.Model):
    """One step of a claim's status history; rows are only ever added."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=14, choices=ClaimStatus.choices, blank=True)
    to_status = models.CharField(max_length=14, choices=ClaimStatus.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    evidence = models.ManyToManyField("Evidence", blank=True, related_name="status_changes")

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


def promote_first_copy(collector, field, sub_objs, using):
    """``on_delete`` of :attr:`Evidence.copy_of`: when an original is deleted (its article or
    claim gone), its first copy takes its place and the others become copies of it, so the
    group keeps one decision instead of falling apart into rows reviewed one by one."""
    copies = sorted(sub_objs, key=lambda evidence: evidence.pk)
    if not copies:
        return
    collector.add_field_update(field, None, copies[:1])
    if len(copies) > 1:
        collector.add_field_update(field, copies[0], copies[1:])


class Evidence(models.Model):
    """A later article's bearing on a claim, found by the pipeline, judged by an editor."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    article = models.ForeignKey("sources.Article", on_delete=models.CASCADE, related_name="evidence")
    stance = models.CharField(max_length=12, choices=Stance.choices)
    confidence = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    high_confidence = models.BooleanField(default=False, help_text="Above the high-confidence threshold")
    excerpt = models.TextField(help_text="The evidence sentence(s)")
    sentences = models.JSONField(default=list, blank=True)
    retrieval_score = models.FloatField(null=True, blank=True)
    model_version = models.CharField(max_length=100)
    review_state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.PENDING, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Wire stories run word for word in many outlets: each copy would be one more row for an
    # editor to read and judge alike. A row saying what an earlier row for the same claim says
    # (same stance, same evidence text) is kept as its copy and reviewed with it.
    copy_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=promote_first_copy,
        related_name="copies",
        help_text="The first row with the same claim, stance and evidence text; reviewed together with it",
    )
    # A database default too, as for Article.body_key: workers still running the code before
    # this column existed keep inserting rows while a deployment migrates.
    excerpt_key = models.CharField(
        max_length=64,
        blank=True,
        default="",
        db_default="",
        editable=False,
        help_text="Hash of the evidence's normalised words; empty if short",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "evidence"
        constraints = [models.UniqueConstraint(fields=["claim", "article"], name="evidence_claim_article_unique")]
        indexes = [models.Index(fields=["claim", "excerpt_key"], name="evidence_claim_excerpt_key")]

    def __str__(self) -> str:
        return f"{self.get_stance_display()} ({self.confidence:.2f})"


class EvidenceReview(models.Model):
    """One decision on an evidence row (accepted, rejected, or reopened for review); rows are only
    ever added, so a decision taken back stays on the record."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="reviews")
    action = models.CharField(max_length=10, choices=ReviewAction.choices)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["reviewed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.reviewed_by or 'nobody'}"


class ClaimEmbedding(models.Model):
    """A claim's vector, computed once per claim text and embedding model."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="embedding", primary_key=True)
    model_name = models.CharField(max_length=100)
    vector = models.BinaryField()
    text_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.model_name} vector of claim {self.claim_id}"


class BackfillRun(models.Model):
    """A check of a new claim against already-ingested articles, with its progress."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="backfills")
    state = models.CharField(max_length=10, choices=BackfillState.choices, default=BackfillState.QUEUED)
    window_days = models.PositiveIntegerField()
    articles_total = models.PositiveIntegerField(default=0)
    articles_done = models.PositiveIntegerField(default=0)
    evidence_found = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Backfill of claim {self.claim_id}: {self.articles_done}/{self.articles_total} ({self.state})"


from .alert_models import *  # noqa: E402,F401,F403
