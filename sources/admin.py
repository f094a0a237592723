"""Admin for outlets, articles and feeds."""

from django import forms
from django.contrib import admin
from django.db import models

from .models import Article, Feed, Outlet
from .services import article_enqueue, outlet_domain_key


class OutletAdminForm(forms.ModelForm):
    class Meta:
        model = Outlet
        fields = ["name", "domain", "language", "country", "reliability_note"]

    def clean_domain(self):
        # Stored as the API stores it, or URLs of this outlet never find it (and the
        # uniqueness check, which runs after this, compares the stored form).
        domain = self.cleaned_data["domain"]
        if not domain:
            return domain
        try:
            return outlet_domain_key(domain)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    form = OutletAdminForm
    list_display = ["name", "domain", "language", "country"]
    search_fields = ["name", "domain"]
    list_filter = ["language", "country"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "outlet", "language", "state", "origin", "published_at", "created_at"]
    list_filter = ["state", "origin", "language", "outlet"]
    search_fields = ["title", "url"]
    readonly_fields = [
        "state",
        "state_reason",
        "attempts",
        "crash_requeues",
        "fetched_at",
        "processed_at",
        "created_at",
        "origin",
        "feed",
    ]
    exclude = ["sentences", "sentence_vectors", "embedding_model", "dedup_key"]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"dir": "auto", "rows": 12})}}
    actions = ["reprocess"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("sentence_vectors", "sentences")

    @admin.action(description="Queue selected articles for matching again")
    def reprocess(self, request, queryset):
        for article in queryset:
            queryset.filter(pk=article.pk).update(state="queued")
            article_enqueue(article_id=article.pk, fetch=not article.body)
        self.message_user(request, f"{queryset.count()} articles queued.")


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ["__str__", "outlet", "interval_minutes", "is_active", "last_polled_at", "last_status"]
    list_filter = ["is_active"]
    search_fields = ["url", "title"]
    readonly_fields = ["etag", "last_modified", "last_polled_at", "last_status", "consecutive_failures"]
