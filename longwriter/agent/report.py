"""The finished document and its report: Markdown from the accepted sections, and the figures a
caller reads (length score, repetition, what a reader sees, per-section budgets, cost)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from longwriter.document import DocumentState, PlannedSection, Report, SectionReport, SectionResult
from longwriter.planning.parse import part_of, shown_headings
from longwriter.text import count_words, duplicated_lines, length_score, repeated_ngram_share
from longwriter.text.form import FormFields
from longwriter.text.reader import SubjectScorer, parse_markdown, reader_figures, split_paragraphs


def _section_report(section: SectionResult, planned: Sequence[PlannedSection]) -> SectionReport:
    index = section["index"]
    split = part_of(section)
    out: dict[str, Any] = {  # keys in the order the report has always had
        "title": section["title"],
        **({"part": split[0], "parts": split[1]} if split else {}),
        "planned": planned[index]["words"] if index < len(planned) else None,
        "budget": section["budget"],
        "words": section["words"],
        "attempts": section["attempts"],
        "verdict": section["verdict"],
        "reasons": section["reasons"],
    }
    return cast(SectionReport, out)


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


def _reader(state: DocumentState, document: str, scorer: SubjectScorer | None) -> dict[str, Any]:
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
    state: DocumentState, document: str, scorer: SubjectScorer | None = None
) -> Report:
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
        "sections": [_section_report(s, planned) for s in sections],
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
