"""Follow-up dates proposed from Arabic and English claim text."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from factnlp.deadlines import COMING_HORIZON_DAYS, FollowUpProposal, propose_follow_up

MONDAY = date(2022, 1, 10)  # the Kazakhstan claims were made on 10-11 January 2022

# (text, made_on, expected due date, expected rule)
CASES = [
    # English: explicit dates
    ("The deal will be signed on 19 January.", MONDAY, date(2022, 1, 19), "explicit_date"),
    ("Elections will be held on 19 January 2023", MONDAY, date(2023, 1, 19), "explicit_date"),
    ("The report is due 2022-03-01", MONDAY, date(2022, 3, 1), "explicit_date"),
    ("The vote is set for March 5th", MONDAY, date(2022, 3, 5), "explicit_date"),
    ("The summit opens on 19 January", date(2022, 2, 15), date(2023, 1, 19), "explicit_date"),
    ("The summit opens on 19 January", date(2022, 1, 19), date(2022, 1, 19), "explicit_date"),
    # English: relative
    ("Troops will leave in two weeks", MONDAY, date(2022, 1, 24), "relative"),
    ("Troops will leave within two weeks", MONDAY, date(2022, 1, 24), "relative"),
    ("Aid arrives in 10 days", MONDAY, date(2022, 1, 20), "relative"),
    ("A ceasefire within 48 hours", MONDAY, date(2022, 1, 12), "relative"),
    ("Prices will fall over the next three months", MONDAY, date(2022, 4, 10), "relative"),
    ("The law passes next month", MONDAY, date(2022, 2, 28), "relative"),
    ("The minister resigns next week", MONDAY, date(2022, 1, 23), "relative"),
    # English: ends of periods
    ("Withdrawal by the end of January", MONDAY, date(2022, 1, 31), "end_of_period"),
    ("Withdrawal by the end of January", date(2022, 2, 5), date(2023, 1, 31), "end_of_period"),
    ("Inflation will halve by the end of the year", MONDAY, date(2022, 12, 31), "end_of_period"),
    ("The plant will open this year", MONDAY, date(2022, 12, 31), "end_of_period"),
    ("Debt repaid by year-end", MONDAY, date(2022, 12, 31), "end_of_period"),
    ("The census will be published in March", MONDAY, date(2022, 3, 31), "end_of_period"),
    ("No new taxes before 2025", MONDAY, date(2024, 12, 31), "end_of_period"),
    # English: vague
    ("The withdrawal will happen soon", MONDAY, date(2022, 2, 9), "vague"),
    ("An announcement will follow shortly", MONDAY, date(2022, 2, 9), "vague"),
    ("Forces will leave once the mission is complete", MONDAY, date(2022, 2, 9), "vague"),
    ("More arrests in the coming days", MONDAY, date(2022, 1, 17), "vague"),
    # English: left to dateparser
    ("The border reopens tomorrow", MONDAY, date(2022, 1, 11), "dateparser"),
    ("They will decide by Friday", MONDAY, date(2022, 1, 14), "dateparser"),
    # Arabic: explicit dates
    ("سيتم التوقيع في ١٩ يناير", MONDAY, date(2022, 1, 19), "explicit_date"),
    ("تغادر القوات في 19 كانون الثاني", MONDAY, date(2022, 1, 19), "explicit_date"),
    ("الانتخابات في 5 آذار 2023", MONDAY, date(2023, 3, 5), "explicit_date"),
    ("الاجتماع في ١٩ كانون الثاني (يناير) ٢٠٢٣", MONDAY, date(2023, 1, 19), "explicit_date"),
    ("الموعد النهائي يوم 31/01/2022", MONDAY, date(2022, 1, 31), "explicit_date"),
    # Arabic: relative (digits, Arabic-Indic digits, number words, duals)
    ("ستنسحب القوات خلال أسبوعين", MONDAY, date(2022, 1, 24), "relative"),
    ("في غضون ثلاثة أيام", MONDAY, date(2022, 1, 13), "relative"),
    ("تبدأ المفاوضات بعد شهرين", MONDAY, date(2022, 3, 10), "relative"),
    ("يصل الوفد خلال يومين", MONDAY, date(2022, 1, 12), "relative"),
    ("تصل المساعدات خلال ١٠ أيام", MONDAY, date(2022, 1, 20), "relative"),
    ("وقف إطلاق النار في غضون 48 ساعة", MONDAY, date(2022, 1, 12), "relative"),
    ("خلال عشرة أيام", MONDAY, date(2022, 1, 20), "relative"),
    ("تنتهي الأزمة بعد سنتين", MONDAY, date(2024, 1, 10), "relative"),
    ("تسليم السلاح خلال 15 يوما", MONDAY, date(2022, 1, 25), "relative"),
    ("يصدر القانون الشهر المقبل", MONDAY, date(2022, 2, 28), "relative"),
    ("يستقيل الوزير الأسبوع القادم", MONDAY, date(2022, 1, 23), "relative"),
    ("تجرى الانتخابات العام المقبل", MONDAY, date(2023, 12, 31), "relative"),
    ("يعلن القرار يوم الجمعة المقبل", MONDAY, date(2022, 1, 14), "relative"),
    # Arabic: ends of periods
    ("تنسحب القوات بحلول نهاية يناير", MONDAY, date(2022, 1, 31), "end_of_period"),
    ("سينخفض التضخم قبل نهاية العام", MONDAY, date(2022, 12, 31), "end_of_period"),
    ("سيفتتح المصنع هذا العام", MONDAY, date(2022, 12, 31), "end_of_period"),
    ("تصرف الرواتب نهاية الشهر", MONDAY, date(2022, 1, 31), "end_of_period"),
    ("يكتمل المشروع بنهاية شباط", MONDAY, date(2022, 2, 28), "end_of_period"),
    ("يقر الدستور خلال العام الجاري", MONDAY, date(2022, 12, 31), "end_of_period"),
    ("تجرى الانتخابات في عام 2023", MONDAY, date(2023, 12, 31), "end_of_period"),
    # Arabic: vague
    ("الانسحاب سيتم قريبًا", MONDAY, date(2022, 2, 9), "vague"),
    ("الانسحاب سيتم قريبا", MONDAY, date(2022, 2, 9), "vague"),
    ("سَيَتِمُّ ذَلِكَ قَرِيبًا", MONDAY, date(2022, 2, 9), "vague"),
    ("سيعلن عن الحكومة في القريب العاجل", MONDAY, date(2022, 2, 9), "vague"),
    ("ستغادر عند انتهاء مهمتها", MONDAY, date(2022, 2, 9), "vague"),
    ("مزيد من الاعتقالات في الأيام المقبلة", MONDAY, date(2022, 1, 17), "vague"),
    ("تصل التعزيزات خلال الأسابيع المقبلة", MONDAY, date(2022, 2, 7), "vague"),
    # Arabic: left to dateparser
    ("يفتح المعبر غدا", MONDAY, date(2022, 1, 11), "dateparser"),
]


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in text)


def test_table_is_large_and_at_least_half_arabic() -> None:
    arabic = sum(_is_arabic(text) for text, *_ in CASES)
    assert len(CASES) >= 40
    assert arabic * 2 >= len(CASES)


@pytest.mark.parametrize(("text", "made_on", "due_on", "rule"), CASES)
def test_proposes_expected_date_and_rule(text: str, made_on: date, due_on: date, rule: str) -> None:
    proposal = propose_follow_up(text=text, made_on=made_on)

    assert proposal is not None, text
    assert (proposal.due_on, proposal.rule) == (due_on, rule)
    assert proposal.due_on >= made_on
    assert proposal.phrase and proposal.phrase in text


@pytest.mark.parametrize(
    ("text", "made_on", "phrase"),
    [
        ("The deal will be signed on 19 January.", MONDAY, "19 January"),
        ("Troops will leave within two weeks", MONDAY, "within two weeks"),
        ("Withdrawal by the end of January", MONDAY, "by the end of January"),
        ("الانسحاب سيتم قريبًا", MONDAY, "قريبًا"),
        ("ستنسحب القوات خلال أسبوعين", MONDAY, "خلال أسبوعين"),
        ("تنسحب القوات بحلول نهاية يناير", MONDAY, "بحلول نهاية يناير"),
        ("سَيَتِمُّ ذَلِكَ قَرِيبًا", MONDAY, "قَرِيبًا"),
    ],
)
def test_phrase_is_the_original_span(text: str, made_on: date, phrase: str) -> None:
    proposal = propose_follow_up(text=text, made_on=made_on)

    assert proposal is not None
    assert proposal.phrase == phrase


def test_putin_seed_claim_gets_the_vague_horizon() -> None:
    proposal = propose_follow_up(text="ستغادر القوات كازاخستان عند انتهاء مهمتها", made_on=date(2022, 1, 10))

    assert proposal == FollowUpProposal(due_on=date(2022, 2, 9), phrase="عند انتهاء مهمتها", rule="vague")


def test_tokayev_seed_claim_gets_the_vague_horizon() -> None:
    proposal = propose_follow_up(text="الانسحاب سيتم قريبًا", made_on=date(2022, 1, 11))

    assert proposal == FollowUpProposal(due_on=date(2022, 2, 10), phrase="قريبًا", rule="vague")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "The minister said inflation was 5%",
        "وقال الوزير إن التضخم بلغ 5%",
        "The minister may resign",  # "may" is not May
        "They will march on the capital",  # nor is "march"
        "Putin said on Friday that the talks were useful",  # a dateline, not a deadline
        "قال الخميس إن المحادثات مفيدة",
        "وصل الوفد قبل أسبوعين",  # "two weeks ago"
        "بعد عامين من الحرب",  # counted from a past event
        "after two years of war",
        "Prices rose sharply earlier this year",
        "ارتفعت الأسعار في وقت سابق من هذا العام",
        "انتشر تقريبا 5 آلاف جندي",  # تقريبا contains قريبا
        "In 2014 the troops left",
        "The treaty was signed on 19 January 2021",
    ],
)
def test_no_time_expression_gives_none(text: str) -> None:
    assert propose_follow_up(text=text, made_on=MONDAY) is None


@pytest.mark.parametrize("text", ["The withdrawal will happen soon", "الانسحاب سيتم قريبًا", "عند انتهاء مهمتها"])
def test_vague_horizon_is_configurable(text: str) -> None:
    for horizon in (7, 45, 90):
        proposal = propose_follow_up(text=text, made_on=MONDAY, vague_horizon_days=horizon)
        assert proposal is not None
        assert proposal.due_on == MONDAY + timedelta(days=horizon)


def test_coming_days_keep_their_own_short_horizon() -> None:
    proposal = propose_follow_up(text="في الأيام المقبلة", made_on=MONDAY, vague_horizon_days=90)

    assert proposal is not None
    assert proposal.due_on == MONDAY + timedelta(days=COMING_HORIZON_DAYS["day"])


@pytest.mark.parametrize(
    ("text", "due_on", "rule"),
    [
        # explicit beats vague, though vague comes first in the text
        ("The troops will leave soon, by 19 January at the latest", date(2022, 1, 19), "explicit_date"),
        # end of period beats relative, even when the relative date is earlier
        ("Talks start within two weeks and end by the end of the year", date(2022, 12, 31), "end_of_period"),
        ("قريبًا، وقبل نهاية العام", date(2022, 12, 31), "end_of_period"),
        # relative beats vague
        ("سيتم الانسحاب قريبا، خلال أسبوعين", date(2022, 1, 24), "relative"),
        # same kind: the earliest date
        ("The withdrawal begins in two days and ends within ten days", date(2022, 1, 12), "relative"),
    ],
)
def test_most_specific_phrase_wins(text: str, due_on: date, rule: str) -> None:
    proposal = propose_follow_up(text=text, made_on=MONDAY)

    assert proposal is not None
    assert (proposal.due_on, proposal.rule) == (due_on, rule)


def test_recent_yearless_date_is_a_dateline_not_next_year() -> None:
    # "9 January" the day before the claim is when it was said, not January 2023.
    proposal = propose_follow_up(text="On 9 January, Putin said the troops will leave soon", made_on=MONDAY)

    assert proposal is not None
    assert (proposal.due_on, proposal.rule) == (date(2022, 2, 9), "vague")


def test_language_hint_does_not_change_own_rules() -> None:
    text = "ستنسحب القوات خلال أسبوعين"

    assert propose_follow_up(text=text, made_on=MONDAY, language="ar") == propose_follow_up(text=text, made_on=MONDAY)


@pytest.mark.parametrize(
    "text", ["We will open the bridge by Friday", "We will finish in 3 days", "سننتهي خلال ثلاثة أيام"]
)
def test_a_claim_made_at_the_end_of_the_calendar_gets_no_date_past_it(text: str) -> None:
    proposal = propose_follow_up(text=text, made_on=date(9999, 12, 30))

    assert proposal is None or proposal.due_on >= date(9999, 12, 30)


# --- dates named in a text (the stance features' timing) -----------------------------

# (text, the dates it names as (year, month, day))
MENTIONS = [
    ("The referendum was moved from 14 April to 22 September.", [(None, 4, 14), (None, 9, 22)]),
    ("Lawmakers moved the ban from 1 January to January 2027.", [(None, 1, 1), (2027, 1, None)]),
    ("Shares began trading on June 18, 2025.", [(2025, 6, 18)]),
    ("Visitors in 2025 fell; 2000 soldiers left.", [(2025, None, None)]),
    ("Rates may rise in March; a march on May Day; by May 2024.", [(None, 3, None), (2024, 5, None)]),
    ("The report is out in June and the vote on 3 May.", [(None, 6, None), (None, 5, 3)]),
    ("إعادة الافتتاح المقررة في أيار أُرجئت إلى كانون الأول", [(None, 5, None), (None, 12, None)]),
    (
        "كان مقرراً في الأول من تموز، ويجري في 14 نيسان (أبريل) 2025 وعام 2024",
        [(None, 7, 1), (2025, 4, 14), (2024, None, None)],
    ),
    ("لا تاريخ هنا، وعدد الجنود 2000", []),
]


@pytest.mark.parametrize(("text", "expected"), MENTIONS)
def test_dates_named_in_a_text(text, expected):
    from factnlp.deadlines import date_mentions
    from factnlp.stance_model.features import _fold_digits
    from factnlp.text import normalize_for_search

    found = date_mentions(_fold_digits(normalize_for_search(text)))
    assert [(m.year, m.month, m.day) for m in found] == expected


def test_dates_agree_where_their_known_parts_do_and_compare_only_where_the_text_tells():
    from factnlp.deadlines import DateMention

    first_january, january_2027 = DateMention(None, 1, 1), DateMention(2027, 1, None)
    april_14, september_22 = DateMention(None, 4, 14), DateMention(None, 9, 22)
    assert first_january.agrees_with(january_2027)  # the same month, no part differs
    assert not april_14.agrees_with(september_22)
    assert not DateMention(2025, None, None).agrees_with(DateMention(2026, 4, 3))
    assert september_22.compare(april_14) == 1 and april_14.compare(september_22) == -1
    assert DateMention(None, 4, None).compare(DateMention(None, 4, 30)) is None  # "April" vs "30 April"
    assert january_2027.compare(first_january) is None  # the year is known on one side only
    assert DateMention(2026, None, None).compare(DateMention(2025, 12, 31)) == 1
    assert DateMention(2025, None, None).compare(DateMention(2025, 12, 31)) is None
    assert DateMention(2026, 1, None).compare(DateMention(2025, 12, 31)) == 1
