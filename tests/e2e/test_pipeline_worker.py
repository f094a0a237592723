"""End to end with a real Celery worker process on Redis and PostgreSQL.

The API logs the seed article's two Kazakhstan claims (in Arabic), an English
follow-up article reports the completed withdrawal, and the worker must flag
it as confirming both, quoting the right sentence; an unrelated article must
flag nothing.
"""

import pytest

from claims import engine
from claims.models import BackfillRun, ClaimEmbedding, Evidence
from sources.models import Article
from tests.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PUTIN = "القوات الروسية والحليفة التي أرسلت إلى كازاخستان ستغادر البلاد عند انتهاء مهمتها"
TOKAYEV = "انسحاب قوات منظمة معاهدة الأمن الجماعي من كازاخستان سيتم قريبًا"

# Written for this test: a later report that the promised withdrawal happened.
FOLLOW_UP_TITLE = "CSTO peacekeepers complete withdrawal from Kazakhstan"
FOLLOW_UP_BODY = (
    "The last Russian-led CSTO troops left Kazakhstan on Wednesday, completing the withdrawal of the "
    "peacekeeping force that arrived during the January unrest.\n\n"
    "Defence officials in Moscow said the final transport planes had landed near the capital.\n\n"
    "President Tokayev thanked the allied contingents at a farewell ceremony in Almaty."
)
# The sentences that report the outcome: the headline and the first body sentence.
OUTCOME_SENTENCES = [FOLLOW_UP_TITLE, "The last Russian-led CSTO troops left Kazakhstan on Wednesday"]

UNRELATED_TITLE = "City council approves new cycling lanes"
UNRELATED_BODY = (
    "The city council voted on Tuesday to build twelve kilometres of protected cycling lanes.\n\n"
    "Work on the first stretch along the river is due to start in the spring."
)


def _evidence_for(article_id):
    return list(Evidence.objects.filter(article_id=article_id).select_related("claim"))


def test_follow_up_article_confirms_both_claims_via_real_worker(celery_worker_process, editor_client):
    claim_ids = []
    for text, claimant, kind in [(PUTIN, "فلاديمير بوتين", "promise"), (TOKAYEV, "قاسم جومارت توكاييف", "prediction")]:
        response = editor_client.post(
            "/api/v1/claims/",
            {"text": text, "claimant": claimant, "kind": kind, "made_on": "2022-01-10"},
            format="json",
        )
        assert response.status_code == 201, response.content
        claim_ids.append(response.json()["id"])
    # The worker embeds each new claim and runs its backfill.
    wait_for(lambda: ClaimEmbedding.objects.filter(claim_id__in=claim_ids).count() == 2)
    wait_for(lambda: BackfillRun.objects.filter(claim_id__in=claim_ids, state="done").count() == 2)

    response = editor_client.post(
        "/api/v1/articles/", {"title": FOLLOW_UP_TITLE, "body": FOLLOW_UP_BODY}, format="json"
    )
    assert response.status_code == 201 and response.json()["state"] == "queued"
    article_id = response.json()["id"]
    wait_for(lambda: Article.objects.get(pk=article_id).state in {"done", "failed"}, timeout=120)
    article = Article.objects.get(pk=article_id)
    assert article.state == "done", article.state_reason
    assert article.language == "en"

    evidence = {e.claim_id: e for e in _evidence_for(article_id)}
    assert set(evidence) == set(claim_ids)
    for row in evidence.values():
        assert row.stance == "confirms", (row.claim.text, row.stance, row.confidence, row.excerpt)
        assert any(sentence in row.excerpt for sentence in OUTCOME_SENTENCES), row.excerpt
        assert "farewell ceremony" not in row.excerpt and "transport planes" not in row.excerpt
        assert row.review_state == "pending"
        assert 0 < row.confidence <= 1
    for claim_id in claim_ids:
        claim = editor_client.get(f"/api/v1/claims/{claim_id}/").json()
        assert claim["status"] == "open"  # only an editor changes status
        assert claim["has_pending_evidence"] is True

    unrelated = editor_client.post(
        "/api/v1/articles/", {"title": UNRELATED_TITLE, "body": UNRELATED_BODY}, format="json"
    ).json()["id"]
    wait_for(lambda: Article.objects.get(pk=unrelated).state in {"done", "failed"}, timeout=120)
    assert Article.objects.get(pk=unrelated).state == "done"
    assert _evidence_for(unrelated) == []


def test_new_claim_backfills_against_existing_articles(celery_worker_process, editor_client):
    article_id = editor_client.post(
        "/api/v1/articles/", {"title": FOLLOW_UP_TITLE, "body": FOLLOW_UP_BODY}, format="json"
    ).json()["id"]
    wait_for(lambda: Article.objects.get(pk=article_id).state == "done", timeout=120)
    claim_id = editor_client.post(
        "/api/v1/claims/", {"text": PUTIN, "kind": "promise", "made_on": "2022-01-10"}, format="json"
    ).json()["id"]
    run = wait_for(lambda: BackfillRun.objects.filter(claim_id=claim_id, state="done").first(), timeout=120)
    assert run.articles_total >= 1 and run.articles_done == run.articles_total
    evidence = Evidence.objects.get(claim_id=claim_id, article_id=article_id)
    assert evidence.stance == "confirms"
    assert run.evidence_found == 1


def test_a_prefork_pool_as_deployed_shares_its_index_caps_its_threads_and_flags_the_follow_up(
    prefork_worker_log, editor_client
):
    claim_id = editor_client.post(
        "/api/v1/claims/", {"text": PUTIN, "kind": "promise", "made_on": "2022-01-10"}, format="json"
    ).json()["id"]
    wait_for(lambda: BackfillRun.objects.filter(claim_id=claim_id, state="done").exists(), timeout=120)
    article_id = editor_client.post(
        "/api/v1/articles/", {"title": FOLLOW_UP_TITLE, "body": FOLLOW_UP_BODY}, format="json"
    ).json()["id"]
    wait_for(lambda: Article.objects.get(pk=article_id).state in {"done", "failed"}, timeout=120)

    assert Evidence.objects.get(claim_id=claim_id, article_id=article_id).stance == "confirms"

    # A search by text is answered by a pool process too, from the index it shares. The process
    # may have refreshed its index just before the claim came (it does so at most every 2 s).
    def found():
        search = editor_client.get("/api/v1/claims/search/", {"text": FOLLOW_UP_TITLE, "min_score": 0})
        assert search.status_code == 200, search.content
        return [hit["claim"]["id"] for hit in search.json()["results"]]

    assert wait_for(found, timeout=10, interval=1.0) == [claim_id]
    threads = max(1, engine.usable_cpus() // 2)
    log = prefork_worker_log.read_text()
    assert log.count(f"Native threads per process: {threads} (pool of 2)") == 2, log
    assert "Claim index loaded before forking the pool" in log, log


def test_a_search_by_text_is_answered_by_the_worker_across_languages(
    celery_worker_process, editor_client, reader_client
):
    claim_ids = {}
    for name, text in (("putin", PUTIN), ("tokayev", TOKAYEV)):
        claim_ids[name] = editor_client.post(
            "/api/v1/claims/", {"text": text, "kind": "promise"}, format="json"
        ).json()["id"]
    wait_for(lambda: ClaimEmbedding.objects.filter(claim_id__in=claim_ids.values()).count() == 2)

    def ranked(text, **options):
        response = reader_client.get("/api/v1/claims/search/", {"text": text, **options})
        assert response.status_code == 200, response.content
        return [hit["claim"]["id"] for hit in response.json()["results"]]

    # Written for this test: an English paraphrase of each Arabic claim. The worker's index
    # refreshes at most every 2 s, so the first search is repeated until it holds both claims.
    wait_for(lambda: len(ranked("Kazakhstan", min_score=0)) == 2, interval=1.0)  # within the rate limit
    assert ranked("Putin: the troops sent to Kazakhstan will go home when the mission ends")[0] == claim_ids["putin"]
    assert ranked("Tokayev says the CSTO force will pull out of Kazakhstan soon")[0] == claim_ids["tokayev"]
