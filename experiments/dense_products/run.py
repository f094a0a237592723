"""Do the stance trees read stance better without the dense claim-sentence products?

1,024 of the 1,098 feature columns are element-wise products of the claim's vector with its best
sentence's and its top three's. This trains the model ``train_stance`` makes with those columns
missing in every training row, so the trees never split on them; everything else, seeds
included, is unchanged. The result was labelled 1.15.0 and judged by the release rule in
BENCHMARKS.md §3 (seventeenth session); it was not shipped.

``python -m experiments.dense_products.run --output /tmp/stance/r15/stance-lgbm.json`` (from the
repository root, ``FACTCHECK_DATA_DIR`` pointing at the corpora; about 10 minutes on two cores),
then ``python -m factnlp.stance_model.evaluate --dataset NAME --artifact THAT_FILE --json``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from factnlp.stance_model import train
from factnlp.stance_model.features import FEATURE_NAMES

DENSE_PREFIXES = ("best_x_claim_", "top3_x_claim_")
DENSE_COLUMNS = np.array([i for i, name in enumerate(FEATURE_NAMES) if name.startswith(DENSE_PREFIXES)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    featurise_stacked = train.featurise_stacked

    def without_dense_products(*positional, **named) -> np.ndarray:
        rows = featurise_stacked(*positional, **named).copy()
        rows[:, DENSE_COLUMNS] = np.nan
        return rows

    train.featurise_stacked = without_dense_products
    train.VERSION = "1.15.0"
    train.train_stance(output=args.output)


if __name__ == "__main__":
    main()
