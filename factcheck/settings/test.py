"""Test settings: PostgreSQL and Redis when they are reachable, SQLite and eager tasks otherwise.

With FACTCHECK_REQUIRE_SERVICES=1 (CI) a missing PostgreSQL or Redis is an
error, so tests that need them can never be skipped silently.
"""

import os
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, celery_queues, env

REQUIRE_SERVICES = env.bool("FACTCHECK_REQUIRE_SERVICES", default=False)


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=0.5):
            return True
    except OSError:
        return False


_database_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/factcheck"
if _reachable(_database_url, 5432):
    DATABASES = {"default": env.db_url_config(_database_url)}
elif REQUIRE_SERVICES:
    raise ImproperlyConfigured(f"PostgreSQL is not reachable at {_database_url} and FACTCHECK_REQUIRE_SERVICES is set")
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# One test database per run, so two runs on one server (two developers, or CI
# beside a developer) never see each other's rows.
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if USING_POSTGRES:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

_redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
if _reachable(_redis_url, 6379):
    REDIS_URL = _redis_url
    CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL
elif REQUIRE_SERVICES:
    raise ImproperlyConfigured(f"Redis is not reachable at {_redis_url} and FACTCHECK_REQUIRE_SERVICES is set")
else:
    REDIS_URL = ""
    CELERY_BROKER_URL, CELERY_RESULT_BACKEND = "memory://", None
# Unit tests run tasks inline; the end-to-end tests switch this off and start a real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Its own queue, so a test run never feeds (or is fed by) another worker on the same Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default=f"factcheck-test-{os.getpid()}")
CLAIM_SEARCH_QUEUE, CELERY_TASK_QUEUES = celery_queues(CELERY_TASK_DEFAULT_QUEUE)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="test-only-not-secret")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
FETCH_ALLOW_PRIVATE_NETWORKS = env.bool("FETCH_ALLOW_PRIVATE_NETWORKS", default=True)
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
