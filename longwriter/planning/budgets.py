"""A plan's budgets: the words its headings take, and budgets repaired to land on the target."""

from __future__ import annotations

import math

from longwriter.document import PlannedSection
from longwriter.planning.parse import join_parts, repair_plan, shown_headings
from longwriter.text import count_words
from longwriter.text.form import FormFields


def heading_words(
    title: str, sections: list[PlannedSection], form: FormFields | None = None
) -> int:
    """Words the Markdown title and section headings will add to the document (the parts of a split
    section share one heading); none for what the form leaves out."""
    with_title = form is None or form["title"]
    with_headings = form is None or form["headings"]
    return (count_words(title) if with_title else 0) + (
        sum(count_words(h) for _, h in shown_headings(sections)) if with_headings else 0
    )


def fit_plan(
    title: str,
    sections: list[PlannedSection],
    target: int,
    *,
    min_words: int,
    max_words: int,
    wanted: int | None = None,
    form: FormFields | None = None,
) -> tuple[list[PlannedSection], int]:
    """Repair budgets so that headings plus sections land on ``target``; returns sections and body words.

    When the model planned fewer than ``wanted`` sections, long ones are split so that about ``wanted``
    sections of similar size result (weak models write short sections and long ones poorly).
    """
    for _ in range(2):  # a repair that merges sections or numbers headings changes heading words
        body = max(len(sections), target - heading_words(title, sections, form))
        # The second time, parts are joined and split again: a merge would leave a lone part.
        planned = join_parts(sections)
        limit = max_words
        if wanted and len(planned) < wanted:
            limit = min(max_words, max(min_words, math.ceil(1.1 * body / wanted)))
        sections = repair_plan(planned, body, min_words=min_words, max_words=limit)
    return sections, body
