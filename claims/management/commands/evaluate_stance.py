"""``manage.py evaluate_stance``: score the shipped stance model on a public test split."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from factnlp.stance_model.evaluate import DATASETS, evaluate_stance, measure_throughput


class Command(BaseCommand):
    help = "Evaluate the stance model: FNC-1 competition test, Baly fold 5, ANS test or our promise examples"

    def add_arguments(self, parser):
        parser.add_argument("--dataset", choices=DATASETS)
        parser.add_argument("--json", action="store_true", help="print only the JSON report (last line)")
        parser.add_argument("--artifact", type=Path, default=None)
        parser.add_argument("--throughput", action="store_true", help="time raw-text pairs instead")
        parser.add_argument("--model", default="default", help="default, cross-encoder or module:Class")

    def handle(self, *args, **options):
        if options["throughput"]:
            report = measure_throughput(artifact=options["artifact"], model_spec=options["model"])
        elif options["dataset"]:
            report = evaluate_stance(
                dataset=options["dataset"], artifact=options["artifact"], model_spec=options["model"]
            )
        else:
            self.stderr.write("give --dataset or --throughput")
            return
        if not options["json"]:
            for key, value in report.items():
                self.stderr.write(f"{key}: {value}")
        self.stdout.write(json.dumps(report, ensure_ascii=False))
