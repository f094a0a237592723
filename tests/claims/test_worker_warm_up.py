"""A worker process loads its models when it starts, before its first task, then its claim index."""

import threading

import pytest
from celery.signals import worker_process_init

from claims import engine
from claims.matching import claim_embed
from factnlp import text
from tests.factories import ClaimFactory


@pytest.mark.django_db(transaction=True)
def test_a_new_worker_process_loads_its_models_then_its_claim_index(settings):
    claim = ClaimFactory(text="The peacekeeping troops will leave once their mission is complete.")
    claim_embed(claim_id=claim.pk)
    engine._stance_model.cache_clear()
    text._language_identifier.cache_clear()
    engine.claim_index_cache.reset()
    try:
        worker_process_init.send(sender="celery@test")

        assert engine._stance_model.cache_info().currsize == 1
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
