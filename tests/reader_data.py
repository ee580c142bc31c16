"""The hand-labelled reader set (tests/data/reader/) and the agreement check its tests share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LABELLED = Path(__file__).parent / "data" / "reader" / "paragraphs.jsonl"


def labelled_paragraphs(language: str) -> list[dict[str, Any]]:
    """The labelled paragraphs of ``language`` (``en`` or ``zh``)."""
    lines = LABELLED.read_text(encoding="utf-8").splitlines()
    return [row for row in map(json.loads, filter(str.strip, lines)) if row["lang"] == language]


def assert_agrees(
    got: dict[str, Any], measured: tuple[float, float], *, margin: float, positives: int = 1
) -> None:
    """``got`` (an ``agreement``) is within ``margin`` of the ``measured`` (precision, recall)."""
    precision, recall = measured
    assert got["positives"] >= positives, got
    assert got["precision"] >= precision - margin, got
    assert got["recall"] >= recall - margin, got
