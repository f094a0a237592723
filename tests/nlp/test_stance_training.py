"""Training plumbing that decides what the stance trees learn from: out-of-fold inference scores."""

from __future__ import annotations

import numpy as np
import pytest

from factnlp.stance_model.datasets import LabelledPair
from factnlp.stance_model.features import FEATURE_INDEX
from factnlp.stance_model.nli import STACKING_FOLDS, stacking_fold
from factnlp.stance_model.train import NLI_SOURCES, featurise_stacked


class ConstantInference:
    """Stands in for a LightGBM booster: the same (entails, contradicts, neutral) for every row."""

    def __init__(self, entails: float):
        self.probabilities = np.array([entails, 0.1, 0.9 - entails])

    def predict(self, rows, num_threads=1):
        return np.tile(self.probabilities, (len(rows), 1))

    def model_to_string(self) -> str:
        return f"constant {self.probabilities.tolist()}"


def ans_pair(claim: str, headline: str) -> LabelledPair:
    return LabelledPair(
        claim=claim, title=headline, body="", stance="confirms", topic=f"ans:{claim}", source="ans", language="ar"
    )


@pytest.fixture
def stance_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FACTNLP_STANCE_CACHE", str(tmp_path))


def test_pairs_the_inference_model_learnt_from_are_scored_by_the_model_that_left_them_out(stance_cache):
    assert "ans" in NLI_SOURCES
    claims = [
        "ارتفاع أسعار النفط في الأسواق العالمية",
        "الحكومة تفتتح مستشفى جديدا في العاصمة",
        "المنتخب يفوز بالبطولة القارية",
        "انخفاض معدل البطالة في الربع الأخير",
        "البنك المركزي يرفع سعر الفائدة",
        "افتتاح الطريق السريع بين المدينتين",
    ]
    pairs = [ans_pair(claim, claim + " اليوم") for claim in claims]
    pairs.append(
        LabelledPair(
            claim="Oil prices rose sharply on Monday",
            title="Oil climbs",
            body="Oil prices rose sharply on Monday as supply fell.",
            stance="confirms",
            topic="fnc1:oil",
            source="fnc1",
            language="en",
        )
    )
    folds = {fold: ConstantInference(entails=0.01 * (fold + 1)) for fold in range(STACKING_FOLDS)}
    full = ConstantInference(entails=0.8)

    rows = featurise_stacked(pairs, name="test", full=full, folds=folds)

    entails = rows[:, FEATURE_INDEX["nli_entails_best"]]
    for pair, value in zip(pairs[:-1], entails[:-1], strict=True):
        assert value == pytest.approx(0.01 * (stacking_fold(pair) + 1))
    assert entails[-1] == pytest.approx(0.8)
    assert len({stacking_fold(pair) for pair in pairs[:-1]}) > 1, "the claims should span several folds"


def test_a_claims_pairs_share_one_fold():
    first = ans_pair("الحكومة تفتتح مستشفى جديدا", "افتتاح مستشفى جديد")
    second = ans_pair("الحكومة تفتتح مستشفى جديدا", "الحكومة تؤجل افتتاح المستشفى")
    assert stacking_fold(first) == stacking_fold(second)
    assert 0 <= stacking_fold(first) < STACKING_FOLDS
