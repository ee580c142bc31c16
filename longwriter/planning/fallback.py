"""Plans for when the model gives no usable one: a plan around the subtopics it lists
(:func:`parse_subtopics`, :func:`plan_from_subtopics`), else a skeleton built from the subject with no
model at all (:func:`skeleton_plan`). Both are then repaired and checked like any other plan."""

from __future__ import annotations

from collections.abc import Sequence

from longwriter.document import PlannedSection
from longwriter.planning.brief import PlanBrief, title_from_subject, topic_point
from longwriter.planning.mend import mend_heading
from longwriter.planning.parse import parse_aspects
from longwriter.planning.sanity import repeats_heading
from longwriter.prompts import render
from longwriter.text.form import document_family


def parse_subtopics(text: str, limit: int, brief: PlanBrief) -> list[str]:
    """Up to ``limit`` usable headings from a reply listing subtopics one per line: bullets, numbers
    and debris stripped, sentences cut to their head, requests, repeats and (with a scorer: the
    templated main points would hide it) subtopics off the subject dropped."""
    out: list[str] = []
    for line in parse_aspects(text, 4 * limit):
        heading = mend_heading(line, brief)
        if heading and not repeats_heading(heading, out, ""):
            out.append(heading)
    if brief.off_subject is not None and out:
        out = [t for t, off in zip(out, brief.off_subject(out), strict=True) if not off]
    return out[:limit]


def plan_from_subtopics(
    subtopics: Sequence[str], brief: PlanBrief
) -> tuple[str, list[PlannedSection]]:
    """A plan around a list of subtopics: their names as headings, templated main points, budgets left
    for the budget repair to spread evenly."""
    sections: list[PlannedSection] = [
        {"title": t, "main_point": topic_point(t, brief), "words": 0} for t in subtopics
    ]
    return title_from_subject(brief.subject, brief.language), sections


def skeleton_plan(n: int, brief: PlanBrief) -> tuple[str, list[PlannedSection]]:
    """A plan that needs no model: ``n`` sections (at most the template's) picked evenly from the
    skeleton for the document's kind (for non-fiction, its family: guide, report, history), each
    about the subject."""
    kind = brief.form["kind"] if brief.form else "document"
    family: str = kind if kind in ("document", "story", "poem", "speech") else "message"
    if family == "document":
        family = document_family(brief.instruction, brief.subject, brief.language)
    lines = [
        line.split("|", 1)
        for line in render(
            f"plan_skeleton_{family}", brief.language, subject=brief.subject
        ).splitlines()
        if "|" in line
    ]
    n = max(1, min(n, len(lines)))
    picks = [0] if n == 1 else [round(k * (len(lines) - 1) / (n - 1)) for k in range(n)]
    sections: list[PlannedSection] = [
        {"title": lines[k][0].strip(), "main_point": lines[k][1].strip(), "words": 0} for k in picks
    ]
    return title_from_subject(brief.subject, brief.language), sections
