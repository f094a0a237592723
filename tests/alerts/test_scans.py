"""Scheduled scans: follow-ups due alert once (also when two runs race), stale claims, the due list."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from claims.alerts import services
from claims.models import Alert, Claim, Evidence
from tests.factories import ClaimFactory, EvidenceFactory

TODAY = date(2024, 3, 1)


@pytest.mark.django_db
def test_due_open_claim_alerts_once_per_follow_up_date():
    due = ClaimFactory(kind="promise", follow_up_date=date(2024, 2, 15))
    ClaimFactory(kind="promise", follow_up_date=date(2024, 3, 2))  # tomorrow
    ClaimFactory(kind="promise", follow_up_date=date(2024, 2, 1), status="confirmed")  # settled
    ClaimFactory(kind="statement")  # no date

    first = services.follow_ups_due_scan(today=TODAY)
    second = services.follow_ups_due_scan(today=TODAY)

    assert [a.claim_id for a in first] == [due.pk] and second == []
    alert = Alert.objects.get()
    assert alert.event == "claim.follow_up_due"
    assert alert.payload["follow_up"] == {"date": "2024-02-15", "source": "", "phrase": "", "days_overdue": 15}
    assert Claim.objects.get(pk=due.pk).follow_up_alerted_on == date(2024, 2, 15)

    # An editor moves the deadline: the new date is alerted once when it comes.
    Claim.objects.filter(pk=due.pk).update(follow_up_date=date(2024, 3, 10))
    assert services.follow_ups_due_scan(today=TODAY) == []
    later = services.follow_ups_due_scan(today=date(2024, 3, 10))
    assert due.pk in [a.claim_id for a in later]
    assert Alert.objects.filter(claim=due).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_raise_each_alert_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    claims = [ClaimFactory(kind="promise", follow_up_date=date(2024, 2, d)) for d in range(1, 21)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(len(services.follow_ups_due_scan(today=TODAY)))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sum(results) == len(claims)
    assert Alert.objects.count() == len(claims)
    assert set(Alert.objects.values_list("claim_id", flat=True)) == {c.pk for c in claims}


@pytest.mark.django_db
def test_stale_open_claims_alert_once_per_quiet_spell(settings):
    settings.ALERTS_STALE_AFTER_DAYS = 30
    now = timezone.now()
    quiet = ClaimFactory()
    busy = ClaimFactory()
    settled = ClaimFactory(status="confirmed")
    Claim.objects.filter(pk__in=[quiet.pk, busy.pk, settled.pk]).update(created_at=now - timedelta(days=90))
    EvidenceFactory(claim=busy)  # evidence today: not stale

    assert [a.claim_id for a in services.stale_claims_scan(now=now)] == [quiet.pk]
    assert services.stale_claims_scan(now=now) == []
    assert Alert.objects.get().payload["stale"]["quiet_days"] == 90

    # New evidence, then another quiet month: a second alert.
    evidence = EvidenceFactory(claim=quiet)
    Evidence.objects.filter(pk=evidence.pk).update(created_at=now - timedelta(days=40))
    assert [a.claim_id for a in services.stale_claims_scan(now=now)] == [quiet.pk]
    assert Alert.objects.filter(claim=quiet, event="claim.stale").count() == 2


@pytest.mark.django_db
def test_due_list_in_api_and_admin(reader_client, admin_user, client):
    today = timezone.localdate()
    due = ClaimFactory(kind="promise", follow_up_date=today - timedelta(days=3), text="The bridge will open soon.")
    also_due = ClaimFactory(kind="promise", follow_up_date=today)
    ClaimFactory(kind="promise", follow_up_date=today + timedelta(days=1))
    ClaimFactory(kind="promise", follow_up_date=today - timedelta(days=9), status="contradicted")

    response = reader_client.get("/api/v1/claims/due/")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [due.pk, also_due.pk]
    assert reader_client.get(f"/api/v1/claims/{due.pk}/").status_code == 200  # the detail route still works

    client.force_login(admin_user)
    page = client.get("/admin/claims/duefollowup/")
    assert page.status_code == 200
    assert "The bridge will open soon." in page.content.decode()
    assert "2 due follow-ups" in page.content.decode()
