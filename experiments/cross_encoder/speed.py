"""Speed of the numpy cross-encoder: python -m experiments.cross_encoder.speed CHECKPOINT

Load time, peak memory and pairs per second on the first 200 FNC-1 test pairs (as prepared, up
to 128 tokens), one pair at a time and in batches of 8.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

from experiments.cross_encoder.prepare import OUT_DIR
from factnlp.e5 import E5File
from factnlp.stance_model.cross_encoder import NumpyCrossEncoder


def main(checkpoint: str) -> None:
    started = time.perf_counter()
    e5 = E5File()
    model = NumpyCrossEncoder(e5, np.load(checkpoint))
    load_seconds = time.perf_counter() - started
    ids = np.load(OUT_DIR / "test_fnc1.npz")["ids"][:200]
    lengths = (ids != e5.pad).sum(1)
    report = {"load_seconds": round(load_seconds, 2), "mean_tokens": float(lengths.mean())}
    for batch in (1, 8):
        started = time.perf_counter()
        for start in range(0, len(ids), batch):
            rows = ids[start : start + batch, : int(lengths[start : start + batch].max())]
            model.logits(rows, (rows != e5.pad).astype(np.float32))
        report[f"pairs_per_s_batch_{batch}"] = round(len(ids) / (time.perf_counter() - started), 1)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
