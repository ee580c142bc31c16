"""The plan review: a human accepts the plan or replaces it (``interrupt``)."""

from __future__ import annotations

from typing import Any

from langgraph.types import interrupt

from longwriter.agent.run import Run
from longwriter.agent.state import WriterState
from longwriter.agent.steps.plan import report_notes, subject_scorer
from longwriter.errors import ConfigError
from longwriter.planning.brief import PlanBrief
from longwriter.planning.budgets import fit_plan, heading_words
from longwriter.planning.mend import mend_plan
from longwriter.planning.parse import sections_from_any
from longwriter.text.subject import subject_of


def review(state: WriterState, run: Run) -> dict[str, Any]:
    """Node: pause for a human to accept (resume with None/True) or replace the plan (resume with a plan).

    Budgets given in an edited plan are kept (they then define the target); missing ones are filled so
    the plan still adds up to the target.
    """
    answer = interrupt(
        {
            "title": state["title"],
            "target_words": state["target_words"],
            "sections": state["sections_plan"],
        }
    )
    if answer in (None, True, "", "accept"):
        return {}
    ctx = run.ctx
    try:
        title, sections = sections_from_any(answer)
    except ValueError as exc:
        raise ConfigError(f"invalid edited plan: {exc}") from None
    form = state.get("form")
    brief = PlanBrief(
        instruction=state["instruction"],
        language=state["language"],
        subject=state.get("subject") or subject_of(state["instruction"]),
        target_words=state["target_words"],
        section_words=ctx.section_words,
        form=form,
        off_subject=subject_scorer(run, state),
    )
    mended = mend_plan(title or state["title"], sections, brief, user=True)
    title, sections = mended.title, mended.sections
    target = state["target_words"]
    if all(s["words"] > 0 for s in sections):
        target = sum(s["words"] for s in sections) + heading_words(title, sections, form)
    sections, body = fit_plan(
        title, sections, target, min_words=1, max_words=ctx.max_section_words, form=form
    )
    return {
        "title": title,
        "sections_plan": sections,
        "budgets": [s["words"] for s in sections],
        "body_words": body,
        "target_words": target,
        "plan_notes": report_notes(run, mended.notes),
    }
