"""The editors' desk: log claims, follow their history, judge the evidence found for them."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from factcheck.api.exceptions import DomainError

from . import search, services
from .choices import ClaimStatus, ReviewState
from .models import BackfillRun, Claim, Claimant, ClaimStatusChange, Evidence, EvidenceReview, Tag

# Arabic and English sit side by side; dir=auto lets each field follow its text.
AUTO_DIRECTION = {
    models.TextField: {"widget": forms.Textarea(attrs={"dir": "auto", "rows": 3})},
    models.CharField: {"widget": forms.TextInput(attrs={"dir": "auto", "size": 60})},
}


@admin.register(Claimant)
class ClaimantAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "description", "link"]
    search_fields = ["name", "name_normalized", "description"]
    list_filter = ["kind"]
    formfield_overrides = AUTO_DIRECTION

    def save_model(self, request, obj, form, change):
        # The key the API matches names by, or a claimant made here is never found again.
        obj.name_normalized = services.claimant_name_key(obj.name)
        super().save_model(request, obj, form, change)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class HistoryInline(admin.TabularInline):
    model = ClaimStatusChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "from_status", "to_status", "changed_by", "note"]
    readonly_fields = fields
    verbose_name_plural = _("Status history (never rewritten)")

    def has_add_permission(self, request, obj=None):
        return False


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    can_delete = False
    fields = ["article", "stance", "confidence", "high_confidence", "excerpt", "review_state", "reviewed_by"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class ClaimAdminForm(forms.ModelForm):
    new_status = forms.ChoiceField(
        choices=[("", "—")] + list(ClaimStatus.choices),
        required=False,
        label=_("Change status to"),
        help_text=_("Recorded in the history with the note below."),
    )
    status_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}), required=False, label=_("Note")
    )

    class Meta:
        model = Claim
        fields = [
            "text",
            "language",
            "claimant",
            "kind",
            "made_on",
            "first_appearance_url",
            "first_appearance_article",
            "follow_up_date",
            "tags",
        ]


class ClaimSearchForm(forms.Form):
    text = forms.CharField(
        label=_("Text"),
        max_length=search.SEARCH_TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"dir": "auto", "rows": 4, "cols": 80}),
        help_text=_("A tweet, a forwarded message or a quote, in Arabic or English."),
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        if not search.has_words(text):
            raise forms.ValidationError(search.NO_WORDS)
        return text


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    form = ClaimAdminForm
    list_display = [
        "short_text",
        "claimant",
        "kind",
        "language",
        "status",
        "made_on",
        "follow_up_date",
        "pending_evidence",
    ]
    list_filter = ["status", "kind", "language", "follow_up_source", "tags"]
    search_fields = ["text", "text_normalized", "claimant__name", "claimant__name_normalized"]
    autocomplete_fields = ["claimant", "first_appearance_article", "tags"]
    date_hierarchy = "made_on"
    readonly_fields = ["status", "follow_up_source", "follow_up_phrase", "created_by", "created_at", "updated_at"]
    inlines = [HistoryInline, EvidenceInline]
    formfield_overrides = AUTO_DIRECTION
    fieldsets = [
        (None, {"fields": ["text", ("claimant", "kind"), ("language", "made_on"), "tags"]}),
        (_("Where it first appeared"), {"fields": ["first_appearance_url", "first_appearance_article"]}),
        (_("Status"), {"fields": ["status", ("new_status", "status_note")]}),
        (_("Follow-up"), {"fields": ["follow_up_date", "follow_up_source", "follow_up_phrase"]}),
        (_("Record"), {"fields": ["created_by", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    change_list_template = "admin/claims/claim/change_list.html"
    change_form_template = "admin/claims/claim/change_form.html"

    def get_urls(self):
        search_page = path(
            "search-by-text/", self.admin_site.admin_view(self.search_by_text), name="claims_claim_search_by_text"
        )
        return [search_page, *super().get_urls()]

    def search_by_text(self, request):
        """Has this been logged already? The claims a text repeats, across languages, best first."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ClaimSearchForm(request.GET or None)
        results, error = None, None
        if form.is_valid():
            try:
                results = search.search_claims(
                    text=form.cleaned_data["text"],
                    limit=20,
                    min_score=settings.MATCH_MIN_RETRIEVAL_SCORE,
                    claims=Claim.objects.select_related("claimant"),
                )
            except search.SearchUnavailable as unavailable:
                error = str(unavailable)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Search claims by text"),
            "form": form,
            "results": results,
            "error": error,
        }
        return TemplateResponse(request, "admin/claims/claim/search_by_text.html", context)

    @admin.display(description=_("Claim"))
    def short_text(self, obj):
        return obj.text[:100]

    @admin.display(boolean=True, description=_("Pending evidence"))
    def pending_evidence(self, obj):
        return obj.evidence.filter(review_state=ReviewState.PENDING).exists()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        tags = [t.name for t in data.get("tags") or []]
        if change:
            services.claim_update(
                claim=obj,
                updated_by=request.user,
                text=data["text"],
                language=data.get("language") or None,
                claimant=data.get("claimant"),
                kind=data.get("kind"),
                made_on=data.get("made_on"),
                first_appearance_url=data.get("first_appearance_url", ""),
                follow_up_date=data.get("follow_up_date") if "follow_up_date" in form.changed_data else services._UNSET,
                tags=tags,
            )
        else:
            created = services.claim_create(
                text=data["text"],
                created_by=request.user,
                claimant=data.get("claimant"),
                language=data.get("language") or "",
                kind=data.get("kind"),
                made_on=data.get("made_on"),
                first_appearance_url=data.get("first_appearance_url", ""),
                first_appearance_article=data.get("first_appearance_article"),
                follow_up_date=data.get("follow_up_date"),
                tags=tags,
            )
            obj.pk = created.pk
            form.instance = created
        new_status = data.get("new_status")
        if new_status and new_status != obj.status:
            services.claim_change_status(
                claim=Claim.objects.get(pk=obj.pk),
                status=new_status,
                note=data.get("status_note", ""),
                changed_by=request.user,
            )

    def save_related(self, request, form, formsets, change):
        # Tags were saved by the service (form.save_m2m would redo it); the
        # inlines are read-only, saving them only records what changed.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class EvidenceReviewInline(admin.TabularInline):
    model = EvidenceReview
    extra = 0
    can_delete = False
    fields = readonly_fields = ["action", "reviewed_by", "reviewed_at", "note"]
    verbose_name_plural = _("review history")

    def has_add_permission(self, request, obj=None):
        return False


class CopyListFilter(admin.SimpleListFilter):
    title = _("copy of an earlier row")
    parameter_name = "is_copy"

    def lookups(self, request, model_admin):
        return [("no", _("No: rows to review")), ("yes", _("Yes: reviewed with their original"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(copy_of__isnull=True)
        if self.value() == "yes":
            return queryset.filter(copy_of__isnull=False)
        return queryset


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = [
        "claim",
        "article",
        "stance",
        "confidence",
        "high_confidence",
        "review_state",
        "copy_count",
        "created_at",
    ]
    list_filter = ["review_state", CopyListFilter, "stance", "high_confidence", "model_version"]
    search_fields = ["excerpt", "claim__text_normalized", "article__title"]
    list_select_related = ["claim", "article"]
    readonly_fields = [
        "claim",
        "article",
        "stance",
        "confidence",
        "high_confidence",
        "excerpt",
        "retrieval_score",
        "model_version",
        "review_state",
        "reviewed_by",
        "reviewed_at",
        "created_at",
        "copy_of",
        "copy_list",
    ]
    fields = readonly_fields[:8] + ["review_note"] + readonly_fields[8:]
    actions = ["accept_selected", "reject_selected", "reopen_selected"]
    inlines = [EvidenceReviewInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(copy_total=models.Count("copies"))

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("copies"), ordering="copy_total")
    def copy_count(self, obj):
        return obj.copy_total

    @admin.display(description=_("copies in other articles"))
    def copy_list(self, obj):
        return ", ".join(f"#{copy.pk} {copy.article}" for copy in obj.copies.select_related("article")) or "-"

    def _review(self, request, queryset, decision):
        # Rows already reviewed are left as they are; the pending ones are reviewed together.
        pending = list(queryset.filter(review_state=ReviewState.PENDING).values_list("pk", flat=True))
        try:
            done = services.evidence_review_many(evidence_ids=pending, decision=decision, reviewed_by=request.user)
        except DomainError as exc:  # another editor reviewed one of them meanwhile
            self.message_user(request, str(exc), messages.WARNING)
            return
        self.message_user(request, _("%(n)d evidence rows reviewed.") % {"n": len(done)}, messages.SUCCESS)

    @admin.action(description=_("Accept selected pending evidence"))
    def accept_selected(self, request, queryset):
        self._review(request, queryset, "accept")

    @admin.action(description=_("Reject selected pending evidence"))
    def reject_selected(self, request, queryset):
        self._review(request, queryset, "reject")

    @admin.action(description=_("Reopen selected reviewed evidence for review"))
    def reopen_selected(self, request, queryset):
        reopened = set()
        for evidence in queryset.exclude(review_state=ReviewState.PENDING).order_by("pk"):
            if evidence.pk in reopened:  # reopened with a row of its group already
                continue
            try:
                reopened.update(row.pk for row in services.evidence_reopen(evidence=evidence, reopened_by=request.user))
            except DomainError as exc:  # another editor reopened it meanwhile
                self.message_user(request, f"{evidence.pk}: {exc}", messages.WARNING)
        self.message_user(request, _("%(n)d evidence rows reopened.") % {"n": len(reopened)}, messages.SUCCESS)


@admin.register(BackfillRun)
class BackfillRunAdmin(admin.ModelAdmin):
    list_display = ["claim", "state", "articles_done", "articles_total", "evidence_found", "created_at", "finished_at"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in BackfillRun._meta.fields]

    def has_add_permission(self, request):
        return False


from . import alerts_admin  # noqa: E402,F401  (the alerting desk registers itself)
