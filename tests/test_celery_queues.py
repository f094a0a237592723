"""The claim-search queue beside the default one: each message reaches exactly one of them."""

import pytest

from claims.tasks import claim_index_task, claims_search_task
from factcheck.celery import app


@pytest.fixture
def redis_queues(settings):
    if not settings.REDIS_URL:
        pytest.fail("needs Redis") if settings.REQUIRE_SERVICES else pytest.skip("needs Redis")
    app.conf.task_always_eager = False
    names = (settings.CELERY_TASK_DEFAULT_QUEUE, settings.CLAIM_SEARCH_QUEUE)
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in app.amqp.queues.consume_from.values():
            queue(channel).declare()  # as a worker does when it starts: the queues are bound
        for name in names:
            channel.queue_purge(name)

        def waiting():  # a Redis queue is a list named after it
            return {name: channel.client.llen(name) for name in names}

        yield names, waiting
        for name in names:
            channel.queue_purge(name)
    app.conf.task_always_eager = True


def test_a_task_sent_to_one_queue_is_not_copied_to_the_other(redis_queues):
    (default, search), waiting = redis_queues

    claim_index_task.delay(0)
    assert waiting() == {default: 1, search: 0}

    claims_search_task.apply_async(kwargs={"text": "x", "limit": 1, "min_score": 0.5}, queue=search)
    assert waiting() == {default: 1, search: 1}


def test_a_worker_started_without_queues_consumes_both(settings):
    assert [queue.name for queue in app.amqp.queues.consume_from.values()] == [
        settings.CELERY_TASK_DEFAULT_QUEUE,
        settings.CLAIM_SEARCH_QUEUE,
    ]
