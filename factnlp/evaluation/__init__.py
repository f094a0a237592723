"""Offline evaluations of the NLP core on public benchmarks (data read from the shared data folder)."""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """``$FACTCHECK_DATA_DIR`` if set, else ``shared/data`` beside the repository checkout."""
    configured = os.environ.get("FACTCHECK_DATA_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"
