"""Language detection, sentence splitting and search normalisation (Arabic-aware)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

import sentencex

# Harakat, tanwin, shadda, sukun, superscript alef and Quranic marks: editors and
# outlets write the same word with or without them, so search must ignore them.
_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_ALEF_FORMS = str.maketrans(
    {
        "\u0622": "\u0627",  # alef madda
        "\u0623": "\u0627",  # alef hamza above
        "\u0625": "\u0627",  # alef hamza below
        "\u0671": "\u0627",  # alef wasla
        "\u0649": "\u064a",  # alef maqsura -> yaa
        "\u0629": "\u0647",  # taa marbuta -> haa
        "\u0624": "\u0648",  # waw hamza -> waw
        "\u0626": "\u064a",  # yaa hamza -> yaa
    }
)
# Combining marks below the Arabic block (Latin, Greek, Cyrillic accents), deleted by str.translate.
_LATIN_COMBINING_MARKS = dict.fromkeys(cp for cp in range(0x0600) if unicodedata.combining(chr(cp)))
_WORD = re.compile(r"\w+", re.UNICODE)


def strip_arabic_marks(text: str) -> str:
    """Text without harakat, Quranic marks and tatweel, letters untouched.

    This, not the full search folding, is what embedders should see: vocalised
    Arabic embeds badly with USE (0.10 against its plain twin, 0.72 stripped),
    while folding taa marbuta and alef forms makes cross-lingual similarity worse.
    """
    return _ARABIC_DIACRITICS.sub("", text).replace(_TATWEEL, "")


def normalize_arabic(text: str) -> str:
    """Fold the spelling variants Arabic writers use interchangeably."""
    return strip_arabic_marks(text).translate(_ALEF_FORMS)


def normalize_for_search(text: str) -> str:
    """Lower-cased, accent-free, Arabic-folded text for lexical matching."""
    text = unicodedata.normalize("NFKC", text)
    text = normalize_arabic(text).casefold()
    if text.isascii():
        return text
    # Latin accents only: NFKD would also split Arabic hamza letters apart.
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", decomposed.translate(_LATIN_COMBINING_MARKS))


def tokenize(text: str) -> list[str]:
    """Word tokens of the search-normalised text."""
    return _WORD.findall(normalize_for_search(text))


# Punctuation that only separates words: taken off a word's ends for a fingerprint. Signs that
# change what a figure says ($, €, %, a minus before a digit) stay.
_SEPARATORS = ".,;:!?\"'()[]{}<>«»“”‘’„…،؛؟"
_DASHES = "-‐‑–—―"


def words_fingerprint(text: str, *, min_words: int = 8) -> str:
    """A hash of the text's words, or "" when it has fewer than ``min_words``.

    Texts that differ only in spacing, separating punctuation (commas, quotes, a dash between
    clauses), case, Arabic diacritics or letter forms get the same fingerprint: the same wire
    sentence as two outlets print it. "$5 billion" and "€5 billion", or "-3%" and "3%", do not.
    Short texts ("He denied it.") recur in unrelated stories, so they get none.
    """
    words = []
    for token in normalize_for_search(text).split():
        token = token.strip(_SEPARATORS)
        if token.strip(_DASHES + _SEPARATORS):  # a dash standing alone joins clauses, as a comma does
            words.append(token)
    if sum(1 for word in words if _WORD.search(word)) < min_words:
        return ""
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


# Clitics written on to Arabic words: the article and the conjunctions and prepositions before
# it, and pronoun and plural endings (taa marbuta is already folded to haa by the search
# normalisation, so a trailing haa goes too). One of each is taken off, and never so much
# that fewer than three letters are left.
ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ف", "ب", "ل")
ARABIC_SUFFIXES = ("هما", "ها", "هم", "ات", "ون", "ين", "ان", "ه", "ي")


def is_arabic_word(token: str) -> bool:
    """Whether the token (or a single character) starts in the Arabic block."""
    return bool(token) and "\u0600" <= token[0] <= "\u06ff"


def arabic_light_stem(token: str) -> str:
    """An Arabic word without one leading clitic and one ending ("والقوات" and "قوات" meet)."""
    for prefix in ARABIC_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 3:
            token = token[len(prefix) :]
            break
    for suffix in ARABIC_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def search_terms(text: str) -> list[str]:
    """The words lexical search compares: :func:`tokenize`, Arabic words light-stemmed.

    Arabic writes the article and many prepositions on to the word, so without this
    "القوات" (the forces) and "قوات" (forces) share nothing. Other scripts are left whole.
    """
    return [arabic_light_stem(token) if is_arabic_word(token) else token for token in tokenize(text)]


@lru_cache(maxsize=1)
def _language_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    # py3langid 0.4 also scores 28 varieties without a two-letter code (Nigerian Pidgin, Bikol,
    # ...), and on short English headlines they win: 8 % of FNC-1's 1,648 training headlines came
    # out as one of them or another language, 3.3 % without them. A claim's language decides
    # whether its pair with an article is read as cross-lingual (word overlap then hidden from
    # the stance model), and this function promises ISO 639-1 codes.
    identifier.set_languages(sorted({code for code in identifier.nb_classes if len(code) == 2}))
    return identifier


def detect_language(text: str, default: str = "und") -> str:
    """ISO 639-1 code of the text's main language, or ``default`` when there is no text.

    The script decides first for Arabic because short Arabic headlines are
    sometimes scored as Persian or Urdu by character n-gram models.
    """
    sample = text.strip()[:2000]
    if not _WORD.search(sample):
        return default
    letters = [ch for ch in sample if ch.isalpha()]
    arabic = sum(1 for ch in letters if is_arabic_word(ch))
    if letters and arabic / len(letters) > 0.5:
        return "ar"
    code, _score = _language_identifier().classify(sample)
    return code


def split_sentences(text: str, language: str | None = None) -> list[str]:
    """Sentences of ``text``, paragraph breaks respected, empty pieces dropped."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\r?\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        # Articles quote across languages; each paragraph gets its own rules.
        paragraph_language = language or detect_language(paragraph, default="en")
        # sentencex (Wikimedia; compiled, ~300 languages with fallback chains) keeps
        # Arabic commas inside sentences, where pysbd had cut clauses into fragments.
        for piece in sentencex.segment(paragraph_language, paragraph):
            piece = piece.strip()
            if piece:
                sentences.append(piece)
    return sentences
