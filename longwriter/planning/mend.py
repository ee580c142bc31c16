"""Plan repair: what can be fixed in a plan without the model is fixed before writing starts.

:func:`mend_plan` strips debris, cuts sentences to their head, derives headings from main points,
merges repeats and drops off-subject sections, then says (:class:`MendedPlan`) whether enough of the
plan survived; the planner re-asks the model with the reasons (:func:`~.sanity.fix_request`)
otherwise, then falls back to the plans of :mod:`longwriter.planning.fallback`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from longwriter.document import PlannedSection, PlanProblem
from longwriter.planning.brief import PlanBrief, title_from_subject, topic_point
from longwriter.planning.sanity import (
    check_plan,
    lead_in,
    main_point_problem,
    plan_off_subject,
    repeats_heading,
    sections_off_subject,
    title_off_subject,
    title_problems,
)
from longwriter.text.headings import (
    HeadingProblem,
    capitalised,
    head_phrase,
    heading_problems,
    strip_debris,
)


@dataclass
class MendedPlan:
    """A plan after deterministic repair, with what was found and done."""

    title: str
    sections: list[PlannedSection]
    notes: list[PlanProblem] = field(default_factory=list)
    given: int = 0  # sections in the plan before repair (fewer than asked is fine: they are split)

    @property
    def usable(self) -> bool:
        """Whether the repaired plan can be written: it has sections, more than half of those given
        survived, and nothing is left unrepaired."""
        survived = len(self.sections) * 2 > self.given
        return bool(self.sections) and survived and not any(not n["repaired"] for n in self.notes)


def _without_lead_in(point: str, brief: PlanBrief) -> str:
    """The main point without debris and without a "This section will explain" lead-in."""
    text = strip_debris(point, brief.instruction, heading=False)
    lead = lead_in(text, brief)
    return capitalised(text[lead.end() :]) if lead else text


def _fine_heading(heading: str, brief: PlanBrief) -> bool:
    return bool(heading) and not heading_problems(
        heading, language=brief.language, instruction=brief.instruction
    )


def mend_heading(heading: str, brief: PlanBrief) -> str:
    """The heading with debris stripped (and for a model's heading, a sentence cut to its head);
    empty when nothing acceptable is left."""
    problems = heading_problems(heading, language=brief.language, instruction=brief.instruction)
    if not problems:
        return heading
    cut = bool({HeadingProblem.SENTENCE, HeadingProblem.TOO_LONG} & set(problems))
    text = strip_debris(head_phrase(heading) if cut else heading, brief.instruction)
    return text if _fine_heading(text, brief) else ""


def _heading_from_point(point: str, brief: PlanBrief) -> str:
    """A short heading derived from a main point (its head noun phrase), or empty."""
    head = capitalised(head_phrase(_without_lead_in(point, brief)))
    return head if _fine_heading(head, brief) else ""


def _merge_to(sections: list[PlannedSection], n: int) -> list[PlannedSection]:
    """``sections`` merged in order into ``n`` groups (first heading, joined points, summed words)."""
    size = math.ceil(len(sections) / n)
    groups = [sections[i : i + size] for i in range(0, len(sections), size)]
    return [
        {
            "title": g[0]["title"],
            "main_point": " ".join(s["main_point"] for s in g),
            "words": sum(s["words"] for s in g),
        }
        for g in groups
    ]


def tidy_plan(
    title: str | None, sections: Sequence[PlannedSection], instruction: str = ""
) -> tuple[str | None, list[PlannedSection]]:
    """Drop what models copy into a plan from the instruction or the request: word counts
    ("A 1200-word History"), numbering ("Section 2: ..."), markup and the tail of a broken JSON plan
    ("Vaccines'}, {"). Text that is nothing but debris is kept (the checks report it)."""
    return (strip_debris(title, instruction) or title if title else None), [
        {
            **s,
            "title": strip_debris(s["title"], instruction) or s["title"],
            "main_point": strip_debris(s["main_point"], instruction, heading=False)
            or s["main_point"],
        }
        for s in sections
    ]


def _mend_points(items: list[PlannedSection], brief: PlanBrief) -> None:
    """Main points without "This section will explain" lead-ins; unusable ones emptied (they are
    filled from the heading later)."""
    for s in items:
        if main_point_problem(s["main_point"], brief) is not None:
            point = _without_lead_in(s["main_point"], brief)
            s["main_point"] = "" if main_point_problem(point, brief) else point


def _mend_headings(items: list[PlannedSection], brief: PlanBrief) -> list[PlannedSection]:
    """Headings cut to their head or derived from the main point; sections without any usable
    heading are dropped."""
    keep: list[PlannedSection] = []
    for s in items:
        heading = mend_heading(s["title"], brief)
        if not heading and s["main_point"]:
            heading = _heading_from_point(s["main_point"], brief)
        if heading:
            keep.append({**s, "title": heading})
    return keep


def _mend_duplicates(
    title: str, sections: list[PlannedSection], brief: PlanBrief
) -> list[PlannedSection]:
    """Replace each repeated heading by one derived from its main point; when that repeats too, the
    section joins the one before it (a first section that repeats the title stays: the check
    reports it)."""
    out: list[PlannedSection] = []
    for s in sections:
        headings = [o["title"] for o in out]
        derived = ""
        if repeats_heading(s["title"], headings, title) and s["main_point"]:
            derived = _heading_from_point(s["main_point"], brief)
        if not repeats_heading(s["title"], headings, title) or not out:
            out.append(s)
        elif derived and not repeats_heading(derived, headings, title):
            out.append({**s, "title": derived})
        else:
            out[-1] = {
                **out[-1],
                "main_point": f"{out[-1]['main_point']} {s['main_point']}".strip(),
                "words": out[-1]["words"] + s["words"],
            }
    return out


def _drop_off_subject(
    title: str, sections: list[PlannedSection], brief: PlanBrief
) -> list[PlannedSection]:
    """Sections that are not about the subject are dropped (unless nothing is: then the check
    reports the plan as off subject)."""
    if plan_off_subject(title, sections, brief):
        return sections
    flags = sections_off_subject(sections, brief)
    return [s for s, off in zip(sections, flags, strict=True) if not off]


def mend_plan(
    title: str | None,
    sections: Sequence[PlannedSection],
    brief: PlanBrief,
    *,
    user: bool = False,
) -> MendedPlan:
    """Repair what can be repaired deterministically. The notes are the problems :func:`check_plan`
    found before (``repaired`` when gone after the repair) and those it still finds.

    A model's plan gets every repair. A user's plan only loses debris (markup, numbering, plan words)
    and gets what is missing; its other problems are reported, its wording is kept.
    """
    before = check_plan(title, sections, brief)
    new_title, items = tidy_plan(title, sections, brief.instruction)
    if not user:
        if len(items) > brief.max_sections():
            items = _merge_to(items, brief.asked_sections())
        _mend_points(items, brief)
        items = _mend_headings(items, brief)
        new_title = new_title or ""
        if title_problems(new_title, brief):
            new_title = mend_heading(new_title, brief)
        new_title = "" if title_off_subject(new_title, brief) else new_title
    new_title = new_title or title_from_subject(brief.subject, brief.language)
    if not user:
        items = _mend_duplicates(new_title, items, brief)
    for s in items:
        s["main_point"] = s["main_point"] or topic_point(s["title"], brief)
    if not user:
        items = _drop_off_subject(new_title, items, brief)
    after = check_plan(new_title, items, brief)
    remaining = {(p["target"], p["code"], p["message"]) for p in after}
    fixed = [
        {**p, "repaired": True}
        for p in before
        if (p["target"], p["code"], p["message"]) not in remaining
    ]
    return MendedPlan(new_title, items, [*fixed, *after], len(sections))  # type: ignore[list-item]
