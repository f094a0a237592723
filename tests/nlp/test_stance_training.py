"""Training plumbing that decides what the stance trees learn from and how they are selected: out-of-fold scores."""

from __future__ import annotations

import numpy as np
import pytest

from factnlp.stance_model.datasets import LabelledPair
from factnlp.stance_model.features import FEATURE_INDEX
from factnlp.stance_model.nli import STACKING_FOLDS, stacking_fold
from factnlp.stance_model.train import (
    NLI_SOURCES,
    SELECTION_FOLDS,
    featurise_stacked,
    out_of_fold_scores,
    selection_fold,
)


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


def english_pair(claim: str, *, topic: str, stance: str = "confirms") -> LabelledPair:
    """A pair of the corpus its topic names (``fnc1:3`` is FNC-1's)."""
    return LabelledPair(
        claim=claim, title="t", body="b", stance=stance, topic=topic, source=topic.split(":")[0], language="en"
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


class RecordingBooster:
    """Stands in for a stance booster: remembers the rows it was fit on and scores every row
    with its own number, scaled by the rounds asked for."""

    def __init__(self, number: int, fitted_on: np.ndarray):
        self.number, self.fitted_on = number, set(fitted_on.tolist())

    def predict(self, rows, num_iteration, raw_score):
        assert raw_score
        return np.full((len(rows), 4), self.number * 1000.0 + num_iteration)


def test_selection_scores_each_pair_with_a_model_fit_without_its_topic():
    pairs = [english_pair(f"claim {n}", topic=f"fnc1:{n % 9}") for n in range(60)]
    rows = np.arange(len(pairs), dtype=np.float32)[:, None]
    boosters = []

    def fit(indices):
        boosters.append(RecordingBooster(len(boosters), indices))
        return [boosters[-1]]

    scores = out_of_fold_scores(rows, pairs, checkpoints=[50, 100], fit=fit)

    assert 1 < len(boosters) <= SELECTION_FOLDS
    for index, pair in enumerate(pairs):
        booster = boosters[int(scores[50][index, 0] // 1000)]
        assert index not in booster.fitted_on
        same_topic = [other for other, candidate in enumerate(pairs) if candidate.topic == pair.topic]
        assert not booster.fitted_on.intersection(same_topic), "a topic's pairs must be held out together"
        assert len(booster.fitted_on) + len(same_topic) <= len(pairs)
        assert scores[100][index, 0] - scores[50][index, 0] == 50
    assert len(boosters) == len({selection_fold(pair) for pair in pairs}), "one model per fold that holds pairs"


def test_selection_scores_average_the_ensemble_members_raw_scores():
    pairs = [english_pair(f"claim {n}", topic=f"fnc1:{n}") for n in range(40)]
    rows = np.zeros((len(pairs), 1), dtype=np.float32)

    def fit(indices):
        return [RecordingBooster(1, indices), RecordingBooster(3, indices)]

    scores = out_of_fold_scores(rows, pairs, checkpoints=[50], fit=fit)

    assert np.allclose(scores[50], 2050.0), "members' raw scores are averaged, not summed or taken from one"


def test_validation_pairs_are_scored_by_their_folds_models_and_never_fit_on():
    pairs = [english_pair(f"claim {n}", topic=f"fnc1:{n}") for n in range(40)]
    validation = [english_pair(f"promise {n}", topic=f"outcomes:{n}", stance="contradicts") for n in range(15)]
    boosters = []

    def fit(indices):
        assert indices.max() < len(pairs), "only training rows are fit on"
        boosters.append(RecordingBooster(len(boosters), indices))
        return [boosters[-1]]

    scores = out_of_fold_scores(
        np.zeros((len(pairs), 1), dtype=np.float32),
        pairs,
        checkpoints=[50],
        fit=fit,
        validation_rows=np.zeros((len(validation), 1), dtype=np.float32),
        validation_pairs=validation,
    )

    assert scores[50].shape == (len(pairs) + len(validation), 4)
    fold_of_booster = {}
    for index, pair in enumerate(pairs):
        fold_of_booster[int(scores[50][index, 0] // 1000)] = selection_fold(pair)
    for offset, pair in enumerate(validation):
        number = int(scores[50][len(pairs) + offset, 0] // 1000)
        assert fold_of_booster[number] == selection_fold(pair), "scored by the models of its own fold"
