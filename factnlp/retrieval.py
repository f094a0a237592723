"""In-memory claim index: finds the claims an article may be about, across languages.

Each claim is held twice: as an embedding row (cross-lingual meaning) and as
BM25 term weights over :func:`factnlp.text.search_terms` (same-language wording,
Arabic spelling variants folded and clitics taken off).  A search scores every claim against all the
article's sentences with a few matrix operations, so cost grows with the
number of claims but never runs Python code per claim.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from factnlp.text import search_terms

# Calibrated on multilingual USE v3: paraphrases across Arabic and English score
# about 0.5-0.8 max-sentence cosine, topically unrelated news about 0.1-0.35.
DEFAULT_MIN_SCORE = 0.45

# Every float16 bit pattern's float32 value. numpy's float16 cast does not use the CPU's
# conversion instructions; for the few hundred rows a search re-scores, a table lookup
# is twice as fast (larger arrays are bound by memory traffic and gain nothing).
_FLOAT16_TO_32 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)


@dataclass(frozen=True)
class Candidate:
    """A claim that an article may be about, with the scores that ranked it."""

    claim_id: int
    score: float  # what ranks candidates: semantic + support bonus + weighted lexical
    semantic_score: float  # max cosine between the claim and any article sentence
    lexical_score: float  # BM25 agreement of claim and article, 0..1 (see ClaimIndex.lexical_scores)
    sentence_indexes: tuple[int, ...]  # article sentences closest to the claim, best first


class ClaimIndex:
    """Claims as float16 embedding rows plus a BM25 inverted index, searched by article.

    ``lexical_weight`` is added on top of the semantic score, never multiplied in:
    shared words lift same-language matches, while a cross-lingual pair (no shared
    words) keeps its full semantic score and is not blocked.
    """

    def __init__(
        self,
        dim: int,
        *,
        lexical_weight: float = 0.3,
        support_weight: float = 0.1,
        support_floor: float = 0.4,
        k1: float = 1.2,
        b: float = 0.75,
        lexical_saturation: float = 6.0,
        chunk_rows: int = 16384,
        ann_min_claims: int = 20_000,
        ann_candidates: int = 64,
        ann_dims: int = 192,
        ann_expansion: int = 80,
        lexical_candidates: int = 64,
        search_threads: int = 0,
    ):
        self.dim = dim
        self.lexical_weight = lexical_weight
        self.support_weight = support_weight
        self.support_floor = support_floor
        self.k1 = k1
        self.b = b
        self.lexical_saturation = lexical_saturation
        self._chunk_rows = chunk_rows
        # Past ann_min_claims an exact scan of every claim per article costs more
        # than embedding the article; an HNSW graph (usearch) proposes candidates
        # per sentence instead, and only those (plus the best lexical matches) are
        # scored exactly. Below it the exact scan is cheap and needs no graph.
        self.ann_min_claims = ann_min_claims
        self.ann_candidates = ann_candidates
        # The graph holds rows projected to ann_dims dimensions and searches ann_expansion wide
        # (see _build_ann); both were measured with the 512-dimension USE vectors, and an
        # ann_dims of at least dim stores the rows unprojected.
        self.ann_dims = ann_dims
        self.ann_expansion = ann_expansion
        self.lexical_candidates = lexical_candidates
        # Threads of one graph search (0: all cores); a worker process in a pool passes its share.
        self.search_threads = search_threads
        self._ann = None
        # Claim rows and queries enter the graph projected onto this basis (dim x ann_dims).
        self._ann_basis: np.ndarray | None = None
        self._size = 0
        # float16 halves memory (100 MB per 100k claims at 512 dims); products are
        # computed in float32 chunk by chunk, and cosine ranks lose nothing visible.
        self._vectors = np.zeros((0, dim), dtype=np.float16)
        self._ids = np.zeros(0, dtype=np.int64)
        self._row_of: dict[int, int] = {}
        # Below ann_min_claims every search scans all rows, and converting float16
        # rows costs more than the product itself; a float32 copy (at most 40 MB
        # at 20k claims) is kept for the scan and dropped whenever rows change.
        self._scan_rows: np.ndarray | None = None
        # Claim ids sorted, and the row of each, to map the graph's keys to rows in one
        # vectorised lookup; rebuilt after rows change.
        self._ids_sorted: tuple[np.ndarray, np.ndarray] | None = None
        self._vocabulary: dict[str, int] = {}
        self._row_terms: list[np.ndarray] = []
        self._row_counts: list[np.ndarray] = []
        self._postings: _Postings | None = None

    def __len__(self) -> int:
        return self._size

    def __contains__(self, claim_id: object) -> bool:
        return claim_id in self._row_of

    @property
    def ids(self) -> np.ndarray:
        """Claim ids in row order (a copy)."""
        return self._ids[: self._size].copy()

    def vector_of(self, claim_id: int) -> np.ndarray | None:
        """The stored (unit, float16-rounded) vector of a claim, or None when it is not indexed."""
        row = self._row_of.get(int(claim_id))
        return None if row is None else self._vectors[row].astype(np.float32)

    def upsert_many(self, *, ids: Sequence[int], vectors: np.ndarray, texts: Sequence[str]) -> None:
        """Add claims or replace the vector and text of ones already indexed."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise ValueError(f"vectors must be (n, {self.dim}), got {vectors.shape}")
        if not (len(ids) == len(texts) == vectors.shape[0]):
            raise ValueError("ids, vectors and texts must have the same length")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        vectors = vectors / norms
        self._reserve(self._size + len(ids))
        for claim_id, vector, text in zip(ids, vectors, texts, strict=True):
            claim_id = int(claim_id)
            row = self._row_of.get(claim_id)
            if row is None:
                row = self._size
                self._size += 1
                self._row_of[claim_id] = row
                self._ids[row] = claim_id
                self._row_terms.append(np.zeros(0, dtype=np.int32))
                self._row_counts.append(np.zeros(0, dtype=np.float32))
            self._vectors[row] = vector
            self._row_terms[row], self._row_counts[row] = self._term_counts(text)
        self._postings = None
        self._scan_rows = None
        self._ids_sorted = None
        if self._ann is not None:
            keys = np.asarray([int(i) for i in ids], dtype=np.uint64)
            self._ann.remove(keys)
            self._ann.add(keys, self._graph_rows(vectors))
        elif self._size >= self.ann_min_claims:
            self._build_ann()

    def remove(self, claim_id: int) -> bool:
        """Drop a claim; returns whether it was indexed."""
        row = self._row_of.pop(int(claim_id), None)
        if row is None:
            return False
        if self._ann is not None:
            self._ann.remove(int(claim_id))
        last = self._size - 1
        if row != last:
            # Move the last row into the hole so rows stay dense for matrix products.
            moved_id = int(self._ids[last])
            self._vectors[row] = self._vectors[last]
            self._ids[row] = moved_id
            self._row_terms[row] = self._row_terms[last]
            self._row_counts[row] = self._row_counts[last]
            self._row_of[moved_id] = row
        self._row_terms.pop()
        self._row_counts.pop()
        self._size = last
        self._postings = None
        self._scan_rows = None
        self._ids_sorted = None
        return True

    def search(
        self,
        *,
        sentence_vectors: np.ndarray,
        sentences: Sequence[str],
        top_k: int = 20,
        min_score: float = DEFAULT_MIN_SCORE,
    ) -> list[Candidate]:
        """Claims best matching an article given as sentences (title first) and their vectors."""
        return self.search_many([(sentence_vectors, sentences)], top_k=top_k, min_score=min_score)[0]

    def search_many(
        self,
        articles: Sequence[tuple[np.ndarray, Sequence[str]]],
        *,
        top_k: int = 20,
        min_score: float = DEFAULT_MIN_SCORE,
    ) -> list[list[Candidate]]:
        """:meth:`search` for several articles, each given as (sentence vectors, sentences).

        Below the HNSW threshold the claim rows are scanned once for all the articles'
        sentences together: the scan is bound by memory traffic, not arithmetic, so a
        batch of articles costs little more than one.
        """
        results: list[list[Candidate]] = [[] for _ in articles]
        checked = []
        for position, (vectors, sentences) in enumerate(articles):
            vectors = np.asarray(vectors, dtype=np.float32)
            if len(sentences) and vectors.shape != (len(sentences), self.dim):
                raise ValueError(f"sentence_vectors must be ({len(sentences)}, {self.dim})")
            if len(sentences):
                checked.append((position, vectors, sentences))
        if self._size == 0 or top_k <= 0 or not checked:
            return results
        if self._ann is None:
            bounds = np.cumsum([0] + [len(sentences) for _, _, sentences in checked])
            similarities = self._scan(np.vstack([vectors for _, vectors, _ in checked]))
            pool = np.arange(self._size)
            for (position, vectors, sentences), start, stop in zip(checked, bounds[:-1], bounds[1:], strict=True):
                best, second = self._top_two(similarities[start:stop])
                results[position] = self._rank(
                    pool, best, second, self.lexical_scores(sentences), vectors, top_k=top_k, min_score=min_score
                )
            return results
        # One graph search for all the articles' sentences: the library spreads a
        # large batch of queries over the cores, a single article's few barely.
        queries = np.vstack([vectors for _, vectors, _ in checked])
        neighbours = self._ann.search(self._graph_rows(queries), self.ann_candidates, threads=self.search_threads)
        neighbour_rows = self._rows_of_keys(np.asarray(neighbours.keys).reshape(len(queries), -1))
        start = 0
        for position, vectors, sentences in checked:
            lexical = self.lexical_scores(sentences)
            pool = self._ann_pool(neighbour_rows[start : start + len(sentences)], lexical)
            start += len(sentences)
            best, second = self._top_two(vectors @ self._float32_at(pool).T)
            results[position] = self._rank(pool, best, second, lexical[pool], vectors, top_k=top_k, min_score=min_score)
        return results

    def _rank(self, pool, best, second, lexical, sentence_vectors, *, top_k: int, min_score: float) -> list[Candidate]:
        """Candidates among ``pool`` rows (their best and second-best cosines and lexical scores given)."""
        support = self.support_weight * np.maximum(second - self.support_floor, 0.0)
        scores = best + support + self.lexical_weight * lexical

        positions = np.flatnonzero(scores >= min_score)
        if positions.size > top_k:
            positions = positions[np.argpartition(-scores[positions], top_k - 1)[:top_k]]
        positions = positions[np.argsort(-scores[positions], kind="stable")]
        best, lexical, scores, rows = best[positions], lexical[positions], scores[positions], pool[positions]
        if rows.size == 0:
            return []
        sentence_order = self._best_sentences(rows, sentence_vectors)
        return [
            Candidate(
                claim_id=int(self._ids[row]),
                score=float(scores[position]),
                semantic_score=float(best[position]),
                lexical_score=float(lexical[position]),
                sentence_indexes=sentence_order[position],
            )
            for position, row in enumerate(rows)
        ]

    def compile(self) -> None:
        """Build now what the next search would otherwise build first: the BM25 postings and,
        below the graph threshold, the float32 scan rows (above it, the sorted claim ids).

        Searching compiles them lazily after any change; a worker calls this when it loads
        or refreshes its index, so at 100k claims the first article after a load does not
        pay the 0.4 s postings build.
        """
        self._compiled_postings()
        if self._ann is None and self._size:
            self._float32_rows()
        elif self._ann is not None:
            self._sorted_ids()

    def semantic_scores(self, sentence_vectors: np.ndarray) -> np.ndarray:
        """Max cosine of every claim (row order) against the given sentence vectors."""
        return self._semantic_scores(np.asarray(sentence_vectors, dtype=np.float32))[0]

    def lexical_scores(self, sentences: Sequence[str]) -> np.ndarray:
        """Per claim (row order): BM25 agreement with the sentences, on an absolute 0..1 scale.

        The article is the query and each claim a BM25 document.  The raw score is
        turned into the geometric mean of two shares: the part of the claim's own
        BM25 weight the article contains (so a long article does not win on volume)
        and ``raw / (raw + lexical_saturation)`` (so a two-word claim fully
        covered by common words does not score 1).  Per-query max scaling ranks
        about as well but would hand every article a "perfect" lexical match.
        """
        postings = self._compiled_postings()
        term_ids = sorted(
            {
                self._vocabulary[token]
                for sentence in sentences
                for token in search_terms(sentence)
                if token in self._vocabulary
            }
        )
        if not term_ids:
            return np.zeros(self._size, dtype=np.float32)
        terms = np.asarray(term_ids, dtype=np.int64)
        starts = postings.offsets[terms]
        lengths = postings.offsets[terms + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(self._size, dtype=np.float32)
        # Each term's postings are one contiguous run: copying the runs costs less than
        # gathering them by position (common words have postings in most claims, so at
        # 100k claims an article touches about 380k postings).
        runs = list(zip(starts.tolist(), (starts + lengths).tolist(), strict=True))
        rows = np.concatenate([postings.rows[start:stop] for start, stop in runs])
        weights = np.concatenate([postings.weights[start:stop] for start, stop in runs])
        raw = np.bincount(rows, weights=weights, minlength=self._size)
        coverage = raw / postings.row_totals
        saturation = raw / (raw + self.lexical_saturation)
        return np.sqrt(coverage * saturation).astype(np.float32)

    # internals

    def _reserve(self, rows: int) -> None:
        capacity = self._vectors.shape[0]
        if rows <= capacity:
            return
        capacity = max(rows, capacity + capacity // 4, 1024)
        vectors = np.zeros((capacity, self.dim), dtype=np.float16)
        vectors[: self._size] = self._vectors[: self._size]
        ids = np.zeros(capacity, dtype=np.int64)
        ids[: self._size] = self._ids[: self._size]
        self._vectors, self._ids = vectors, ids

    def _term_counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(search_terms(text))
        term_ids = np.fromiter(
            (self._vocabulary.setdefault(token, len(self._vocabulary)) for token in counts),
            dtype=np.int32,
            count=len(counts),
        )
        return term_ids, np.fromiter(counts.values(), dtype=np.float32, count=len(counts))

    def _semantic_scores(self, sentence_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._top_two(self._scan(sentence_vectors))

    def _scan(self, sentence_vectors: np.ndarray) -> np.ndarray:
        """Cosine of every sentence (rows) against every claim row (columns).

        Sentences are rows so that one article's sentences are a contiguous block,
        which :meth:`_top_two` reduces with a few passes over whole rows.
        """
        queries = np.asarray(sentence_vectors, dtype=np.float32)
        if self._size < self.ann_min_claims:
            return queries @ self._float32_rows().T
        similarities = np.empty((queries.shape[0], self._size), dtype=np.float32)
        # One reused float32 buffer: allocating a fresh converted copy per chunk
        # costs more than the conversion and the product together.
        buffer = np.empty((min(self._chunk_rows, self._size), self.dim), dtype=np.float32)
        for start in range(0, self._size, self._chunk_rows):
            stop = min(start + self._chunk_rows, self._size)
            chunk = buffer[: stop - start]
            np.copyto(chunk, self._vectors[start:stop])
            similarities[:, start:stop] = queries @ chunk.T
        return similarities

    def _float32_at(self, rows: np.ndarray) -> np.ndarray:
        """Some vector rows (by position), widened to float32 for a matrix product."""
        return _FLOAT16_TO_32.take(self._vectors.view(np.uint16)[rows])

    def _float32_rows(self) -> np.ndarray:
        if self._scan_rows is None:
            self._scan_rows = self._vectors[: self._size].astype(np.float32)
        return self._scan_rows

    def _build_ann(self) -> None:
        from usearch.index import Index

        # The graph only proposes candidates; they are re-scored from the float16 rows. So it
        # keeps cheap vectors: 8-bit, and projected onto the claims' 192 main directions, where
        # a distance reads 192 bytes instead of 512. At 100k real claims, searched with 80
        # instead of 64 candidates, it proposes as much of each sentence's exact top 10 as the
        # full 8-bit vectors did (FNC-1 sentences 93.0-93.4 % against 93.2-93.3 %; Arabic Baly
        # sentences 95.6 % against 95.2 %) in 25-40 % less time, and the graph is 85 MB
        # instead of 118 MB. 24 links: more of the exact top 10 than 16 (93.0 against 91.5 %).
        # Built once when the index passes ann_min_claims (4-15 s per 100k claims on 2 cores);
        # later claims are added one by one, projected onto the same basis.
        self._ann_basis = self._principal_basis() if self.ann_dims < self.dim else None
        self._ann = Index(
            ndim=self.dim if self._ann_basis is None else self.ann_dims,
            metric="ip",
            dtype="i8",
            connectivity=24,
            expansion_add=64,
            expansion_search=max(self.ann_expansion, self.ann_candidates),
        )
        rows = np.empty((self._size, self._ann.ndim), dtype=np.float32)
        for start in range(0, self._size, self._chunk_rows):
            stop = min(start + self._chunk_rows, self._size)
            rows[start:stop] = self._graph_rows(self._vectors[start:stop].astype(np.float32))
        self._ann.add(self._ids[: self._size].astype(np.uint64), rows, threads=0)

    def _principal_basis(self) -> np.ndarray:
        """The ``ann_dims`` directions that keep most of the claim rows' energy (not centred:
        inner products in the projection then approximate the cosines themselves)."""
        gram = np.zeros((self.dim, self.dim), dtype=np.float64)
        for start in range(0, self._size, self._chunk_rows):
            chunk = self._vectors[start : min(start + self._chunk_rows, self._size)].astype(np.float32)
            gram += chunk.T @ chunk
        _, vectors = np.linalg.eigh(gram)  # ascending eigenvalues
        return np.ascontiguousarray(vectors[:, ::-1][:, : self.ann_dims], dtype=np.float32)

    def _graph_rows(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float32)
        return vectors if self._ann_basis is None else vectors @ self._ann_basis

    # At 100k claims the 64th best lexical score of an FNC-1 article was 0.36-0.77.
    _LEXICAL_FLOORS = (0.5, 0.25)

    def _rows_of_keys(self, keys: np.ndarray) -> np.ndarray:
        """The row of each graph key (a claim id), or -1 where no row holds it (the graph pads
        results it could not fill with a key that is no claim id)."""
        ids, order = self._sorted_ids()
        keys = keys.astype(np.int64)  # a padding key of 2**64 - 1 becomes -1, which is no id
        positions = np.minimum(np.searchsorted(ids, keys), len(ids) - 1)
        return np.where(ids[positions] == keys, order[positions], -1)

    def _sorted_ids(self) -> tuple[np.ndarray, np.ndarray]:
        if self._ids_sorted is None:
            order = np.argsort(self._ids[: self._size], kind="stable")
            self._ids_sorted = (self._ids[: self._size][order], order)
        return self._ids_sorted

    def _ann_pool(self, neighbour_rows: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        """Rows worth scoring exactly: each sentence's nearest claims (found by the graph), plus the
        best lexical matches."""
        rows = neighbour_rows.reshape(-1)
        lexical_rows = self._best_lexical_rows(lexical)
        return _sorted_unique(np.concatenate([rows[rows >= 0], lexical_rows.astype(np.int64)]))

    def _best_lexical_rows(self, lexical: np.ndarray) -> np.ndarray:
        """Rows of the ``lexical_candidates`` highest lexical scores above zero.

        At 100k claims common words give most rows some score, and partitioning them all
        costs about 1 ms per article. When enough rows clear a floor, the best ones are
        among them, so only those are partitioned: the same rows, up to ties at the cut.
        """
        wanted = self.lexical_candidates
        for floor in self._LEXICAL_FLOORS:
            rows = np.flatnonzero(lexical >= floor)
            if rows.size >= wanted:
                break
        else:
            rows = np.flatnonzero(lexical > 0)
        if rows.size > wanted:
            rows = rows[np.argpartition(-lexical[rows], wanted - 1)[:wanted]]
        return rows

    @staticmethod
    def _top_two(similarities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per column (claim): the best and second-best cosine over the rows (sentences)."""
        best = similarities[0].copy()
        second = np.zeros_like(best)
        if len(similarities) < 2:
            return best, second
        # An article has tens of sentences and the index thousands of claims: a
        # running maximum over whole rows is several times faster than a partition
        # along the short axis.
        second[:] = -np.inf
        for row in similarities[1:]:
            np.maximum(second, np.minimum(best, row), out=second)
            np.maximum(best, row, out=best)
        return best, second

    def _best_sentences(self, rows: np.ndarray, sentence_vectors: np.ndarray, *, keep: int = 3, margin: float = 0.15):
        similarities = self._float32_at(rows) @ sentence_vectors.T
        order = np.argsort(-similarities, axis=1, kind="stable")[:, :keep]
        ordered = np.take_along_axis(similarities, order, axis=1)
        close = ordered >= ordered[:, :1] - margin
        return [tuple(int(i) for i in order[r][close[r]]) for r in range(len(rows))]

    def _compiled_postings(self) -> _Postings:
        if self._postings is None:
            self._postings = _Postings.build(
                row_terms=self._row_terms[: self._size],
                row_counts=self._row_counts[: self._size],
                vocabulary_size=len(self._vocabulary),
                k1=self.k1,
                b=self.b,
            )
        return self._postings


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique for the short int arrays of one search: numpy 2's hash-based unique costs
    about ten times a sort for a thousand values (0.16 against 0.017 ms here)."""
    values = np.sort(values)
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


@dataclass(frozen=True)
class _Postings:
    """Claim-side BM25 weights grouped by term (CSR layout), rebuilt after changes."""

    offsets: np.ndarray  # (vocabulary + 1,) start of each term's postings
    rows: np.ndarray  # claim row of each posting
    weights: np.ndarray  # BM25 weight of the term in that claim
    row_totals: np.ndarray  # per claim: sum of its weights (its score against itself), never 0

    @classmethod
    def build(cls, *, row_terms, row_counts, vocabulary_size: int, k1: float, b: float) -> _Postings:
        n_rows = len(row_terms)
        if n_rows == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(np.zeros(vocabulary_size + 1, dtype=np.int64), empty, empty.astype(np.float32), np.ones(0))
        postings_per_row = np.fromiter((len(t) for t in row_terms), dtype=np.int64, count=n_rows)
        terms = np.concatenate(row_terms).astype(np.int64)
        counts = np.concatenate(row_counts).astype(np.float64)
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), postings_per_row)
        lengths = np.bincount(rows, weights=counts, minlength=n_rows)
        average_length = max(float(lengths.mean()), 1.0)
        document_frequency = np.bincount(terms, minlength=vocabulary_size)
        idf = np.log1p((n_rows - document_frequency + 0.5) / (document_frequency + 0.5))
        saturation = counts * (k1 + 1) / (counts + k1 * (1 - b + b * lengths[rows] / average_length))
        weights = idf[terms] * saturation
        totals = np.bincount(rows, weights=weights, minlength=n_rows)
        order = np.argsort(terms, kind="stable")
        offsets = np.zeros(vocabulary_size + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(document_frequency)
        return cls(offsets, rows[order], weights[order].astype(np.float32), np.where(totals > 0, totals, 1.0))


__all__ = ["Candidate", "ClaimIndex", "DEFAULT_MIN_SCORE"]
