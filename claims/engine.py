"""The worker's loaded NLP parts: embedder, stance model and an in-memory claim index kept in sync with the database."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db import connections
from django.utils import timezone

from factnlp.embeddings import Embedder, shared_embedder
from factnlp.retrieval import ClaimIndex
from factnlp.stance import ArticleText, StanceModel, load_shared_stance_weights, load_stance_model
from factnlp.text import detect_language

from .models import ClaimEmbedding

logger = logging.getLogger(__name__)

# A row committed a little after a later one can carry an earlier timestamp;
# re-reading this much of the past makes the refresh miss none. Claim vectors
# are written in short autocommit transactions, so seconds suffice; a longer
# window makes every refresh after a bulk import re-read the whole import.
_WATERMARK_SLACK = timedelta(seconds=10)


def embedder() -> Embedder:
    return shared_embedder(settings.NLP_EMBEDDER)


@lru_cache(maxsize=2)
def _stance_model(spec: str) -> StanceModel:
    return load_stance_model(spec)


def stance_model() -> StanceModel:
    return _stance_model(settings.NLP_STANCE_MODEL)


def warm_up() -> None:
    """Load the models a worker needs before its first task, not during it.

    Loading the embedder, the stance model and the language identifier takes a few
    seconds; without this the first article a worker takes waits for all of it.
    The claim index is not loaded here: it reads the database and at 100,000 claims
    takes longer than a worker should spend starting (see :func:`preload_claim_index`).
    """
    embedder().embed(["Warm-up sentence."])
    # One prediction, not just the load: the default model builds its cue-word reader
    # (0.2 s) on the first article it analyses.
    stance_model().predict(
        "The troops will leave once the mission is complete.",
        ArticleText(title="Warm-up", body="The last troops left on Friday, as promised."),
    )
    detect_language("The language identifier loads its model on first use.")


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # a container's CPU set, where the OS has one
    except AttributeError:
        return os.cpu_count() or 1


def native_threads_per_process(*, cpus: int, processes: int, configured: int = 0) -> int:
    """Threads one of ``processes`` workers sharing ``cpus`` should give numpy's BLAS.

    OpenBLAS starts one thread per CPU in every process. Two prefork processes on two
    cores then run four spinning BLAS threads, and embedding ran 2-6 times slower than
    in one process; with one thread each, the pair embeds faster than one process does.
    """
    if configured > 0:
        return configured
    return max(1, cpus // max(1, processes))


def limit_native_threads(*, processes: int) -> int:
    """Cap this process's native thread pools (OpenBLAS, OpenMP) for a pool of ``processes``."""
    from threadpoolctl import threadpool_limits

    threads = native_threads_per_process(
        cpus=usable_cpus(), processes=processes, configured=settings.WORKER_NATIVE_THREADS
    )
    threadpool_limits(limits=threads)  # called, not entered: the limit stays for the process's life
    global _native_threads
    _native_threads = threads
    return threads


# This process's share of the CPUs once limit_native_threads ran (0: not limited, use them all).
_native_threads = 0


def preload_claim_index() -> threading.Thread:
    """Start loading the claim index in the background, so a worker that has just started (or
    was recycled by ``--max-memory-per-child``) is not idle while its first article waits for it.

    At 100,000 claims the load takes about 16 s; a task that arrives meanwhile waits on the
    cache's lock for the same load instead of starting another.
    """

    def load() -> None:
        _load_claim_index(loaded="Claim index loaded", failed="Claim index preload failed; the first task will load it")

    thread = threading.Thread(target=load, name="claim-index-preload", daemon=True)
    thread.start()
    return thread


def _load_claim_index(*, loaded: str, failed: str) -> None:
    """Load the claim index and log how long it took; a failure is logged, not raised, and is left
    to the first task. The caller's database connections are closed after: a preload thread's
    connection is its own, and a forked process must not share its parent's."""
    started = time.monotonic()
    try:
        index = claim_index_cache.get()
        logger.info("%s: %d claims in %.1f s", loaded, len(index), time.monotonic() - started)
    except Exception:
        logger.exception(failed)
    finally:
        connections.close_all()


def load_claim_index_before_fork() -> None:
    """Load the claim index (and the embedder it needs) in a prefork worker's main process,
    before the pool starts, so the pool's processes start with both and share their memory.

    Forked processes share the parent's pages until one writes to them: the index's vector
    rows, BM25 postings and graph (about 380 MB at 100,000 claims) then exist once instead of
    once per process, and a new or recycled process refreshes only what changed since. Only
    the index, the embedder and what a stance model offers to share (``load_shared``: the
    cross-encoder's numpy weights) are loaded here: LightGBM's OpenMP runtime is not safe to use
    in a process forked after the parent used it, so the trees load in each process.
    """
    _load_claim_index(
        loaded="Claim index loaded before forking the pool",
        failed="Claim index could not be loaded before forking; each pool process loads its own",
    )
    try:
        if load_shared_stance_weights(settings.NLP_STANCE_MODEL):
            logger.info("Stance model weights loaded before forking the pool")
    except Exception:
        logger.exception("Stance model weights could not be loaded before forking; each pool process loads its own")
    # Objects that exist now are left alone by the garbage collector from here on, so its
    # passes in the pool's processes do not write to (and so copy) the shared pages.
    gc.freeze()


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


def vectors_from_bytes(data: bytes | memoryview, dim: int) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float16).reshape(-1, dim).astype(np.float32)


@dataclass(frozen=True)
class IndexHorizon:
    """What an index snapshot vouches for: every claim vector updated before ``since``, and of
    those updated since, exactly the ones in ``indexed`` (claim id -> ``updated_at``)."""

    since: datetime
    indexed: dict[int, datetime]


class ClaimIndexCache:
    """One ClaimIndex per worker process, refreshed from ClaimEmbedding rows.

    New and re-embedded claims are picked up by an ``updated_at`` watermark;
    deleted ones when the row count no longer matches. Refreshes are rate
    limited so a busy worker does not query for every article.

    Counting the rows costs about 30 ms at 100k claims, so deletions are looked for at
    most every ``deletion_check_seconds`` (and on a forced refresh). Until then a deleted
    claim can still be retrieved, but matching drops it before the stance step because
    its text is no longer found.
    """

    def __init__(self, *, min_refresh_seconds: float = 2.0, deletion_check_seconds: float = 60.0):
        self._lock = threading.Lock()
        self._index: ClaimIndex | None = None
        self._indexed_at: dict[int, object] = {}  # claim id -> ClaimEmbedding.updated_at indexed
        self._model_name = ""
        self._watermark = None
        self._last_refresh = 0.0
        self._min_refresh_seconds = min_refresh_seconds
        self._deletion_check_seconds = deletion_check_seconds
        self._last_deletion_check = 0.0
        self._recent: dict[int, datetime] = {}  # claim id -> updated_at indexed, for rows updated within the slack

    def reset(self) -> None:
        with self._lock:
            self._index = None

    def get(self, *, force: bool = False) -> ClaimIndex:
        return self.snapshot(force=force)[0]

    def snapshot(self, *, force: bool = False) -> tuple[ClaimIndex, IndexHorizon]:
        """The index and its horizon, so a caller can later ask which claims it could not have seen."""
        with self._lock:
            model = embedder()
            if self._index is None or self._model_name != model.name:
                self._index, self._model_name, self._watermark = ClaimIndex(model.dim), model.name, None
                self._indexed_at = {}
                force = True
            # This process's share of the CPUs, which a pool process learns after it inherited
            # an index its parent loaded (load_claim_index_before_fork).
            self._index.search_threads = _native_threads
            if force or time.monotonic() - self._last_refresh >= self._min_refresh_seconds:
                self._refresh(model, check_deletions=force)
            return self._index, IndexHorizon(since=self._watermark - _WATERMARK_SLACK, indexed=dict(self._recent))

    def _refresh(self, model: Embedder, *, check_deletions: bool) -> None:
        rows = ClaimEmbedding.objects.filter(model_name=model.name)
        started = timezone.now()
        recent = rows if self._watermark is None else rows.filter(updated_at__gte=self._watermark - _WATERMARK_SLACK)
        # Only rows not yet indexed in this version: the slack window re-reads
        # timestamps, not vectors, of claims the index already holds.
        recent_rows = list(recent.values_list("claim_id", "updated_at").iterator(chunk_size=10000))
        stale = [claim_id for claim_id, updated_at in recent_rows if self._indexed_at.get(claim_id) != updated_at]
        for start in range(0, len(stale), 5000):
            batch = rows.filter(claim_id__in=stale[start : start + 5000]).values_list(
                "claim_id", "vector", "claim__text", "updated_at"
            )
            ids, vectors, texts = [], [], []
            for claim_id, vector, text, updated_at in batch:
                ids.append(claim_id)
                vectors.append(np.frombuffer(bytes(vector), dtype=np.float16))
                texts.append(text)
                self._indexed_at[claim_id] = updated_at
            if ids:
                self._upsert(ids, vectors, texts, model.dim)
        if check_deletions or time.monotonic() - self._last_deletion_check >= self._deletion_check_seconds:
            self._last_deletion_check = time.monotonic()
            if rows.count() != len(self._index):
                present = set(rows.values_list("claim_id", flat=True))
                for claim_id in [int(i) for i in self._index.ids if int(i) not in present]:
                    self._index.remove(claim_id)
                    self._indexed_at.pop(claim_id, None)
        self._index.compile()  # nothing to do when no row changed
        self._watermark = started
        # The versions the index now holds (a vector re-read above may be newer than its timestamp here).
        self._recent = {
            claim_id: self._indexed_at[claim_id]
            for claim_id, updated_at in recent_rows
            if updated_at >= started - _WATERMARK_SLACK and claim_id in self._indexed_at
        }
        self._last_refresh = time.monotonic()

    def _upsert(self, ids, vectors, texts, dim: int) -> None:
        matrix = np.vstack(vectors).astype(np.float32).reshape(-1, dim)
        self._index.upsert_many(ids=ids, vectors=matrix, texts=texts)


claim_index_cache = ClaimIndexCache()
