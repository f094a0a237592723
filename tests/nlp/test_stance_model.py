"""Behaviour of the shipped stance model: interface, evidence, promises kept and broken, tools."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from factnlp.stance import STANCES, ArticleText, StanceModel, load_stance_model
from factnlp.stance_model.classify import classify_file
from factnlp.stance_model.datasets import load_jsonl_pairs
from factnlp.stance_model.features import FEATURE_NAMES
from factnlp.stance_model.lexicon import count_cues
from factnlp.stance_model.metrics import fnc_score, macro_f1
from factnlp.stance_model.model import DEFAULT_ARTIFACT, StanceClassifier, TrainedStanceModel
from factnlp.text import normalize_for_search

PROMISES_TEST = Path(__file__).parent / "data" / "promises_test.jsonl"


@pytest.fixture(scope="module")
def model() -> TrainedStanceModel:
    return TrainedStanceModel()


def article(title: str, body: str, language: str | None = None) -> ArticleText:
    return ArticleText(title=title, body=body, language=language)


def test_model_satisfies_the_stance_seam(model):
    assert isinstance(model, StanceModel)
    assert model.version
    assert type(load_stance_model("factnlp.stance_model.model:TrainedStanceModel")).__name__ == "TrainedStanceModel"


SHARK_CLAIM = "A shark was photographed swimming on a flooded highway"
SHARK_DEBUNKED = (
    "The viral photo of a shark swimming on a flooded highway is a hoax, experts said. "
    "The image was doctored from an older picture taken off the coast of South Africa. "
    "Fact-checkers have debunked the same picture after several storms."
)
SHARK_SEEN = (
    "A resident photographed a shark swimming on the flooded highway on Sunday, police confirmed. "
    "Wildlife officers later caught the animal and released it into the sea."
)


def test_result_is_a_calibrated_distribution_with_evidence_from_the_article(model):
    result = model.predict(SHARK_CLAIM, article("", SHARK_DEBUNKED, "en"))
    assert result.stance in STANCES
    assert 0.0 <= result.confidence <= 1.0
    assert sum(result.scores.values()) == pytest.approx(1.0, abs=1e-6)
    assert result.confidence == pytest.approx(result.scores[result.stance])
    assert result.stance != "unrelated"
    assert result.evidence and all(sentence in SHARK_DEBUNKED for sentence in result.evidence)


def test_a_debunking_article_reads_as_more_contradicting_than_a_confirming_one(model):
    debunked = model.predict(SHARK_CLAIM, article("", SHARK_DEBUNKED, "en")).scores
    seen = model.predict(SHARK_CLAIM, article("", SHARK_SEEN, "en")).scores
    assert debunked["contradicts"] > seen["contradicts"]
    assert seen["confirms"] > debunked["confirms"]


def test_an_article_about_something_else_is_unrelated(model):
    body = "The central bank raised interest rates by a quarter point on Wednesday. Markets rose after the decision."
    result = model.predict(
        "A new species of frog was discovered in the Amazon rainforest", article("Rates up", body, "en")
    )
    assert result.stance == "unrelated"
    assert result.evidence == []


def test_precomputed_sentence_vectors_are_used_instead_of_re_embedding(model, monkeypatch):
    title, body = (
        "Withdrawal delayed",
        "The withdrawal was postponed indefinitely, officials said. Soldiers stay at their bases.",
    )
    sentences = (title, "The withdrawal was postponed indefinitely, officials said.", "Soldiers stay at their bases.")
    vectors = model.embedder.embed(list(sentences))
    embedded: list[list[str]] = []
    original = model.embedder.embed

    def counting_embed(texts):
        embedded.append(list(texts))
        return original(texts)

    monkeypatch.setattr(model.embedder, "embed", counting_embed)
    given = ArticleText(
        title=title,
        body=body,
        language="en",
        sentences=sentences,
        sentence_vectors=vectors,
        embedder_name=model.embedder.name,
    )
    claim = "The peacekeepers will leave the region once their mandate ends."
    result = model.predict(claim, given, claim_language="en")
    assert embedded == [[claim]]  # the claim only: the article's vectors came with it
    model.predict(claim, ArticleText(title="Other", body="The peacekeepers left on Monday.", language="en"))
    assert embedded[1:] == [["Other", "The peacekeepers left on Monday."]]  # claim vector reused
    assert result.stance in STANCES


def _held_out_promises():
    return load_jsonl_pairs(path=PROMISES_TEST, source="promises")


# The second and third files were written later by other hands, and are harder (BENCHMARKS.md §3):
# 1.2.1 gets 0.844 / 0.767 / 0.783 of the pairs right.
@pytest.mark.parametrize(
    ("path", "min_accuracy"),
    [
        (PROMISES_TEST, 0.75),
        (PROMISES_TEST.with_name("promises_test_2.jsonl"), 0.7),
        (PROMISES_TEST.with_name("promises_test_3.jsonl"), 0.7),
    ],
    ids=["first", "second", "third"],
)
def test_held_out_promises_kept_and_broken_across_languages(model, path, min_accuracy):
    pairs = load_jsonl_pairs(path=path, source="promises")
    assert {p.language for p in pairs} == {"en", "ar"} and any(p.article_language != p.language for p in pairs)
    gold, predicted = [], []
    for pair in pairs:
        result = model.predict(
            pair.claim, article(pair.title, pair.body, pair.article_language), claim_language=pair.language
        )
        gold.append(pair.stance)
        predicted.append(result.stance)
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    assert correct / len(pairs) >= min_accuracy, list(zip(gold, predicted, strict=True))
    assert macro_f1(gold=gold, predicted=predicted, labels=("confirms", "contradicts", "unrelated")) >= 0.7


def test_breach_reads_as_more_contradicting_than_fulfilment_for_every_held_out_claim(model):
    by_claim: dict[tuple[str, str | None], dict[str, list[float]]] = {}
    for pair in _held_out_promises():
        if pair.stance not in ("confirms", "contradicts"):
            continue
        result = model.predict(pair.claim, article(pair.title, pair.body, pair.article_language))
        key = (pair.claim, pair.article_language)
        by_claim.setdefault(key, {}).setdefault(pair.stance, []).append(result.scores["contradicts"])
    both = {key: scores for key, scores in by_claim.items() if len(scores) == 2}  # a kept and a broken report
    assert len(both) >= 6
    for key, scores in both.items():
        assert min(scores["contradicts"]) > max(scores["confirms"]), key


def test_arabic_cues_match_with_clitics_and_spelling_variants():
    def count(text: str, group: str) -> int:
        return count_cues(normalize_for_search(text), group)

    assert count("وقد نفت الوزارة هذه الأنباء", "refute") == 1
    assert count("هذه إشاعة لا أساس لها", "refute") == 2
    assert count("وتقرر تأجيل الانسحاب إلى أجل غير مسمى", "breach") >= 1
    assert count("غادرت آخر القوات", "fulfil") == 1
    assert count("أعلنت الوزارة افتتاح المستشفى", "refute") == 0
    assert count("The launch was postponed, officials denied a delay", "breach") == 2


def test_fnc_score_follows_the_official_weights():
    gold = ["confirms", "contradicts", "unrelated", "discusses"]
    predicted = ["confirms", "discusses", "unrelated", "unrelated"]
    # 1.0 exact related + 0.25 related-but-wrong + 0.25 unrelated + 0 of max 3.25
    assert fnc_score(gold=gold, predicted=predicted) == pytest.approx(100 * 1.5 / 3.25)


def test_classify_file_writes_one_line_per_input(tmp_path):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [
        {
            "id": "a",
            "claim": "The bridge will open by June.",
            "title": "Bridge opened",
            "body": "The bridge opened on 2 June.",
        },
        {"id": 7, "claim": "استقال الوزير", "title": "", "body": "نفت الوزارة استقالة الوزير ووصفتها بالشائعة."},
    ]
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    assert classify_file(source=source, target=target) == 2
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [o["id"] for o in out] == ["a", 7]
    assert all(o["stance"] in STANCES and 0 <= o["confidence"] <= 1 and isinstance(o["evidence"], list) for o in out)
    assert np.isfinite([o["confidence"] for o in out]).all()


def _tiny_booster(seed: int):
    import lightgbm

    rng = np.random.default_rng(seed)
    rows = rng.random((120, len(FEATURE_NAMES)))
    labels = np.arange(120) % len(STANCES)
    params = {"objective": "multiclass", "num_class": len(STANCES), "verbosity": -1, "seed": seed, "num_threads": 1}
    return lightgbm.train(params, lightgbm.Dataset(rows, labels, feature_name=list(FEATURE_NAMES)), 3)


def _write_ensemble_card(directory: Path, boosters) -> tuple[Path, list[dict]]:
    members = []
    for number, booster in enumerate(boosters):
        text = booster.model_to_string()
        name = f"member{number}.lgb.txt.gz"
        (directory / name).write_bytes(gzip.compress(text.encode("utf-8")))
        members.append({"file": name, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()})
    card = {
        "version": "test",
        "model_files": members,
        "feature_names": list(FEATURE_NAMES),
        "calibration": {"temperature": 1.0, "bias": [0.0] * len(STANCES)},
        "decision_offsets": [0.0] * len(STANCES),
    }
    path = directory / "card.json"
    path.write_text(json.dumps(card), encoding="utf-8")
    return path, members


def test_an_ensemble_artifact_averages_its_members_raw_scores(tmp_path):
    boosters = [_tiny_booster(1), _tiny_booster(2)]
    path, _ = _write_ensemble_card(tmp_path, boosters)
    rows = np.random.default_rng(3).random((5, len(FEATURE_NAMES)))

    classifier = StanceClassifier.load(path)

    expected = np.mean([booster.predict(rows, raw_score=True) for booster in boosters], axis=0)
    assert len(classifier.boosters) == 2
    assert np.allclose(classifier.raw_scores(rows), expected)
    assert not np.allclose(expected, boosters[0].predict(rows, raw_score=True)), "the members must differ"


def test_an_ensemble_member_that_does_not_match_its_checksum_is_refused(tmp_path):
    path, members = _write_ensemble_card(tmp_path, [_tiny_booster(1), _tiny_booster(2)])
    (tmp_path / members[1]["file"]).write_bytes((tmp_path / members[0]["file"]).read_bytes())

    with pytest.raises(ValueError, match="checksum"):
        StanceClassifier.load(path)


def test_timing_features_read_a_moved_date_a_kept_one_and_an_earlier_one():
    from factnlp.deadlines import DateMention
    from factnlp.stance_model.features import timing_features

    april_14, may_1 = DateMention(None, 4, 14), DateMention(None, 5, 1)
    moved = timing_features((april_14,), [(april_14, DateMention(None, 9, 22)), ()])
    assert moved == [1.0, 1.0, 1.0, 1.0, 0.0, 1.0]  # count, same, other, later, earlier, moved
    assert timing_features((may_1,), [(), (may_1,)]) == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    early = timing_features((DateMention(None, 3, None),), [(DateMention(None, 2, 21),)])
    assert early == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    # The same date and a later one in different sentences is no move.
    assert timing_features((may_1,), [(may_1,), (DateMention(None, 6, 2),)])[5] == 0.0
    undated = timing_features((), [(may_1,)])
    assert undated[0] == 0.0 and np.isnan(undated[1:]).all()


def test_an_artifact_trained_on_fewer_features_reads_its_own_columns(tmp_path):
    import lightgbm

    from factnlp.stance_model.features import TIMING_FEATURES

    names = [name for name in FEATURE_NAMES if name not in TIMING_FEATURES]
    rng = np.random.default_rng(4)
    train_rows = rng.random((120, len(names)))
    params = {"objective": "multiclass", "num_class": len(STANCES), "verbosity": -1, "seed": 4, "num_threads": 1}
    booster = lightgbm.train(params, lightgbm.Dataset(train_rows, np.arange(120) % len(STANCES), feature_name=names), 3)
    path, _ = _write_ensemble_card(tmp_path, [booster])
    card = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(card | {"feature_names": names}), encoding="utf-8")
    rows = rng.random((5, len(FEATURE_NAMES)))

    classifier = StanceClassifier.load(path)

    own_columns = rows[:, [FEATURE_NAMES.index(name) for name in names]]
    assert np.allclose(classifier.raw_scores(rows), booster.predict(own_columns, raw_score=True))
    assert not classifier.reads_dates and not StanceClassifier.load(DEFAULT_ARTIFACT).reads_dates
    path.write_text(json.dumps(card | {"feature_names": names + ["a_feature_never_computed"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="a_feature_never_computed"):
        StanceClassifier.load(path)
