"""The word-at-a-time cue reader against the cue and antonym regexes it must reproduce."""

import numpy as np
import pytest

from factnlp.stance_model.lexicon import (
    ANTONYMS,
    CUE_NAMES,
    CueReader,
    compiled_antonyms,
    compiled_cues,
    scripts_of,
)
from factnlp.text import normalize_for_search


def regex_reading(normalised: str) -> tuple[np.ndarray, np.ndarray]:
    """The definition: every group's alternation counted with findall, every antonym side searched."""
    cues = np.zeros(len(CUE_NAMES), dtype=np.float32)
    antonyms = np.zeros((len(ANTONYMS), 2), dtype=bool)
    for script in scripts_of(normalised):
        for column, name in enumerate(CUE_NAMES):
            cues[column] += len(compiled_cues()[name][script].findall(normalised))
        for pair, left, right in compiled_antonyms()[script]:
            antonyms[pair, 0] |= left.search(normalised) is not None
            antonyms[pair, 1] |= right.search(normalised) is not None
    return cues, antonyms


TEXTS = [
    # English: plain words, inflections, phrases that overlap one another and words.
    "The withdrawal was postponed indefinitely and the plan was put on hold, not yet on hold.",
    "Officials denied the report; it is not true, a hoax they said, and nobody didn't know.",
    "The troops are set to be withdrawn soon; they will leave as planned, going to rise.",
    "A U-turn: the government reversed course, scrapped the pledge and broke its promise.",
    "Prices rose, then fell; the party won but lost the vote; the border opened and closed.",
    "The last soldiers left on 19 January, completing the withdrawal ahead of schedule.",
    # Arabic: proclitics, exact-word entries, phrases containing a one-word entry of the group.
    "ويسمح الاتفاق لروسيا باستخدام قاعدتها الجويه لاجل غير مسمي .",
    "دخل النظام حيز التنفيذ بعد تنفيذ الاتفاق وتوقيعه رسميا",
    "نفت الوزاره الخبر الكاذب وقالت انه عار عن الصحه ولا اساس له",
    "اعلنت الحكومه وقف اطلاق النار واطلاق سراح الاسرى لكن المعارك لا تزال مستمره",
    "قال بوتين ان القوات ستغادر بعد انتهاء المهمه وسوف تنسحب قريبا",
    # Mixed scripts, digits and an empty text.
    "Tokayev said الانسحاب will happen soon, 2022 ٢٠٢٢",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_reader_counts_what_the_regexes_count(text):
    normalised = normalize_for_search(text)
    cues = np.zeros(len(CUE_NAMES), dtype=np.float32)
    antonyms = np.zeros((len(ANTONYMS), 2), dtype=bool)

    CueReader().read(normalised, cues, antonyms)

    expected_cues, expected_antonyms = regex_reading(normalised)
    assert cues.tolist() == expected_cues.tolist()
    assert antonyms.tolist() == expected_antonyms.tolist()


def test_texts_exercise_every_cue_group_and_phrase_overlaps():
    readings = [regex_reading(normalize_for_search(text)) for text in TEXTS]
    assert (np.stack([cues for cues, _ in readings]) > 0).any(axis=0).tolist() == [True] * len(CUE_NAMES)
    # A phrase and a word inside it count once: the case a plain word count gets wrong.
    breach = CUE_NAMES.index("breach")
    assert regex_reading(normalize_for_search("لاجل غير مسمي"))[0][breach] == 1


def test_a_full_word_memory_is_emptied_not_wrong():
    reader = CueReader(max_words=3)
    for _ in range(2):
        for text in TEXTS:
            normalised = normalize_for_search(text)
            cues = np.zeros(len(CUE_NAMES), dtype=np.float32)
            antonyms = np.zeros((len(ANTONYMS), 2), dtype=bool)
            reader.read(normalised, cues, antonyms)
            assert cues.tolist() == regex_reading(normalised)[0].tolist()
