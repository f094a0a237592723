"""The pipeline benchmark command runs end to end and leaves the database as it found it."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from claims import engine
from claims.models import Claim, ClaimEmbedding
from sources.models import Article

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_corpora(tmp_path, monkeypatch):
    """Synthetic texts instead of ../shared/data, so the test does not depend on the corpora."""
    monkeypatch.setenv("FACTCHECK_DATA_DIR", str(tmp_path))


def run(*args) -> dict:
    out = StringIO()
    call_command("benchmark_pipeline", *args, "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_one_run_reports_the_ratio_and_rolls_everything_back(no_corpora):
    result = run("--claims", "30", "--articles", "4", "--batch", "2", "--searches", "5")

    assert result["claims"] == 30 and result["articles"] == 4 and result["batch"] == 2
    assert result["synthetic_claims"] == 30  # no corpora: every claim made up, and the report says so
    assert result["articles_per_s"] > 0 and result["ceiling_articles_per_s"] > 0
    assert result["ratio"] == pytest.approx(result["articles_per_s"] / result["ceiling_articles_per_s"], rel=0.02)
    assert len(result["ceiling_seconds_before_after"]) == 2
    assert result["peak_rss_mb"] > 0
    assert result["searches"] == 5 and 0 < result["search_ms_median"] <= result["search_ms_p95"]
    assert (Claim.objects.count(), ClaimEmbedding.objects.count(), Article.objects.count()) == (0, 0, 0)


def test_seeded_claims_are_reused_by_a_later_run_and_cleaned(no_corpora):
    call_command("benchmark_pipeline", "--claims", "20", "--seed-only", stdout=StringIO(), stderr=StringIO())
    assert Claim.objects.filter(claimant__name="benchmark-seed").count() == 20
    assert set(Claim.objects.values_list("language", flat=True)) == {"en"}  # detected, as the service does

    result = run("--reuse", "--articles", "2", "--batch", "1", "--searches", "0")
    assert result["claims"] == 20 and Article.objects.count() == 0
    assert "searches" not in result

    call_command("benchmark_pipeline", "--clean", stdout=StringIO(), stderr=StringIO())
    assert Claim.objects.count() == 0


@pytest.mark.django_db(transaction=True)  # the pool's processes see only committed claims
def test_a_pool_of_processes_shares_the_articles_and_reports_the_pool(no_corpora):
    call_command("benchmark_pipeline", "--claims", "20", "--seed-only", stdout=StringIO(), stderr=StringIO())
    database = connection.settings_dict
    # A process of its own, as the command is run: forking this test process, with the
    # threads earlier tests left in it, could copy a lock some thread holds.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factcheck.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    try:
        command = [sys.executable, "manage.py", "benchmark_pipeline", "--reuse", "--articles", "4", "--batch", "1"]
        done = subprocess.run(
            [*command, "--processes", "2", "--searches", "4", "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])

        assert (
            result["processes"] == 2
            and result["articles"] == 4
            and result["claims"] == 20 == result["synthetic_claims"]
        )
        assert result["blas_threads_per_process"] == max(1, engine.usable_cpus() // 2)
        assert result["ratio"] == pytest.approx(result["articles_per_s"] / result["ceiling_articles_per_s"], rel=0.02)
        assert result["sentences"] > 4 and result["peak_rss_mb_all_processes"] > result["peak_rss_mb"] > 0
        assert result["searches"] == 4  # two in each process
        assert Article.objects.count() == 0
    finally:
        call_command("benchmark_pipeline", "--clean", stdout=StringIO(), stderr=StringIO())


def test_a_pool_needs_claims_committed_beforehand(no_corpora):
    with pytest.raises(CommandError, match="--seed-only, then --reuse"):
        call_command("benchmark_pipeline", "--articles", "2", "--processes", "2", stdout=StringIO(), stderr=StringIO())
