"""The Celery application, configured from Django settings (CELERY_* names)."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings.local")

app = Celery("factcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_configure.connect
def _create_filesystem_broker_folders(sender, **kwargs):
    # kombu's filesystem transport expects its folders to exist already.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


app.autodiscover_tasks()
