"""Write a checkpoint's adapters as the product ships them: python -m experiments.cross_encoder.export CHECKPOINT OUT

float16 (half the size; the test figures of the shipped run were the same as float32's), plain
``np.savez`` so the product can load it without pickles, and the SHA-256 the product checks
(``ADAPTERS_SHA256`` in ``factnlp/stance_model/cross_encoder.py``) printed.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np


def export(checkpoint: Path, out: Path) -> str:
    with np.load(checkpoint, allow_pickle=False) as state:
        np.savez(out, **{name: state[name].astype(np.float16) for name in state.files})
    return hashlib.sha256(out.read_bytes()).hexdigest()


if __name__ == "__main__":
    print(export(Path(sys.argv[1]), Path(sys.argv[2])))
