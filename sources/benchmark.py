"""Texts for the pipeline benchmark: real claims and articles from the public corpora, read in place."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings


def data_dir() -> Path:
    """The shared corpora: FACTCHECK_DATA_DIR, else ../shared/data beside the checkout."""
    configured = os.environ.get("FACTCHECK_DATA_DIR")
    return Path(configured) if configured else Path(settings.BASE_DIR).parent / "shared" / "data"


def _csv_rows(path: Path, delimiter: str = ",") -> Iterator[list[str]]:
    csv.field_size_limit(10_000_000)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        yield from reader


def claim_texts(limit: int, root: Path) -> list[str]:
    """Claim-like sentences, multilingual first: CLEF verified claims (en), XNLI (ar+en), ANS (ar);
    then sentences of FNC-1 *train* bodies to reach ``limit`` (the articles come from its test bodies)."""
    from factnlp.text import split_sentences

    seen: set[str] = set()
    texts: list[str] = []

    def add(text: str) -> bool:
        text = " ".join(text.split())
        if 20 <= len(text) <= 400 and text not in seen:
            seen.add(text)
            texts.append(text)
        return len(texts) >= limit

    sources = [
        (root / "clef2020_checkthat_task2_en" / "verified_claims.docs.tsv", "\t", [1]),
        (root / "xnli_ar" / "dev-ar.tsv", "\t", [0, 1]),
        (root / "xnli_ar" / "dev-en.tsv", "\t", [0, 1]),
        (root / "ans" / "stance" / "train.csv", ",", [0, 1]),
    ]
    for path, delimiter, columns in sources:
        if not path.exists():
            continue
        for row in _csv_rows(path, delimiter):
            for column in columns:
                if column < len(row) and add(row[column]):
                    return texts
    bodies = root / "fnc1" / "train_bodies.csv"
    if bodies.exists():
        for row in _csv_rows(bodies):
            for sentence in split_sentences(row[1], language="en"):
                if add(sentence):
                    return texts
    index = 0
    while len(texts) < limit:  # without the corpora: distinct synthetic claims
        index += 1
        add(f"Official number {index} said the project budget of region {index % 97} would reach {index * 7} million")
    return texts


def article_texts(limit: int, root: Path) -> list[tuple[str, str]]:
    """(title, body) pairs: FNC-1 competition test bodies (about 370 words each) with a headline of theirs."""
    bodies_path = root / "fnc1" / "competition_test_bodies.csv"
    stances_path = root / "fnc1" / "competition_test_stances.csv"
    if not bodies_path.exists():
        body = " ".join(f"Sentence {i} of a synthetic report about local transport and weather." for i in range(25))
        return [(f"Synthetic report {i}", body) for i in range(limit)]
    headlines: dict[str, str] = {}
    if stances_path.exists():
        for headline, body_id, *_ in _csv_rows(stances_path):
            headlines.setdefault(body_id, headline)
    articles = []
    for body_id, body in _csv_rows(bodies_path):
        articles.append((headlines.get(body_id, ""), body))
        if len(articles) >= limit:
            break
    return articles
