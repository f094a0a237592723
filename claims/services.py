"""Writes on claims: create, edit, change status, record and review evidence."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from factcheck.api.exceptions import DomainError
from factnlp.text import detect_language, normalize_for_search, words_fingerprint

from .choices import ClaimKind, ClaimStatus, FollowUpSource, ReviewAction, ReviewState
from .models import Claim, Claimant, ClaimStatusChange, Evidence, EvidenceReview, Tag

_UNSET = object()


def claimant_name_key(name: str) -> str:
    """The form claimant names are matched by: spacing, case, diacritics and hamza forms folded.

    Compatibility forms can grow a name past the column (one "ﷺ" is eighteen characters);
    names that still agree over the column's whole length are taken as the same claimant.
    """
    normalized = normalize_for_search(" ".join(name.split()))
    return normalized[: Claimant._meta.get_field("name_normalized").max_length]


def claimant_get_or_create(*, name: str) -> Claimant:
    """The claimant with this name (ignoring case, diacritics and hamza forms), created if new."""
    name = " ".join(name.split())
    if not name:
        raise DomainError("A claimant needs a name.", field="claimant")
    normalized = claimant_name_key(name)
    if not normalized.strip():
        # Tatweel and diacritics fold away entirely, so every such name would be one claimant.
        raise DomainError("A claimant name needs letters, not only diacritics or tatweel.", field="claimant")
    claimant = Claimant.objects.filter(name_normalized=normalized).first()
    if claimant:
        return claimant
    try:
        with transaction.atomic():
            return Claimant.objects.create(name=name, name_normalized=normalized)
    except IntegrityError:  # created concurrently by another request
        return Claimant.objects.get(name_normalized=normalized)


def _tags_get_or_create(names: Iterable[str]) -> list[Tag]:
    tags = []
    for raw in names:
        name = " ".join(str(raw).split())
        if name:
            tags.append(Tag.objects.get_or_create(name=name)[0])
    return tags


def _proposed_follow_up(*, text: str, made_on: date | None, kind: str, language: str):
    if kind == ClaimKind.STATEMENT:
        return None
    from factnlp.deadlines import propose_follow_up

    return propose_follow_up(
        text=text,
        made_on=made_on or timezone.localdate(),
        language=language,
        vague_horizon_days=settings.FOLLOW_UP_VAGUE_HORIZON_DAYS,
    )


def claim_create(
    *,
    text: str,
    created_by,
    claimant: Claimant | None = None,
    language: str = "",
    kind: str = ClaimKind.STATEMENT,
    made_on: date | None = None,
    first_appearance_url: str = "",
    first_appearance_article=None,
    follow_up_date: date | None = None,
    tags: Sequence[str] = (),
) -> Claim:
    """Log a claim, record its first status, and queue its indexing and backfill."""
    text = text.strip()
    if not text:
        raise DomainError("The claim text is empty.", field="text")
    language = language or detect_language(text)
    claim = Claim(
        text=text,
        text_normalized=normalize_for_search(text),
        language=language,
        claimant=claimant,
        kind=kind,
        made_on=made_on,
        first_appearance_url=first_appearance_url,
        first_appearance_article=first_appearance_article,
        created_by=created_by,
    )
    if follow_up_date:
        claim.follow_up_date, claim.follow_up_source = follow_up_date, FollowUpSource.SET
    else:
        proposal = _proposed_follow_up(text=text, made_on=made_on, kind=kind, language=language)
        if proposal:
            claim.follow_up_date = proposal.due_on
            claim.follow_up_source = FollowUpSource.PROPOSED
            claim.follow_up_phrase = proposal.phrase[:300]
    with transaction.atomic():
        claim.save()
        claim.tags.set(_tags_get_or_create(tags))
        ClaimStatusChange.objects.create(
            claim=claim, from_status="", to_status=claim.status, changed_by=created_by, note="Claim logged."
        )
        transaction.on_commit(lambda: _enqueue_claim_indexing(claim.pk))
    return claim


def _enqueue_claim_indexing(claim_id: int) -> None:
    from .tasks import claim_index_task

    claim_index_task.delay(claim_id)


def claim_update(
    *,
    claim: Claim,
    updated_by,
    text: str | None = None,
    language: str | None = None,
    claimant=_UNSET,
    kind: str | None = None,
    made_on=_UNSET,
    first_appearance_url: str | None = None,
    follow_up_date=_UNSET,
    tags: Sequence[str] | None = None,
) -> Claim:
    """Edit a claim's description. Status changes go through :func:`claim_change_status`."""
    text_changed = False
    if text is not None and text.strip() != claim.text:
        if not text.strip():
            raise DomainError("The claim text is empty.", field="text")
        claim.text = text.strip()
        claim.text_normalized = normalize_for_search(claim.text)
        text_changed = True
        if not language:
            claim.language = detect_language(claim.text)
    if language:
        claim.language = language
    if claimant is not _UNSET:
        claim.claimant = claimant
    if kind is not None:
        claim.kind = kind
    if made_on is not _UNSET:
        claim.made_on = made_on
    if first_appearance_url is not None:
        claim.first_appearance_url = first_appearance_url
    if follow_up_date is not _UNSET:
        claim.follow_up_date = follow_up_date
        claim.follow_up_source = FollowUpSource.SET if follow_up_date else ""
        claim.follow_up_phrase = ""
    with transaction.atomic():
        claim.save()
        if tags is not None:
            claim.tags.set(_tags_get_or_create(tags))
        if text_changed:
            transaction.on_commit(lambda: _enqueue_claim_indexing(claim.pk))
    return claim


def claim_change_status(
    *, claim: Claim, status: str, changed_by, note: str = "", evidence_ids: Sequence[int] = ()
) -> ClaimStatusChange:
    """Move a claim to a new status and append the step to its history."""
    if status not in ClaimStatus.values:
        raise DomainError(f"'{status}' is not a status; use one of {', '.join(ClaimStatus.values)}.", field="status")
    evidence = list(Evidence.objects.filter(claim=claim, pk__in=set(evidence_ids)))
    missing = set(evidence_ids) - {e.pk for e in evidence}
    if missing:
        raise DomainError(f"Evidence {sorted(missing)} does not exist or belongs to another claim.", field="evidence")
    with transaction.atomic():
        # Lock the row so two editors changing status at once both get recorded
        # with the right "from".
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        change = ClaimStatusChange.objects.create(
            claim=locked, from_status=locked.status, to_status=status, changed_by=changed_by, note=note
        )
        change.evidence.set(evidence)
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        claim.status = status
    _notify("claim.status_changed", claim_id=claim.pk, status_change_id=change.pk)
    return change


def evidence_review(*, evidence: Evidence, decision: str, reviewed_by, note: str = "") -> Evidence:
    """Accept or reject a pending evidence row (with the copies of it, see :func:`evidence_review_many`)."""
    rows = evidence_review_many(evidence_ids=[evidence.pk], decision=decision, reviewed_by=reviewed_by, note=note)
    return next(row for row in rows if row.pk == evidence.pk)


def evidence_review_many(*, evidence_ids: Sequence[int], decision: str, reviewed_by, note: str = "") -> list[Evidence]:
    """Accept or reject pending evidence rows, all or none: one unknown or already reviewed refuses the lot.

    A row and its copies (:attr:`Evidence.copy_of`) are one decision: reviewing any of them
    reviews them all. Returns every row reviewed, copies included, in id order.
    """
    states = {"accept": ReviewState.ACCEPTED, "reject": ReviewState.REJECTED}
    if decision not in states:
        raise DomainError("Decision must be 'accept' or 'reject'.", field="decision")
    ids = list(dict.fromkeys(evidence_ids))
    with transaction.atomic():
        locked, requested = _lock_review_groups(ids)
        reviewed = [row for row in requested if row.review_state != ReviewState.PENDING]
        if len(ids) == 1 and reviewed:
            raise DomainError(
                f"This evidence was already {reviewed[0].review_state}.", status_code=409, code="already_reviewed"
            )
        if reviewed:
            already = ", ".join(f"{row.pk} ({row.review_state})" for row in reviewed)
            raise DomainError(f"Already reviewed: {already}.", status_code=409, code="already_reviewed")
        pending = [row for row in locked if row.review_state == ReviewState.PENDING]
        _set_review(pending, state=states[decision], reviewed_by=reviewed_by, note=note)
    return pending


def evidence_reopen(*, evidence: Evidence, reopened_by, note: str = "") -> list[Evidence]:
    """Take back the decision on a reviewed row (and its copies): pending again, the decision
    kept in the row's review history. Returns the rows reopened, in id order."""
    with transaction.atomic():
        locked, requested = _lock_review_groups([evidence.pk])
        if requested[0].review_state == ReviewState.PENDING:
            raise DomainError("This evidence has not been reviewed.", status_code=409, code="not_reviewed")
        reviewed = [row for row in locked if row.review_state != ReviewState.PENDING]
        _set_review(reviewed, state=ReviewState.PENDING, reviewed_by=reopened_by, note=note)
    return reviewed


def _lock_review_groups(ids: list[int]) -> tuple[list[Evidence], list[Evidence]]:
    """Every row of the review groups (a row and its copies) the ids belong to, locked in id
    order so that two reviews of overlapping sets cannot deadlock, and the requested rows.

    The requested rows and their originals are locked first; their copies are read by a second
    statement, which starts once those locks are held: a copy that the pipeline inserted while
    holding its original's lock is committed by then, and so is seen (one statement would read
    the rows as they were when it began, and leave that copy out of the decision).
    """
    wanted = set(ids)
    guessed = {copy_of for copy_of in Evidence.objects.filter(pk__in=ids).values_list("copy_of_id", flat=True)}
    first = list(Evidence.objects.select_for_update().filter(pk__in=wanted | (guessed - {None})).order_by("pk"))
    requested = [row for row in first if row.pk in wanted]
    missing = sorted(wanted - {row.pk for row in requested})
    if missing:
        raise DomainError(f"No evidence with id {', '.join(map(str, missing))}.", field="evidence")
    originals = {row.copy_of_id or row.pk for row in requested}  # as they are now, under the lock
    groups = list(
        Evidence.objects.select_for_update().filter(Q(pk__in=originals) | Q(copy_of_id__in=originals)).order_by("pk")
    )
    locked = {row.pk: row for row in groups}
    locked.update({row.pk: row for row in requested})  # a requested row taken out of its group meanwhile
    return sorted(locked.values(), key=lambda row: row.pk), requested


def _set_review(rows: list[Evidence], *, state: str, reviewed_by, note: str) -> None:
    """Store a decision (or, with the pending state, its withdrawal) and add it to the rows' history."""
    now = timezone.now()
    decided = state != ReviewState.PENDING
    for row in rows:
        row.review_state = state
        row.reviewed_by = reviewed_by if decided else None
        row.reviewed_at = now if decided else None
        row.review_note = note if decided else ""
    Evidence.objects.bulk_update(rows, ["review_state", "reviewed_by", "reviewed_at", "review_note"])
    action = state if decided else ReviewAction.REOPENED
    EvidenceReview.objects.bulk_create(
        EvidenceReview(evidence=row, action=action, reviewed_by=reviewed_by, reviewed_at=now, note=note) for row in rows
    )


@dataclass(frozen=True)
class Finding:
    """What the pipeline found an article says about a claim."""

    claim_id: int
    article_id: int
    stance: str
    confidence: float
    sentences: Sequence[str]
    retrieval_score: float | None
    high_confidence: bool


def _finding_values(finding: Finding, model_version: str) -> dict:
    return {
        "stance": finding.stance,
        "confidence": max(0.0, min(1.0, float(finding.confidence))),
        "excerpt": " … ".join(finding.sentences)[:5000],
        "sentences": list(finding.sentences),
        "model_version": model_version,
        "retrieval_score": finding.retrieval_score,
        "high_confidence": finding.high_confidence,
        "excerpt_key": words_fingerprint(" ".join(finding.sentences)),
    }


def evidence_record_many(*, findings: Sequence[Finding], model_version: str) -> list[tuple[Evidence, bool]]:
    """Store the pipeline's findings, one row per claim and article, in a few statements.

    Re-running the pipeline refreshes pending rows but never touches one an
    editor has already judged. Returns (row, created) in the order of ``findings``.
    """
    values = {(f.article_id, f.claim_id): _finding_values(f, model_version) for f in findings}
    if not values:
        return []
    try:
        with transaction.atomic():
            rows = _evidence_write(values)
    except IntegrityError:
        # Another worker inserted a row for one of these pairs meanwhile; the
        # second pass sees (and locks) it, so it is refreshed, not duplicated.
        with transaction.atomic():
            rows = _evidence_write(values)
    for evidence, created in rows.values():
        if created and evidence.copy_of_id is None:  # a copy is news to nobody
            _notify("evidence.created", claim_id=evidence.claim_id, evidence_id=evidence.pk)
    return [rows[pair] for pair in values]


def _evidence_write(values: dict[tuple[int, int], dict]) -> dict[tuple[int, int], tuple[Evidence, bool]]:
    article_ids = {article_id for article_id, _ in values}
    claim_ids = {claim_id for _, claim_id in values}
    keys = {fields["excerpt_key"] for fields in values.values()} - {""}
    # One locking read, in id order as reviews lock: these pairs' rows, and the rows a new
    # copy would join (locked so that a review of one cannot miss a copy joining it).
    scope = Q(article_id__in=article_ids, claim_id__in=claim_ids)
    if keys:
        scope |= Q(claim_id__in=claim_ids, excerpt_key__in=keys, copy_of__isnull=True)
    locked = list(Evidence.objects.select_for_update().filter(scope).order_by("pk"))
    existing = {(e.article_id, e.claim_id): e for e in locked if (e.article_id, e.claim_id) in values}

    # Pending rows take the new run's values first, so that copies are grouped by what rows say now.
    refreshed = [evidence for evidence in existing.values() if evidence.review_state == ReviewState.PENDING]
    regrouped = []
    for evidence in refreshed:
        before = _copy_group(evidence)
        for field, value in values[(evidence.article_id, evidence.claim_id)].items():
            setattr(evidence, field, value)
        if evidence.copy_of_id is None and before[1] and _copy_group(evidence) != before:  # keyless rows have no copies
            regrouped.append(evidence.pk)
    for original_id in regrouped:  # it now says something else: its first copy takes its place
        copies = list(Evidence.objects.select_for_update().filter(copy_of_id=original_id).order_by("pk"))
        if not copies:
            continue
        Evidence.objects.filter(pk=copies[0].pk).update(copy_of=None)
        Evidence.objects.filter(pk__in=[copy.pk for copy in copies[1:]]).update(copy_of=copies[0])
        promoted = {evidence.pk: evidence for evidence in refreshed}.get(copies[0].pk, copies[0])
        promoted.copy_of = None
        for evidence in refreshed:
            if evidence.copy_of_id == original_id:
                evidence.copy_of_id = promoted.pk
        if promoted not in locked:
            locked.append(promoted)
    _unlink_changed_copies([evidence for evidence in refreshed if evidence.copy_of_id is not None], batch=locked)
    if refreshed:
        Evidence.objects.bulk_update(refreshed, [*next(iter(values.values())), "copy_of"])

    originals: dict[tuple, Evidence] = {}
    for evidence in locked:
        if evidence.copy_of_id is None and evidence.excerpt_key:
            originals.setdefault(_copy_group(evidence), evidence)
    first_pass, copies_of_first_pass = [], []
    for (article_id, claim_id), fields in values.items():
        if (article_id, claim_id) in existing:
            continue
        evidence = Evidence(article_id=article_id, claim_id=claim_id, **fields)
        original = originals.setdefault(_copy_group(evidence), evidence) if evidence.excerpt_key else evidence
        if original is evidence:
            first_pass.append(evidence)
        elif original.pk is None:  # a copy of a row of this batch: inserted once that row has an id
            copies_of_first_pass.append((evidence, original))
        else:
            first_pass.append(_copy(evidence, original))
    new = Evidence.objects.bulk_create(first_pass)
    if copies_of_first_pass:
        new += Evidence.objects.bulk_create([_copy(evidence, original) for evidence, original in copies_of_first_pass])
    inherited = [evidence for evidence in new if evidence.review_state != ReviewState.PENDING]
    if inherited:  # copies of rows reviewed before they came: their history says whose decision they share
        EvidenceReview.objects.bulk_create(
            EvidenceReview(
                evidence=evidence,
                action=evidence.review_state,
                reviewed_by_id=evidence.reviewed_by_id,
                reviewed_at=timezone.now(),
                note=f"A copy of evidence {evidence.copy_of_id}, reviewed with it. {evidence.review_note}".strip(),
            )
            for evidence in inherited
        )
    rows = {pair: (evidence, False) for pair, evidence in existing.items()}
    rows.update({(evidence.article_id, evidence.claim_id): (evidence, True) for evidence in new})
    return rows


def _copy_group(evidence: Evidence) -> tuple:
    return (evidence.claim_id, evidence.excerpt_key, evidence.stance)


def _copy(evidence: Evidence, original: Evidence) -> Evidence:
    """``evidence`` as a copy of ``original``: it shares its review, done or pending."""
    evidence.copy_of = original
    evidence.review_state = original.review_state
    evidence.reviewed_by_id = original.reviewed_by_id
    evidence.reviewed_at = original.reviewed_at
    evidence.review_note = original.review_note
    return evidence


def _unlink_changed_copies(copies: list[Evidence], *, batch: list[Evidence]) -> None:
    """A pending copy that a new run of the pipeline reads differently from its original (as the
    original reads now, if it is refreshed in the same ``batch``) is a row of its own."""
    if not copies:
        return
    in_batch = {evidence.pk: _copy_group(evidence) for evidence in batch}
    groups = {
        pk: (claim_id, key, stance)
        for pk, claim_id, key, stance in Evidence.objects.filter(
            pk__in={e.copy_of_id for e in copies} - set(in_batch)
        ).values_list("pk", "claim_id", "excerpt_key", "stance")
    }
    groups.update(in_batch)
    for evidence in copies:
        if groups.get(evidence.copy_of_id) != _copy_group(evidence):
            evidence.copy_of = None


def evidence_record(*, model_version: str, **finding) -> tuple[Evidence, bool]:
    """Store one finding (see :func:`evidence_record_many`)."""
    return evidence_record_many(findings=[Finding(**finding)], model_version=model_version)[0]


def _notify(event: str, **payload) -> None:
    """Hand an event to the alerting layer after the transaction commits."""
    from . import notifications

    transaction.on_commit(lambda: notifications.dispatch(event, **payload))


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
