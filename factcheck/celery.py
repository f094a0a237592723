"""The Celery application, configured from Django settings (CELERY_* names)."""

import logging
import os
import time

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings.local")

app = Celery("factcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")


app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@worker_process_init.connect
def warm_up_worker_process(**kwargs) -> None:
    """Each pool process (and a solo worker) loads its models before taking tasks."""
    from claims import engine

    started = time.monotonic()
    try:
        engine.warm_up()
        logger.info("Models loaded in %.1f s", time.monotonic() - started)
        engine.preload_claim_index()
    except Exception:
        # A model that cannot load fails the tasks that need it, each with its
        # reason; failing here would only make the pool restart the process in a loop.
        logger.exception("Worker warm-up failed; models will load on first use")
