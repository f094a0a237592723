"""The stance features as first written, one claim-article pair at a time: the oracle that the
vectorised :func:`factnlp.stance_model.features.pair_features_many` must reproduce."""

import math
from collections.abc import Callable

import numpy as np

from factnlp.stance_model.features import (
    EMBEDDING_DIM,
    FEATURE_INDEX,
    FEATURE_NAMES,
    LEXICAL_FEATURES,
    TOP_K,
    PreparedText,
    _log1p,
    pair_vectors,
)
from factnlp.stance_model.lexicon import CUE_NAMES


def reference_pair_features(
    claim: PreparedText, article: PreparedText, *, inference: Callable[[np.ndarray], np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Feature row for one claim-article pair, and the article sentence order by similarity.

    ``inference`` maps [u, v, |u-v|, u*v] rows to (entails, contradicts, neutral) probabilities
    (see :mod:`factnlp.stance_model.nli`); without it those features are missing.
    """
    out = np.full(len(FEATURE_NAMES), np.nan, dtype=np.float32)
    claim_vector = claim.vectors[0]
    n = len(article.sentences)
    values: list[float] = []
    if n == 0:
        order = np.zeros(0, dtype=np.int64)
        return out, order
    sims = article.vectors @ claim_vector
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
    claim_dates = claim.dates(0)
    if claim_dates:

        def agrees(mention) -> bool:
            return any(mention.agrees_with(date) for date in claim_dates)

        evidence = [mention for i in top for mention in article.dates(i)]
        others = [mention for mention in evidence if not agrees(mention)]
        values += [
            float(len(claim_dates)),
            float(any(agrees(mention) for mention in evidence)),
            float(bool(others)),
            float(any(mention.compare(date) == 1 for mention in others for date in claim_dates)),
            float(any(mention.compare(date) == -1 for mention in others for date in claim_dates)),
            float(
                any(
                    any(agrees(m) for m in article.dates(i)) and not all(agrees(m) for m in article.dates(i))
                    for i in top
                )
            ),
        ]
    else:
        values += [0.0] + [math.nan] * 5
    if inference is not None:
        read = list(dict.fromkeys([int(i) for i in top] + list(range(article.title_count))))
        probabilities = inference(pair_vectors(article.vectors[read], claim_vector))
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
