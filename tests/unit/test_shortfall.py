"""A document far below its target is a failure: a clear message and a non-zero exit, report kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from longwriter import graph as graph_module
from longwriter.api import MIN_LENGTH_SCORE, shortfall
from longwriter.cli import app
from tests.fakes import ScriptedWriter


@pytest.mark.parametrize(
    ("score", "failed"), [(100.0, False), (MIN_LENGTH_SCORE, False), (49.9, True), (0.0, True)]
)
def test_shortfall_below_the_minimum_length_score(score: float, failed: bool) -> None:
    report = {
        "length_score": score,
        "words": 120,
        "target_words": 3000,
        "sections": [{"verdict": "kept-best"}, {"verdict": "accepted"}],
    }
    reason = shortfall(report)
    assert (reason is not None) == failed
    if reason:
        assert "120 of 3000 words" in reason and "1 of 2 sections" in reason


def test_cli_exits_non_zero_and_keeps_the_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = ScriptedWriter(ratio=0.05)  # writes a twentieth of what it is asked for
    build = graph_module.build_graph
    monkeypatch.setattr(graph_module, "build_graph", lambda saver: build(saver, chat_model=fake))
    out = tmp_path / "doc.md"
    result = CliRunner().invoke(
        app,
        [
            "write",
            "Write a 1200-word essay on rivers.",
            "-o",
            str(out),
            "--max-revisions",
            "0",
            "--memory",
            ":memory:",
            "--embedding",
            "hash",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "S_l" in result.output and "written anyway" in result.output
    assert out.is_file() and out.with_suffix(".report.json").is_file()
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["failed"].startswith("the document has")
