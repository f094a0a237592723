"""Outlets, the articles they publish, and the feeds articles arrive from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import ArticleOrigin, ArticleState


class Outlet(models.Model):
    """A news source: a newspaper, broadcaster, agency or site."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, help_text="e.g. reuters.com; used to attach fetched articles")
    language = models.CharField(max_length=12, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    reliability_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["domain"], condition=~Q(domain=""), name="outlet_domain_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Feed(models.Model):
    """An RSS or Atom feed polled on its own interval; each new entry becomes an article."""

    url = models.URLField(max_length=2000, unique=True)
    title = models.CharField(max_length=500, blank=True)
    outlet = models.ForeignKey(Outlet, null=True, blank=True, on_delete=models.SET_NULL, related_name="feeds")
    language = models.CharField(max_length=12, blank=True, help_text="Hint for entries that do not declare one")
    interval_minutes = models.PositiveIntegerField(default=30)
    is_active = models.BooleanField(default=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_status = models.CharField(max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title or self.url


class Article(models.Model):
    """A news article, kept once however many paths bring it in."""

    # NULL, not "", for "no URL": the unique constraint must not treat all URL-less articles as one.
    url = models.URLField(max_length=2000, null=True, blank=True, help_text="Canonical URL; unique when present")  # noqa: DJ001
    dedup_key = models.CharField(  # noqa: DJ001 (NULL for "none", as url above)
        max_length=64,
        null=True,
        blank=True,
        editable=False,
        help_text="Hash of normalised title and outlet, for articles without a URL",
    )
    title = models.CharField(max_length=1000, blank=True)
    body = models.TextField(blank=True)
    language = models.CharField(max_length=12, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    outlet = models.ForeignKey(Outlet, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    feed = models.ForeignKey(Feed, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    origin = models.CharField(max_length=10, choices=ArticleOrigin.choices, default=ArticleOrigin.API)
    fetched_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=ArticleState.choices, default=ArticleState.QUEUED, db_index=True)
    state_reason = models.TextField(blank=True, help_text="Why processing failed, for the editor")
    attempts = models.PositiveIntegerField(default=0)
    crash_requeues = models.PositiveIntegerField(
        default=0, help_text="Times the sweep found it left mid-processing (a worker died) and queued it again"
    )
    state_changed_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Kept so a newly logged claim can be checked against past articles without
    # embedding them again (float16 rows, one per sentence).
    sentences = models.JSONField(default=list, blank=True, editable=False)
    sentence_vectors = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=100, blank=True, editable=False)
    # Wire stories run word for word in many outlets: a body already embedded is not embedded
    # again (see claims.matching). Empty for short bodies, which cost little to embed. A database
    # default too: workers still running the previous code keep inserting articles while a
    # deployment migrates, and a NOT NULL column without one would refuse them.
    body_key = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=Q(url__isnull=False), name="article_url_unique"),
            models.UniqueConstraint(
                fields=["dedup_key"], condition=Q(dedup_key__isnull=False), name="article_dedup_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["state", "state_changed_at"])]

    def __str__(self) -> str:
        return self.title or self.url or f"Article {self.pk}"
