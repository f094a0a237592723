"""A worker process loads its models when it starts, before its first task."""

from celery.signals import worker_process_init

from claims import engine
from factnlp import text


def test_a_new_worker_process_loads_the_stance_model_and_language_identifier(settings):
    engine._stance_model.cache_clear()
    text._language_identifier.cache_clear()

    worker_process_init.send(sender="celery@test")

    assert engine._stance_model.cache_info().currsize == 1
    assert text._language_identifier.cache_info().currsize == 1


def test_a_model_that_cannot_load_is_logged_not_raised(settings, caplog):
    settings.NLP_STANCE_MODEL = "no.such.module:Model"
    engine._stance_model.cache_clear()

    worker_process_init.send(sender="celery@test")

    assert "Worker warm-up failed" in caplog.text
    engine._stance_model.cache_clear()
