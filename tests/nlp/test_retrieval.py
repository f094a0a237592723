"""ClaimIndex behaviour on hand-made vectors: bookkeeping, ranking, lexical folding, thresholds."""

import numpy as np
import pytest

from factnlp.retrieval import ClaimIndex
from factnlp.text import tokenize

DIM = 16


def unit(*hot: int, noise: np.ndarray | None = None) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[list(hot)] = 1.0
    if noise is not None:
        vector = vector + noise
    return vector / np.linalg.norm(vector)


def random_unit_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def make_index(texts: dict[int, str], vectors: dict[int, np.ndarray], **options) -> ClaimIndex:
    index = ClaimIndex(DIM, **options)
    ids = list(texts)
    index.upsert_many(ids=ids, vectors=np.stack([vectors[i] for i in ids]), texts=[texts[i] for i in ids])
    return index


def test_upsert_replace_and_remove_keep_ids_consistent():
    index = make_index({1: "one", 2: "two", 3: "three"}, {1: unit(0), 2: unit(1), 3: unit(2)})
    assert len(index) == 3 and 2 in index and 4 not in index

    index.upsert_many(ids=[2], vectors=unit(5)[None, :], texts=["two replaced"])
    assert len(index) == 3
    assert index.search(sentence_vectors=unit(5)[None, :], sentences=["x"], min_score=0.9)[0].claim_id == 2

    assert index.remove(1) is True
    assert index.remove(1) is False
    assert len(index) == 2 and 1 not in index
    # The row moved into the removed slot must still answer for its own id.
    hits = index.search(sentence_vectors=unit(2)[None, :], sentences=["x"], min_score=0.9)
    assert [hit.claim_id for hit in hits] == [3]


def test_rejects_vectors_of_the_wrong_shape():
    index = ClaimIndex(DIM)
    with pytest.raises(ValueError):
        index.upsert_many(ids=[1], vectors=np.ones((1, DIM + 1)), texts=["x"])
    with pytest.raises(ValueError):
        index.upsert_many(ids=[1, 2], vectors=np.ones((1, DIM)), texts=["x", "y"])


def test_semantic_score_is_max_over_sentences_and_sentences_are_ordered_best_first():
    index = make_index({7: "claim"}, {7: unit(3)})
    sentences = ["far", "closest", "close"]
    vectors = np.stack([unit(9), unit(3), unit(3, 4)])
    [hit] = index.search(sentence_vectors=vectors, sentences=sentences, min_score=0.5)
    assert hit.claim_id == 7
    assert hit.semantic_score == pytest.approx(1.0, abs=1e-3)
    assert hit.sentence_indexes[0] == 1
    assert 0 not in hit.sentence_indexes  # an unrelated sentence is not offered as evidence


def test_min_score_and_top_k_limit_results():
    rng = np.random.default_rng(0)
    texts = {i: f"claim {i}" for i in range(50)}
    vectors = {i: unit(i % DIM, noise=rng.normal(0, 0.1, DIM).astype(np.float32)) for i in texts}
    index = make_index(texts, vectors, lexical_weight=0.0)
    query = unit(0)[None, :]
    everything = index.search(sentence_vectors=query, sentences=["q"], top_k=100, min_score=-1.0)
    assert len(everything) == 50
    assert [hit.score for hit in everything] == sorted((hit.score for hit in everything), reverse=True)
    top = index.search(sentence_vectors=query, sentences=["q"], top_k=3, min_score=-1.0)
    assert [hit.claim_id for hit in top] == [hit.claim_id for hit in everything[:3]]
    strict = index.search(sentence_vectors=query, sentences=["q"], top_k=100, min_score=0.8)
    assert strict and all(hit.score >= 0.8 for hit in strict)
    assert len(strict) < 50


def test_lexical_overlap_breaks_a_semantic_tie():
    texts = {1: "The ministry raised bread prices in Cairo", 2: "A storm closed schools in Alexandria"}
    index = make_index(texts, {1: unit(0, 1), 2: unit(0, 2)})
    query = unit(0)[None, :]  # equally close to both
    hits = index.search(sentence_vectors=query, sentences=["Bread prices were raised by the ministry"], min_score=0.0)
    assert hits[0].claim_id == 1
    assert hits[0].lexical_score > 0.3 > hits[1].lexical_score


def test_no_shared_words_never_blocks_a_semantic_match():
    index = make_index({1: "ستغادر القوات كازاخستان"}, {1: unit(0)})
    [hit] = index.search(sentence_vectors=unit(0)[None, :], sentences=["Troops leave Kazakhstan"], min_score=0.5)
    assert hit.lexical_score == 0.0
    assert hit.score >= hit.semantic_score


def test_arabic_lexical_match_ignores_diacritics_and_hamza_forms():
    claim = "أعلنت الحكومة زيادة أسعار الوقود في المحافظات"
    index = make_index({1: claim, 2: "فاز المنتخب بالمباراة النهائية"}, {1: unit(0), 2: unit(1)})
    plain = index.lexical_scores([claim])
    # Same words written with full harakat and bare alef instead of hamza forms.
    vocalised = "اَعْلَنَتِ الحُكُومَةُ زِيَادَةَ اَسْعَارِ الوَقُودِ فِي المُحَافَظَاتِ"
    assert tokenize(vocalised) == tokenize(claim)
    folded = index.lexical_scores([vocalised])
    assert folded[0] == pytest.approx(plain[0])
    assert folded[0] > 0.5 and folded[1] == 0.0


def test_lexical_scores_stay_between_zero_and_one_for_long_articles():
    texts = {i: f"word{i} shared common text" for i in range(20)}
    index = make_index(texts, {i: unit(i % DIM) for i in texts})
    article = [" ".join(f"word{i}" for i in range(20)) + " shared common text"] * 30
    scores = index.lexical_scores(article)
    assert np.all(scores >= 0.0) and np.all(scores <= 1.0)


def test_empty_index_and_empty_article_return_nothing():
    assert ClaimIndex(DIM).search(sentence_vectors=unit(0)[None, :], sentences=["x"]) == []
    index = make_index({1: "x"}, {1: unit(0)})
    assert index.search(sentence_vectors=np.zeros((0, DIM)), sentences=[]) == []


def test_map_at_k_follows_trec_eval_conventions():
    from factnlp.evaluation.retrieval import average_precision_at, ranking_metrics

    assert average_precision_at([5, 1, 2], {1}, 5) == pytest.approx(0.5)
    assert average_precision_at([5, 1, 2], {1}, 1) == 0.0
    # Two relevant claims, one found at rank 1: AP is divided by all relevant ones.
    assert average_precision_at([1, 9, 9, 9, 9, 2], {1, 2}, 5) == pytest.approx(0.5)
    metrics = ranking_metrics({10: [1, 2], 11: [3, 4]}, {10: {1}, 11: {4}, 12: set()})
    assert metrics["queries"] == 2
    assert metrics["map@1"] == pytest.approx(0.5)
    assert metrics["map@5"] == pytest.approx(0.75)
    assert metrics["recall@5"] == pytest.approx(1.0)


def test_tweet_cleaning_keeps_words_and_author_but_drops_links():
    from factnlp.queries import clean_tweet

    tweet = (
        '"Hurricane Dorian washed up bricks of cocaine?#FloridaMan pic.twitter.com/ApEtNvR7tb '
        'https://t.co/x — NowThis News (@nowthisnews) September 10, 2019"'
    )
    cleaned = clean_tweet(tweet)
    assert cleaned.text == "Hurricane Dorian washed up bricks of cocaine? Florida Man"
    assert cleaned.author == "NowThis News"
    assert clean_tweet("No signature here @SomeUser").author == ""


def test_graph_search_keeps_bookkeeping_of_upserts_and_removals():
    index = make_index({1: "one", 2: "two", 3: "three"}, {1: unit(0), 2: unit(1), 3: unit(2)}, ann_min_claims=1)
    index.upsert_many(ids=[2], vectors=unit(5)[None, :], texts=["two replaced"])
    assert [h.claim_id for h in index.search(sentence_vectors=unit(5)[None, :], sentences=["x"], min_score=0.9)] == [2]
    assert [h.claim_id for h in index.search(sentence_vectors=unit(1)[None, :], sentences=["x"], min_score=0.9)] == []
    index.remove(1)
    assert index.search(sentence_vectors=unit(0)[None, :], sentences=["x"], min_score=0.9) == []
    assert [h.claim_id for h in index.search(sentence_vectors=unit(2)[None, :], sentences=["x"], min_score=0.9)] == [3]


def test_graph_search_finds_what_the_exact_scan_finds():
    rng = np.random.default_rng(7)
    dim, n = 64, 3000
    vectors = random_unit_rows(rng, n, dim)
    texts = [f"claim {i} about topic {i % 50}" for i in range(n)]
    exact, graph = ClaimIndex(dim, ann_min_claims=10**9), ClaimIndex(dim, ann_min_claims=1000)
    for index in (exact, graph):
        for start in range(0, n, 1000):  # the graph is built once the index passes its threshold
            index.upsert_many(
                ids=list(range(start, start + 1000)),
                vectors=vectors[start : start + 1000],
                texts=texts[start : start + 1000],
            )
    # The graph is approximate and built by several threads, so it is not the same graph on
    # every run: 8-bit graphs miss about 1 planted target in 800 to 2,000, and a loaded CI
    # machine once missed 2 of 40. A bound on the rate over 400 targets (expected misses under
    # 0.5) cannot be tripped by that noise, yet fails a graph that loses 1 target in 50.
    found = expected = planted_missed = 0
    for _ in range(200):
        targets = rng.choice(n, 2, replace=False)
        queries = vectors[targets] + 0.3 * rng.standard_normal((2, dim)).astype(np.float32) / np.sqrt(dim)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        sentences = [f"topic {targets[0] % 50}", "nothing"]
        want = [c.claim_id for c in exact.search(sentence_vectors=queries, sentences=sentences, top_k=5, min_score=0.3)]
        got = [c.claim_id for c in graph.search(sentence_vectors=queries, sentences=sentences, top_k=5, min_score=0.3)]
        planted_missed += len(set(targets) - set(got))
        found += len(set(want) & set(got))
        expected += len(want)
    assert planted_missed <= 4, planted_missed
    assert found / expected >= 0.95


def test_graph_on_projected_vectors_finds_what_the_exact_scan_finds():
    # Sentence embeddings spread their energy unevenly over their dimensions: here 512-dim rows
    # mixing 120 directions of falling weight, plus a little noise in every dimension.
    rng = np.random.default_rng(11)
    dim, n = 512, 3000
    directions = rng.standard_normal((120, dim)).astype(np.float32)
    weights = rng.standard_normal((n, 120)).astype(np.float32) * np.linspace(1.0, 0.2, 120, dtype=np.float32)
    vectors = weights @ directions + 0.3 * rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = [f"claim {i}" for i in range(n)]
    exact, graph = ClaimIndex(dim, ann_min_claims=10**9), ClaimIndex(dim, ann_min_claims=2000)
    for index in (exact, graph):
        for start in range(0, n, 1000):  # claims past the first 2,000 join the graph already built
            index.upsert_many(
                ids=list(range(start, start + 1000)),
                vectors=vectors[start : start + 1000],
                texts=texts[start : start + 1000],
            )
    basis = graph._ann_basis
    assert basis.shape == (dim, graph.ann_dims)
    np.testing.assert_allclose(basis.T @ basis, np.eye(graph.ann_dims), atol=1e-4)
    found = expected = planted_missed = 0
    for target in rng.choice(n, 40, replace=False):
        query = vectors[target] + 0.5 * rng.standard_normal(dim).astype(np.float32) / np.sqrt(dim)
        query = (query / np.linalg.norm(query))[None, :]
        want = [c.claim_id for c in exact.search(sentence_vectors=query, sentences=["x"], top_k=5, min_score=0.2)]
        got = [c.claim_id for c in graph.search(sentence_vectors=query, sentences=["x"], top_k=5, min_score=0.2)]
        planted_missed += got[:1] != [target]
        found += len(set(want) & set(got))
        expected += len(want)
    assert planted_missed <= 1
    assert found / expected >= 0.95


def test_vectors_no_wider_than_the_graph_are_not_projected():
    index = make_index({i: f"claim {i}" for i in range(5)}, {i: unit(i) for i in range(5)}, ann_min_claims=1)
    assert index._ann is not None and index._ann_basis is None


@pytest.mark.parametrize("ann_min_claims", [20_000, 50], ids=["exact-scan", "hnsw"])
def test_search_many_returns_what_each_search_returns(ann_min_claims):
    rng = np.random.default_rng(7)
    texts = {i: f"claim {i} about topic {i % 7} and region {i % 5}" for i in range(1, 201)}
    vectors = {i: unit(i % DIM, (i + 3) % DIM, noise=rng.normal(0, 0.2, DIM)) for i in texts}
    index = make_index(texts, vectors, ann_min_claims=ann_min_claims)
    articles = []
    for n_sentences in (3, 1, 0, 5):  # an empty article in the middle gets no candidates
        sentence_vectors = np.stack([unit(int(k), noise=rng.normal(0, 0.3, DIM)) for k in rng.integers(0, DIM, 5)])
        sentences = [f"topic {k} in region {k % 5}" for k in range(n_sentences)]
        articles.append((sentence_vectors[:n_sentences].reshape(n_sentences, DIM), sentences))
    batched = index.search_many(articles, top_k=5, min_score=0.3)
    singles = [index.search(sentence_vectors=v, sentences=s, top_k=5, min_score=0.3) for v, s in articles]
    # Products of differently shaped matrices may round differently in the last bits.
    assert [[(c.claim_id, c.sentence_indexes) for c in found] for found in batched] == [
        [(c.claim_id, c.sentence_indexes) for c in found] for found in singles
    ]
    assert np.allclose(
        [c.score for found in batched for c in found], [c.score for found in singles for c in found], atol=1e-5
    )
    assert batched[2] == [] and all(len(found) == 5 for found in (batched[0], batched[1], batched[3]))


@pytest.mark.parametrize("sentences", [1, 2, 17])
def test_best_and_second_best_cosine_per_claim(sentences):
    similarities = np.random.default_rng(sentences).uniform(-1, 1, size=(sentences, 50)).astype(np.float32)
    given = similarities.copy()

    best, second = ClaimIndex._top_two(similarities)

    ordered = np.sort(given, axis=0)
    assert np.array_equal(best, ordered[-1])
    assert np.array_equal(second, ordered[-2] if sentences > 1 else np.zeros(50, dtype=np.float32))
    assert np.array_equal(similarities, given)


@pytest.mark.parametrize(
    "scores",
    [
        "most-above-the-first-floor",
        "fewer-than-wanted-above-the-first-floor",
        "fewer-than-wanted-above-zero",
        "none",
    ],
)
def test_best_lexical_rows_are_the_highest_nonzero_scores(scores):
    rng = np.random.default_rng(len(scores))
    size = 5000
    lexical = {
        "most-above-the-first-floor": rng.uniform(0, 1, size),
        "fewer-than-wanted-above-the-first-floor": np.where(
            rng.random(size) < 0.005, rng.uniform(0.55, 0.9, size), rng.uniform(0, 0.45, size)
        ),
        "fewer-than-wanted-above-zero": np.where(rng.random(size) < 0.005, rng.uniform(0.01, 0.2, size), 0.0),
        "none": np.zeros(size),
    }[scores].astype(np.float32)
    index = ClaimIndex(DIM, lexical_candidates=64)

    rows = index._best_lexical_rows(lexical)

    nonzero = np.flatnonzero(lexical > 0)
    expected = nonzero[np.argsort(-lexical[nonzero], kind="stable")[:64]]
    assert sorted(rows.tolist()) == sorted(expected.tolist())


def test_rows_widened_for_rescoring_hold_the_stored_float16_values_exactly():
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((40, DIM)).astype(np.float32)
    index = make_index({i: f"claim {i}" for i in range(40)}, dict(enumerate(vectors)))
    index._vectors[0, :3] = [65504.0, -0.0, 6e-8]  # float16's largest, negative zero and a subnormal
    rows = np.array([5, 0, 39, 5])

    widened = index._float32_at(rows)

    assert widened.dtype == np.float32
    assert np.array_equal(widened, index._vectors[rows].astype(np.float32))
    assert np.signbit(widened[1, 1])


def test_graph_keys_map_to_the_rows_that_hold_them_after_upserts_and_removals():
    rng = np.random.default_rng(5)
    ids = [int(i) for i in rng.choice(10**9, size=60, replace=False)]
    index = make_index({i: f"claim {i}" for i in ids}, {i: unit(n % DIM) for n, i in enumerate(ids)})
    index.remove(ids[0])  # moves the last row into the hole
    index.upsert_many(ids=[7], vectors=unit(3)[None, :], texts=["a claim added later"])
    padding = np.iinfo(np.uint64).max  # what the graph returns where it found fewer neighbours than asked
    keys = np.array([[ids[5], ids[0], 7], [padding, ids[-1], 12345]], dtype=np.uint64)

    rows = index._rows_of_keys(keys)

    assert rows.shape == keys.shape
    expected = [[index._row_of.get(int(key), -1) for key in row] for row in keys.tolist()]
    assert rows.tolist() == expected
    assert rows[0, 1] == -1 and rows[1, 0] == -1 and rows[1, 2] == -1
    assert index.ids[rows[0, 2]] == 7 and index.ids[rows[1, 1]] == ids[-1]


def test_arabic_words_with_and_without_the_article_agree_lexically():
    # "The Russian forces will leave Kazakhstan" against "and the Russian forces left Kazakhstan":
    # without clitics taken off, "القوات"/"والقوات" and "الروسية"/"روسية" share nothing.
    index = make_index({1: "القوات الروسية ستغادر كازاخستان"}, {1: unit(0)})
    assert index.lexical_scores(["وقوات روسية غادرت كازاخستان"])[0] > index.lexical_scores(["غادرت كازاخستان"])[0]


def _graph_index_of_look_alike_claims():
    n = 600
    vectors = random_unit_rows(np.random.default_rng(3), n, 32)
    # Every claim shares the common words; one of them also names rarer ones.
    texts = [f"The minister said the report {i} was about region {i % 40} and {i % 7} towns" for i in range(n)]
    texts[123] = "Tokayev said the CSTO troops completed their withdrawal"
    index = ClaimIndex(32, ann_min_claims=200)
    index.upsert_many(ids=list(range(n)), vectors=vectors, texts=texts)
    return index, vectors


def test_graph_search_finds_a_claim_by_its_rarer_words_and_scores_words_as_the_whole_index_does():
    index, vectors = _graph_index_of_look_alike_claims()
    sentences = ["Tokayev said the CSTO withdrawal of the troops is over.", "The minister said so."]
    query = -vectors[123][None, :].repeat(2, axis=0)  # the graph's farthest claim

    found = index.search(sentence_vectors=query, sentences=sentences, top_k=600, min_score=-2.0)

    assert 123 in {c.claim_id for c in found}
    exact = index.lexical_scores(sentences)
    assert len(found) > 64
    for candidate in found:
        assert candidate.lexical_score == pytest.approx(float(exact[candidate.claim_id]), abs=1e-6)


def test_graph_search_of_an_article_of_common_words_only_takes_the_best_lexical_matches():
    index, vectors = _graph_index_of_look_alike_claims()
    sentences = ["The minister said the region has 0 towns."]  # every word in over 64 claims

    found = index.search(sentence_vectors=-vectors[123][None, :], sentences=sentences, top_k=600, min_score=-2.0)

    exact = index.lexical_scores(sentences)
    cut = np.sort(exact)[::-1][index.lexical_candidates - 1]
    assert set(np.flatnonzero(exact > cut).tolist()) <= {c.claim_id for c in found}
    assert 0 in {c.claim_id for c in found}  # its report, region and towns are all "0"
    for candidate in found:
        assert candidate.lexical_score == pytest.approx(float(exact[candidate.claim_id]), abs=1e-6)
