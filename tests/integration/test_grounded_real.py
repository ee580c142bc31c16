"""Writing from real pdf, docx and md sources on the embedded llama.cpp server, real Chroma and
MiniLM: the citations check out, the reference list is there, a resumed run does not re-index."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from longwriter import WriterContext
from longwriter.agent.graph import build_graph
from longwriter.api import run_config, sqlite_checkpointer
from longwriter.llm.local_server import LocalServer
from longwriter.sources.cite import MARKER
from tests.sources_corpus import write_docx, write_pdf

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data" / "sources"
INSTRUCTION = "Write a 600-word report on the history of the port of Quillon."


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    shutil.copytree(DATA, folder)
    write_pdf(
        folder / "railway.pdf",
        [
            "The railway reached Quillon in 1868, and the quay got a goods shed of 40 wagons.",
            "By 1880 the line carried 12,000 tonnes of saffron oil a year to the capital.",
        ],
    )
    write_docx(
        folder / "fleet.docx",
        [
            ("h1", "The fishing fleet"),
            ("", "In 1871 Quillon had 58 fishing boats, most of them built at the Venn yard."),
            ("", "The great storm of 1877 sank eleven boats and closed the harbour for a month."),
        ],
    )
    return folder


def _events(graph: Any, payload: Any, config: Any, context: WriterContext, **kw: Any) -> list[Any]:
    return [
        chunk
        for mode, chunk in graph.stream(
            payload, config, context=context, stream_mode=["custom", "values"], **kw
        )
        if mode == "custom"
    ]


def test_a_cited_document_from_pdf_docx_and_md_resumes_without_reindexing(
    local_server: LocalServer, tmp_path: Path
) -> None:
    context = WriterContext(
        base_url=local_server.base_url,
        model=local_server.model,
        memory=str(tmp_path / "chroma"),
        section_words=200,
        max_revisions=1,
    )
    sources = [str(_corpus(tmp_path))]
    config = run_config("quillon")
    with sqlite_checkpointer(tmp_path / "runs.sqlite") as saver:
        graph = build_graph(saver)
        first = _events(
            graph,
            {"instruction": INSTRUCTION, "sources": sources},
            config,
            context,
            interrupt_after=["commit"],
        )
        assert any("passages" in str(e.get("message", "")) for e in first)
        assert len(graph.get_state(config).values["sections"]) == 1
        resumed = _events(build_graph(saver), None, config, context)  # a new run object
        state = build_graph(saver).get_state(config).values
    assert not [e for e in resumed if "indexing" in str(e.get("message", ""))]
    document, report = state["document"], state["report"]
    body, heading, listed = document.partition("## References")
    assert heading, document[-400:]
    numbers = {int(n) for n in re.findall(r"^\[(\d+)\] ", listed, re.MULTILINE)}
    assert numbers == set(range(1, len(state["references"]) + 1))
    cited = {int(n) for m in MARKER.finditer(body) for n in re.findall(r"\d+", m.group(1))}
    assert cited <= numbers  # no [n] pointing nowhere
    figures = report["citations"]
    assert figures["sources"]["documents"] == [
        "fleet.docx",
        "harbour.md",
        "railway.pdf",
        "trade.md",
    ]
    assert figures["citation_precision"] in (None, 1.0)
    assert report["length_score"] >= 80
    assert all(s.get("sources") for s in state["sections_plan"])
