"""Propose a follow-up date from a claim's text and the day it was made (Arabic and English).

``due_on`` is the last day on which the claim, read literally, could still come true
on time: "19 January" -> that day, "in two weeks" -> made_on + 14 days, "next month"
and "by the end of January" -> the last day of that month, "soon" -> a configurable
horizon. Own rules cover the phrasings dateparser misses or misreads; dateparser is a
fallback for whatever they do not cover ("tomorrow", "by Friday", "the 25th").

When several phrases are present the most specific kind wins, in the order of
``RULE_PRIORITY`` (explicit_date > end_of_period > relative > dateparser > vague);
among phrases of the same kind the earliest due date wins, because an early
reminder costs an editor one look while a late one lets a broken promise go unseen.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from factnlp.text import normalize_arabic

__all__ = ["FollowUpProposal", "RULE_PRIORITY", "COMING_HORIZON_DAYS", "propose_follow_up"]

RULE_PRIORITY = ("explicit_date", "end_of_period", "relative", "dateparser", "vague")

# "In the coming days/weeks/months" says more than "soon": a fixed horizon per unit
# keeps those proposals ordered sensibly whatever the configured vague horizon is.
COMING_HORIZON_DAYS = {"day": 7, "week": 28, "month": 90}

# A yearless day-month a few days before the claim ("on 9 January, Putin said ...")
# is the date of the statement or of a past event, not a promise a year away.
_RECENT_PAST_DAYS = 14


@dataclass(frozen=True)
class FollowUpProposal:
    """A proposed follow-up date, the text span it came from and the rule that read it."""

    due_on: date
    phrase: str
    rule: str


# --- normalisation with a map back to the original text -----------------------------

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@dataclass(frozen=True)
class _NormalisedText:
    text: str
    origin: tuple[int, ...]  # origin[i] = index in the source of normalised char i
    source: str

    def source_bounds(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in the source of the non-empty normalised span [start, end)."""
        return self.origin[start], self.origin[end - 1] + 1


def _normalise(source: str) -> _NormalisedText:
    """Fold Arabic spelling, digits and case character by character, remembering offsets."""
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(source):
        folded = normalize_arabic(unicodedata.normalize("NFKC", char)).translate(_DIGITS).lower()
        if folded.isspace():
            folded = " "
        for piece in folded:
            chars.append(piece)
            origin.append(index)
    return _NormalisedText("".join(chars), tuple(origin), source)


def _ar(pattern: str) -> str:
    """Write patterns in ordinary Arabic spelling; match them against folded text."""
    return normalize_arabic(pattern)


def _alternation(words: dict[str, int] | list[str]) -> str:
    # Longest first so "كانون الثاني" is not cut short by a shorter name.
    names = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in names)


def _fold_key(text: str) -> str:
    return re.sub(r"\s+", " ", normalize_arabic(text).lower().strip())


# --- vocabulary --------------------------------------------------------------------

_ENGLISH_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
    "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_ENGLISH_MONTH_ABBREVIATIONS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_ARABIC_MONTHS = {
    # Egypt and the Gulf (transliterated)
    "يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "إبريل": 4, "مايو": 5, "يونيو": 6,
    "يونيه": 6, "يوليو": 7, "يوليه": 7, "أغسطس": 8, "سبتمبر": 9, "أكتوبر": 10,
    "نوفمبر": 11, "ديسمبر": 12,
    # Levant and Iraq (Syriac names)
    "كانون الثاني": 1, "شباط": 2, "آذار": 3, "نيسان": 4, "أيار": 5, "حزيران": 6,
    "تموز": 7, "أيلول": 9, "تشرين الأول": 10, "تشرين الثاني": 11, "كانون الأول": 12,
    # Maghreb (French and Moroccan forms)
    "جانفي": 1, "فيفري": 2, "أفريل": 4, "جوان": 6, "جويلية": 7, "يوليوز": 7,
    "أوت": 8, "غشت": 8, "شتنبر": 9, "نونبر": 11, "دجنبر": 12,
}  # fmt: skip
# Short names that are also common words once folded (آب/أب "father", ماي): only
# trusted right after a day number.
_ARABIC_MONTHS_AFTER_DAY_ONLY = {"آب": 8, "ماي": 5}

_MONTH_NUMBERS = {
    _fold_key(name): number
    for table in (
        _ENGLISH_MONTHS,
        _ENGLISH_MONTH_ABBREVIATIONS,
        _ARABIC_MONTHS,
        _ARABIC_MONTHS_AFTER_DAY_ONLY,
    )
    for name, number in table.items()
}
_AR_MONTHS_FULL = [_fold_key(name) for name in _ARABIC_MONTHS]
_AR_MONTHS_ANY = _AR_MONTHS_FULL + [_fold_key(name) for name in _ARABIC_MONTHS_AFTER_DAY_ONLY]
_EN_MONTHS_FULL = list(_ENGLISH_MONTHS)
_EN_MONTHS_ANY = _EN_MONTHS_FULL + list(_ENGLISH_MONTH_ABBREVIATIONS)

_MONTH_ANY = _alternation(_EN_MONTHS_ANY + _AR_MONTHS_ANY)
_MONTH_FULL = _alternation(_EN_MONTHS_FULL + _AR_MONTHS_FULL)
_EN_MONTH_ANY = _alternation(_EN_MONTHS_ANY)

_ENGLISH_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "a couple of": 2, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty-five": 45, "sixty": 60, "ninety": 90,
}  # fmt: skip
_ARABIC_NUMBERS = {
    "واحد": 1, "واحدة": 1, "اثنين": 2, "اثنان": 2, "اثنتين": 2, "ثلاث": 3, "ثلاثة": 3,
    "أربع": 4, "أربعة": 4, "خمس": 5, "خمسة": 5, "ست": 6, "ستة": 6, "سبع": 7, "سبعة": 7,
    "ثمان": 8, "ثماني": 8, "ثمانية": 8, "تسع": 9, "تسعة": 9, "عشر": 10, "عشرة": 10,
    "عشرين": 20, "عشرون": 20, "ثلاثين": 30, "ثلاثون": 30, "ستين": 60, "تسعين": 90,
}  # fmt: skip
_NUMBER_WORDS = {_fold_key(word): value for word, value in (_ENGLISH_NUMBERS | _ARABIC_NUMBERS).items()}
_EN_NUMBER = _alternation(list(_ENGLISH_NUMBERS))
_AR_NUMBER = _alternation([_fold_key(word) for word in _ARABIC_NUMBERS])

# Arabic unit forms: singular (one), dual (two), plural/accusative (after a number).
_ARABIC_UNITS = {
    "hour": ("ساعة", "ساعتين|ساعتان", "ساعات|ساعة"),
    "day": ("يوم", "يومين|يومان", "أيام|يوما|يوم"),
    "week": ("أسبوع", "أسبوعين|أسبوعان", "أسابيع|أسبوعا|أسبوع"),
    "month": ("شهر", "شهرين|شهران", "أشهر|شهور|شهرا|شهر"),
    "year": ("عام|سنة", "عامين|عامان|سنتين|سنتان", "أعوام|سنوات|سنين|عاما|عام|سنة"),
}
_AR_UNIT_BY_FORM = {
    _fold_key(form): unit for unit, forms in _ARABIC_UNITS.items() for group in forms for form in group.split("|")
}
_AR_SINGULAR = "|".join(_ar(forms[0]) for forms in _ARABIC_UNITS.values())
_AR_DUAL = "|".join(_ar(forms[1]) for forms in _ARABIC_UNITS.values())
_AR_COUNTED = "|".join(_ar(forms[2]) for forms in _ARABIC_UNITS.values())

_YEAR = r"(?:19|20)\d{2}(?!\d)"
_DAY = r"(?<!\d)(?:[12]\d|3[01]|0?[1-9])(?!\d)"
_NEXT_AR = _ar(r"(?:المقبل|القادم|المقبلة|القادمة)")
_CURRENT_AR = _ar(r"(?:الجاري|الحالي|الحالية|الجارية)")
_AR_CLITIC = "[وف]?"  # "and"/"so" glued to the next word: وقريبا، وخلال


# --- date arithmetic ----------------------------------------------------------------


def _end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _end_of_week(day: date) -> date:
    # ISO weeks (Monday to Sunday); Arab working weeks differ, but any fixed
    # convention is only a reminder date the editor can move.
    return day + timedelta(days=6 - day.weekday())


def _end_of_quarter(day: date) -> date:
    return _end_of_month(day.year, ((day.month - 1) // 3) * 3 + 3)


def _add_duration(made_on: date, quantity: int, unit: str) -> date:
    if unit == "hour":
        return made_on + timedelta(days=max(1, -(-quantity // 24)))
    if unit == "fortnight":
        return made_on + timedelta(weeks=2 * quantity)
    return made_on + relativedelta(**{f"{unit}s": quantity})


def _next_month_end_on_or_after(made_on: date, month: int) -> date:
    year = made_on.year
    return _end_of_month(year, month) if _end_of_month(year, month) >= made_on else _end_of_month(year + 1, month)


def _next_day_month(made_on: date, day: int, month: int) -> date | None:
    """The next ``day``/``month`` on or after ``made_on`` (29 February waits for a leap year).

    None when that day-month fell within the last ``_RECENT_PAST_DAYS`` days.
    """
    for year in (made_on.year - 1, made_on.year):
        try:
            past = date(year, month, day)
        except ValueError:
            continue
        if past < made_on and (made_on - past).days <= _RECENT_PAST_DAYS:
            return None
    for year in range(made_on.year, made_on.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= made_on:
            return candidate
    return None


# --- rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    due_on: date | None
    start: int
    end: int
    rule: str


Resolver = Callable[[re.Match[str], date, int], date | None]


@dataclass(frozen=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    resolve: Resolver  # (match, made_on, vague_horizon_days) -> due date or None


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(_ar(pattern), re.IGNORECASE)


def _first(match: re.Match[str], *names: str) -> str | None:
    """The first of several alternative groups that took part in the match."""
    groups = match.groupdict()
    return next((groups[name] for name in names if groups.get(name)), None)


def _month_number(text: str) -> int:
    return int(text) if text.isdigit() else _MONTH_NUMBERS[_fold_key(text)]


def _number_of(text: str) -> int:
    text = _fold_key(text)
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


def _after_horizon(match: re.Match[str], made_on: date, horizon: int) -> date:
    return made_on + timedelta(days=horizon)


# Explicit dates -------------------------------------------------------------------

_ALSO_MONTH = rf"(?:\s*[/(]\s*(?:{_MONTH_ANY})\s*\)?)?"  # "19 كانون الثاني (يناير)"


def _year_after_month(group: str) -> str:
    return rf"(?:\s*,?\s*(?:(?:{_ar('عام|سنة')}|من\s+{_ar('عام')})\s+)?(?P<{group}>{_YEAR}))?"


_YEAR_AFTER_MONTH = _year_after_month("year")


def _day_then_month(*, year: str, first_of: bool = False) -> str:
    """ "19 January", "the 19th of January", "19 كانون الثاني (يناير) 2023"; with ``first_of``
    also "الأول من تموز" (the first of July)."""
    day = rf"(?P<day>{_DAY})(?:st|nd|rd|th)?"
    if first_of:
        day = rf"(?:{day}|(?P<first>{_ar('الأول')}))"
    return rf"(?<!\w)(?:the\s+)?{day}(?:\s+of)?\s*(?:من\s+)?(?P<month>{_MONTH_ANY})\.?{_ALSO_MONTH}{year}(?!\w)"


def _month_then_day(*, month: str, day: str, year: str) -> str:
    """ "January 19", "Jan. 19th, 2023" (English only)."""
    return (
        rf"(?<!\w)(?P<{month}>{_EN_MONTH_ANY})\.?\s+(?:the\s+)?(?P<{day}>{_DAY})(?:st|nd|rd|th)?(?!\w)"
        rf"(?:,?\s*(?P<{year}>{_YEAR}))?"
    )


def _resolve_explicit(match: re.Match[str], made_on: date, _horizon: int) -> date | None:
    month, day, year = _month_number(match["month"]), int(match["day"]), match["year"]
    if year:
        return date(int(year), month, day)
    return _next_day_month(made_on, day, month)


_EXPLICIT_RULES = [
    _Rule(
        "explicit_date",
        _compile(r"(?<![\d-])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?![\d-])"),
        _resolve_explicit,
    ),
    # Day first, as Arab and British writers do; US month-first dates are misread.
    _Rule(
        "explicit_date",
        _compile(r"(?<![\d/.])(?P<day>\d{1,2})[/.](?P<month>\d{1,2})[/.](?P<year>\d{4})(?![\d/.])"),
        _resolve_explicit,
    ),
    _Rule("explicit_date", _compile(_day_then_month(year=_YEAR_AFTER_MONTH)), _resolve_explicit),
    _Rule("explicit_date", _compile(_month_then_day(month="month", day="day", year="year")), _resolve_explicit),
]

# Ends of periods ------------------------------------------------------------------

_DETERMINER = r"(?:(?:the|this|the\s+current|current)\s+)?"
_PERIOD = (
    rf"(?:(?P<month>{_MONTH_ANY})\.?{_ALSO_MONTH}{_YEAR_AFTER_MONTH}"
    rf"|(?:(?:the\s+)?year\s+|(?:ال)?(?:عام|سنة)\s+)?(?P<year_only>{_YEAR})"
    rf"|(?P<next_year>next\s+year|(?:العام|السنة)\s+{_NEXT_AR})"
    rf"|(?P<next_month>next\s+month|الشهر\s+{_NEXT_AR})"
    rf"|(?P<next_week>next\s+week|الأسبوع\s+{_NEXT_AR})"
    rf"|(?P<this_year>{_DETERMINER}year|هذا\s+العام|هذه\s+السنة|(?:العام|السنة)(?:\s+{_CURRENT_AR})?)"
    rf"|(?P<this_month>{_DETERMINER}month|هذا\s+الشهر|الشهر(?:\s+{_CURRENT_AR})?)"
    rf"|(?P<this_week>{_DETERMINER}week|هذا\s+الأسبوع|الأسبوع(?:\s+{_CURRENT_AR})?)"
    rf"|(?P<this_quarter>{_DETERMINER}quarter|(?:هذا\s+)?الربع(?:\s+{_CURRENT_AR})?))"
    r"(?!\w)"
)


def _end_of_named_period(match: re.Match[str], made_on: date) -> date | None:
    """End of the period named by groups next_*/this_* (shared by several rules)."""
    if _first(match, "next_year", "ar_next_year"):
        return date(made_on.year + 1, 12, 31)
    if _first(match, "next_month", "ar_next_month"):
        following = made_on + relativedelta(months=1)
        return _end_of_month(following.year, following.month)
    if _first(match, "next_week", "ar_next_week"):
        return _end_of_week(made_on) + timedelta(days=7)
    if _first(match, "this_year", "ar_this_year"):
        return date(made_on.year, 12, 31)
    if _first(match, "this_month", "ar_this_month"):
        return _end_of_month(made_on.year, made_on.month)
    if _first(match, "this_week", "ar_this_week"):
        return _end_of_week(made_on)
    if _first(match, "this_quarter"):
        return _end_of_quarter(made_on)
    return None


def _resolve_period(match: re.Match[str], made_on: date, _horizon: int) -> date | None:
    month = _first(match, "month", "ar_month")
    year = _first(match, "year", "ar_year")
    year_only = _first(match, "year_only", "ar_year_only")
    if month:
        if year:
            return _end_of_month(int(year), _month_number(month))
        return _next_month_end_on_or_after(made_on, _month_number(month))
    if year_only:
        return date(int(year_only), 12, 31)
    return _end_of_named_period(match, made_on)


def _resolve_before(match: re.Match[str], made_on: date, _horizon: int) -> date | None:
    """The day before the named month or year starts ("before March", "قبل 2025")."""
    month = _first(match, "month", "ar_month")
    year = _first(match, "year", "ar_year")
    if month:
        if year:
            return date(int(year), _month_number(month), 1) - timedelta(days=1)
        start = date(made_on.year, _month_number(month), 1)
        if start <= made_on:
            start = date(made_on.year + 1, start.month, 1)
        return start - timedelta(days=1)
    return date(int(_first(match, "year_only", "ar_year_only") or 0) - 1, 12, 31)


def _resolve_year_end(match: re.Match[str], made_on: date, _horizon: int) -> date | None:
    return date(int(match["year"] or made_on.year), 12, 31)


_EN_PERIOD_PREFIX = r"(?:(?:by|before|until|till|to|at|towards?|around|near|in)\s+)?"
_AR_PERIOD_PREFIX = rf"{_AR_CLITIC}(?:(?:بحلول|قبل|حتى|مع|في|عند)\s+)?"
_AR_BARE_MONTH = _alternation(_AR_MONTHS_FULL)
_EN_BARE_MONTH = _alternation(_EN_MONTHS_FULL)
_LATER = r"(?:(?:later|by|in|within|during)\s+)?"

_END_OF_PERIOD_RULES = [
    _Rule(
        "end_of_period",
        _compile(rf"(?<!\w){_EN_PERIOD_PREFIX}(?:the\s+)?(?:very\s+)?end(?:\s+of|-)\s*{_PERIOD}"),
        _resolve_period,
    ),
    _Rule(
        "end_of_period",
        _compile(rf"(?<!\w){_AR_PERIOD_PREFIX}[بل]?(?:نهاية|أواخر|ختام|آخر)\s+(?:شهر\s+)?{_PERIOD}"),
        _resolve_period,
    ),
    _Rule(
        "end_of_period",
        _compile(
            rf"(?<!\w)(?:(?:by|before|until|at|around)\s+)?(?:the\s+)?(?:(?P<year>{_YEAR})\s+)?year[-\s]end(?!\w)"
        ),
        _resolve_year_end,
    ),
    # "this year", "later this month", "هذا العام", "العام الجاري": the period still running.
    _Rule(
        "end_of_period",
        _compile(
            rf"(?<!\w){_LATER}(?:(?P<this_year>this\s+year)|(?P<this_month>this\s+month)|(?P<this_week>this\s+week))(?!\w)"
            rf"|(?<!\w){_AR_CLITIC}(?:(?:خلال|في|قبل|حتى|بحلول)\s+)?"
            rf"(?:(?P<ar_this_year>هذا\s+العام|هذه\s+السنة|(?:العام|السنة)\s+{_CURRENT_AR})"
            rf"|(?P<ar_this_month>هذا\s+الشهر|الشهر\s+{_CURRENT_AR})"
            rf"|(?P<ar_this_week>هذا\s+الأسبوع|الأسبوع\s+{_CURRENT_AR}))(?!\w)"
        ),
        lambda match, made_on, _horizon: _end_of_named_period(match, made_on),
    ),
    # "in March", "by March 2023", "في مارس", "خلال شهر نيسان": the end of that month.
    _Rule(
        "end_of_period",
        _compile(
            rf"(?<!\w)(?:in|by|until|till|during|in\s+(?:early|mid|late)|(?:early|mid|late)-?)\s+"
            rf"(?P<month>{_EN_BARE_MONTH})(?:,?\s+(?P<year>{_YEAR}))?(?!\w)"
            rf"|(?<!\w){_AR_CLITIC}(?:في|خلال|بحلول|حتى|مطلع|أوائل|منتصف)\s+(?:شهر\s+)?"
            rf"(?P<ar_month>{_AR_BARE_MONTH}){_ALSO_MONTH}(?:\s+(?:(?:عام|سنة)\s+)?(?P<ar_year>{_YEAR}))?(?!\w)"
        ),
        _resolve_period,
    ),
    # "March 2023", "مارس 2023" with no preposition.
    _Rule(
        "end_of_period",
        _compile(rf"(?<!\w)(?P<month>{_MONTH_FULL}){_ALSO_MONTH}\s*,?\s+(?:(?:عام|سنة)\s+)?(?P<year>{_YEAR})(?!\w)"),
        _resolve_period,
    ),
    _Rule(
        "end_of_period",
        _compile(
            rf"(?<!\w)before\s+(?:(?P<month>{_EN_BARE_MONTH})(?:,?\s+(?P<year>{_YEAR}))?|(?P<year_only>{_YEAR}))(?!\w)"
            rf"|(?<!\w){_AR_CLITIC}قبل\s+(?:(?:شهر\s+)?(?P<ar_month>{_AR_BARE_MONTH})(?:\s+(?P<ar_year>{_YEAR}))?"
            rf"|(?:(?:ال)?(?:عام|سنة)\s+)?(?P<ar_year_only>{_YEAR}))(?!\w)"
        ),
        _resolve_before,
    ),
    # "in 2023", "by 2025", "في 2023", "خلال عام 2023".
    _Rule(
        "end_of_period",
        _compile(
            rf"(?<!\w)(?:in|by|until|during|within)\s+(?P<year_only>{_YEAR})(?![\w/-])"
            rf"|(?<!\w){_AR_CLITIC}(?:في|خلال|بحلول|حتى)\s+(?:(?:ال)?(?:عام|سنة)\s+)?(?P<ar_year_only>{_YEAR})(?![\w/-])"
        ),
        _resolve_period,
    ),
]

# Relative durations, "next week/month/year", "next Friday" ----------------------

_EN_DURATION_TRIGGER = r"(?:in|within|after|over|during|in\s+(?:less|no\s+more)\s+than)(?:\s+the\s+next)?"
_EN_UNIT = r"hours?|days?|weeks?|fortnights?|months?|years?"
_AR_DURATION_TRIGGER = (
    r"(?:خلال|في\s+غضون|غضون|في\s+خلال|بعد|على\s+مدى|في\s+أقل\s+من"
    r"|في\s+(?:مدة|فترة|موعد)(?:\s+(?:لا\s+[تي]تجاوز|أقصاها|أقصاه))?|(?:في\s+)?مهلة(?:\s+أقصاها)?)"
)
# "after two years of war" / "بعد عامين من الحرب" count from another event, usually past.
_NOT_FROM_OTHER_EVENT = r"(?!\s+(?:of|since)\b)(?!\s+من\s+(?!الآن|اليوم|تاريخه))"

_ARABIC_WEEKDAYS = {
    "الاثنين": 0,
    "الإثنين": 0,
    "الثلاثاء": 1,
    "الأربعاء": 2,
    "الخميس": 3,
    "الجمعة": 4,
    "السبت": 5,
    "الأحد": 6,
}
_WEEKDAY_NUMBERS = {_fold_key(name): number for name, number in _ARABIC_WEEKDAYS.items()}


def _resolve_en_duration(match: re.Match[str], made_on: date, _horizon: int) -> date:
    quantity = _number_of(_first(match, "qty", "qty_from_now") or "")
    unit = (_first(match, "unit", "unit_from_now") or "").rstrip("s")
    return _add_duration(made_on, quantity, unit)


def _resolve_ar_duration(match: re.Match[str], made_on: date, _horizon: int) -> date:
    if match["unit_n"]:
        return _add_duration(made_on, _number_of(match["qty"]), _AR_UNIT_BY_FORM[match["unit_n"]])
    if match["unit_dual"]:
        return _add_duration(made_on, 2, _AR_UNIT_BY_FORM[match["unit_dual"]])
    return _add_duration(made_on, 1, _AR_UNIT_BY_FORM[match["unit_one"]])


def _resolve_next_weekday(match: re.Match[str], made_on: date, _horizon: int) -> date:
    weekday = _WEEKDAY_NUMBERS[_fold_key(match["weekday"])]
    return made_on + timedelta(days=(weekday - made_on.weekday() - 1) % 7 + 1)


_RELATIVE_RULES = [
    _Rule(
        "relative",
        _compile(
            rf"(?<!\w){_EN_DURATION_TRIGGER}\s+(?P<qty>\d+|{_EN_NUMBER})\s*-?\s*(?P<unit>{_EN_UNIT})(?!\w)"
            rf"{_NOT_FROM_OTHER_EVENT}"
            rf"|(?<!\w)(?P<qty_from_now>\d+|{_EN_NUMBER})\s+(?P<unit_from_now>{_EN_UNIT})\s+from\s+(?:now|today)(?!\w)"
        ),
        _resolve_en_duration,
    ),
    _Rule(
        "relative",
        _compile(
            rf"(?<!\w){_AR_CLITIC}{_AR_DURATION_TRIGGER}\s+"
            rf"(?:(?:ال)?(?P<qty>\d+|{_AR_NUMBER})\s+(?:ال)?(?P<unit_n>{_AR_COUNTED})"
            rf"|(?:ال)?(?P<unit_dual>{_AR_DUAL})"
            rf"|(?P<unit_one>{_AR_SINGULAR})(?:\s+واحدة?)?)"
            rf"(?:\s+(?:{_NEXT_AR}|المقبلين|القادمين))?(?!\w)(?!\s+(?:19|20)\d\d){_NOT_FROM_OTHER_EVENT}"
        ),
        _resolve_ar_duration,
    ),
    # "next month" is read as "during next month": due at its end, like "next week".
    _Rule(
        "relative",
        _compile(
            r"(?<!\w)(?:next|the\s+coming)\s+(?:(?P<next_week>week)|(?P<next_month>month)|(?P<next_year>year))(?![\w-])"
            rf"|(?<!\w){_AR_CLITIC}(?:(?:خلال|في)\s+)?"
            rf"(?:(?P<ar_next_week>الأسبوع)|(?P<ar_next_month>الشهر)|(?P<ar_next_year>العام|السنة))\s+{_NEXT_AR}(?!\w)"
        ),
        lambda match, made_on, _horizon: _end_of_named_period(match, made_on),
    ),
    _Rule(
        "relative",
        _compile(
            rf"(?<!\w){_AR_CLITIC}(?:يوم\s+)?(?P<weekday>{_alternation(list(_WEEKDAY_NUMBERS))})\s+{_NEXT_AR}(?!\w)"
        ),
        _resolve_next_weekday,
    ),
]


# Vague ------------------------------------------------------------------------------

_COMING_UNITS = {
    _fold_key(word): unit
    for unit, words in {
        "day": ("days", "الأيام", "أيام"),
        "week": ("weeks", "الأسابيع", "أسابيع"),
        "month": ("months", "الأشهر", "أشهر", "الشهور", "شهور"),
    }.items()
    for word in words
}


def _resolve_coming(match: re.Match[str], made_on: date, _horizon: int) -> date:
    unit = _COMING_UNITS[_fold_key(_first(match, "unit", "ar_unit", "ar_unit_few") or "")]
    return made_on + timedelta(days=COMING_HORIZON_DAYS[unit])


_VAGUE_RULES = [
    _Rule(
        "vague",
        _compile(
            r"(?<!\w)(?:soon|shortly|before\s+long|in\s+the\s+near\s+(?:future|term)|in\s+due\s+course"
            r"|at\s+an\s+early\s+date|as\s+soon\s+as\s+possible|imminently|any\s+day\s+now)(?!\w)"
            rf"|(?<!\w){_AR_CLITIC}(?:قريبا(?:\s+جدا)?|عما\s+قريب|في\s+القريب(?:\s+العاجل)?|في\s+وقت\s+قريب"
            r"|في\s+أقرب\s+وقت(?:\s+ممكن)?|في\s+المستقبل\s+القريب|بأسرع\s+وقت(?:\s+ممكن)?)(?!\w)"
        ),
        _after_horizon,
    ),
    # The end of an open-ended task: "once the mission is complete", "عند انتهاء مهمتها".
    _Rule(
        "vague",
        _compile(
            r"(?<!\w)(?:once|when|after|as\s+soon\s+as|until)\s+(?:\w+\s+){1,5}?"
            r"(?:(?:(?:is|are|has\s+been|have\s+been|gets?)\s+)?"
            r"(?:complete|completed|finished|accomplished|fulfilled|concluded)"
            r"|(?:is|are|will\s+be)\s+(?:over|done)|ends)(?!\w)"
            r"|(?<!\w)(?:upon|on|after|at|following)\s+(?:the\s+)?(?:completion|conclusion|end)\s+of\s+"
            r"(?:the|its|their|his|her|our)\s+(?!day\b)\w+"  # not "at the end of the day"
            rf"|(?<!\w){_AR_CLITIC}(?:عند|بعد|فور|لدى|حال|بمجرد|حين|حالما|مع|لحين|حتى)\s+"
            r"(?:الانتهاء\s+من|(?:ال)?(?:انتهاء|اكتمال|إتمام|إنجاز|استكمال))(?!\w)(?:\s+\w+)?"
            rf"|(?<!\w){_AR_CLITIC}(?:بعد\s+أن|عندما|حين|حالما|متى)\s+[تي](?:نتهي|كتمل|نجز|تم|كمل)\w*"
        ),
        _after_horizon,
    ),
    _Rule(
        "vague",
        _compile(
            r"(?<!\w)(?:(?:in|over|within|during)\s+(?:the\s+)?(?:coming|next|following)(?:\s+few)?"
            r"|(?:in|within)\s+a\s+few|in\s+the\s+next\s+few)\s+(?P<unit>days|weeks|months)(?!\w)"
            rf"|(?<!\w){_AR_CLITIC}(?:خلال|في|في\s+غضون|بعد)\s+"
            r"(?:(?P<ar_unit>الأيام|الأسابيع|الأشهر|الشهور)\s+(?:القليلة\s+)?(?:المقبلة|القادمة)"
            r"|(?:بضعة|بضع|عدة)\s+(?P<ar_unit_few>أيام|أسابيع|أشهر|شهور))(?!\w)"
        ),
        _resolve_coming,
    ),
]

_OWN_RULES = _EXPLICIT_RULES + _END_OF_PERIOD_RULES + _RELATIVE_RULES + _VAGUE_RULES

# "earlier this year", "في وقت سابق من هذا العام" describe the past.
_PAST_CONTEXT = re.compile(_ar(r"(?:earlier|last|سابق\s+من)\s*$"), re.IGNORECASE)
_LATIN = re.compile("[a-z]", re.IGNORECASE)
_MONTH_GROUPS = ("month", "ar_month")


def _lowercase_english_month(match: re.Match[str], normalised: _NormalisedText) -> bool:
    """English writes month names capitalised; "3 may leave" or "march on" are not dates."""
    for name in _MONTH_GROUPS:
        if name in match.re.groupindex and match[name] and _LATIN.match(match[name]):
            start, _end = normalised.source_bounds(*match.span(name))
            if normalised.source[start].islower():
                return True
    return False


def _own_readings(normalised: _NormalisedText, made_on: date, horizon: int) -> Iterator[_Candidate]:
    """Every phrase an own rule recognises; due_on is None when it names no usable date."""
    for rule in _OWN_RULES:
        for match in rule.pattern.finditer(normalised.text):
            due_on: date | None = None
            past_context = rule.name == "end_of_period" and _PAST_CONTEXT.search(normalised.text[: match.start()])
            if not past_context and not _lowercase_english_month(match, normalised):
                try:
                    due_on = rule.resolve(match, made_on, horizon)
                except (KeyError, ValueError, OverflowError):
                    pass  # e.g. 31 February: not a date, so not a proposal
            start, end = normalised.source_bounds(*match.span())
            yield _Candidate(due_on, start, end, rule.name)


# --- dateparser fallback -------------------------------------------------------------

# dateparser reads "may", "march on", "Sun", datelines ("said on Friday") and a bare
# year ("عام 2023" -> 10 January 2023) as dates: keep only hits with a day number or
# a forward-looking cue.
_DATEPARSER_CUES = re.compile(
    _ar(
        r"\d|(?<!\w)(?:tomorrow|tonight|next|by|until|till|before"
        r"|غدا|بعد\s+غد|المقبل|القادم|المقبلة|القادمة|بحلول|حتى)(?!\w)"
    ),
    re.IGNORECASE,
)
_YEAR_NUMBER = re.compile(_YEAR)
_LOWERCASE_MONTH = re.compile(rf"(?<![A-Za-z])(?:{_EN_MONTH_ANY})(?![A-Za-z])")  # case-sensitive on purpose
_DEFAULT_DATEPARSER_LANGUAGES = ("en", "ar")


@lru_cache(maxsize=1)
def _search_dates() -> Callable[..., list[tuple[str, datetime]] | None]:
    from dateparser.search import search_dates  # slow import: only when needed

    return search_dates


def _dateparser_candidates(text: str, made_on: date, language: str | None) -> Iterator[_Candidate]:
    languages = list(_DEFAULT_DATEPARSER_LANGUAGES)
    if language and language not in languages:
        languages.insert(0, language)
    settings = {
        "RELATIVE_BASE": datetime.combine(made_on, datetime.min.time()),
        "PREFER_DATES_FROM": "future",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    search_dates = _search_dates()
    try:
        try:
            hits = search_dates(text, languages=languages, settings=settings)
        except ValueError:  # a language code dateparser does not know
            hits = search_dates(text, languages=list(_DEFAULT_DATEPARSER_LANGUAGES), settings=settings)
    except OverflowError:  # "in 3 days" from a date near 9999-12-31 lands past the calendar
        return
    position = 0
    for found, moment in hits or []:
        start = text.find(found, position)
        if start < 0:
            continue
        position = start + len(found)
        cue_text = _YEAR_NUMBER.sub(" ", _normalise(found).text)
        if not _DATEPARSER_CUES.search(cue_text) or _LOWERCASE_MONTH.search(found):
            continue
        yield _Candidate(moment.date(), start, start + len(found), "dateparser")


# --- entry point ---------------------------------------------------------------------


def propose_follow_up(
    *,
    text: str,
    made_on: date,
    language: str | None = None,
    vague_horizon_days: int = 30,
) -> FollowUpProposal | None:
    """The follow-up date a claim's wording implies, or None when it names no time.

    ``language`` only steers the dateparser fallback; the own rules always read
    Arabic and English, since claims often quote across languages.
    """
    normalised = _normalise(text)
    readings = list(_own_readings(normalised, made_on, vague_horizon_days))
    candidates = [r for r in readings if r.due_on is not None and r.due_on >= made_on]
    if not {c.rule for c in candidates} & {"explicit_date", "end_of_period", "relative"}:
        # Phrases the own rules read (even ones they rejected, such as a past
        # "9 January") are theirs: dateparser would roll them into next year.
        claimed = [(r.start, r.end) for r in readings]
        candidates += [
            hit
            for hit in _dateparser_candidates(text, made_on, language)
            if hit.due_on is not None
            and hit.due_on >= made_on
            and not any(hit.start < end and start < hit.end for start, end in claimed)
        ]
    if not candidates:
        return None
    best = min(candidates, key=lambda c: (RULE_PRIORITY.index(c.rule), c.due_on, c.start))
    assert best.due_on is not None
    phrase = text[best.start : best.end].strip().rstrip(".,;:،")  # patterns may swallow a full stop
    return FollowUpProposal(due_on=best.due_on, phrase=phrase, rule=best.rule)


# --- dates named in a text, for the stance features ----------------------------------


@dataclass(frozen=True)
class DateMention:
    """A calendar date as a text names it: any of year, month and day may be missing."""

    year: int | None
    month: int | None
    day: int | None

    def agrees_with(self, other: DateMention) -> bool:
        """Whether the two can name the same date: a part known in both, and no such part differs."""
        shared = [(a, b) for a, b in zip(self._parts(), other._parts(), strict=True) if a is not None and b is not None]
        return bool(shared) and all(a == b for a, b in shared)

    def compare(self, other: DateMention) -> int | None:
        """-1, 0 or 1 as this date falls before, on or after ``other``; None when the text cannot tell.

        A year known on one side only cannot be compared: "1 January" and "January 2027" may be
        the same year or not.
        """
        if (self.year is None) != (other.year is None):
            return None
        for mine, theirs in zip(self._parts(), other._parts(), strict=True):
            if mine is None and theirs is None:
                continue
            if mine is None or theirs is None:
                return None
            if mine != theirs:
                return -1 if mine < theirs else 1
        return 0

    def _parts(self) -> tuple[int | None, int | None, int | None]:
        return self.year, self.month, self.day


# "may" and "march" are common words, abbreviations ("dec", "sept") too: trusted only beside a day,
# and the two words also after a preposition or before a year.
_EN_MONTHS_ALONE = [name for name in _EN_MONTHS_FULL if name not in ("may", "march")]


_DATE_MENTION = re.compile(
    "|".join(
        [
            _day_then_month(year=_year_after_month("year"), first_of=True),
            _month_then_day(month="month_first", day="day_after", year="year_after"),
            rf"(?<!\w)(?:{_AR_CLITIC}(?:ب|ل|في\s+)?(?:شهر\s+)?)?"
            rf"(?P<month_alone>{_alternation(_EN_MONTHS_ALONE + _AR_MONTHS_FULL)})"
            rf"{_ALSO_MONTH}{_year_after_month('year_of_alone')}(?!\w)",
            rf"(?<!\w)(?:(?P<preposition>in|by|until|from|since|before|after|of|early|late|mid-?)\s+)?"
            rf"(?P<word_month>may|march)(?:\s*,?\s*(?P<year_of_month>{_YEAR}))?(?!\w)",
            # A bare four-digit number is as often a count ("2000 soldiers") as a year: only after
            # a word that takes a year.
            rf"(?<!\w)(?:in|by|since|until|before|after|from|to|of|"
            rf"{_AR_CLITIC}(?:{_ar('عام|سنة|في|منذ|حتى|قبل|بعد|خلال|بحلول')}))\s+(?P<year_alone>{_YEAR})(?![\w/.-])",
        ]
    )
)


def date_mentions(normalised: str) -> tuple[DateMention, ...]:
    """Dates named in search-normalised text (Arabic folded, digits Western, lower case).

    Day and month ("14 April", "April 14", "الأول من تموز"), month alone ("in June", "في أيار"),
    with a year where one follows, and years alone ("in 2025"). Weekdays and relative phrases
    ("next month") are left out: without the day the text was written they name no date.
    """
    found = []
    for match in _DATE_MENTION.finditer(normalised):
        groups = match.groupdict()
        if groups["month"]:
            day = 1 if groups["first"] else int(groups["day"])
            found.append(DateMention(_int(groups["year"]), _month_number(groups["month"]), day))
        elif groups["month_first"]:
            found.append(
                DateMention(_int(groups["year_after"]), _month_number(groups["month_first"]), int(groups["day_after"]))
            )
        elif groups["month_alone"]:
            found.append(DateMention(_int(groups["year_of_alone"]), _month_number(groups["month_alone"]), None))
        elif groups["word_month"]:
            if groups["preposition"] or groups["year_of_month"]:
                month = 5 if groups["word_month"] == "may" else 3
                found.append(DateMention(_int(groups["year_of_month"]), month, None))
        else:
            found.append(DateMention(int(groups["year_alone"]), None, None))
    return tuple(found)


def _int(text: str | None) -> int | None:
    return int(text) if text else None
