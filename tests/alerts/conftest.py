"""Fixtures for the alerting tests: a webhook receiver on loopback and a worker with short retry delays."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Receiver:
    """An HTTP server in a thread that records each POST and answers with ``status``."""

    url: str = ""
    status: int = 204
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fast_retry_settings(settings, monkeypatch):
    """Retry in fractions of a second and disable after three failures, here and in a worker started later."""
    values = {"WEBHOOK_RETRY_BASE_SECONDS": "0.3", "WEBHOOK_MAX_ATTEMPTS": "3", "WEBHOOK_DISABLE_AFTER_FAILURES": "3"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.3
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    return values


@pytest.fixture
def alerts_worker(fast_retry_settings, request):
    """The real Celery worker, started after the short retry settings are in its environment."""
    return request.getfixturevalue("celery_worker_process")
