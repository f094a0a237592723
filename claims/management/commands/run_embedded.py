"""Run the whole service on one machine: API, Celery worker and beat, until Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the API (runserver), a Celery worker and Celery beat as child processes."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port: int, host: str, **options):
        python = sys.executable
        base = Path(settings.BASE_DIR)
        commands = {
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            # One process: the embedding model is loaded once (~150 MB) and the
            # embedded broker/SQLite prefer a single writer.
            "worker": [python, "-m", "celery", "-A", "factcheck", "worker", "--pool=solo", "--loglevel=INFO"],
            "beat": [python, "-m", "celery", "-A", "factcheck", "beat", "--loglevel=INFO"],
        }
        processes = {name: subprocess.Popen(cmd, cwd=base) for name, cmd in commands.items()}
        self._banner(host, port)
        stop = False

        def _stop(signum, frame):
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stop:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with code {process.returncode}; stopping the others.")
                        stop = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()

    def _banner(self, host: str, port: int) -> None:
        url = f"http://{host}:{port}"
        credentials_file = Path(settings.VAR_DIR) / "demo-credentials.json"
        self.stdout.write(self.style.SUCCESS(f"\nClaim tracker running at {url}"))
        self.stdout.write(f"  Editors' desk (admin): {url}/admin/")
        self.stdout.write(f"  API:                   {url}/api/v1/")
        self.stdout.write(f"  API docs:              {url}/api/docs/")
        if credentials_file.exists():
            for username, values in json.loads(credentials_file.read_text()).items():
                self.stdout.write(
                    f"  Log in as {username!r} with password {values['password']!r}"
                    f" (API: Authorization: Token {values['token']})"
                )
        self.stdout.write("Press Ctrl-C to stop.\n")
