"""The finalize step: the Markdown document and its report; the document also answers the chat."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from longwriter.agent.report import build_report, render_document
from longwriter.agent.run import Run
from longwriter.agent.state import WriterState


def finalize(state: WriterState, run: Run) -> dict[str, Any]:
    """Node: the Markdown document and its report; the document also answers the chat."""
    document = render_document(state["title"], state.get("sections", []), state.get("form"))
    report = build_report(state, document, run.scorer(state))
    run.emit({"event": "done", "words": report["words"], "length_score": report["length_score"]})
    return {"document": document, "report": report, "messages": [AIMessage(document)]}
