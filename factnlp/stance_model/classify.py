"""Batch stance classification of JSON lines: {"id","claim","title","body"} in, {"id","stance","confidence","evidence"} out.

Run as ``python -m factnlp.stance_model.classify IN.jsonl OUT.jsonl`` or ``python manage.py
classify_stance IN.jsonl OUT.jsonl``. ``--model`` takes a short name or ``module:Class``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from factnlp.stance import ArticleText, StanceModel, load_stance_model
from factnlp.stance_model.corpus import progress

DEFAULT_MODEL_SPEC = "default"  # factnlp.stance.BUILTIN_MODELS: the trained model


def classify_record(*, model: StanceModel, record: dict) -> dict:
    """One output line for one input line."""
    article = ArticleText(
        title=record.get("title") or "", body=record.get("body") or "", language=record.get("language")
    )
    result = model.predict(record["claim"], article, claim_language=record.get("claim_language"))
    return {
        "id": record.get("id"),
        "stance": result.stance,
        "confidence": round(result.confidence, 4),
        "evidence": result.evidence,
    }


def classify_file(*, source: Path, target: Path, model_spec: str = DEFAULT_MODEL_SPEC) -> int:
    """Classify every line of ``source`` into ``target``; returns the number of lines written."""
    model = load_stance_model(model_spec)
    records = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    with target.open("w", encoding="utf-8") as handle:
        for record in progress(records, total=len(records), label="classifying"):
            handle.write(json.dumps(classify_record(model=model, record=record), ensure_ascii=False) + "\n")
    return len(records)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--model", default=DEFAULT_MODEL_SPEC, help="stance model: short name or module:Class")
    args = parser.parse_args(argv)
    classify_file(source=args.source, target=args.target, model_spec=args.model)


if __name__ == "__main__":
    main()
