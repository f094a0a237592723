"""E-mail in Arabic and English through Django's test backend, the daily digest, and the Atom feeds."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

import pytest
from django.contrib.auth.models import User
from django.core import mail
from rest_framework.authtoken.models import Token

from claims import services as claim_services
from claims.alerts import email, services
from claims.models import Delivery, EmailDigest
from tests.factories import ArticleFactory, ClaimFactory, EvidenceFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
CLAIM_AR = "القوات الروسية ستغادر كازاخستان عند انتهاء مهمتها"


def _user(name: str, address: str) -> User:
    return User.objects.create_user(username=name, email=address, password="x")


def test_status_change_mails_each_subscriber_in_their_language(django_capture_on_commit_callbacks):
    claim = ClaimFactory(text=CLAIM_AR, language="ar", kind="promise")
    for name, language in [("layla", "ar"), ("tom", "en")]:
        services.subscription_create(
            owner=_user(name, f"{name}@example.org"),
            events=["claim.status_changed"],
            channels=["email"],
            scope="claim",
            claim=claim,
            email_mode="immediate",
            language=language,
        )
    with django_capture_on_commit_callbacks(execute=True):
        claim_services.claim_change_status(claim=claim, status="confirmed", changed_by=None, note="Troops left.")

    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"layla@example.org", "tom@example.org"}
    arabic, english = by_address["layla@example.org"], by_address["tom@example.org"]
    assert arabic.subject.startswith("[تدقيق] تغيّرت حالة الادعاء")
    assert "تغيّرت الحالة من «مفتوح» إلى «مؤكَّد»" in arabic.body and CLAIM_AR in arabic.body
    assert 'dir="rtl"' in arabic.alternatives[0][0]
    assert english.subject.startswith("[Fact-check] Status changed")
    assert 'The status changed from "open" to "confirmed"' in english.body and "Note: Troops left." in english.body
    deliveries = Delivery.objects.filter(channel="email")
    assert {(d.recipient, d.state, d.language) for d in deliveries} == {
        ("layla@example.org", "sent", "ar"),
        ("tom@example.org", "sent", "en"),
    }
    assert all(d.subject and d.body and d.attempt_log.get().succeeded for d in deliveries)


def test_digest_groups_events_into_one_mail_per_subscriber_once_a_day(django_capture_on_commit_callbacks):
    claim = ClaimFactory(text=CLAIM_AR, language="ar", kind="promise")
    services.subscription_create(
        owner=_user("layla", "layla@example.org"), events=["evidence.created"], channels=["email"], language="ar"
    )
    services.subscription_create(
        owner=_user("tom", "tom@example.org"), events=["evidence.created"], channels=["email"], language="en"
    )
    with django_capture_on_commit_callbacks(execute=True):
        for n, stance in enumerate(["confirms", "contradicts"]):
            claim_services.evidence_record(
                claim_id=claim.pk,
                article_id=ArticleFactory(title=f"Report {n}").pk,
                stance=stance,
                confidence=0.9,
                sentences=[f"The last troops left, report {n} says."],
                model_version="t",
                retrieval_score=0.7,
                high_confidence=True,
            )
    assert mail.outbox == []  # digest mode: nothing yet
    assert Delivery.objects.filter(state="queued").count() == 4

    sent = email.digests_send(day=date(2024, 3, 1))
    again = email.digests_send(day=date(2024, 3, 1))

    assert len(sent) == 2 and again == []
    assert len(mail.outbox) == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    arabic, english = by_address["layla@example.org"].body, by_address["tom@example.org"].body
    assert "== دليل جديد (2) ==" in arabic and "يؤكّد" in arabic and "يدحض" in arabic
    assert "== أدلة بانتظار المراجعة (2) ==" in arabic
    assert "== New evidence (2) ==" in english and "Evidence waiting for review (2)" in english
    assert by_address["tom@example.org"].subject == "[Fact-check] Digest for 2024-03-01: 2 alerts, 2 evidence waiting"
    assert Delivery.objects.filter(state="sent", digest__isnull=False).count() == 4
    assert EmailDigest.objects.count() == 2


def _entries(response) -> list[str]:
    root = ElementTree.fromstring(response.content)
    return [entry.find(f"{ATOM}title").text for entry in root.iter(f"{ATOM}entry")]


def test_atom_feeds_list_status_changes_and_accepted_evidence(client, reader, settings, admin_user):
    settings.API_PUBLIC_READ = False
    claim = ClaimFactory(text="The bridge will open in May.")
    other = ClaimFactory(text="Taxes will fall next year.")
    claim_services.claim_change_status(claim=claim, status="confirmed", changed_by=admin_user)
    claim_services.claim_change_status(claim=other, status="contradicted", changed_by=admin_user)
    accepted, _ = claim_services.evidence_record(
        claim_id=claim.pk,
        article_id=ArticleFactory(title="Bridge opens").pk,
        stance="confirms",
        confidence=0.9,
        sentences=["The bridge opened on Monday."],
        model_version="t",
        retrieval_score=0.8,
        high_confidence=True,
    )
    claim_services.evidence_review(evidence=accepted, decision="accept", reviewed_by=admin_user)
    EvidenceFactory(claim=claim, copy_of=accepted, review_state="accepted")  # another outlet's reprint: not again
    claim_services.evidence_record(  # pending: not in the feed
        claim_id=claim.pk,
        article_id=ArticleFactory().pk,
        stance="discusses",
        confidence=0.5,
        sentences=["Bridges are nice."],
        model_version="t",
        retrieval_score=0.5,
        high_confidence=False,
    )

    assert client.get("/feeds/claims.atom").status_code == 401
    token = Token.objects.create(user=reader).key
    overall = client.get(f"/feeds/claims.atom?token={token}")
    assert overall.status_code == 200 and overall["Content-Type"].startswith("application/atom+xml")
    titles = _entries(overall)
    assert len(titles) == 3
    assert any(t.startswith("Open → Confirmed: The bridge") for t in titles)
    assert any(t.startswith("Open → Contradicted: Taxes") for t in titles)
    assert any(t.startswith("Confirms: The bridge") for t in titles)

    one = client.get(f"/feeds/claims/{claim.pk}.atom?token={token}")
    assert len(_entries(one)) == 2 and all("bridge" in t for t in _entries(one))
    assert client.get(f"/feeds/claims/999999.atom?token={token}").status_code == 404
    assert client.get("/feeds/claims.atom?token=wrong").status_code == 401

    settings.API_PUBLIC_READ = True
    assert client.get("/feeds/claims.atom").status_code == 200
