"""Our own written training examples: well formed, in the languages they claim, and apart from
the held-out examples the model is measured on."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from factnlp.stance_model.datasets import (
    PROMISE_FILES,
    PROMISE_OUTCOMES_FILE,
    WRITTEN_NEWS_FILE,
    load_promise_outcomes,
    load_written_news,
)
from factnlp.stance_model.lexicon import count_cues
from factnlp.text import detect_language, normalize_for_search


def _rows(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assert_one_claim_per_topic_with_reports(path, *, topics: int, stances: list[str]) -> None:
    by_topic: dict[str, list[dict]] = defaultdict(list)
    for row in _rows(path):
        by_topic[row["topic"]].append(row)
    assert len(by_topic) == topics
    for topic, rows in by_topic.items():
        assert len({row["claim"] for row in rows}) == 1, topic
        assert sorted(row["stance"] for row in rows) == stances, topic


def test_each_written_claim_has_one_report_of_every_kind_and_two_refutations():
    assert_one_claim_per_topic_with_reports(
        WRITTEN_NEWS_FILE, topics=80, stances=["confirms", "contradicts", "contradicts", "discusses", "unrelated"]
    )
    assert len(load_written_news()) == 400


def test_each_promise_has_two_outcomes_each_way_and_one_report_still_waiting():
    assert_one_claim_per_topic_with_reports(
        PROMISE_OUTCOMES_FILE, topics=36, stances=["confirms", "confirms", "contradicts", "contradicts", "discusses"]
    )
    pairings = {(row["language"], row["article_language"]) for row in _rows(PROMISE_OUTCOMES_FILE)}
    assert pairings == {("en", "en"), ("ar", "ar"), ("en", "ar"), ("ar", "en")}
    assert len(load_promise_outcomes()) == 180


def test_no_promise_outcome_carries_a_refuting_word():
    """Whether a promise was kept shows in what happened, not in a denial: the opposite outcomes
    must teach the trees that, and the fulfilment reports must not hold a refuting word either."""
    for row in _rows(PROMISE_OUTCOMES_FILE):
        assert count_cues(normalize_for_search(row["title"] + " " + row["body"]), "refute") == 0, row["title"]


@pytest.mark.parametrize(
    "path",
    [WRITTEN_NEWS_FILE, PROMISE_OUTCOMES_FILE, PROMISE_FILES["test-2"], PROMISE_FILES["test-3"]],
    ids=["news", "outcomes", "held-out-2", "held-out-3"],
)
def test_written_texts_are_in_the_languages_their_rows_name(path):
    for row in _rows(path):
        assert detect_language(row["claim"]) == row["language"], row["claim"]
        assert detect_language(row["title"] + " " + row["body"]) == row["article_language"], row["title"]


def test_half_the_written_refutations_carry_no_refuting_word():
    """The point of the second refutation of each claim: the facts contradict it, no cue word
    does, so the model cannot learn contradiction as the presence of "denied" or "fake"."""
    with_cue = {True: 0, False: 0}
    for row in _rows(WRITTEN_NEWS_FILE):
        if row["stance"] == "contradicts":
            text = normalize_for_search(row["title"] + " " + row["body"])
            with_cue[count_cues(text, "refute") > 0] += 1
    assert with_cue == {True: 80, False: 80}


@pytest.mark.parametrize("split", ["test-2", "test-3"])
def test_the_later_held_out_promises_keep_two_outcomes_each_way_and_one_other_subject(split):
    assert_one_claim_per_topic_with_reports(
        PROMISE_FILES[split], topics=12, stances=["confirms", "confirms", "contradicts", "contradicts", "unrelated"]
    )
    pairings = {(row["language"], row["article_language"]) for row in _rows(PROMISE_FILES[split])}
    assert pairings == {("en", "en"), ("ar", "ar"), ("en", "ar"), ("ar", "en")}


def test_the_held_out_promise_files_share_no_topic_or_text():
    seen: dict[str, str] = {}
    for split in ("test", "test-2", "test-3"):
        for row in _rows(PROMISE_FILES[split]):
            for key in ("topic", "claim", "body"):
                assert seen.setdefault(row[key], split) == split, (split, row[key])


@pytest.mark.parametrize("split", ["test", "test-2", "test-3"])
def test_no_training_example_shares_a_claim_topic_or_text_with_the_held_out_promises(split):
    held_out = _rows(PROMISE_FILES[split])
    held_out_claims_and_bodies = {row[key] for row in held_out for key in ("claim", "body")}
    # A generic headline of an article about something else ("Local team wins cup final") may
    # recur; a headline that carries a stance may not.
    held_out_titles = {row["title"] for row in held_out if row["stance"] != "unrelated"}
    held_out_topics = {row["topic"] for row in held_out}
    for path in (WRITTEN_NEWS_FILE, PROMISE_OUTCOMES_FILE, PROMISE_FILES["train"]):
        for row in _rows(path):
            assert not {row["claim"], row["body"]} & held_out_claims_and_bodies, row["claim"]
            assert row["title"] not in held_out_titles, row["title"]
            assert row["topic"] not in held_out_topics, row["topic"]
