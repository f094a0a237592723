"""The Celery application, configured from Django settings (CELERY_* names)."""

import logging
import os
import time

from celery import Celery
from celery.signals import celeryd_after_setup, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings.local")

app = Celery("factcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")


app.autodiscover_tasks()

logger = logging.getLogger(__name__)


# Processes (or threads) of this worker's pool that share the CPUs; set in the main
# process before the pool starts, inherited by the prefork children.
_pool_processes = 1


def _pool_kind(worker) -> str:
    """The pool's name ("prefork", "solo", ...) or the module of its class."""
    pool = getattr(worker, "pool_cls", None) or "prefork"  # Celery's default pool
    return pool if isinstance(pool, str) else getattr(pool, "__module__", "")


def pool_processes(worker) -> int:
    """How many of a starting worker's pool members run tasks side by side."""
    if "solo" in _pool_kind(worker):
        return 1
    concurrency = getattr(worker, "concurrency", None)
    # Anything but a count (unset, or "auto" not yet resolved) means Celery's default: one per CPU.
    return concurrency if isinstance(concurrency, int) and concurrency > 0 else os.cpu_count() or 1


def forks_its_pool(worker) -> bool:
    return "prefork" in _pool_kind(worker)


@celeryd_after_setup.connect
def prepare_pool(sender=None, instance=None, **kwargs) -> None:
    """In the worker's main process, once logging is set up and before the pool starts: size
    the pool's CPU shares and, for a prefork pool, load the claim index its processes will share."""
    global _pool_processes
    _pool_processes = pool_processes(instance)
    if forks_its_pool(instance):
        from claims import engine

        engine.load_claim_index_before_fork()


@worker_process_init.connect
def warm_up_worker_process(**kwargs) -> None:
    """Each pool process (and a solo worker) caps its BLAS threads and loads its models before taking tasks."""
    from claims import engine

    started = time.monotonic()
    try:
        threads = engine.limit_native_threads(processes=_pool_processes)
        logger.info("Native threads per process: %d (pool of %d)", threads, _pool_processes)
        engine.warm_up()
        logger.info("Models loaded in %.1f s", time.monotonic() - started)
        engine.preload_claim_index()
    except Exception:
        # A model that cannot load fails the tasks that need it, each with its
        # reason; failing here would only make the pool restart the process in a loop.
        logger.exception("Worker warm-up failed; models will load on first use")
