"""``manage.py classify_stance IN.jsonl OUT.jsonl``: stance of each claim/article line."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from factnlp.stance_model.classify import DEFAULT_MODEL_SPEC, classify_file


class Command(BaseCommand):
    help = 'Classify JSON lines {"id","claim","title","body"} into {"id","stance","confidence","evidence"}'

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path)
        parser.add_argument("target", type=Path)
        parser.add_argument(
            "--model", default=None, help="short name or module:Class (default: settings.NLP_STANCE_MODEL)"
        )

    def handle(self, *args, **options):
        spec = options["model"] or getattr(settings, "NLP_STANCE_MODEL", DEFAULT_MODEL_SPEC)
        count = classify_file(source=options["source"], target=options["target"], model_spec=spec)
        self.stdout.write(self.style.SUCCESS(f"{count} lines written to {options['target']}"))
