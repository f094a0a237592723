"""Storing what the pipeline read from articles."""

import numpy as np
import pytest

from sources.choices import ArticleState
from sources.models import Article
from sources.services import articles_mark_done

pytestmark = pytest.mark.django_db


def test_each_article_keeps_its_own_analysis_and_only_the_given_ones_are_done():
    english, arabic, untouched = (
        Article.objects.create(title=title, body="body", state=ArticleState.PROCESSING, state_reason="retrying")
        for title in ("Troops leave", "انسحاب القوات", "Other")
    )
    english.language, english.sentences = "en", ["Troops leave.", "They left on Wednesday."]
    english.sentence_vectors = np.arange(4, dtype=np.float32).tobytes()
    arabic.language, arabic.sentences = "ar", ["انسحبت القوات."]
    arabic.sentence_vectors = np.full(2, 7, dtype=np.float32).tobytes()

    articles_mark_done(articles=[english, arabic], embedding_model="usem3-test")

    for expected in (english, arabic):
        stored = Article.objects.get(pk=expected.pk)
        assert (stored.language, stored.sentences) == (expected.language, expected.sentences)
        assert bytes(stored.sentence_vectors) == expected.sentence_vectors
        assert (stored.state, stored.state_reason, stored.embedding_model) == ("done", "", "usem3-test")
        assert stored.processed_at is not None and stored.state_changed_at == stored.processed_at
    stored = Article.objects.get(pk=untouched.pk)
    assert (stored.state, stored.state_reason, stored.sentences, stored.processed_at) == (
        "processing",
        "retrying",
        [],
        None,
    )
