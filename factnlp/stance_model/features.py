"""Features of a claim read together with its best-matching article sentences.

An article is prepared once (sentences, vectors, tokens, cue counts); every claim is then
scored against it cheaply, so the pipeline can test many claims against one article.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from factnlp.deadlines import DateMention, date_mentions
from factnlp.stance_model.lexicon import ANTONYMS, CUE_NAMES, cue_reader
from factnlp.text import arabic_light_stem, detect_language, is_arabic_word, normalize_for_search, split_sentences

MAX_SENTENCES = 40  # long web pages: Baly's rationale lines are within the first 10 paragraphs in 90% of pairs
TOP_K = 3
EMBEDDING_DIM = 512

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(
    """the a an of to in on at for and or but is are was were be been being by with from as that this
    these those it its his her their they he she we you i has have had do does did not no will would
    can could should may might than then there here what which who whom whose when where why how
    about after before over under into out up down more most some any all each also just says said
    في من على الى إلى عن ان أن إن التي الذي الذين هذا هذه ذلك تلك مع كان كانت قد لا لم لن ما هو هي
    هم او أو ثم حتى بعد قبل عند كل بين وقد وفي ومن التى اي أي كما بها له لها فيه منذ""".split()
)


def pair_vectors(premises: np.ndarray, hypothesis: np.ndarray) -> np.ndarray:
    """Rows [u, v, |u - v|, u * v] for premise rows u against one hypothesis v (or row-wise pairs)."""
    premises = np.atleast_2d(premises).astype(np.float32)
    hypothesis = np.broadcast_to(np.atleast_2d(hypothesis).astype(np.float32), premises.shape)
    return np.hstack([premises, hypothesis, np.abs(premises - hypothesis), premises * hypothesis])


def _fold_digits(text: str) -> str:
    return text.translate(_DIGITS)


def stem(token: str) -> str:
    """A light, language-blind stem: Arabic clitics and English plural -s removed."""
    if is_arabic_word(token):
        return arabic_light_stem(token)
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def content_tokens(normalised: str) -> set[str]:
    """Stemmed content words of already search-normalised text."""
    return {stem(token) for token in _WORD.findall(normalised) if token not in _STOPWORDS and len(token) > 1}


@dataclass(frozen=True)
class PreparedText:
    """Everything the features need from a text, computed once per text."""

    sentences: tuple[str, ...]
    vectors: np.ndarray  # (n, 512) L2-normalised
    title_count: int  # how many leading sentences come from the title
    tokens: tuple[frozenset[str], ...]
    numbers: tuple[frozenset[str], ...]
    normalised: tuple[str, ...]  # search-normalised sentences, digits folded
    cues: np.ndarray  # (n, len(CUE_NAMES)) counts
    antonyms: np.ndarray  # (n, len(ANTONYMS), 2) bool: which side of each pair a sentence uses
    language: str
    word_count: int
    _dates: dict[int, tuple[DateMention, ...]] = field(default_factory=dict, compare=False, repr=False)

    def dates(self, sentence: int) -> tuple[DateMention, ...]:
        """Dates the sentence names, read when first asked for: only the closest sentences of
        claims that name a date ever are, a small share of an article's."""
        found = self._dates.get(sentence)
        if found is None:
            found = self._dates[sentence] = date_mentions(self.normalised[sentence])
        return found


def analyse_sentences(
    sentences: list[str],
) -> tuple[list[frozenset[str]], list[frozenset[str]], list[str], np.ndarray, np.ndarray]:
    """Tokens, numbers, normalised text, cue counts and antonym sides of each sentence."""
    reader = cue_reader()
    tokens, numbers, normalised_sentences = [], [], []
    cues = np.zeros((len(sentences), len(CUE_NAMES)), dtype=np.float32)
    antonyms = np.zeros((len(sentences), len(ANTONYMS), 2), dtype=bool)
    for row, sentence in enumerate(sentences):
        normalised = _fold_digits(normalize_for_search(sentence))
        tokens.append(frozenset(content_tokens(normalised)))
        numbers.append(frozenset(_NUMBER.findall(normalised)))
        normalised_sentences.append(normalised)
        reader.read(normalised, cues[row], antonyms[row])
    return tokens, numbers, normalised_sentences, cues, antonyms


def article_sentences(*, title: str, body: str, language: str | None) -> tuple[list[str], int]:
    """Sentences of title then body (capped) and how many came from the title."""
    # The whole title is one sentence, as the matching pipeline prepares articles.
    title_sentences = [title.strip()] if title.strip() else []
    body_sentences = split_sentences(body, language=language) if body.strip() else []
    sentences = (title_sentences + body_sentences)[:MAX_SENTENCES]
    return sentences, min(len(title_sentences), len(sentences))


def prepare_text(
    *, sentences: list[str], vectors: np.ndarray, title_count: int, language: str | None, word_count: int | None = None
) -> PreparedText:
    """Analyse sentences whose vectors are already known (from the pipeline or a cache)."""
    sentences = list(sentences[:MAX_SENTENCES])
    vectors = np.asarray(vectors[: len(sentences)], dtype=np.float32)
    tokens, numbers, normalised, cues, antonyms = analyse_sentences(sentences)
    if language is None:
        language = detect_language(" ".join(sentences[:5]), default="und")
    if word_count is None:
        word_count = sum(len(sentence.split()) for sentence in sentences)
    return PreparedText(
        sentences=tuple(sentences),
        vectors=vectors,
        title_count=title_count,
        tokens=tuple(tokens),
        numbers=tuple(numbers),
        normalised=tuple(normalised),
        cues=cues,
        antonyms=antonyms,
        language=language,
        word_count=word_count,
    )


# A promise names a date; a report of its breach often names another ("moved from 14 April to
# 22 September"), a report of its fulfilment the same one or an earlier one.
TIMING_FEATURES: tuple[str, ...] = (
    "claim_dates",
    "dates_same_top3",
    "dates_other_top3",
    "dates_later_top3",
    "dates_earlier_top3",
    "dates_moved_top3",
)
TIMING_WIDTH = len(TIMING_FEATURES)


def _names() -> list[str]:
    names = [
        "sim_max",
        "sim_top3",
        "sim_mean",
        "sim_std",
        "sim_title",
        "sim_lead",
        "sim_doc",
        "sim_argmax_position",
        "share_sim_over_50",
        "share_sim_over_65",
        "count_sim_over_65",
        "log_sentences",
        "log_article_words",
        "log_claim_words",
        "claim_arabic",
        "article_arabic",
        "cross_lingual",
    ]
    lexical = [
        "cover_article",
        "cover_best",
        "cover_top3",
        "cover_title",
        "novel_in_best",
        "numbers_in_claim",
        "numbers_found_top3",
        "numbers_found_article",
        "numbers_new_in_best",
    ]
    cue = []
    for name in CUE_NAMES:
        cue += [f"claim_{name}", f"best_{name}", f"top3_{name}", f"title_{name}", f"near_{name}", f"rate_{name}"]
    polarity = [
        "negation_parity_best",
        "refute_mismatch_top3",
        "antonym_top3",
        "antonym_article",
        "future_claim_breach_top3",
        "future_claim_fulfil_top3",
    ]
    timing = list(TIMING_FEATURES)
    inference = [
        "nli_entails_best",
        "nli_contradicts_best",
        "nli_entails_top3",
        "nli_contradicts_top3",
        "nli_entails_title",
        "nli_contradicts_title",
    ]
    dense = [f"best_x_claim_{i}" for i in range(EMBEDDING_DIM)] + [f"top3_x_claim_{i}" for i in range(EMBEDDING_DIM)]
    return names + lexical + cue + polarity + timing + inference + dense


FEATURE_NAMES: tuple[str, ...] = tuple(_names())
# Word-overlap features mean nothing across languages; training also shows the model
# rows with these hidden so that cross-lingual pairs fall back on the embeddings.
LEXICAL_FEATURES: tuple[str, ...] = (
    "cover_article",
    "cover_best",
    "cover_top3",
    "cover_title",
    "novel_in_best",
    "numbers_found_top3",
    "numbers_found_article",
    "numbers_new_in_best",
)


def _log1p(value: float) -> float:
    return math.log1p(max(value, 0.0))


def inference_sentences(article: PreparedText, order: np.ndarray) -> list[int]:
    """Article sentences the sentence-level inference reads for a claim: its closest ones, then the title."""
    return list(dict.fromkeys([int(i) for i in order[:TOP_K]] + list(range(article.title_count))))


def pair_features(
    claim: PreparedText, article: PreparedText, *, inference: Callable[[np.ndarray], np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Feature row for one claim-article pair, and the article sentence order by similarity.

    ``inference`` maps [u, v, |u-v|, u*v] rows to (entails, contradicts, neutral) probabilities
    (see :mod:`factnlp.stance_model.nli`); without it those features are missing.
    """
    return pair_features_many([claim], article, inference=inference)[0]


_NEGATION, _REFUTE, _FUTURE, _BREACH, _FULFIL = (
    CUE_NAMES.index(name) for name in ("negation", "refute", "future", "breach", "fulfil")
)


def _opposed(claim_sides: np.ndarray, sides: np.ndarray) -> np.ndarray:
    """Per claim, antonym pairs where the claim uses one side and the evidence only the other.

    ``claim_sides`` and ``sides`` are (claims, pairs, 2) booleans.
    """
    forward = claim_sides[:, :, 0] & ~claim_sides[:, :, 1] & sides[:, :, 1] & ~sides[:, :, 0]
    backward = claim_sides[:, :, 1] & ~claim_sides[:, :, 0] & sides[:, :, 0] & ~sides[:, :, 1]
    return (forward | backward).sum(axis=1).astype(np.float32)


def pair_features_many(
    claims: list[PreparedText],
    article: PreparedText,
    *,
    inference: Callable[[np.ndarray], np.ndarray] | None = None,
    timing: bool = True,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Feature rows of several claims against one article, computed as arrays over the claims.

    ``timing=False`` leaves the date features missing, for a model trained before them.

    The pipeline scores about ten candidate claims per article, so per-article work (token
    unions, document centroid) is done once and the sentence-level inference is one call.
    """
    m, n = len(claims), len(article.sentences)
    out = np.full((m, len(FEATURE_NAMES)), np.nan, dtype=np.float32)
    if m == 0:
        return []
    if n == 0:
        return [(out[row], np.zeros(0, dtype=np.int64)) for row in range(m)]
    claim_vectors = np.vstack([claim.vectors[0] for claim in claims]).astype(np.float32)
    sims = claim_vectors @ article.vectors.T  # (claims, sentences)
    orders = np.argsort(-sims, axis=1, kind="stable")
    top = orders[:, :TOP_K]
    best = orders[:, 0]
    rows = np.arange(m)
    best_sims = sims[rows, best]
    doc_vector = article.vectors.mean(axis=0)
    doc_norm = float(np.linalg.norm(doc_vector)) or 1.0
    titles = article.title_count
    claim_arabic = np.array([claim.language == "ar" for claim in claims], dtype=np.float32)
    cross = np.array(
        [claim.language != article.language and "und" not in (claim.language, article.language) for claim in claims]
    )
    similarity = [
        best_sims,
        np.take_along_axis(sims, top, axis=1).mean(axis=1),
        sims.mean(axis=1),
        sims.std(axis=1),
        sims[:, :titles].max(axis=1) if titles else np.full(m, np.nan),
        sims[:, titles : titles + 3].max(axis=1) if n > titles else np.full(m, np.nan),
        (claim_vectors @ doc_vector) / doc_norm,
        best / max(n - 1, 1),
        (sims > 0.5).mean(axis=1),
        (sims > 0.65).mean(axis=1),
        (sims > 0.65).sum(axis=1),
        np.full(m, _log1p(n)),
        np.full(m, _log1p(article.word_count)),
        np.array([_log1p(claim.word_count) for claim in claims]),
        claim_arabic,
        np.full(m, float(article.language == "ar")),
        cross.astype(np.float32),
    ]

    all_tokens = frozenset().union(*article.tokens)
    title_tokens = frozenset().union(*article.tokens[:titles]) if titles else None
    all_numbers = frozenset().union(*article.numbers)
    lexical = []
    for row, claim in enumerate(claims):
        claim_tokens, claim_numbers = claim.tokens[0], claim.numbers[0]
        size = max(len(claim_tokens), 1)
        best_tokens = article.tokens[best[row]]
        top_numbers = frozenset().union(*(article.numbers[i] for i in top[row]))
        lexical.append(
            (
                len(claim_tokens & all_tokens) / size,
                len(claim_tokens & best_tokens) / size,
                max(len(claim_tokens & article.tokens[i]) for i in top[row]) / size,
                len(claim_tokens & title_tokens) / size if title_tokens is not None else math.nan,
                len(best_tokens - claim_tokens) / max(len(best_tokens), 1),
                float(len(claim_numbers)),
                len(claim_numbers & top_numbers) / len(claim_numbers) if claim_numbers else math.nan,
                len(claim_numbers & all_numbers) / len(claim_numbers) if claim_numbers else math.nan,
                float(len(article.numbers[best[row]] - claim_numbers)),
            )
        )

    cues = article.cues
    claim_cues = np.vstack([claim.cues[0] for claim in claims])
    best_cues = cues[best]
    top_cues = cues[top].sum(axis=1)
    title_cues = np.broadcast_to(cues[:titles].sum(axis=0) if titles else np.nan, claim_cues.shape)
    near = sims >= (best_sims - 0.1)[:, None]
    near_cues = near.astype(np.float32) @ cues
    rate_cues = np.broadcast_to(cues.sum(axis=0) / n, claim_cues.shape)
    # Per cue group: claim, best, top 3, title, near, rate (the order of FEATURE_NAMES).
    cue_block = np.stack([claim_cues, best_cues, top_cues, title_cues, near_cues, rate_cues], axis=2).reshape(m, -1)

    claim_sides = np.stack([claim.antonyms[0] for claim in claims])
    is_future = (claim_cues[:, _FUTURE] > 0).astype(np.float32)
    polarity = [
        (claim_cues[:, _NEGATION] + best_cues[:, _NEGATION]) % 2,
        ((claim_cues[:, _REFUTE] > 0) != (top_cues[:, _REFUTE] > 0)).astype(np.float32),
        _opposed(claim_sides, article.antonyms[top].any(axis=1)),
        _opposed(claim_sides, np.broadcast_to(article.antonyms.any(axis=0), claim_sides.shape)),
        is_future * top_cues[:, _BREACH],
        is_future * top_cues[:, _FULFIL],
    ]

    column = 0
    for block in (np.column_stack(similarity), np.asarray(lexical, dtype=np.float64), cue_block):
        out[:, column : column + block.shape[1]] = block
        column += block.shape[1]
    out[:, column : column + len(polarity)] = np.column_stack(polarity)
    column += len(polarity)
    for row, claim in enumerate(claims if timing else ()):
        claim_dates = claim.dates(0)
        evidence_dates = [article.dates(i) for i in top[row]] if claim_dates else []
        out[row, column : column + TIMING_WIDTH] = timing_features(claim_dates, evidence_dates)
    column += TIMING_WIDTH
    if inference is not None:
        out[:, column : column + 6] = _inference_features(claim_vectors, article, orders, inference)
    column += 6
    out[:, column : column + EMBEDDING_DIM] = article.vectors[best] * claim_vectors
    out[:, column + EMBEDDING_DIM :] = article.vectors[top].mean(axis=1) * claim_vectors
    out[np.ix_(cross, [FEATURE_INDEX[name] for name in LEXICAL_FEATURES])] = np.nan
    return [(out[row], orders[row]) for row in range(m)]


def timing_features(claim_dates: tuple[DateMention, ...], evidence_dates: list[tuple[DateMention, ...]]) -> list[float]:
    """How the dates of the claim's closest sentences stand to the claim's own (see FEATURE_NAMES).

    Without a date in the claim there is nothing to compare: all but the count are missing.
    """
    if not claim_dates:
        return [0.0] + [math.nan] * (TIMING_WIDTH - 1)
    same = other = later = earlier = moved = False
    for sentence in evidence_dates:
        agreeing = [any(mention.agrees_with(date) for date in claim_dates) for mention in sentence]
        same |= any(agreeing)
        other |= not all(agreeing)
        moved |= any(agreeing) and not all(agreeing)
        for mention, agrees in zip(sentence, agreeing, strict=True):
            if agrees:
                continue
            order = {mention.compare(date) for date in claim_dates}
            later |= 1 in order
            earlier |= -1 in order
    return [float(len(claim_dates)), float(same), float(other), float(later), float(earlier), float(moved)]


def _inference_features(claim_vectors, article: PreparedText, orders: np.ndarray, inference) -> np.ndarray:
    """Entails/contradicts for the best sentence, the top 3 (max) and the title (max), per claim."""
    reads = [inference_sentences(article, order) for order in orders]
    # All claims' (sentence, claim) rows built in one pass: per claim, its closest sentences
    # come first (best first), then any title sentence not among them.
    sentence_rows = np.fromiter(chain.from_iterable(reads), dtype=np.int64)
    claim_rows = np.repeat(np.arange(len(reads)), [len(read) for read in reads])
    probabilities = inference(pair_vectors(article.vectors[sentence_rows], claim_vectors[claim_rows]))
    features = np.full((len(reads), 6), np.nan)
    start = 0
    for row, read in enumerate(reads):
        block = probabilities[start : start + len(read)]
        start += len(read)
        top = block[: min(TOP_K, len(orders[row]))]
        features[row, :4] = block[0, 0], block[0, 1], top[:, 0].max(), top[:, 1].max()
        if article.title_count:
            position = {sentence: offset for offset, sentence in enumerate(read)}
            title = block[[position[i] for i in range(article.title_count)]]
            features[row, 4:] = title[:, 0].max(), title[:, 1].max()
    return features


FEATURE_INDEX: dict[str, int] = {name: index for index, name in enumerate(FEATURE_NAMES)}
