"""Token ids of the stance pairs for the cross-encoder, one .npz per split in OUT_DIR.

Each pair reads <s> claim </s></s> title, then the body sentences sharing most search terms with
the claim </s>, at most 128 tokens. Training: FNC-1 train's related pairs and 3,000 of its
unrelated ones, Baly folds 1-4, ANS train and our promise examples; 10 % of topics held out.
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

import numpy as np

from experiments.cross_encoder.e5_file import E5File
from factnlp.stance import STANCES
from factnlp.stance_model.datasets import LabelledPair, load_ans, load_baly, load_fnc1, load_promises, stable_fold
from factnlp.text import search_terms, split_sentences

MAX_TOKENS, CLAIM_TOKENS, EVIDENCE_SENTENCES = 128, 40, 4
CLASSES = {stance: index for index, stance in enumerate(STANCES)}
OUT_DIR = Path("/tmp/factnlp-cross-encoder")


def evidence(pair: LabelledPair) -> list[str]:
    body = split_sentences(pair.body, pair.article_language or pair.language) if pair.body else []
    claim_terms = set(search_terms(pair.claim))
    scored = []
    for position, sentence in enumerate(s for s in body if s.strip()):
        terms = set(search_terms(sentence))
        scored.append((len(claim_terms & terms) / math.sqrt(len(terms) + 1), -position, sentence))
    best = [sentence for _, _, sentence in sorted(scored, reverse=True)[:EVIDENCE_SENTENCES]]
    return ([pair.title] if pair.title else []) + best


def encode(e5: E5File, pair: LabelledPair) -> list[int]:
    claim = e5.tokenize(pair.claim)[:CLAIM_TOKENS]
    room = MAX_TOKENS - len(claim) - 4
    read: list[int] = []
    for text in evidence(pair):
        if len(read) >= room:
            break
        read += e5.tokenize(text)
    return [e5.bos, *claim, e5.eos, e5.eos, *read[:room], e5.eos]


def write(e5: E5File, pairs: list[LabelledPair], name: str) -> None:
    ids = np.full((len(pairs), MAX_TOKENS), e5.pad, dtype=np.int32)
    for row, pair in enumerate(pairs):
        tokens = encode(e5, pair)
        ids[row, : len(tokens)] = tokens
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    np.savez(
        OUT_DIR / f"{name}.npz",
        ids=ids,
        y=np.array([CLASSES[p.stance] for p in pairs]),
        source=np.array([p.source for p in pairs]),
        dev=np.array([stable_fold(p.topic, 10) == 0 for p in pairs]),
    )
    print(f"{name}: {len(pairs)} pairs", flush=True)


def training_pairs() -> list[LabelledPair]:
    fnc = load_fnc1(split="train")
    unrelated = random.Random(13).sample([p for p in fnc if p.stance == "unrelated"], 3000)
    return [
        *(p for p in fnc if p.stance != "unrelated"),
        *unrelated,
        *load_baly(folds=(1, 2, 3, 4)),
        *load_ans(split="train"),
        *load_promises(split="train"),
    ]


def main(names: list[str]) -> None:
    e5 = E5File()
    splits = {
        "train": training_pairs,
        "test_fnc1": lambda: load_fnc1(split="test"),
        "test_baly": lambda: load_baly(folds=(5,)),
        "test_ans": lambda: load_ans(split="test"),
        "test_promises": lambda: load_promises(split="test"),
    }
    for name in names or splits:
        write(e5, splits[name](), name)


if __name__ == "__main__":
    main(sys.argv[1:])
