"""Token ids of the stance pairs for the cross-encoder, one .npz per split in OUT_DIR.

Each pair reads <s> claim </s></s> title, then the body sentences sharing most search terms with
the claim </s>, at most 128 tokens. Training: FNC-1 train's related pairs and 3,000 of its
unrelated ones, Baly folds 1-4, ANS train and our promise examples; 10 % of topics held out.
``--with-xnli`` adds XNLI dev (each of its 2,490 pairs once, in one of the four premise/hypothesis
language pairings): the second run, not shipped (README). ``--cue-slot`` gives the second place
in what is read to a sentence with a refuting cue word (``evidence_texts``): the third run.
``--with-written`` adds our 400 written news examples (``datasets.load_written_news``), each once:
the fourth run. ``--with-outcomes`` adds our 180 promise outcome examples
(``datasets.load_promise_outcomes``), each once: with ``--with-written``, the fifth run (README).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np

from factnlp.e5 import E5File
from factnlp.stance import STANCES
from factnlp.stance_model.cross_encoder import MAX_TOKENS, encode_pair, evidence_texts
from factnlp.stance_model.datasets import (
    LabelledPair,
    load_ans,
    load_baly,
    load_fnc1,
    load_promise_outcomes,
    load_promises,
    load_written_news,
    load_xnli,
    stable_fold,
)
from factnlp.text import split_sentences

CLASSES = {stance: index for index, stance in enumerate(STANCES)}
OUT_DIR = Path("/tmp/factnlp-cross-encoder")


def encode(e5: E5File, pair: LabelledPair, *, cue_slot: bool = False) -> list[int]:
    body = split_sentences(pair.body, pair.article_language or pair.language) if pair.body else []
    return encode_pair(e5, pair.claim, evidence_texts(pair.claim, pair.title, body, cue_slot=cue_slot))


def write(e5: E5File, pairs: list[LabelledPair], name: str, *, cue_slot: bool = False) -> None:
    ids = np.full((len(pairs), MAX_TOKENS), e5.pad, dtype=np.int32)
    for row, pair in enumerate(pairs):
        tokens = encode(e5, pair, cue_slot=cue_slot)
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


def xnli_pairs() -> list[LabelledPair]:
    """XNLI's sentence pairs, entailment as confirms and contradiction as contradicts: the
    stance corpora hold few contradictions outside ANS (840 in FNC-1, 62 in Baly), and XNLI's
    830 were meant to teach negation and opposites on many topics (they did not lift FNC-1's
    contradicting class: README, "Second run"). The lines of the two files are translations,
    so each pair is taken once, in the pairing its position picks, to cover the cross-lingual
    reading the product needs without four copies of one example. Pairs are grouped by their
    English premise, so no premise straddles the held-out split."""
    pairs = []
    for position, (en, ar) in enumerate(zip(load_xnli(language="en"), load_xnli(language="ar"), strict=True)):
        premise, hypothesis = [(en, en), (ar, ar), (ar, en), (en, ar)][position % 4]
        pairs.append(
            LabelledPair(
                claim=hypothesis.claim,
                title=premise.title,
                body="",
                stance=en.stance,
                topic=f"xnli:{en.title}",
                source="xnli",
                language=hypothesis.language,
                article_language=premise.language,
            )
        )
    return pairs


def training_pairs(
    *, with_xnli: bool = False, with_written: bool = False, with_outcomes: bool = False
) -> list[LabelledPair]:
    fnc = load_fnc1(split="train")
    unrelated = random.Random(13).sample([p for p in fnc if p.stance == "unrelated"], 3000)
    return [
        *(p for p in fnc if p.stance != "unrelated"),
        *unrelated,
        *load_baly(folds=(1, 2, 3, 4)),
        *load_ans(split="train"),
        *load_promises(split="train"),
        *(xnli_pairs() if with_xnli else ()),
        *(load_written_news() if with_written else ()),
        *(load_promise_outcomes() if with_outcomes else ()),
    ]


def main(names: list[str]) -> None:
    e5 = E5File()
    options = {name for name in names if name.startswith("--")}
    if unknown := options - {"--with-xnli", "--cue-slot", "--with-written", "--with-outcomes"}:
        # A misspelt option would otherwise prepare another run's inputs without a word.
        sys.exit(f"unknown option(s): {', '.join(sorted(unknown))}")
    with_xnli, cue_slot = "--with-xnli" in options, "--cue-slot" in options
    with_written, with_outcomes = "--with-written" in options, "--with-outcomes" in options
    names = [name for name in names if name not in options]
    splits = {
        "train": lambda: training_pairs(with_xnli=with_xnli, with_written=with_written, with_outcomes=with_outcomes),
        "test_fnc1": lambda: load_fnc1(split="test"),
        "test_baly": lambda: load_baly(folds=(5,)),
        "test_ans": lambda: load_ans(split="test"),
        "test_promises": lambda: load_promises(split="test"),
    }
    for name in names or splits:
        write(e5, splits[name](), name, cue_slot=cue_slot)


if __name__ == "__main__":
    main(sys.argv[1:])
