"""Claim retrieval quality on public data (CLEF 2020 CheckThat! task 2; ANS and XNLI for Arabic and across
languages), scored as the product ranks."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from factnlp.evaluation import retrieval


class Command(BaseCommand):
    help = "Rank the verified claims for each tweet and print MAP@1, MAP@5 and recall@5 (last line JSON with --json)."

    def add_arguments(self, parser):
        retrieval.add_dataset_arguments(parser)
        parser.add_argument("--data-dir", default=None, help="Defaults to FACTCHECK_DATA_DIR or ../shared/data")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, dataset, split, languages, data_dir, as_json, **options):
        argv = ["--dataset", dataset, "--split", split, "--languages", languages, "--embedder", settings.NLP_EMBEDDER]
        if data_dir:
            argv += ["--data-dir", data_dir]
        if as_json:
            argv.append("--json")
        status = retrieval.main(argv)
        if status:
            raise CommandError(f"evaluation failed with status {status}")
