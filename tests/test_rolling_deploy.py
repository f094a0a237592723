"""While a deployment migrates, workers still running the previous code keep inserting rows: a
column added since must not make their inserts fail (it needs a database default)."""

import pytest
from django.db.models.sql import InsertQuery

from claims.models import Evidence
from sources.models import Article
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db


def _insert_without(row, *, columns_added_since: set[str]) -> None:
    """Insert ``row`` as code that does not know ``columns_added_since`` would."""
    fields = [
        field for field in row._meta.concrete_fields if not field.primary_key and field.name not in columns_added_since
    ]
    query = InsertQuery(type(row))
    query.insert_values(fields, [row])
    query.get_compiler(using="default").execute_sql()


def test_articles_and_evidence_inserted_by_the_previous_code_are_accepted():
    _insert_without(Article(title="Written by an old worker", body="x"), columns_added_since={"body_key"})
    claim, article = ClaimFactory(), ArticleFactory()
    _insert_without(
        Evidence(claim=claim, article=article, stance="confirms", confidence=0.9, excerpt="e", model_version="m"),
        columns_added_since={"excerpt_key", "copy_of"},
    )

    assert Article.objects.get(title="Written by an old worker").body_key == ""
    assert Evidence.objects.get(article=article).excerpt_key == ""
