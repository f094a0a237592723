"""Bilingual (English/Arabic) cue lexicons that stance features count in claims and sentences.

English entries are regular-expression fragments matched on whole words; where a word's other
sense is common in news, lookarounds keep the cue's (``opened`` but not ``opened fire``,
``may`` but not ``in May``). Arabic entries are stems written in ordinary spelling: they are
folded like search text, may carry the usual proclitics (wa-, fa-, bi-, li-, ka-, sa-, al-) and
any suffix, unless they end with ``$``. A leading ``^`` allows only wa- and fa- before the stem
(particles: ``^لم$`` is not the end of ``سلم``), a leading ``=`` none (``=حسب$`` is "according
to", ``فحسب`` is "only"); ``!a,b`` after the stem rules out words continuing with ``a`` or
``b`` (``تنفي!ذ`` denies, ``تنفيذ`` is carrying out). An entry of several words matches them in
a row, the last one as a stem: where the word alone has two senses, the phrase keeps the one
meant (``تراجع عن``, went back on, where ``تراجع`` alone is mostly a fall in prices; ``قد ي``,
may, where ``قد`` before a past verb is emphatic). Folding makes many Arabic words share a
stem: an entry is only as good as the corpus words it does not catch
(``tests/nlp/test_lexicon.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from factnlp.text import normalize_for_search

# Packed word lists read better than one entry per line.
# fmt: off
CUE_GROUPS: dict[str, dict[str, list[str]]] = {
    # The article says the claim is false or did not happen.
    "refute": {
        "en": [
            r"fake\w*", r"hoax\w*", r"false(?:ly|hood)?", r"debunk\w*", r"den(?:y|ied|ies|ial|ying)",
            r"rumou?rs?", r"fabricat\w*", r"untrue", r"not true", r"misleading", r"bogus", r"baseless",
            r"unfounded", r"refut\w*", r"dismiss(?:es|ed|ing)?(?!\s+from\b)", r"reject\w*", r"satir\w*",
            r"photoshop\w*", r"doctored", r"myths?", r"no evidence", r"pranks?", r"scams?", r"retract\w*",
            r"incorrect", r"lies(?!\s+(?:near|in|on|at|between|within|behind|beneath|under)\b)", r"lied",
            r"liars?", r"never happened", r"not the case", r"misinformation", r"disinformation",
            r"conspiracy", r"spoof\w*", r"parody", r"made up(?!\s+of\b)", r"debunked",
        ],
        "ar": [
            "نفي!ر,س", "نفت$", "نفته$", "نفتها$", "ينفي", "تنفي!ذ,س", "نفوا", "كذب", "اكذوبه", "كاذب",
            "مكذوب", "تكذيب", "شائعه", "شائعات", "اشاع", "مفبرك", "فبرك", "ملفق", "تلفيق",
            "عار عن الصحه", "عاري عن الصحه", "لا اساس", "غير صحيح", "لا صحه", "زائف", "مزيف", "تزييف",
            "مزاعم", "دحض", "مضلل", "تضليل", "انكر", "ينكر", "لم يحدث", "خبر كاذب", "مفتعل", "مغلوط",
        ],
    },
    "negation": {
        "en": [
            r"not", r"no", r"never", r"\w+n't", r"none", r"nobody", r"nothing", r"neither", r"nor",
            r"without", r"cannot", r"unable",
        ],
        "ar": [
            "^لا$", "^بلا$", "^لم$", "^لن$", "^ليس$", "^ليست$", "^ليسوا$", "^ليسا$", "^لست$", "^لسنا$",
            "^غير$", "^بغير$", "^لغير$", "عدم$", "^بدون", "دون$", "^ولا$", "^ولم$", "^ولن$",
        ],
    },
    # Reporting without taking a side: typical of "discusses".
    "hedge": {
        "en": [
            r"reportedly", r"allegedly", r"alleg(?:e|es|ed|ing|ations?)", r"claim\w*", r"according to",
            r"rumou?red", r"purported\w*", r"unconfirmed", r"unverified",
            r"(?<!in )(?<!of )(?<!since )(?<!until )(?<!early )(?<!late )may(?!\s+\d)", r"might", r"could",
            r"possibly", r"apparently", r"appears?", r"seem\w*", r"suggest\w*", r"speculat\w*", r"believed",
            r"said to", r"sources?", r"report(?:s|ed|ing)?", r"if true", r"question\w*", r"investigat\w*",
        ],
        "ar": [
            "يزعم", "زعم!اء", "ادعاءات", "وفقا", "بحسب", "=حسب$", "=وحسب$", "نقلا", "افادت", "افاد",
            "انباء", "تقارير", "مصادر", "ذكرت", "يعتقد", "ربما", "^قد ي", "^قد ت!م", "^قد ن", "^قد لا$",
            "محتمل", "يبدو", "غير مؤكد", "لم يتسن", "لم يتم التاكد", "تداول", "متداول", "^التحقيق",
            "^للتحقيق", "^بالتحقيق", "تحقيقات", "تحقيق في", "تحقيقا في", "يحقق في", "يحققون في",
        ],
    },
    # A promised or predicted outcome did not happen (yet): breach of the claim.
    "breach": {
        "en": [
            r"postpon\w*", r"delay\w*", r"cancel\w*", r"call(?:ed|s|ing)? off", r"scrap\w*", r"suspend\w*",
            r"suspension", r"halt\w*", r"abandon\w*", r"shelv(?:e|ed|ing)", r"revers(?:e|ed|es|ing|als?)",
            r"backtrack\w*", r"u-turn", r"reneg(?:e|ed|es|ing)", r"broken promises?",
            r"broke (?:its|his|her|their) promise", r"fail\w*", r"missed", r"put on hold", r"on hold",
            r"indefinitely", r"not yet", r"still", r"remain(?:ed)?",
            r"(?<!the )(?<!human )(?<!his )(?<!her )(?<!their )remains(?!\s+of\b)", r"stall(?:s|ed|ing)?",
            r"froze", r"frozen", r"freez(?:e|es|ing)", r"went back on", r"overdue", r"pushed back",
            r"deferred", r"defer\w*", r"blocked", r"rul(?:ed|es) out", r"dropped", r"reschedul\w*",
            r"put off(?!\s+by\b)", r"behind schedule", r"f(?:e|a)ll(?:s|ing)? short",
        ],
        "ar": [
            "تاجيل", "اجلت", "ارجا$", "ارجات$", "يؤجل", "تؤجل", "مؤجل", "تاخير", "تاخر", "الغاء",
            "^الغي$", "^الغيت$", "^الغت$", "يلغي", "تلغي!م", "تجميد", "جمد", "تراجع عن", "تراجعت عن",
            "تراجعوا عن", "تراجعه عن", "يتراجع عن", "تتراجع عن", "يتراجعون عن", "فشل", "اخفق", "اخفاق",
            "لم يتم", "لم ينفذ", "تعثر", "توقف", "اوقف", "ايقاف", "حتي اشعار اخر", "اجل غير مسمي",
            "لا يزال", "لا تزال", "ما زال", "ما زالت", "مازال", "مازالت", "بقيت", "نكث!ف", "اخلف",
            "عرقل", "استبعد",
            # The passive forms fold away from the active ones: أُرجئت -> ارجيت, تأجّل -> تاجل. The
            # verbal noun إرجاء folds like أرجاء (throughout, "في أرجاء البلاد"), so it counts only
            # after a verb of decision.
            "ارجيت$", "ارجي$", "تاجل", "يتاجل", "قرر ارجاء", "قررت ارجاء", "تقرر ارجاء", "تم ارجاء",
        ],
    },
    # A promised or predicted outcome happened: fulfilment of the claim.
    "fulfil": {
        "en": [
            r"complet(?:e|ed|es|ing|ion)", r"finish\w*", r"accomplish\w*", r"fulfil\w*",
            r"deliver(?:s|ed|ing)?", r"achiev\w*", r"carried out", r"implement\w*", r"departed", r"withdrew",
            r"withdrawn", r"pulled out", r"opened(?!\s+fire\b)", r"inaugurat\w*", r"launched", r"signed",
            r"passed(?!\s+away\b)", r"approved", r"enacted", r"took effect", r"came into force",
            r"took office", r"handed over", r"concluded", r"wrapped up", r"officially", r"finally",
            r"already", r"kept (?:its|his|her|their) promise", r"on schedule", r"as promised", r"as planned",
            r"went ahead",
            # The verb, not the side (left hand, left-wing, "(pictured, left)") nor the passive
            # (was left with, left stunned).
            r"(?<!his )(?<!her )(?<!their )(?<!its )(?<!the )(?<!my )(?<!was )(?<!were )(?<!been )(?<!being )"
            r"(?<!be )(?<!is )(?<!are )left(?!\s*-|\s*\)|\s+(?:hand|arm|side|eye|ear|leg|knee|foot|elbow|shoulder|"
            r"wing|behind|over|with)\b)",
        ],
        "ar": [
            "^اكمل", "اكتمل", "استكمل", "انجز", "انجاز", "انتهي", "انتهت", "انهي!ار", "انهت", "اختتم",
            "غادر", "مغادره", "انسحب", "انسحاب", "رحل$", "رحلت$", "رحلوا$", "رحيل", "افتتح", "افتتاح!ي",
            "دشن", "تدشين", "وقع$", "وقعت", "توقيع", "^اقر$", "^اقرت$", "اقرار", "صادق علي", "صادقت",
            "مصادقه", "حيز التنفيذ", "نفذ", "تنفيذ!ي", "تم$", "تمت$", "سلمت$", "سلموا$", "تسليم",
            "تسلم", "رسميا", "بالفعل", "اخيرا", "كما وعد",
        ],
    },
    # The claim is about the future (promise, plan, prediction).
    "future": {
        "en": [
            r"will", r"shall", r"going to", r"plan(?:s|ned|ning|ners?)?", r"promis\w*", r"pledg\w*",
            r"vow\w*", r"expect\w*", r"intend\w*", r"set to", r"scheduled", r"soon", r"next(?!\s+to\b)",
            r"upcoming", r"commit(?:s|ted|ting)?\s+to", r"commitments?", r"would", r"to be",
        ],
        "ar": [
            "^سوف$", "يعتزم", "تعتزم", "تعهد", "وعد!م,د,وان,ال", "يخطط", "تخطط", "خطه", "من المقرر",
            "من المتوقع", "يتوقع", "^ينوي", "تنوي$", "المقبل", "القادم!ين,ون", "قريبا", "بحلول", "عزم",
            "ستغادر", "سيغادر", "سينسحب", "ستنسحب", "سيتم", "ستتم",
        ],
    },
}

# fmt: on

# Pairs of words with opposite meaning: a claim using one side and evidence the other
# is a contradiction signal (ANS "disagree" pairs are often built this way).
ANTONYMS: list[tuple[str, str]] = [
    (r"increas\w*|ris(?:e|es|ing)|rose|up|higher|gain\w*", r"decreas\w*|f(?:a|e)ll\w*|drop\w*|down|lower|declin\w*"),
    (r"win|wins|won|winning|victor\w*", r"los(?:e|es|t|ing)|defeat\w*"),
    (r"alive|surviv\w*", r"dead|die[sd]?|killed|death"),
    (r"open\w*", r"clos\w*|shut\w*"),
    (r"accept\w*|approv\w*|agree\w*", r"reject\w*|refus\w*|oppos\w*|veto\w*"),
    (r"arrest\w*|detain\w*", r"releas\w*|freed|acquit\w*"),
    (r"more|most", r"less|fewer|least"),
    (r"start\w*|begin\w*|began|launch\w*", r"end(?:s|ed)?|stop\w*|finish\w*"),
    (r"peace\w*|ceasefire|truce", r"war|fight\w*|clash\w*"),
    (r"ارتفاع|ارتفع|صعود|زياده|زاد|يرتفع|ترتفع", r"انخفاض|انخفض|هبوط|تراجع|نقص|يتراجع|تنخفض|ينخفض"),
    (r"فوز|فاز|يفوز|تفوز", r"خساره|خسر|هزيمه|يخسر|تخسر"),
    (r"نجا|نجاه", r"وفاه|توفي|مقتل|قتل|موت|مات"),
    (r"فتح|افتتاح|يفتح", r"اغلاق|اغلق|يغلق|تغلق"),
    (r"قبول|وافق|موافقه", r"رفض|رفضت|يرفض|ترفض|معارضه"),
    (r"اعتقال|اعتقل|القبض", r"افراج|اطلاق سراح|الافراج"),
    (r"سلام|هدنه|وقف اطلاق النار", r"حرب|قتال|اشتباك\w*|معارك"),
    (r"دعم|يدعم|تدعم|تاييد", r"ضد|يعارض|تعارض|معارضه"),
    (r"اكثر|اكبر", r"اقل|اصغر"),
]

_ARABIC_PROCLITICS = r"(?:[وف]?(?:[بلك]|ال|بال|لل|كال|س)?(?:ال)?)"


def _entry_body(entry: str, language: str) -> str:
    """What a cue entry matches, proclitics included, without the word edges around it."""
    if language == "en":
        return f"(?:{entry})"
    proclitics = {"^": "[وف]?", "=": ""}.get(entry[:1], _ARABIC_PROCLITICS)
    exact = entry.endswith("$")
    stem, _, excluded = entry.strip("^=$").partition("!")
    body = re.escape(normalize_for_search(stem)).replace(r"\ ", r"\s+")
    if excluded:
        body += "(?!" + "|".join(re.escape(normalize_for_search(e)) for e in excluded.split(",")) + ")"
    suffix = "" if exact else r"\w*"
    return f"(?:{proclitics}{body}{suffix})"


_EDGES = {"en": (r"\b", r"\b"), "ar": (r"(?<!\w)", r"(?!\w)")}


def _entry_pattern(entry: str, language: str) -> str:
    start, end = _EDGES[language]
    return f"{start}{_entry_body(entry, language)}{end}"


@lru_cache(maxsize=1)
def compiled_cues() -> dict[str, dict[str, re.Pattern[str]]]:
    """Per cue group, one compiled pattern per script ("en" for Latin, "ar" for Arabic).

    Sentences are matched only against the patterns of the scripts they contain, which
    halves the cost of the long alternations.
    """
    patterns: dict[str, dict[str, re.Pattern[str]]] = {}
    for group, by_language in CUE_GROUPS.items():
        patterns[group] = {
            language: re.compile("|".join(_entry_pattern(entry, language) for entry in entries))
            for language, entries in by_language.items()
        }
    return patterns


@lru_cache(maxsize=1)
def compiled_antonyms() -> dict[str, list[tuple[int, re.Pattern[str], re.Pattern[str]]]]:
    """Per script, (pair index, left side, right side) whole-word patterns on search-normalised text."""
    pairs: dict[str, list[tuple[int, re.Pattern[str], re.Pattern[str]]]] = {"en": [], "ar": []}
    for index, (left, right) in enumerate(ANTONYMS):
        arabic = bool(re.search("[\u0600-\u06ff]", left))
        prefix = rf"(?<!\w){_ARABIC_PROCLITICS}" if arabic else r"\b"
        pairs["ar" if arabic else "en"].append(
            (index, re.compile(rf"{prefix}(?:{left})(?!\w)"), re.compile(rf"{prefix}(?:{right})(?!\w)"))
        )
    return pairs


_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_LATIN_SCRIPT = re.compile("[a-z]")


def scripts_of(normalised: str) -> tuple[str, ...]:
    """Which lexicon scripts occur in search-normalised text."""
    found = []
    if _LATIN_SCRIPT.search(normalised):
        found.append("en")
    if _ARABIC_SCRIPT.search(normalised):
        found.append("ar")
    return tuple(found)


_WORD = re.compile(r"\w+")
_NON_WORD_SYNTAX = re.compile(r"\\w|[()?:|*+$^=!,]")


def _single_word(entry: str) -> bool:
    """Whether an entry can only ever match one whole word: no spaces, apostrophes or hyphens."""
    return _NON_WORD_SYNTAX.sub("", entry).isalnum()


class CueReader:
    """Cue counts and antonym sides of search-normalised text, a word at a time.

    Gives exactly what the patterns of :func:`compiled_cues` and :func:`compiled_antonyms`
    give (the regexes stay the definition), two to five times faster as its memory of words
    warms up: almost every entry matches one whole word, so each distinct word is tested once
    against all of them and remembered. Multi-word entries are searched for in the text; where
    one occurs, that group is counted with its full pattern, because a phrase and a word inside
    it (``اجل غير مسمي`` and ``اجل``) count once there, as the alternation takes one of them.
    """

    def __init__(self, *, max_words: int = 200_000):
        # Per script: (slot, pattern a whole word must match) for the one-word entries.
        self._single: dict[str, list[tuple[tuple[str, int, str], re.Pattern[str]]]] = {"en": [], "ar": []}
        self._single_bodies: dict[str, list[str]] = {"en": [], "ar": []}
        self._phrases: dict[str, list[tuple[tuple[str, int, str], re.Pattern[str]]]] = {"en": [], "ar": []}
        self._full: dict[tuple[str, int, str], re.Pattern[str]] = {}
        full = compiled_cues()
        for column, name in enumerate(CUE_NAMES):
            for language, entries in CUE_GROUPS[name].items():
                slot = ("cue", column, language)
                bodies = [(entry, _entry_body(entry, language)) for entry in entries]
                self._add(slot, bodies, phrase_pattern=_entry_pattern)
                self._full[slot] = full[name][language]
        for pair, (left, right) in enumerate(ANTONYMS):
            language = "ar" if re.search("[\u0600-\u06ff]", left) else "en"
            for side, alternatives in enumerate((left, right)):
                start = _ARABIC_PROCLITICS if language == "ar" else ""
                bodies = [(entry, f"{start}(?:{entry})") for entry in _top_level_alternatives(alternatives)]
                self._add(("antonym", pair * 2 + side, language), bodies, phrase_pattern=_antonym_pattern)
        # Most words match no entry: one test per script against all of them settles those.
        self._any_single = {
            language: re.compile(f"(?:{'|'.join(bodies)})") for language, bodies in self._single_bodies.items()
        }
        self._words: dict[str, tuple[tuple[str, int, str], ...]] = {}
        self._max_words = max_words

    def _add(self, slot, bodies: list[tuple[str, str]], *, phrase_pattern) -> None:
        language = slot[2]
        single = [body for entry, body in bodies if _single_word(entry)]
        phrases = [entry for entry, _ in bodies if not _single_word(entry)]
        if single:
            pattern = re.compile(f"(?:{'|'.join(single)})")
            self._single[language].append((slot, pattern))
            self._single_bodies[language] += single
        if phrases:
            joined = "|".join(phrase_pattern(entry, language) for entry in phrases)
            self._phrases[language].append((slot, re.compile(joined)))

    def _word_slots(self, word: str) -> tuple[tuple[str, int, str], ...]:
        slots = self._words.get(word)
        if slots is None:
            slots = tuple(
                slot
                for language, candidates in self._single.items()
                if self._any_single[language].fullmatch(word)
                for slot, pattern in candidates
                if pattern.fullmatch(word)
            )
            if len(self._words) >= self._max_words:
                self._words.clear()
            self._words[word] = slots
        return slots

    def read(self, normalised: str, cues: np.ndarray, antonyms: np.ndarray) -> None:
        """Add the text's cue counts to ``cues`` (one row) and mark its antonym sides in ``antonyms``
        (pairs x 2)."""
        counted_whole: set[tuple[str, int, str]] = set()
        for script in scripts_of(normalised):
            for slot, pattern in self._phrases[script]:
                if pattern.search(normalised) is None:
                    continue
                kind, index, _ = slot
                if kind == "cue":
                    counted_whole.add(slot)
                    cues[index] += len(self._full[slot].findall(normalised))
                else:
                    antonyms[index // 2, index % 2] = True
        for word in _WORD.findall(normalised):
            for slot in self._word_slots(word):
                kind, index, _ = slot
                if kind == "antonym":
                    antonyms[index // 2, index % 2] = True
                elif slot not in counted_whole:
                    cues[index] += 1


def _top_level_alternatives(pattern: str) -> list[str]:
    """``a|b(?:c|d)`` -> ``["a", "b(?:c|d)"]``: split on the bars outside any group."""
    parts, depth, start = [], 0, 0
    for position, char in enumerate(pattern):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(pattern[start:position])
            start = position + 1
    return parts + [pattern[start:]]


def _antonym_pattern(alternative: str, language: str) -> str:
    prefix = rf"(?<!\w){_ARABIC_PROCLITICS}" if language == "ar" else r"\b"
    return rf"{prefix}(?:{alternative})(?!\w)"


@lru_cache(maxsize=1)
def cue_reader() -> CueReader:
    return CueReader()


def count_cues(normalised: str, group: str) -> int:
    """How many cue words of a group occur in search-normalised text."""
    patterns = compiled_cues()[group]
    return sum(len(patterns[script].findall(normalised)) for script in scripts_of(normalised))


CUE_NAMES: tuple[str, ...] = tuple(CUE_GROUPS)
