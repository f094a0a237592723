"""Features of a claim read together with its best-matching article sentences.

An article is prepared once (sentences, vectors, tokens, cue counts); every claim is then
scored against it cheaply, so the pipeline can test many claims against one article.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from factnlp.stance_model.lexicon import (
    ANTONYMS,
    CUE_NAMES,
    compiled_antonyms,
    compiled_cues,
    scripts_of,
)
from factnlp.text import detect_language, normalize_for_search, split_sentences

MAX_SENTENCES = 40  # long web pages: Baly's rationale lines are within the first 10 paragraphs in 90% of pairs
TOP_K = 3
EMBEDDING_DIM = 512

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORD = re.compile(r"\w+", re.UNICODE)
_ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ف", "ب", "ل")
_ARABIC_SUFFIXES = ("هما", "ها", "هم", "ات", "ون", "ين", "ان", "ه", "ي")
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
    if token and "\u0600" <= token[0] <= "\u06ff":
        for prefix in _ARABIC_PREFIXES:
            if token.startswith(prefix) and len(token) - len(prefix) >= 3:
                token = token[len(prefix) :]
                break
        for suffix in _ARABIC_SUFFIXES:
            if token.endswith(suffix) and len(token) - len(suffix) >= 3:
                return token[: -len(suffix)]
        return token
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
    cues: np.ndarray  # (n, len(CUE_NAMES)) counts
    antonyms: np.ndarray  # (n, len(ANTONYMS), 2) bool: which side of each pair a sentence uses
    language: str
    word_count: int


def analyse_sentences(
    sentences: list[str],
) -> tuple[list[frozenset[str]], list[frozenset[str]], np.ndarray, np.ndarray]:
    """Tokens, numbers, cue counts and antonym sides of each sentence."""
    cue_patterns = compiled_cues()
    antonym_patterns = compiled_antonyms()
    tokens, numbers = [], []
    cues = np.zeros((len(sentences), len(CUE_NAMES)), dtype=np.float32)
    antonyms = np.zeros((len(sentences), len(ANTONYMS), 2), dtype=bool)
    for row, sentence in enumerate(sentences):
        normalised = _fold_digits(normalize_for_search(sentence))
        tokens.append(frozenset(content_tokens(normalised)))
        numbers.append(frozenset(_NUMBER.findall(normalised)))
        for script in scripts_of(normalised):
            for column, name in enumerate(CUE_NAMES):
                cues[row, column] += len(cue_patterns[name][script].findall(normalised))
            for pair, left, right in antonym_patterns[script]:
                antonyms[row, pair, 0] = left.search(normalised) is not None
                antonyms[row, pair, 1] = right.search(normalised) is not None
    return tokens, numbers, cues, antonyms


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
    tokens, numbers, cues, antonyms = analyse_sentences(sentences)
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
        cues=cues,
        antonyms=antonyms,
        language=language,
        word_count=word_count,
    )


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
    inference = [
        "nli_entails_best",
        "nli_contradicts_best",
        "nli_entails_top3",
        "nli_contradicts_top3",
        "nli_entails_title",
        "nli_contradicts_title",
    ]
    dense = [f"best_x_claim_{i}" for i in range(EMBEDDING_DIM)] + [f"top3_x_claim_{i}" for i in range(EMBEDDING_DIM)]
    return names + lexical + cue + polarity + inference + dense


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


def pair_features_many(
    claims: list[PreparedText],
    article: PreparedText,
    *,
    inference: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`pair_features` of several claims against one article, with one inference call for all.

    The pipeline scores about ten candidate claims per article; a model call has a fixed
    cost that outweighs its per-row cost at this size.
    """
    if not claims or len(article.sentences) == 0:
        return [pair_features(claim, article) for claim in claims]
    claim_vectors = np.vstack([claim.vectors[0] for claim in claims])
    similarities = article.vectors @ claim_vectors.T
    orders = [np.argsort(-similarities[:, column], kind="stable") for column in range(len(claims))]
    if inference is None:
        return [
            pair_features(claim, article, similarities=similarities[:, column], order=orders[column])
            for column, claim in enumerate(claims)
        ]
    reads = [inference_sentences(article, order) for order in orders]
    rows = np.vstack(
        [pair_vectors(article.vectors[read], claim.vectors[0]) for read, claim in zip(reads, claims, strict=True)]
    )
    bounds = np.cumsum([0] + [len(read) for read in reads])
    probabilities = inference(rows)
    return [
        pair_features(
            claim,
            article,
            similarities=similarities[:, column],
            order=orders[column],
            sentence_probabilities=probabilities[bounds[column] : bounds[column + 1]],
        )
        for column, claim in enumerate(claims)
    ]


def pair_features(
    claim: PreparedText,
    article: PreparedText,
    *,
    inference: Callable[[np.ndarray], np.ndarray] | None = None,
    similarities: np.ndarray | None = None,
    order: np.ndarray | None = None,
    sentence_probabilities: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Feature row for one claim-article pair, and the article sentence order by similarity.

    ``inference`` maps [u, v, |u-v|, u*v] rows to (entails, contradicts, neutral) probabilities
    (see :mod:`factnlp.stance_model.nli`); without it those features are missing.
    :func:`pair_features_many` passes what it computed for all claims at once instead:
    ``similarities``, ``order`` and the inference's ``sentence_probabilities`` for
    :func:`inference_sentences`.
    """
    out = np.full(len(FEATURE_NAMES), np.nan, dtype=np.float32)
    claim_vector = claim.vectors[0]
    n = len(article.sentences)
    values: list[float] = []
    if n == 0:
        order = np.zeros(0, dtype=np.int64)
        return out, order
    sims = article.vectors @ claim_vector if similarities is None else similarities
    if order is None:
        order = np.argsort(-sims, kind="stable")
    top = order[:TOP_K]
    best = int(order[0])
    doc_vector = article.vectors.mean(axis=0)
    doc_norm = float(np.linalg.norm(doc_vector)) or 1.0
    title_sims = sims[: article.title_count]
    body_sims = sims[article.title_count : article.title_count + 3]
    claim_arabic = float(claim.language == "ar")
    article_arabic = float(article.language == "ar")
    cross = float(claim.language != article.language and "und" not in (claim.language, article.language))
    values += [
        float(sims[best]),
        float(sims[top].mean()),
        float(sims.mean()),
        float(sims.std()),
        float(title_sims.max()) if len(title_sims) else math.nan,
        float(body_sims.max()) if len(body_sims) else math.nan,
        float(doc_vector @ claim_vector) / doc_norm,
        best / max(n - 1, 1),
        float((sims > 0.5).mean()),
        float((sims > 0.65).mean()),
        float((sims > 0.65).sum()),
        _log1p(n),
        _log1p(article.word_count),
        _log1p(claim.word_count),
        claim_arabic,
        article_arabic,
        cross,
    ]

    claim_tokens = claim.tokens[0]
    all_tokens = frozenset().union(*article.tokens)
    top_tokens = [article.tokens[i] for i in top]
    title_tokens = frozenset().union(*article.tokens[: article.title_count]) if article.title_count else None
    size = max(len(claim_tokens), 1)
    best_tokens = article.tokens[best]
    claim_numbers = claim.numbers[0]
    top_numbers = frozenset().union(*(article.numbers[i] for i in top))
    all_numbers = frozenset().union(*article.numbers)
    values += [
        len(claim_tokens & all_tokens) / size,
        len(claim_tokens & best_tokens) / size,
        max(len(claim_tokens & tokens) for tokens in top_tokens) / size,
        len(claim_tokens & title_tokens) / size if title_tokens is not None else math.nan,
        len(best_tokens - claim_tokens) / max(len(best_tokens), 1),
        float(len(claim_numbers)),
        len(claim_numbers & top_numbers) / len(claim_numbers) if claim_numbers else math.nan,
        len(claim_numbers & all_numbers) / len(claim_numbers) if claim_numbers else math.nan,
        float(len(article.numbers[best] - claim_numbers)),
    ]

    near = sims >= sims[best] - 0.1
    claim_cues = claim.cues[0]
    top_cues = article.cues[top].sum(axis=0)
    title_cues = article.cues[: article.title_count].sum(axis=0)
    near_cues = article.cues[near].sum(axis=0)
    rate_cues = article.cues.sum(axis=0) / n
    for column in range(len(CUE_NAMES)):
        values += [
            float(claim_cues[column]),
            float(article.cues[best, column]),
            float(top_cues[column]),
            float(title_cues[column]) if article.title_count else math.nan,
            float(near_cues[column]),
            float(rate_cues[column]),
        ]

    negation = CUE_NAMES.index("negation")
    refute = CUE_NAMES.index("refute")
    future = CUE_NAMES.index("future")
    breach = CUE_NAMES.index("breach")
    fulfil = CUE_NAMES.index("fulfil")
    claim_sides = claim.antonyms[0]
    top_sides = article.antonyms[top].any(axis=0)
    all_sides = article.antonyms.any(axis=0)

    def opposed(sides: np.ndarray) -> float:
        # the claim uses one side of a pair, the evidence only the other side
        forward = claim_sides[:, 0] & ~claim_sides[:, 1] & sides[:, 1] & ~sides[:, 0]
        backward = claim_sides[:, 1] & ~claim_sides[:, 0] & sides[:, 0] & ~sides[:, 1]
        return float((forward | backward).sum())

    is_future = float(claim_cues[future] > 0)
    values += [
        float((claim_cues[negation] + article.cues[best, negation]) % 2),
        float((claim_cues[refute] > 0) != (top_cues[refute] > 0)),
        opposed(top_sides),
        opposed(all_sides),
        is_future * float(top_cues[breach]),
        is_future * float(top_cues[fulfil]),
    ]
    if sentence_probabilities is None and inference is not None:
        sentence_probabilities = inference(
            pair_vectors(article.vectors[inference_sentences(article, order)], claim_vector)
        )
    if sentence_probabilities is not None:
        read = inference_sentences(article, order)
        probabilities = sentence_probabilities
        by_sentence = dict(zip(read, probabilities, strict=True))
        top_probabilities = np.array([by_sentence[int(i)] for i in top])
        title_probabilities = [by_sentence[i] for i in range(article.title_count)]
        values += [
            float(by_sentence[best][0]),
            float(by_sentence[best][1]),
            float(top_probabilities[:, 0].max()),
            float(top_probabilities[:, 1].max()),
            float(max(p[0] for p in title_probabilities)) if title_probabilities else math.nan,
            float(max(p[1] for p in title_probabilities)) if title_probabilities else math.nan,
        ]
    else:
        values += [math.nan] * 6
    dense_start = len(values)
    out[:dense_start] = values
    out[dense_start : dense_start + EMBEDDING_DIM] = article.vectors[best] * claim_vector
    top_mean = article.vectors[top].mean(axis=0)
    out[dense_start + EMBEDDING_DIM :] = top_mean * claim_vector
    if cross:
        out[[FEATURE_INDEX[name] for name in LEXICAL_FEATURES]] = np.nan
    return out, order


FEATURE_INDEX: dict[str, int] = {name: index for index, name in enumerate(FEATURE_NAMES)}
