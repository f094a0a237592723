"""Texts for the pipeline benchmark: real claims and articles from the public corpora, read in place.

Reuses the NLP core's corpus loaders (and their data-folder rule); falls back to
synthetic texts where a corpus is missing.
"""

from __future__ import annotations

from factnlp.evaluation import default_data_dir
from factnlp.evaluation.clef import CLEF2020_FOLDER, load_split, load_verified_claims
from factnlp.stance_model.datasets import baly_folds, load_ans, load_baly, load_fnc1, load_xnli
from factnlp.text import split_sentences

SYNTHETIC_CLAIM_PREFIX = "Official number "


def claim_texts(limit: int) -> list[str]:
    """Claim-like sentences, multilingual first: CLEF verified claims (en), XNLI (ar+en), ANS (ar);
    then sentences of FNC-1 *train* bodies (the articles come from its test bodies), FNC-1 train
    headlines, and the titles and sentences of the Baly 2018 articles (ar): about 136,000 real
    texts. Only past those, or without the corpora, are synthetic claims made up."""
    root = default_data_dir()
    seen: set[str] = set()
    texts: list[str] = []

    def add(text: str) -> bool:
        text = " ".join(text.split())
        if 20 <= len(text) <= 400 and text not in seen:
            seen.add(text)
            texts.append(text)
        return len(texts) >= limit

    def corpus():
        if (root / CLEF2020_FOLDER).exists():
            yield from load_verified_claims(root).claims
        for language in ("ar", "en"):
            if (root / "xnli_ar").exists():
                for pair in load_xnli(language=language):
                    yield from (pair.title, pair.claim)
        if (root / "ans").exists():
            for pair in load_ans(split="train"):
                yield from (pair.claim, pair.title)
        if (root / "fnc1").exists():
            bodies = dict.fromkeys(pair.body for pair in load_fnc1(split="train"))
            for body in bodies:
                yield from split_sentences(body, language="en")
            # Without the texts from here on, 100k claims would be more than half synthetic claims
            # from one template, whose shared words give BM25 and the graph an unreal load.
            yield from dict.fromkeys(pair.claim for pair in load_fnc1(split="train"))
        if (root / "arabic_fc_stance_baly2018").exists():
            articles = dict.fromkeys((pair.title, pair.body) for pair in load_baly(folds=tuple(sorted(baly_folds()))))
            for title, body in articles:
                yield title
                yield from split_sentences(body, language="ar")

    for text in corpus():
        if add(text):
            return texts
    index = 0
    while len(texts) < limit:  # without the corpora: distinct synthetic claims
        index += 1
        add(
            f"{SYNTHETIC_CLAIM_PREFIX}{index} said the project budget of region {index % 97} would reach {index * 7} million"
        )
    return texts


def article_texts(limit: int) -> list[tuple[str, str]]:
    """(title, body) pairs: FNC-1 competition test bodies (about 370 words each) with a headline of theirs."""
    root = default_data_dir()
    if not (root / "fnc1").exists():
        body = " ".join(f"Sentence {i} of a synthetic report about local transport and weather." for i in range(25))
        return [(f"Synthetic report {i}", body) for i in range(limit)]
    articles: dict[str, str] = {}
    for pair in load_fnc1(split="test"):
        articles.setdefault(pair.body, pair.claim)
        if len(articles) >= limit:
            break
    return [(headline, body) for body, headline in articles.items()]


def search_texts(limit: int) -> list[str]:
    """Texts to search claims with: CLEF 2020 test tweets (the retrieval benchmark's queries), then its
    train tweets; synthetic questions without the corpus."""
    root = default_data_dir()
    texts: list[str] = []
    if (root / CLEF2020_FOLDER).exists():
        for split in ("test", "train"):
            texts += list(load_split(root, split).tweets.values())
    index = 0
    while len(texts) < limit:
        index += 1
        texts.append(f"Is it true that the budget of region {index % 97} will reach {index * 7} million?")
    return texts[:limit]
