"""Readers for CLEF CheckThat! verified-claim retrieval data (tweets are cleaned by :mod:`factnlp.queries`)."""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

CLEF2020_FOLDER = "clef2020_checkthat_task2_en"


@dataclass(frozen=True)
class VerifiedClaims:
    ids: list[int]
    claims: list[str]
    titles: list[str]


@dataclass(frozen=True)
class TweetSplit:
    tweets: dict[int, str]
    relevant: dict[int, set[int]]  # tweet id -> verified claim ids judged relevant


def _read_tsv(path: Path) -> list[list[str]]:
    csv.field_size_limit(sys.maxsize)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    return rows[1:]  # header


def load_verified_claims(data_dir: Path) -> VerifiedClaims:
    rows = _read_tsv(data_dir / CLEF2020_FOLDER / "verified_claims.docs.tsv")
    return VerifiedClaims(
        ids=[int(row[0]) for row in rows],
        claims=[row[1] for row in rows],
        titles=[row[2] if len(row) > 2 else "" for row in rows],
    )


def load_split(data_dir: Path, split: str) -> TweetSplit:
    folder = data_dir / CLEF2020_FOLDER / split
    tweets = {int(row[0]): row[1] for row in _read_tsv(folder / "tweets.queries.tsv")}
    relevant: dict[int, set[int]] = {}
    for line in (folder / "tweet-vclaim-pairs.qrels").read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) == 4 and int(fields[3]) > 0:
            relevant.setdefault(int(fields[0]), set()).add(int(fields[2]))
    return TweetSplit(tweets=tweets, relevant=relevant)
