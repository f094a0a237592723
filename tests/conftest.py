"""Shared fixtures: users in each role, authenticated API clients, a real Celery worker."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from factcheck.api.permissions import EDITORS_GROUP, READERS_GROUP

ROOT = Path(__file__).resolve().parent.parent


def _user(username: str, *, group: str | None = None, staff: bool = False) -> User:
    user = User.objects.create_user(
        username=username, password=f"{username}-pass-123", is_staff=staff, is_superuser=staff
    )
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def admin_user(db) -> User:
    return _user("admin", staff=True)


@pytest.fixture
def editor(db) -> User:
    return _user("editor", group=EDITORS_GROUP)


@pytest.fixture
def reader(db) -> User:
    return _user("reader", group=READERS_GROUP)


def _client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def editor_client(editor) -> APIClient:
    return _client_for(editor)


@pytest.fixture
def reader_client(reader) -> APIClient:
    return _client_for(reader)


@pytest.fixture
def admin_client_api(admin_user) -> APIClient:
    return _client_for(admin_user)


@pytest.fixture
def clients(anon_client, reader_client, editor_client, admin_client_api) -> dict[str, APIClient]:
    return {"anonymous": anon_client, "reader": reader_client, "editor": editor_client, "admin": admin_client_api}


def _services_required() -> bool:
    return os.environ.get("FACTCHECK_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def celery_worker_process(transactional_db, settings):
    """A real ``celery worker`` process on Redis, reading the test database.

    The test's own Celery app stops running tasks inline, so everything the API
    enqueues goes through the broker to this worker.
    """
    with _celery_worker(settings, "--pool=solo") as process:
        yield process


@pytest.fixture
def prefork_worker_log(transactional_db, settings, tmp_path):
    """A real worker as ``docker-compose.yml`` runs it (a prefork pool of two); yields its log file."""
    log = tmp_path / "worker.log"
    with _celery_worker(settings, "--pool=prefork", "--concurrency=2", f"--logfile={log}"):
        yield log


@contextlib.contextmanager
def _celery_worker(settings, *pool_options: str):
    if not settings.REDIS_URL or not settings.USING_POSTGRES:
        if _services_required():
            pytest.fail("The end-to-end tests need PostgreSQL and Redis")
        pytest.skip("PostgreSQL and Redis are not reachable here")
    from django.db import connection

    from factcheck.celery import app

    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factcheck.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "factcheck",
            "worker",
            *pool_options,
            "--loglevel=INFO",
            "-Q",
            f"{settings.CELERY_TASK_DEFAULT_QUEUE},{settings.CLAIM_SEARCH_QUEUE}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: a pool's children go with it
    )
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        with app.connection_for_write() as conn:
            for queue in (settings.CELERY_TASK_DEFAULT_QUEUE, settings.CLAIM_SEARCH_QUEUE):
                conn.default_channel.queue_purge(queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=1.0)
            if replies:
                break
            if process.poll() is not None:
                pytest.fail(f"celery worker exited early:\n{process.stdout.read()}")
        else:
            pytest.fail("celery worker did not answer a ping within 60 s")
        yield process
    finally:
        app.conf.task_always_eager = True
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        if os.environ.get("FACTCHECK_SHOW_WORKER_LOG"):
            print(output)


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.25):
    """Poll until ``predicate()`` is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


@pytest.fixture
def no_worker(settings):
    """Claim searches go through Redis to a queue no worker consumes, and are waited for 0.5 s."""
    from factcheck.celery import app

    if not settings.REDIS_URL:
        pytest.skip("needs Redis") if not settings.REQUIRE_SERVICES else pytest.fail("needs Redis")
    app.conf.task_always_eager = False
    settings.CLAIM_SEARCH_TIMEOUT_SECONDS = 0.5
    yield
    app.conf.task_always_eager = True
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(settings.CLAIM_SEARCH_QUEUE)
