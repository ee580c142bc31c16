"""The commit step: accept the draft (or the best attempt), store it in memory, re-budget the rest."""

from __future__ import annotations

from typing import Any

from longwriter.agent.grounding import cite
from longwriter.agent.run import Run
from longwriter.agent.state import WriterState
from longwriter.document import SectionResult
from longwriter.drafting.cleanup import drop_repeats
from longwriter.drafting.judge import earlier_sentences
from longwriter.drafting.layout import answered, summarise
from longwriter.errors import BackendError
from longwriter.planning.parse import part_of, rebudget
from longwriter.text import count_words


def commit(state: WriterState, run: Run) -> dict[str, Any]:
    """Node: accept the draft (or the best attempt), store it in memory, re-budget the rest, advance."""
    index = state["current"]
    attempts = state["attempts"]
    verdict = state["verdict"]
    ok = bool(verdict and verdict["ok"])
    section = state["sections_plan"][index]
    if not any(a["words"] or a.get("removed") for a in attempts):
        raise BackendError(
            f"the model returned no text for section {index + 1} ({section['title']!r}) "
            f"after {len(attempts)} attempts"
        )
    # Last guard: no sentence of the document is said twice, whatever the verdict was. The accepted
    # draft (else the best-scored attempt) that still has text of its own wins; if every attempt only
    # repeated earlier text, the section is dropped and its budget goes to the sections after it.
    ranked = sorted(attempts, key=lambda d: d.get("score", -1e9), reverse=True)
    seen = earlier_sentences(state)
    chosen, text = ranked[0], ""
    for candidate in ([attempts[-1]] if ok else []) + ranked:
        text = drop_repeats(candidate["text"], set(), 1.0, seen)
        if count_words(text):
            chosen = candidate
            break
    ok = ok and chosen is attempts[-1]
    text, references, citations = cite(state, text)
    words = count_words(text)
    if words:
        # Commit order: memory first, then LangGraph saves the checkpoint that holds this section
        # (after the node returns). A crash in between leaves memory one section ahead of the
        # checkpoint; ``Run.memory`` deletes that section before any node reads memory again,
        # and the resumed run commits the section anew.
        run.memory(state).add_section(index, section["title"], text)
    result: SectionResult = {
        "index": index,
        "title": section["title"],
        "text": text,
        "words": words,
        "budget": state["budgets"][index],
        "attempts": len(attempts),
        "verdict": "accepted" if ok else ("kept-best" if words else "dropped"),
        "reasons": list(chosen.get("reasons", [])),
        "summary": summarise(text),
        "turns": chosen["turns"] if text == chosen["text"] else answered(chosen["turns"], text),
    }
    split = part_of(section)
    if split is not None:
        result["part"], result["parts"] = split
    if citations:
        result["citations"] = citations
    written = [s["words"] for s in state.get("sections", [])] + [words]
    planned = [s["words"] for s in state["sections_plan"]]
    floor = max(50, run.ctx.min_section_words // 2)
    budgets = rebudget(planned, written, state["body_words"], floor)
    run.emit(
        {
            "event": "accepted",
            "index": index,
            "total": len(planned),
            "words": words,
            "budget": result["budget"],
            "verdict": result["verdict"],
            "document_words": sum(written),
            "target_words": state["target_words"],
        }
    )
    return {
        "sections": [result],
        "current": index + 1,
        "budgets": budgets,
        "draft": None,
        "attempts": [],
        "verdict": None,
        "references": references,
        "given": [],
    }
