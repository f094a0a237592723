"""``manage.py train_stance``: train the stance model from ../shared/data and write its artifact."""

from pathlib import Path

from django.core.management.base import BaseCommand

from factnlp.stance_model.model import DEFAULT_ARTIFACT
from factnlp.stance_model.train import train_stance


class Command(BaseCommand):
    help = "Train the stance classifier (fixed seeds) and write factnlp/models/stance-lgbm.*"

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=DEFAULT_ARTIFACT)

    def handle(self, *args, **options):
        card = train_stance(output=options["output"])
        self.stdout.write(self.style.SUCCESS(f"stance model {card['version']} written to {options['output']}"))
