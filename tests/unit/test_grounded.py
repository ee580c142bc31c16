"""Writing from sources through the graph (fake writer, hashing embedder, in-memory Chroma): the
sections get passages, what they cite is checked and numbered, the document ends with the list."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from longwriter import WriterContext, write_document
from longwriter.errors import ConfigError
from longwriter.sources.cite import MARKER
from tests.fakes import ScriptedWriter

FACTS = {
    "harbour.md": "# Harbour\n\nThe Quillon harbour was dredged in 1844 by the engineer Ada Venn.\n\n"
    "Its breakwater is 612 metres long and was finished in 1851.",
    "trade.md": "# Trade\n\nQuillon shipped 9,300 barrels of saffron oil in 1862, most of it to Tarsel.\n\n"
    "The saffron guild of Quillon was founded by Oren Maddow in 1839.",
}
PASSAGE = re.compile(r"^\[(\d+)\] (.+)$", re.MULTILINE)


class CitingWriter(ScriptedWriter):
    """Writes each section from the first passage it is given, citing it, then filler."""

    def _reply(self, prompt: str) -> str:
        given = PASSAGE.findall(prompt)
        text = super()._reply(prompt)
        if not given or not re.search(r"about \d+", prompt):
            return text
        n, passage = given[0]
        first = re.split(r"(?<=\.)\s", passage)[0].rstrip(".")
        return f"{first} [{n}]. It was told wrongly elsewhere [9].\n\n{text}"


def _sources(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in FACTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _context(**kw: Any) -> WriterContext:
    return WriterContext(
        memory=":memory:", embedding="hash", structured_plan=False, content_filter=False, **kw
    )


def test_a_document_from_sources_cites_checked_passages_and_lists_them(tmp_path: Path) -> None:
    result = write_document(
        "Write a 900-word history of the port of Quillon.",
        context=_context(),
        chat_model=CitingWriter(),
        sources=[str(_sources(tmp_path))],
        thread_id=uuid.uuid4().hex,
    )
    body, _, references = result.text.partition("## References")
    assert references, result.text[-500:]
    listed = dict(re.findall(r"^\[(\d+)\] (.+)$", references, re.MULTILINE))
    assert listed and all(name.split(",")[0] in FACTS for name in listed.values())
    cited = {n for m in MARKER.finditer(body) for n in re.findall(r"\d+", m.group(1))}
    assert cited and cited <= set(listed)  # [9] pointed nowhere: gone
    figures = result.report["citations"]
    assert figures["dangling"] >= 1 and figures["citation_precision"] == 1.0
    assert figures["sources"]["documents"] == sorted(figures["sources"]["documents"])
    plan = result.report["plan"]
    assert all(s["sources"] and set(s["sources"]) <= set(FACTS) for s in plan)


def test_a_missing_source_fails_before_the_model_is_called(tmp_path: Path) -> None:
    writer = CitingWriter()
    with pytest.raises(ConfigError, match="does not exist"):
        write_document(
            "Write a 900-word history of the port of Quillon.",
            context=_context(),
            chat_model=writer,
            sources=[str(tmp_path / "missing.pdf")],
        )
    assert writer.calls == []
