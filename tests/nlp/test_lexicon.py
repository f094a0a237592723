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
    # Entries held to one sense by the words around them, beside the same words in the other sense.
    "He left the house, his left hand; the remains remain; in May they may plan planes, committed to it.",
    # Arabic: proclitics, exact-word entries, phrases containing a one-word entry of the group.
    "ويسمح الاتفاق لروسيا باستخدام قاعدتها الجويه لاجل غير مسمي .",
    "دخل النظام حيز التنفيذ بعد تنفيذ الاتفاق وتوقيعه رسميا",
    "نفت الوزاره الخبر الكاذب وقالت انه عار عن الصحه ولا اساس له",
    "اعلنت الحكومه وقف اطلاق النار واطلاق سراح الاسرى لكن المعارك لا تزال مستمره",
    "قال بوتين ان القوات ستغادر بعد انتهاء المهمه وسوف تنسحب قريبا",
    # Entries limited to wa-/fa- (^) or ruling continuations out (!), beside words they must miss.
    "ولم يعد سلم الجيش سلاحه ولن كولن فلا بلا لقد وقد ونفت الوزاره نفترض تنفيذ تنفي انهيار انهي",
    # Phrases beside one-word entries of the same group, and the words they must leave alone.
    "قد يكون التحقيق في الحادث وفقا لمصادر قد تم وتراجع عن وعده وتراجع الدولار فحسب وحسب",
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


def _group_count(text: str, group: str) -> int:
    return int(regex_reading(normalize_for_search(text))[0][CUE_NAMES.index(group)])


# Arabic words that fold to a cue's stem without meaning it, each the commonest such word of its
# entry in the Baly and ANS training texts (a count over their words): "تنفي" (she denies) was
# matched by "تنفيذ" (carrying out) 1,100 times there against 79 real denials.
ARABIC_FALSE_FRIENDS = [
    ("بدأ تنفيذ المشروع والجهة التنفيذية", "refute"),
    ("لنفترض ان النفير العام اعلن", "refute"),
    ("من الشائع ان يحدث ذلك", "refute"),
    ("سلم الجندي سلاحه وكلم قائده بعدما وصل", "negation"),
    ("ليستمر العمل وليستخدم الجميع", "negation"),
    ("لقد وصل زعماء العالم", "hedge"),
    ("من أجل السلام في أرجاء البلاد", "breach"),
    ("الغياب وقطع الغيار ورأي الغير", "breach"),
    ("أضف تعليقك واقرأ التعليقات", "breach"),
    ("انهيار المبنى ورحلة الطائرة", "fulfil"),
    ("قرأ الكتاب بأكمله وأقرب الناس", "fulfil"),
    ("الأمير سلمان والمظاهرات السلمية تمتد", "fulfil"),
    ("الاتحاد السوفياتي وعدد السكان وعدم وجود", "future"),
    ("التنويه والتنويع في ولاية إلينوي", "future"),
    # Words with two senses, the cue's the rarer one there: gunfire and "was called" beside a
    # launch, the executive committee and the editorial, "may" against the emphatic and "lost",
    # comments against suspension, a fall in prices against going back on, "only", achieving
    # against investigating, the prosecution, people arriving, "and aggression", "the others".
    ("أطلق عليه اسم المدينة بعد إطلاق النار ووقف إطلاق النار", "fulfil"),
    ("اللجنة التنفيذية والمدير التنفيذي في افتتاحية الصحيفة وصادق خان", "fulfil"),
    ("وقد أعلن الوزير أنه قد تم الاتفاق فقد كان الأمر محسوما", "hedge"),
    ("ليس هذا فحسب بل يحقق الجيش تقدما لتحقيق السلام", "hedge"),
    ("رفض التعليق وعلق على القرار في تعليقه", "breach"),
    ("تراجع سعر الدولار وتراجعت الأسهم", "breach"),
    ("طالب الادعاء العام بالسجن", "refute"),
    ("القادمين من الخارج والعدوان والعدالة", "future"),
    ("رأي الغير", "negation"),
    ("يرجى الاتصال بالوزارة من أرجاء البلاد، وقال سيرجي", "breach"),
]


ARABIC_STILL_COUNTED = [
    ("نفت الوزارة الخبر وتنفي الشركة ما نفته الصحف، ونفى المتحدث", "refute", 4),
    ("انتشرت شائعة وشائعات كثيرة", "refute", 2),
    ("لم يحدث ولن يحدث، ليس صحيحا ولا يمكن، وليست هذه المرة بلا سبب، مع عدم وجود", "negation", 7),
    ("زعم الوزير وقد يكون", "hedge", 2),
    ("قد يكون وقد تتغير، فتح تحقيق في الحادث وحسب المصادر", "hedge", 5),
    ("تأجيل الموعد، ألغي الاجتماع، ألغت الحكومة القرار، وتراجعت عن وعدها", "breach", 4),
    ("أُرجئت الانتخابات ثم أُرجئ الاقتراع، وتأجّل الافتتاح وتأجلت القمة، وقررت إرجاء القرار", "breach", 5),
    ("أكمل الجيش انسحابه وأنهى المهمة ورحل آخر جندي، وأقر البرلمان القانون وسلمت القوات مواقعها", "fulfil", 6),
    ("وسوف يغادر كما وعد الرئيس، وتنوي الحكومة", "future", 3),
]


# English words with a second sense that FNC-1's training texts use more than the cue's (a
# concordance of each entry there): planes and plants against plans, the committee, human remains,
# the left hand, opened fire, passed away, "completely false", the month of May, allegiance.
ENGLISH_FALSE_FRIENDS = [
    ("The planes flew over the plant and the planet.", "future"),
    ("The committee sat next to the window.", "future"),
    ("The remains of the victim and the remaining hostages; the remainder of 2014.", "breach"),
    ("He held it in his left hand, was left stunned, left-wing and left-leaning voters (pictured, left).", "fulfil"),
    ("Police opened fire; the actor passed away; it is completely false; pizza delivery.", "fulfil"),
    ("In May 2014 the group pledged allegiance; reporters asked.", "hedge"),
    ("The village lies near the border; he was dismissed from his job; it is made up of two parts.", "refute"),
    ("Voters were put off by the noise.", "breach"),
]


ENGLISH_STILL_COUNTED = [
    ("The last troops left on 19 January, completed the withdrawal and opened the border.", "fulfil", 3),
    ("He left the house; she had left for Syria; the law passed and the bridge was completed.", "fulfil", 4),
    ("The plans were planned; they may be late, it was reported; the committee committed to it.", "future", 3),
    ("They may not come, reports said, and he alleged it.", "hedge", 3),
    ("The troops remain; the ban remains in force; talks stalled.", "breach", 3),
    ("The vote was rescheduled and the launch put off; the works are behind schedule and fell short.", "breach", 4),
    ("He dismissed the claims as lies; it is all made up.", "refute", 3),
]


@pytest.mark.parametrize(("text", "group"), ARABIC_FALSE_FRIENDS + ENGLISH_FALSE_FRIENDS)
def test_words_in_another_sense_than_the_cue_are_not_counted(text, group):
    assert _group_count(text, group) == 0


@pytest.mark.parametrize(("text", "group", "count"), ARABIC_STILL_COUNTED + ENGLISH_STILL_COUNTED)
def test_cue_words_still_counted(text, group, count):
    assert _group_count(text, group) == count
