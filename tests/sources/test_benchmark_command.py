"""The pipeline benchmark command runs end to end and leaves the database as it found it."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from claims.models import Claim, ClaimEmbedding
from sources.models import Article

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_corpora(tmp_path, monkeypatch):
    """Synthetic texts instead of ../shared/data, so the test does not depend on the corpora."""
    monkeypatch.setenv("FACTCHECK_DATA_DIR", str(tmp_path))


def run(*args) -> dict:
    out = StringIO()
    call_command("benchmark_pipeline", *args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_one_run_reports_the_ratio_and_rolls_everything_back(no_corpora):
    result = run("--claims", "30", "--articles", "4", "--batch", "2")

    assert result["claims"] == 30 and result["articles"] == 4 and result["batch"] == 2
    assert result["articles_per_s"] > 0 and result["ceiling_articles_per_s"] > 0
    assert result["ratio"] == pytest.approx(result["articles_per_s"] / result["ceiling_articles_per_s"], rel=0.02)
    assert len(result["ceiling_seconds_before_after"]) == 2
    assert result["peak_rss_mb"] > 0
    assert (Claim.objects.count(), ClaimEmbedding.objects.count(), Article.objects.count()) == (0, 0, 0)


def test_seeded_claims_are_reused_by_a_later_run_and_cleaned(no_corpora):
    call_command("benchmark_pipeline", "--claims", "20", "--seed-only", stdout=StringIO(), stderr=StringIO())
    assert Claim.objects.filter(claimant__name="benchmark-seed").count() == 20
    assert set(Claim.objects.values_list("language", flat=True)) == {"en"}  # detected, as the service does

    result = run("--reuse", "--articles", "2", "--batch", "1")
    assert result["claims"] == 20 and Article.objects.count() == 0

    call_command("benchmark_pipeline", "--clean", stdout=StringIO(), stderr=StringIO())
    assert Claim.objects.count() == 0
