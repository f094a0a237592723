"""Readers for CLEF CheckThat! verified-claim retrieval data, and tweet cleaning for it."""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path

CLEF2020_FOLDER = "clef2020_checkthat_task2_en"

_URL = re.compile(r"https?://\S+|pic\.twitter\.com/\S+|\bwww\.\S+")
# Embedded tweets end with "— Author Name (@handle) Month D, YYYY".
_SIGNATURE = re.compile(r"\s*[—–]\s*(?P<author>[^—–]*?)\s*\(@\w+\)\s+\w+\.? \d{1,2}, \d{4}\s*$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


@dataclass(frozen=True)
class VerifiedClaims:
    ids: list[int]
    claims: list[str]
    titles: list[str]


@dataclass(frozen=True)
class TweetSplit:
    tweets: dict[int, str]
    relevant: dict[int, set[int]]  # tweet id -> verified claim ids judged relevant


@dataclass(frozen=True)
class CleanTweet:
    text: str  # the tweet's own words: links dropped, hashtags split into words
    author: str  # display name from the embed signature, "" when absent


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


def _split_hashtag(match: re.Match) -> str:
    return " " + _CAMEL_BOUNDARY.sub(" ", match.group(1))


def clean_tweet(text: str) -> CleanTweet:
    """Separate a tweet's words from its links, handles and embed signature."""
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('""', '"')
    text = _URL.sub(" ", text)
    author = ""
    signature = _SIGNATURE.search(text)
    if signature:
        author = signature.group("author")
        text = text[: signature.start()]
    text = re.sub(r"#(\w+)", _split_hashtag, text)
    text = re.sub(r"@(\w+)", _split_hashtag, text)
    return CleanTweet(text=re.sub(r"\s+", " ", text).strip(), author=re.sub(r"\s+", " ", author).strip())
