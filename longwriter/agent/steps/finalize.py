"""Committing accepted sections (memory + closed-loop budgets) and assembling the final document."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from longwriter.agent.run import Run
from longwriter.agent.state import WriterState
from longwriter.document import SectionResult
from longwriter.drafting.cleanup import drop_repeats
from longwriter.drafting.judge import earlier_sentences
from longwriter.drafting.layout import answered, summarise
from longwriter.errors import BackendError
from longwriter.planning.parse import part_of, rebudget, shown_headings
from longwriter.text import count_words, duplicated_lines, length_score, repeated_ngram_share
from longwriter.text.form import FormFields
from longwriter.text.reader import SubjectScorer, parse_markdown, reader_figures, split_paragraphs


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
    }


def render_document(
    title: str, sections: list[SectionResult], form: FormFields | None = None
) -> str:
    """Markdown: the title, then each section under its heading; the parts of a split section share
    one heading. The form leaves out what the genre has not (an email has neither a title line nor
    section headings); without a form, both are written."""
    blocks = [f"# {title}"] if form is None or form["title"] else []
    written = [s for s in sections if s["text"].strip()]
    headings = dict(shown_headings(written)) if form is None or form["headings"] else {}
    for i, s in enumerate(written):
        if i in headings:
            blocks.append(f"## {headings[i]}")
        blocks.append(s["text"].strip())
    return "\n\n".join(blocks) + "\n"


def _reader(state: WriterState, document: str, scorer: SubjectScorer | None) -> dict[str, Any]:
    """Reader figures of the document as printed, each paragraph judged against its planned point."""
    title, sections = parse_markdown(document)
    plan = state.get("sections_plan", [])
    points = [
        plan[s["index"]]["main_point"] if s["index"] < len(plan) else ""
        for s in state.get("sections", [])
        for _ in split_paragraphs(s["text"])
    ]
    start = 0
    for section in sections:  # the printed paragraphs are the sections' paragraphs, in order
        section.points = points[start : start + len(section.paragraphs)]
        start += len(section.paragraphs)
    return reader_figures(
        sections,
        instruction=state["instruction"],
        language=state.get("language", "en"),
        title=title,
        scorer=scorer,
    )


def build_report(
    state: WriterState, document: str, scorer: SubjectScorer | None = None
) -> dict[str, Any]:
    """Figures for the finished document: length score, repetition, what a reader reads (off-subject
    paragraphs need the run's ``scorer``), per-section budgets, cost."""
    words = count_words(document)
    stats = state.get("stats", {})
    sections = state.get("sections", [])
    planned = state.get("sections_plan", [])
    return {
        "title": state.get("title", ""),
        "language": state.get("language", ""),
        "target_words": state["target_words"],
        "words": words,
        "length_score": round(length_score(state["target_words"], words), 2),
        "rep4": round(repeated_ngram_share(document, 4), 4),
        "duplicated_lines": len(duplicated_lines(document)),
        "reader": _reader(state, document, scorer),
        "sections": [
            {
                "title": s["title"],
                **({"part": s["part"], "parts": s["parts"]} if part_of(s) else {}),
                "planned": planned[s["index"]]["words"] if s["index"] < len(planned) else None,
                "budget": s["budget"],
                "words": s["words"],
                "attempts": s["attempts"],
                "verdict": s["verdict"],
                "reasons": s["reasons"],
            }
            for s in sections
        ],
        "seconds": round(stats.get("seconds", 0.0), 2),
        "llm_seconds": round(stats.get("llm_seconds", 0.0), 2),
        "calls": int(stats.get("calls", 0)),
        "prompt_tokens": int(stats.get("prompt_tokens", 0)),
        "completion_tokens": int(stats.get("completion_tokens", 0)),
        "plan": [dict(s) for s in planned],
        "plan_problems": [dict(p) for p in state.get("plan_notes") or []],
        "form": dict(state.get("form") or {}),
        "loop_level": state.get("loop_level", 0),
        "embedder": dict(state.get("embedder") or {}),
    }


def finalize(state: WriterState, run: Run) -> dict[str, Any]:
    """Node: the Markdown document and its report; the document also answers the chat."""
    document = render_document(state["title"], state.get("sections", []), state.get("form"))
    report = build_report(state, document, run.scorer(state))
    run.emit({"event": "done", "words": report["words"], "length_score": report["length_score"]})
    return {"document": document, "report": report, "messages": [AIMessage(document)]}
