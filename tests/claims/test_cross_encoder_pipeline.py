"""The pipeline with NLP_STANCE_MODEL=cross-encoder: the setting reaches the worker's model and its
decisions, across languages, become evidence rows like the default model's."""

import pytest

from claims import engine
from claims.matching import article_match, claim_embed
from claims.models import Evidence
from sources.models import Article
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

# The seed article's claim, in its Arabic, and an English follow-up written for this test.
PUTIN = "قال بوتين إن القوات التي أرسلت إلى كازاخستان ستغادر بمجرد انتهاء مهمتها"
FOLLOW_UP_TITLE = "Last Russian troops leave Kazakhstan as CSTO mission ends"
FOLLOW_UP_BODY = (
    "The final planes carrying Russian paratroopers left Almaty on Wednesday. "
    "The CSTO said its mission in Kazakhstan was complete and all of its forces had gone home. "
    "Fuel prices in the region stayed unchanged."
)


@pytest.fixture
def cross_encoder(settings):
    settings.NLP_STANCE_MODEL = "cross-encoder"
    engine._stance_model.cache_clear()
    engine.claim_index_cache.reset()
    yield
    engine._stance_model.cache_clear()
    engine.claim_index_cache.reset()


def test_an_arabic_promise_is_confirmed_by_an_english_report_of_its_outcome(cross_encoder):
    claim = ClaimFactory(text=PUTIN, language="ar")
    other = ClaimFactory(text="The central bank will cut interest rates in March.", language="en")
    for c in (claim, other):
        claim_embed(claim_id=c.pk)
    article = Article.objects.create(title=FOLLOW_UP_TITLE, body=FOLLOW_UP_BODY)
    assert article_match(article_id=article.pk) == 1
    evidence = Evidence.objects.get()
    assert (evidence.claim_id, evidence.stance) == (claim.pk, "confirms")
    assert evidence.model_version.endswith("+ce-1.0.0")
    assert "Fuel prices" not in evidence.excerpt
