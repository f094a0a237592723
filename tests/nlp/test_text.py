"""Sentence splitting, language detection and search folding, Arabic and English."""

import pytest

from factnlp.text import detect_language, normalize_for_search, split_sentences, words_fingerprint


def test_arabic_sentences_end_at_full_stops_and_question_marks_not_at_commas():
    text = "قال المتحدث باسم الكرملين، دميتري بيسكوف، إن المسألة لم تطرح. هل انسحبت القوات؟ نعم، اكتمل الانسحاب!"
    assert split_sentences(text, language="ar") == [
        "قال المتحدث باسم الكرملين، دميتري بيسكوف، إن المسألة لم تطرح.",
        "هل انسحبت القوات؟",
        "نعم، اكتمل الانسحاب!",
    ]


def test_english_abbreviations_do_not_end_sentences():
    text = "Dr. Smith met Mr. Jones at 5 p.m. in the U.S. capital. The troops left on Jan. 19. Did they? Yes."
    assert split_sentences(text, language="en") == [
        "Dr. Smith met Mr. Jones at 5 p.m. in the U.S. capital.",
        "The troops left on Jan. 19.",
        "Did they?",
        "Yes.",
    ]


def test_paragraph_breaks_always_end_a_sentence_and_blank_lines_are_dropped():
    text = "Headline without a full stop\n\n  \nFirst sentence. Second sentence\nThird line"
    assert split_sentences(text, language="en") == [
        "Headline without a full stop",
        "First sentence.",
        "Second sentence",
        "Third line",
    ]


def test_each_paragraph_gets_its_own_language_when_none_is_given():
    text = "The last troops left Kazakhstan on Wednesday. They flew home.\nغادرت القوات. وعادت إلى روسيا."
    assert split_sentences(text) == [
        "The last troops left Kazakhstan on Wednesday.",
        "They flew home.",
        "غادرت القوات.",
        "وعادت إلى روسيا.",
    ]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("القوات الروسية ستغادر كازاخستان فور انتهاء المهمة", "ar"),
        ("The forces will leave once the mission is complete.", "en"),
        # py3langid alone says Nigerian Pidgin ("pcm"), which would hide word overlap between
        # this claim and English articles as if they were in two languages.
        ("Prime Minister Elena Marsh promises snap election by June", "en"),
        ("Войска покинут Казахстан после завершения миссии.", "ru"),
        ("   ", "und"),
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_search_folding_ignores_diacritics_and_alef_hamza_and_taa_marbuta():
    assert normalize_for_search("إِنَّ القُوّاتِ المُغادِرَة") == normalize_for_search("ان القوات المغادره")


def test_search_terms_take_arabic_clitics_off_and_leave_other_scripts_whole():
    from factnlp.text import search_terms

    # "and the forces", "the forces", "forces"; "the Russian" (feminine) and "Russian".
    assert search_terms("والقوات القوات قوات") == ["قوات"] * 3
    assert search_terms("الروسية") == search_terms("روسية")
    assert search_terms("The troops are leaving") == ["the", "troops", "are", "leaving"]
    # Never fewer than three letters left: "بلد" (country) keeps its first letter.
    assert search_terms("بلد") == ["بلد"]


WIRE = "The last CSTO troops left Kazakhstan on Wednesday, completing the withdrawal, the alliance said."


@pytest.mark.parametrize(
    "reprint",
    [
        "The last CSTO troops left Kazakhstan on Wednesday -- completing the withdrawal, the alliance said",
        '"The last CSTO troops left Kazakhstan on Wednesday, completing the withdrawal," the alliance said.',
        "the last CSTO troops left  Kazakhstan on Wednesday — completing the withdrawal — the alliance said.",
    ],
)
def test_a_reprinted_sentence_has_the_same_fingerprint(reprint):
    assert words_fingerprint(reprint) == words_fingerprint(WIRE) != ""


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "The ministry said the budget would reach $5 billion next year.",
            "The ministry said the budget would reach €5 billion next year.",
        ),
        (
            "The ministry said the economy would grow by -3% in the next year.",
            "The ministry said the economy would grow by 3% in the next year.",
        ),
        (WIRE, WIRE.replace("Wednesday", "Thursday")),
    ],
)
def test_sentences_that_say_different_things_have_different_fingerprints(first, second):
    assert words_fingerprint(first) != words_fingerprint(second)


def test_short_sentences_have_no_fingerprint():
    assert words_fingerprint("Troops left on Wednesday, officials said.") == ""
    assert words_fingerprint("— — Troops left on Wednesday , officials said ! ! !") == ""
