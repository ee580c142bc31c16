"""The finalize step: the Markdown document and its report; the document also answers the chat."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from longwriter.agent.grounding import citation_figures, reference_list
from longwriter.agent.report import build_report, render_document
from longwriter.agent.run import Run
from longwriter.agent.state import WriterState


def finalize(state: WriterState, run: Run) -> dict[str, Any]:
    """Node: the Markdown document and its report; the document also answers the chat."""
    body = render_document(state["title"], state.get("sections", []), state.get("form"))
    report = build_report(state, body, run.scorer(state))  # figures of the text, not the list
    references = state.get("references") or []
    document = body
    if references or state.get("source_info"):
        report["citations"] = citation_figures(state, body)
        document = f"{body}\n{reference_list(references, state['language'])}".rstrip() + "\n"
    run.emit({"event": "done", "words": report["words"], "length_score": report["length_score"]})
    return {"document": document, "report": report, "messages": [AIMessage(document)]}
