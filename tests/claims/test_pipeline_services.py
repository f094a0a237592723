"""The Django side of the pipeline: claim vectors kept once, the worker's index in sync, evidence recorded once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from claims import engine
from claims.matching import article_match, articles_match, backfill_start, claim_backfill, claim_embed
from claims.models import ClaimEmbedding, Evidence
from claims.services import claim_update, evidence_review
from factnlp import retrieval
from sources.feeds import canonical_url
from sources.models import Article
from sources.tasks import article_process_task
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

CLAIM = "The peacekeeping troops will leave Kazakhstan once their mission is complete."
ARTICLE_TITLE = "Peacekeepers leave Kazakhstan"
ARTICLE_BODY = "The peacekeeping troops completed their withdrawal from Kazakhstan on Wednesday, officials said."


@pytest.fixture(autouse=True)
def echo_stance(settings):
    settings.NLP_STANCE_MODEL = "tests.fakes:EchoStanceModel"
    engine.claim_index_cache.reset()
    yield
    engine.claim_index_cache.reset()


def _article(**values):
    return Article.objects.create(
        title=values.pop("title", ARTICLE_TITLE), body=values.pop("body", ARTICLE_BODY), **values
    )


def test_claim_vector_is_computed_once_and_again_after_an_edit(editor):
    claim = ClaimFactory(text=CLAIM)
    assert claim_embed(claim_id=claim.pk) is True
    first = ClaimEmbedding.objects.get(claim=claim)
    assert first.model_name == engine.embedder().name
    assert claim_embed(claim_id=claim.pk) is False  # unchanged text: nothing to do
    claim_update(claim=claim, updated_by=editor, text="A completely different claim about oil prices.")
    assert claim_embed(claim_id=claim.pk) is True
    assert bytes(ClaimEmbedding.objects.get(claim=claim).vector) != bytes(first.vector)


def test_index_cache_follows_new_and_deleted_claims():
    kept, dropped = ClaimFactory(text=CLAIM), ClaimFactory(text="Oil prices will double next year.")
    for claim in (kept, dropped):
        claim_embed(claim_id=claim.pk)
    index = engine.claim_index_cache.get(force=True)
    assert kept.pk in index and dropped.pk in index
    dropped.delete()
    index = engine.claim_index_cache.get(force=True)
    assert kept.pk in index and dropped.pk not in index


def test_index_cache_counts_rows_for_deletions_only_when_forced_or_due():
    kept, dropped = ClaimFactory(text=CLAIM), ClaimFactory(text="Oil prices will double next year.")
    for claim in (kept, dropped):
        claim_embed(claim_id=claim.pk)
    cache = engine.ClaimIndexCache(min_refresh_seconds=0, deletion_check_seconds=3600)
    cache.get(force=True)
    dropped_id = dropped.pk
    dropped.delete()
    assert dropped_id in cache.get()  # a routine refresh does not count the rows
    assert dropped_id not in cache.get(force=True)

    again = ClaimFactory(text="Oil prices will double next year.")
    claim_embed(claim_id=again.pk)
    due = engine.ClaimIndexCache(min_refresh_seconds=0, deletion_check_seconds=0)
    assert again.pk in due.get(force=True)
    again_id = again.pk
    again.delete()
    assert again_id not in due.get() and kept.pk in due.get()


def test_a_loaded_index_has_its_lexical_postings_built_before_the_first_search(monkeypatch):
    claim = ClaimFactory(text=CLAIM)
    claim_embed(claim_id=claim.pk)
    cache = engine.ClaimIndexCache()
    index = cache.get(force=True)
    builds = []
    original = retrieval._Postings.build
    monkeypatch.setattr(retrieval._Postings, "build", lambda **kw: builds.append(1) or original(**kw))

    assert index.lexical_scores([ARTICLE_BODY]).max() > 0
    assert builds == []


def test_article_match_records_pending_evidence_once():
    claim = ClaimFactory(text=CLAIM)
    unrelated = ClaimFactory(text="The central bank will cut interest rates in March.")
    for c in (claim, unrelated):
        claim_embed(claim_id=c.pk)
    article = _article()
    assert article_match(article_id=article.pk) == 1
    evidence = Evidence.objects.get()
    assert (evidence.claim_id, evidence.stance, evidence.review_state) == (claim.pk, "confirms", "pending")
    assert "completed their withdrawal" in evidence.excerpt
    assert evidence.model_version == "echo-test-1"
    article.refresh_from_db()
    assert article.state == "done" and article.language == "en"
    assert article.sentences[0] == ARTICLE_TITLE and article.embedding_model
    assert article_match(article_id=article.pk) is None  # done articles are not processed twice
    assert Evidence.objects.count() == 1


def test_rerun_never_overwrites_an_editors_decision(editor):
    claim = ClaimFactory(text=CLAIM)
    claim_embed(claim_id=claim.pk)
    article = _article()
    article_match(article_id=article.pk)
    evidence_review(evidence=Evidence.objects.get(), decision="reject", reviewed_by=editor, note="Wrong troops")
    Article.objects.filter(pk=article.pk).update(state="queued")
    article_match(article_id=article.pk)
    evidence = Evidence.objects.get()
    assert evidence.review_state == "rejected" and evidence.review_note == "Wrong troops"


def test_backfill_checks_recent_articles_and_reports_progress():
    article = _article()
    old = _article(title="Old report", body="The troops completed their withdrawal from Kazakhstan long ago.")
    Article.objects.filter(pk=old.pk).update(created_at="2000-01-01T00:00:00Z", published_at="2000-01-01T00:00:00Z")
    article_match(article_id=article.pk)
    article_match(article_id=old.pk)
    claim = ClaimFactory(text=CLAIM)
    claim_embed(claim_id=claim.pk)
    run = claim_backfill(run_id=backfill_start(claim_id=claim.pk).pk)
    assert (run.state, run.articles_total, run.articles_done, run.evidence_found) == ("done", 1, 1, 1)
    assert list(Evidence.objects.values_list("article_id", flat=True)) == [article.pk]


def _reports_of_the_withdrawal():
    """The same report four times: the claim's source (linked), its source (by URL only), one
    from before the claim was made, and one from after."""
    source = _article(url=canonical_url("https://news.example/kazakhstan/troops"))
    same_url = _article(title="Peacekeepers leave (copy)", url=canonical_url("https://news.example/kazakhstan/troops2"))
    # Within the backfill window: the claim was made ten days ago.
    earlier = _article(title="Peacekeepers leave (earlier)", published_at=timezone.now() - timedelta(days=15))
    later = _article(title="Peacekeepers leave (later)", published_at=timezone.now() - timedelta(days=5))
    return (source, same_url, earlier), later


def _claim_from(source):
    claim = ClaimFactory(
        text=CLAIM,
        made_on=timezone.localdate() - timedelta(days=10),
        first_appearance_article=source,
        first_appearance_url="https://NEWS.example/kazakhstan/troops2#comments",  # as an editor pasted it
    )
    claim_embed(claim_id=claim.pk)
    return claim


def test_an_article_is_flagged_only_as_a_later_report_not_as_the_claims_source_or_an_earlier_one():
    excluded, later = _reports_of_the_withdrawal()
    claim = _claim_from(excluded[0])
    engine.claim_index_cache.get(force=True)

    articles_match(article_ids=[a.pk for a in (*excluded, later)])

    assert Article.objects.filter(state="done").count() == 4
    assert list(Evidence.objects.filter(claim=claim).values_list("article_id", flat=True)) == [later.pk]


def test_backfill_flags_only_later_reports_too():
    excluded, later = _reports_of_the_withdrawal()
    articles_match(article_ids=[a.pk for a in (*excluded, later)])  # ingested before the claim is logged
    claim = _claim_from(excluded[0])

    run = claim_backfill(run_id=backfill_start(claim_id=claim.pk).pk)

    assert run.articles_done == run.articles_total == 4
    assert list(Evidence.objects.values_list("article_id", flat=True)) == [later.pk]


def test_backfill_progress_is_visible_in_the_api(reader_client):
    article_match(article_id=_article().pk)  # ingested before the claim is logged
    claim = ClaimFactory(text=CLAIM)
    claim_embed(claim_id=claim.pk)
    claim_backfill(run_id=backfill_start(claim_id=claim.pk).pk)
    runs = reader_client.get(f"/api/v1/claims/{claim.pk}/backfills/").json()["results"]
    assert [(r["state"], r["articles_done"], r["articles_total"], r["evidence_found"]) for r in runs] == [
        ("done", 1, 1, 1)
    ]


def test_index_refresh_reads_only_claims_it_has_not_indexed(editor, monkeypatch):
    claims = [ClaimFactory(text=CLAIM), ClaimFactory(text="Oil prices will double next year.")]
    for claim in claims:
        claim_embed(claim_id=claim.pk)
    engine.claim_index_cache.get(force=True)
    upserted = []
    original = engine.ClaimIndexCache._upsert
    monkeypatch.setattr(
        engine.ClaimIndexCache, "_upsert", lambda self, ids, *a: upserted.append(list(ids)) or original(self, ids, *a)
    )
    engine.claim_index_cache.get(force=True)  # both rows are inside the slack window, both already indexed
    assert upserted == []
    claim_update(claim=claims[1], updated_by=editor, text="Oil prices will halve next year.")
    claim_embed(claim_id=claims[1].pk)
    engine.claim_index_cache.get(force=True)
    assert upserted == [[claims[1].pk]]


def _three_articles_and_claims():
    kept = ClaimFactory(text=CLAIM)
    delayed = ClaimFactory(text="The new bridge over the river will open to traffic in March.")
    for claim in (kept, delayed):
        claim_embed(claim_id=claim.pk)
    articles = [
        _article(),
        _article(title="Bridge opening postponed", body="The opening of the new bridge over the river was postponed."),
        _article(title="Weather", body="Rain is expected across the north on Sunday, forecasters said."),
    ]
    return kept, delayed, articles


def _evidence_table():
    return sorted(
        (e.article.title, e.claim.text[:20], e.stance, e.excerpt) for e in Evidence.objects.select_related("claim")
    )


def test_a_batch_records_what_one_by_one_matching_records():
    _kept, _delayed, articles = _three_articles_and_claims()
    for article in articles:
        article_match(article_id=article.pk)
    one_by_one = _evidence_table()
    Evidence.objects.all().delete()
    Article.objects.update(state="queued", sentences=[], sentence_vectors=None)

    counts = articles_match(article_ids=[a.pk for a in articles] + [articles[0].pk])
    assert counts == {articles[0].pk: 1, articles[1].pk: 1, articles[2].pk: 0}
    assert _evidence_table() == one_by_one
    assert {("Peacekeepers leave Kazakhstan", "confirms"), ("Bridge opening postponed", "contradicts")} <= {
        (title, stance) for title, _claim, stance, _excerpt in one_by_one
    }
    for article in Article.objects.all():
        assert article.state == "done" and article.processed_at and len(article.sentences) == 2
        assert engine.vectors_from_bytes(article.sentence_vectors, 512).shape == (2, 512)
    assert articles_match(article_ids=[a.pk for a in articles]) == {}  # all done: nothing to do


def test_a_task_takes_waiting_articles_along_and_their_own_tasks_find_them_done(settings):
    settings.MATCH_BATCH_SIZE = 2
    _kept, _delayed, articles = _three_articles_and_claims()
    Article.objects.filter(pk=articles[2].pk).update(body="")  # waits for its page to be fetched
    assert article_process_task.run(articles[1].pk) == 1
    states = dict(Article.objects.values_list("pk", "state"))
    # The task took the oldest waiting article along; the one without a body is not ready.
    assert states == {articles[0].pk: "done", articles[1].pk: "done", articles[2].pk: "queued"}
    assert Evidence.objects.count() == 2
    assert article_process_task.run(articles[0].pk) is None


def test_an_article_once_left_unfinished_is_matched_alone_and_never_taken_into_a_batch(settings):
    settings.MATCH_BATCH_SIZE = 3
    _kept, _delayed, articles = _three_articles_and_claims()
    Article.objects.filter(pk=articles[0].pk).update(crash_requeues=1)  # its last worker died

    assert article_process_task.run(articles[0].pk) is not None
    states = dict(Article.objects.values_list("pk", "state"))
    assert states == {articles[0].pk: "done", articles[1].pk: "queued", articles[2].pk: "queued"}

    Article.objects.filter(pk=articles[2].pk).update(crash_requeues=2)
    article_process_task.run(articles[1].pk)
    states = dict(Article.objects.values_list("pk", "state"))
    assert states[articles[1].pk] == "done" and states[articles[2].pk] == "queued"  # not taken along


def test_one_failing_article_does_not_fail_the_others_of_its_batch(monkeypatch):
    from claims import matching

    _kept, _delayed, articles = _three_articles_and_claims()
    real_prepare = matching.prepare_articles

    def prepare_failing_on_the_bridge(items, **kwargs):
        if any("bridge" in item.body for item in items):
            raise RuntimeError("embedder crashed")
        return real_prepare(items, **kwargs)

    monkeypatch.setattr(matching, "prepare_articles", prepare_failing_on_the_bridge)
    assert article_process_task.run(articles[0].pk) == 1
    states = dict(Article.objects.values_list("pk", "state"))
    assert states == {articles[0].pk: "done", articles[1].pk: "failed", articles[2].pk: "done"}
    assert "embedder crashed" in Article.objects.get(pk=articles[1].pk).state_reason


def test_a_claim_logged_while_an_article_is_being_matched_is_not_missed(monkeypatch):
    """The race between the two paths: the article's search used an index from before the
    claim, and the claim's backfill ran while the article was not done yet."""
    from claims import matching

    article = _article()
    engine.claim_index_cache.get(force=True)  # the worker's index, from before the claim
    late = {}
    record = matching.evidence_record_many

    def claim_logged_meanwhile(**kwargs):
        if not late:
            claim = ClaimFactory(text=CLAIM)
            claim_embed(claim_id=claim.pk)
            run = claim_backfill(run_id=backfill_start(claim_id=claim.pk).pk)
            assert run.articles_total == 0  # the article is still being processed
            late["claim"] = claim
        return record(**kwargs)

    monkeypatch.setattr(matching, "evidence_record_many", claim_logged_meanwhile)

    assert articles_match(article_ids=[article.pk]) == {article.pk: 1}
    evidence = Evidence.objects.get()
    assert (evidence.claim_id, evidence.article_id, evidence.stance) == (late["claim"].pk, article.pk, "confirms")


def test_claims_the_index_already_held_are_not_checked_twice(monkeypatch):
    from claims import matching

    claim = ClaimFactory(text=CLAIM)
    claim_embed(claim_id=claim.pk)
    engine.claim_index_cache.get(force=True)
    searched = []
    original = matching._find

    def counting(**kwargs):
        searched.append(len(kwargs["index"]))
        return original(**kwargs)

    monkeypatch.setattr(matching, "_find", counting)
    assert articles_match(article_ids=[_article().pk]) == {Article.objects.get().pk: 1}
    assert searched == [1]  # the main pass only: no late claims


WIRE_BODY = (
    "The peacekeeping troops completed their withdrawal from Kazakhstan on Wednesday, officials said. "
    "The last transport planes left the airfield near Almaty in the morning, the defence ministry added. "
    "The contingent had arrived in early January at the request of the Kazakh president after unrest. "
    "Local forces took over the guarded sites, and no incidents were reported during the handover. "
    "Officials in Moscow said the mission had been completed in full."
)


def test_a_reprint_of_a_body_already_embedded_embeds_only_its_title_and_is_matched_the_same(monkeypatch):
    claim = ClaimFactory(text=CLAIM)
    claim_embed(claim_id=claim.pk)
    first = _article(title="Peacekeepers complete withdrawal", body=WIRE_BODY)
    articles_match(article_ids=[first.pk])
    embedded = []
    model = engine.embedder()
    real_embed = model.embed
    monkeypatch.setattr(model, "embed", lambda texts: embedded.append(list(texts)) or real_embed(texts))
    # Another outlet's copy: its own headline, the wire text with its own line breaks.
    reprint = _article(title="CSTO troops have left Kazakhstan", body=WIRE_BODY.replace(". ", ".\n\n"))

    articles_match(article_ids=[reprint.pk])

    assert embedded == [["CSTO troops have left Kazakhstan"]]
    first.refresh_from_db()
    reprint.refresh_from_db()
    assert reprint.state == "done" and reprint.body_key == first.body_key != ""
    assert reprint.sentences == ["CSTO troops have left Kazakhstan", *first.sentences[1:]]
    assert bytes(reprint.sentence_vectors)[1024:] == bytes(first.sentence_vectors)[1024:]  # 512 float16 a row
    found = {e.article_id: (e.claim_id, e.stance, e.excerpt, e.copy_of_id, e.pk) for e in Evidence.objects.all()}
    assert found[reprint.pk][:3] == found[first.pk][:3] and found[first.pk][0] == claim.pk
    assert found[reprint.pk][3] == found[first.pk][4]  # one decision for the desk: the reprint's row is a copy


def test_short_bodies_are_embedded_again(monkeypatch):
    claim_embed(claim_id=ClaimFactory(text=CLAIM).pk)
    articles_match(article_ids=[_article().pk])
    embedded = []
    model = engine.embedder()
    real_embed = model.embed
    monkeypatch.setattr(model, "embed", lambda texts: embedded.append(list(texts)) or real_embed(texts))

    articles_match(article_ids=[_article(title="Another title").pk])

    assert embedded == [["Another title", ARTICLE_BODY]]
    assert set(Article.objects.values_list("body_key", flat=True)) == {""}
