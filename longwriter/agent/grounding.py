"""Writing from the caller's own material: the sources are indexed once per document, the plan
records which documents each section draws on, each section is given the passages retrieved for
its point and cites them as [n], and the commit checks every citation and numbers the document's
reference list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from longwriter.agent.events import status
from longwriter.agent.run import Run
from longwriter.document import (
    DocumentState,
    GivenPassage,
    PlannedSection,
    Reference,
    SectionResult,
    SourceInfo,
)
from longwriter.memory.sources import SourceIndex
from longwriter.prompts import render
from longwriter.sources.cite import check_citations, facts_used, renumber
from longwriter.sources.material import Material, gather

SOURCE_K = 4
"""Passages given to a section: about 500 words, which the embedded 8k window holds beside the
request."""
PLANNED_SOURCES = 3
"""Source documents the plan names per section (the ones its best passages come from)."""


def read_material(state: DocumentState) -> Material | None:
    """The run's sources read and chunked (None without sources); a SourceError names bad input."""
    specs = state.get("sources") or []
    return gather(specs) if specs else None


def _progress(run: Run) -> Callable[[int, int], None]:
    """A progress callback that reports indexing about every tenth of the way."""
    shown = [-1]

    def progress(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth > shown[0]:
            shown[0] = tenth
            run.emit(status(f"indexing the sources: {done}/{total} passages"))

    return progress


def index_material(run: Run, state: DocumentState, material: Material) -> SourceInfo:
    """Put the material's chunks into the document's source index (only those not there yet)."""
    embedded = run.source_index(state).add(material.chunks, _progress(run))
    names = [d.name for d in material.documents]
    run.emit(
        status(
            f"sources: {len(names)} documents, {len(material.chunks)} passages, "
            f"{material.words} words ({embedded} embedded now)"
        )
    )
    return {
        "documents": names,
        "chunks": len(material.chunks),
        "words": material.words,
        "skipped": material.skipped,
    }


def source_index(run: Run, state: DocumentState) -> SourceIndex | None:
    """The document's source index, built again when it lost passages (an in-memory location, a
    resume on another machine); None for a document without sources."""
    info = state.get("source_info")
    if not info:
        return None
    index = run.source_index(state)
    if index.count() < info["chunks"]:
        run.emit(status("the source index is incomplete: indexing the sources again"))
        index.add(gather(state.get("sources") or []).chunks, _progress(run))
    return index


def _query(section: PlannedSection) -> str:
    return f"{section['title']}. {section['main_point']}"


def plan_sources(index: SourceIndex, sections: list[PlannedSection]) -> list[PlannedSection]:
    """The plan with each section's source documents: those a user's plan pins, else the documents
    of the passages closest to the section's point."""
    planned = []
    for section in sections:
        if not section.get("sources"):
            hits = index.search(_query(section), SOURCE_K)
            names = list(dict.fromkeys(h.document for h in hits))[:PLANNED_SOURCES]
            section = {**section, "sources": names}
        planned.append(section)
    return planned


def given_passages(run: Run, state: DocumentState) -> list[GivenPassage]:
    """The passages the current section is written from, numbered as it cites them."""
    index = source_index(run, state)
    if index is None:
        return []
    section = state["sections_plan"][state["current"]]
    hits = index.search(_query(section), 2 * SOURCE_K, section.get("sources") or None)
    # Passages the document has cited already go last: a later section tells something new.
    cited = {r["id"] for r in state.get("references") or []}
    hits = sorted(hits, key=lambda h: h.id in cited)[:SOURCE_K]
    return [
        {"n": n, "id": h.id, "document": h.document, "locator": h.locator, "text": h.text}
        for n, h in enumerate(hits, 1)
    ]


def cite(state: DocumentState, text: str) -> tuple[str, list[Reference], dict[str, int]]:
    """The section ``text`` with its citations checked and numbered as the document's references,
    the reference list with the passages it cites first, and what the check found."""
    given = state.get("given") or []
    references = list(state.get("references") or [])
    if not given:
        return text, references, {}
    check = check_citations(text, {g["n"]: g["text"] for g in given})
    numbers = {r["id"]: r["n"] for r in references}
    mapping = {}
    for g in given:
        if g["n"] not in check.used:
            continue
        if g["id"] not in numbers:
            numbers[g["id"]] = len(references) + 1
            references.append(
                {
                    "n": numbers[g["id"]],
                    "id": g["id"],
                    "document": g["document"],
                    "locator": g["locator"],
                    "text": g["text"],
                }
            )
        mapping[g["n"]] = numbers[g["id"]]
    return renumber(check.text, mapping), references, check.as_dict()


def reference_list(references: list[Reference], language: str) -> str:
    """The Markdown reference list: one line per cited passage, by number."""
    if not references:
        return ""
    lines = [
        f"[{r['n']}] {r['document']}{', ' + r['locator'] if r['locator'] else ''}"
        for r in references
    ]
    return f"## {render('references_heading', language).strip()}\n\n" + "\n".join(lines) + "\n"


def citation_figures(state: DocumentState, document: str) -> dict[str, Any]:
    """The report's citation figures: the sections' counts summed, ALCE-style recall and precision
    checked again on the final text, and the share of the given passages' facts the text states."""
    sections: list[SectionResult] = state.get("sections", [])
    totals: dict[str, int] = {}
    for s in sections:
        for key, value in (s.get("citations") or {}).items():
            totals[key] = totals.get(key, 0) + value
    references = state.get("references") or []
    final = check_citations(
        "\n\n".join(s["text"] for s in sections),
        {r["n"]: r["text"] for r in references},
        attribute=False,
    )
    stated, held = facts_used(document, [r["text"] for r in references])
    claims = max(final.sentences, 1)
    cited = final.citations + final.removed + final.dangling
    return {
        **totals,
        "references": len(references),
        "citation_recall": round(final.supported / claims, 4),
        "citation_precision": round(final.citations / cited, 4) if cited else None,
        "facts_used": round(stated / held, 4) if held else None,
        "sources": dict(state.get("source_info") or {}),
    }
