"""The planner: target length, language, and a section plan whose budgets add up to the target."""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.messages import HumanMessage

from longwriter.agent.context import WriterContext
from longwriter.agent.events import llm_event, status
from longwriter.agent.grounding import index_material, plan_sources, read_material
from longwriter.agent.run import Run
from longwriter.agent.state import WriterState
from longwriter.document import Plan, PlannedSection, PlanProblem
from longwriter.drafting.calibration import default_calibration
from longwriter.errors import BackendError, ConfigError, shown
from longwriter.llm.chat import Reply
from longwriter.llm.embeddings import EmbeddingChoice
from longwriter.planning.brief import OffSubject, PlanBrief, PlanCode, problem
from longwriter.planning.budgets import fit_plan
from longwriter.planning.fallback import parse_subtopics, plan_from_subtopics, skeleton_plan
from longwriter.planning.json_plan import (
    ParsedPlan,
    json_formats,
    parse_plan_json,
    plan_tokens,
    plan_watch,
    sections_of,
)
from longwriter.planning.mend import MendedPlan, mend_plan
from longwriter.planning.parse import (
    parse_aspects,
    parse_plan_text,
    part_runs,
    sections_from_any,
)
from longwriter.planning.sanity import fix_request, part_aspects
from longwriter.prompts import render
from longwriter.sources.material import Material, digest
from longwriter.text import (
    document_language,
    parse_target_words,
    strip_step_labels,
)
from longwriter.text.form import FormFields, document_form
from longwriter.text.subject import subject_of
from longwriter.text.target import MAX_TARGET_WORDS

PLAN_ATTEMPTS = 4
SUBTOPIC_ATTEMPTS = 2


def resolve_target(state: WriterState, ctx: WriterContext) -> int:
    """Target words: given in the input, in the settings, in the instruction, or the default."""
    target = next((t for t in (state.get("target_words"), ctx.target_words) if t is not None), None)
    if target is None:
        stated = parse_target_words(state["instruction"])
        if stated is not None and stated > MAX_TARGET_WORDS:
            raise ConfigError(
                f"the instruction asks for more than {MAX_TARGET_WORDS} words, the limit: "
                "ask for less, or set the length (--words)"
            )
        return stated or ctx.default_words
    if not isinstance(target, int) or target <= 0:
        raise ConfigError(f"target length must be a positive number of words, got {shown(target)}")
    if target > MAX_TARGET_WORDS:
        raise ConfigError(
            f"target length {shown(target)} words is above the limit of {MAX_TARGET_WORDS}"
        )
    return target


def refine_parts(
    run: Run,
    title: str,
    sections: list[PlannedSection],
    brief: PlanBrief,
    stats: dict[str, float],
) -> list[PlannedSection]:
    """Give the parts of each split section an aspect of their own (one short model call per split
    section), so that they do not all restate the same main point; on any failure, and for an aspect
    that is not about the subject, a part keeps the chapter's point."""
    language = brief.language
    out = [dict(s) for s in sections]
    for i, n, chapter in part_runs(sections):
        section = sections[i]
        prompt = render(
            "plan_parts",
            language,
            title=title,
            chapter=chapter,
            main_point=section["main_point"],
            parts=n,
        )
        try:
            reply = run.call(
                [HumanMessage(prompt)], max_tokens=60 * n + 60, temperature=0.5, role="plan"
            )
        except BackendError as exc:
            run.emit(status(f"keeping the chapter's main point for its parts: {exc}"))
            continue
        _count(run, stats, reply)
        aspects = parse_aspects(strip_step_labels(reply.text), n)
        proposed = part_aspects(title, chapter, section["main_point"], aspects, brief)
        for k, aspect in enumerate(proposed):
            out[i + k]["main_point"] = aspect or section["main_point"]
    return out  # type: ignore[return-value]


def _ask_structured(
    run: Run,
    prompt: str,
    sections: int,
    stats: dict[str, float],
    fmt: dict[str, Any],
) -> ParsedPlan:
    """A plan in JSON: from the caller's chat model's own structured output when it has one, else
    by ``response_format`` (which a caller's model without structured output ignores)."""
    own = run.structured(Plan, [HumanMessage(prompt)], role="plan")
    if own is not None:
        plan, reply = own
        _count(run, stats, reply)
        if plan is None:
            raise ValueError("the structured reply did not parse as a plan")
        return sections_of(plan)
    reply = run.call(
        [HumanMessage(prompt)],
        max_tokens=plan_tokens(sections),
        temperature=0.3,
        response_format=fmt,
        role="plan",
        watch=plan_watch(sections),
    )
    _count(run, stats, reply)
    return parse_plan_json(reply.text)


def _count(run: Run, stats: dict[str, float], reply: Reply) -> None:
    run.emit(llm_event(reply.stats()))
    for key, value in reply.stats().items():
        stats[key] = stats.get(key, 0) + value


def ask_plan(
    run: Run, brief: PlanBrief, body_words: int, stats: dict[str, float]
) -> MendedPlan | None:
    """Ask the model for a plan: JSON schema output first, then the AgentWrite line format; each
    reply repaired, and re-asked with the reasons while it is not usable; None after the last try."""
    ctx = run.ctx
    n = brief.asked_sections(body_words)
    asked = brief.instruction
    if brief.sources_digest:
        asked += "\n\n" + render("plan_sources", brief.language, digest=brief.sources_digest)
    values = {
        "instruction": asked,
        "sections": n,
        "target_words": body_words,
        "min_words": ctx.min_section_words,
        "max_words": ctx.max_section_words,
        "problems": "",
    }
    llama_cpp = run.given("plan") is None and run.endpoint("plan").embedded
    formats = json_formats(llama_cpp) if ctx.structured_plan else []
    barren: set[bool] = set()  # kinds (structured or not) whose reply held no section at all
    attempt = -1
    while attempt < PLAN_ATTEMPTS - 1:
        attempt += 1
        structured = _plan_kind(attempt, bool(formats), barren)
        if structured is None:
            break
        try:
            if structured:
                prompt = render("plan_json", brief.language, **values)
                title, sections = _ask_structured(run, prompt, n, stats, formats[0])
            else:
                reply = run.call(
                    [HumanMessage(render("plan_text", brief.language, **values))],
                    max_tokens=plan_tokens(n),
                    temperature=0.3 + 0.2 * attempt,
                    role="plan",
                )
                _count(run, stats, reply)
                title, sections = parse_plan_text(reply.text)
        except BackendError as exc:
            if not structured:
                raise
            formats.pop(0)  # the server rejects this format: try the other, then plain text
            run.emit(status(f"plan format rejected: {str(exc)[:120]}"))
            attempt -= 1  # a rejected format is not an answer: it costs no attempt
            continue
        except ValueError:  # invalid JSON
            title, sections = None, []
        if not sections:
            barren.add(structured)
        mended = mend_plan(title, sections, brief)
        if mended.usable:
            return mended
        unrepaired = [p for p in mended.notes if not p["repaired"]]
        run.emit(
            status(
                f"plan {attempt + 1} not usable: " + "; ".join(p["message"] for p in unrepaired[:5])
            )
        )
        values["problems"] = fix_request(mended.notes, brief, n)
    return None


def _plan_kind(attempt: int, structured_ok: bool, barren: set[bool]) -> bool | None:
    """Whether attempt ``attempt`` asks for JSON (True) or lines (False): they alternate, JSON
    first, but a kind whose reply held no section at all is not asked again in this run (a model
    that cannot write one kind wastes a long reply on every try); None when no kind is left."""
    kinds = (attempt % 2 == 0, attempt % 2 != 0) if structured_ok else (False,)
    return next((k for k in kinds if k not in barren), None)


def ask_subtopics(
    run: Run, brief: PlanBrief, body_words: int, stats: dict[str, float]
) -> MendedPlan | None:
    """The fallback for models that cannot plan: ask only for a list of subtopics (one per line) and
    build the plan around it; None when no usable list comes back."""
    n = brief.asked_sections(body_words)
    prompt = render("plan_subtopics", brief.language, sections=n, subject=brief.subject)
    for attempt in range(SUBTOPIC_ATTEMPTS):
        reply = run.call(
            [HumanMessage(prompt)],
            max_tokens=20 * n + 60,
            temperature=0.3 + 0.3 * attempt,
            role="plan",
        )
        _count(run, stats, reply)
        subtopics = parse_subtopics(reply.text, n, brief)
        if len(subtopics) * 2 >= n:
            mended = mend_plan(*plan_from_subtopics(subtopics, brief), brief)
            if mended.usable:
                return mended
    return None


def _fallback_note(code: PlanCode, message: str) -> PlanProblem:
    return problem(None, "plan", code, message, repaired=True)


def plan_sections(
    run: Run, brief: PlanBrief, body_words: int, stats: dict[str, float]
) -> MendedPlan:
    """A usable plan whatever the model does: its own plan, else one around its subtopics, else a
    skeleton built from the subject. A one-section document (a short email) needs no model plan:
    a small model's plan for one is noise."""
    n = brief.asked_sections(body_words)
    if n == 1:
        single = mend_plan(*skeleton_plan(1, brief), brief)
        single.notes.append(
            _fallback_note(PlanCode.SINGLE, "one section: planned from the subject")
        )
        return single
    own = ask_plan(run, brief, body_words, stats)
    if own is not None:
        return own
    run.emit(status("the model gave no usable plan: asking for subtopics"))
    around = ask_subtopics(run, brief, body_words, stats)
    if around is not None:
        around.notes.append(
            _fallback_note(PlanCode.SUBTOPICS, "plan built around the model's subtopics")
        )
        return around
    run.emit(status("no usable subtopics either: a skeleton plan from the subject"))
    mended = mend_plan(*skeleton_plan(n, brief), brief)
    mended.notes.append(_fallback_note(PlanCode.SKELETON, "skeleton plan built from the subject"))
    return mended


def subject_scorer(run: Run, state: WriterState) -> OffSubject | None:
    """The run's embedding judge of what is on the subject, for embedders that carry meaning (hashed
    embeddings are lexical only: the plan check's own lexical test is the better judge there)."""
    return None if run.embedding(state).kind == "hash" else run.scorer(state).off_subject


def report_notes(run: Run, notes: list[PlanProblem]) -> list[PlanProblem]:
    """Report what is left unrepaired (in a user's plan) as status events; the notes go to the state."""
    for note in notes:
        if not note["repaired"]:
            run.emit(status(f"plan: {note['message']}"))
    return notes


def _embedder(run: Run, state: WriterState) -> dict[str, Any]:
    """The run's embedder, as the state keeps it: the saved one, else chosen now; announced."""
    embedder = state.get("embedder") or run.choose_embedding().as_dict()
    chosen = EmbeddingChoice.from_dict(embedder)
    run.emit(
        {
            "event": "embedder",
            "kind": chosen.kind,
            "base_url": chosen.base_url,
            "model": chosen.model,
            "why": chosen.why,
            "text": chosen.describe(),
        }
    )
    return embedder


def _writing_starts() -> dict[str, Any]:
    """The state of a document whose first section is about to be written."""
    return {"current": 0, "boundary": 0, "draft": None, "attempts": [], "verdict": None}


def _brief(
    run: Run, state: WriterState, target: int, form: FormFields, material: Material | None
) -> PlanBrief:
    """What the plan is asked for and checked against (``state`` has the settled instruction,
    subject, language and embedder)."""
    return PlanBrief(
        instruction=state["instruction"],
        language=state["language"],
        subject=state["subject"],
        target_words=target,
        section_words=run.ctx.section_words,
        form=form,
        sources_digest=digest(material.documents) if material else "",
        off_subject=subject_scorer(run, state),
    )


def plan(state: WriterState, run: Run) -> dict[str, Any]:
    """Node: settle target, language and form, get (or take the given) plan, check and repair it,
    and repair its budgets."""
    ctx = run.ctx
    instruction = state["instruction"]  # settled by the request step
    target = resolve_target(state, ctx)
    language = state.get("language") or ctx.language or document_language(instruction)
    form = document_form(instruction, target, language).fields()
    subject = subject_of(instruction)
    doc_id = run.thread_id or uuid.uuid4().hex
    stats: dict[str, float] = {}
    material = read_material(state)  # bad sources fail the run before any model starts
    run.check_endpoints()  # a server that is down fails the run before any embedder loads
    embedder = _embedder(run, state)
    grounded: WriterState = {
        **state,
        "instruction": instruction,
        "subject": subject,
        "language": language,
        "doc_id": doc_id,
        "embedder": embedder,
    }
    source_info = index_material(run, grounded, material) if material else None
    brief = _brief(run, grounded, target, form, material)
    if state.get("plan") is not None:  # an empty plan is a mistake, not "no plan"
        try:
            mended = mend_plan(*sections_from_any(state["plan"]), brief, user=True)
        except ValueError as exc:
            raise ConfigError(f"invalid plan: {exc}") from None
    else:
        run.emit(status("planning"))
        mended = plan_sections(run, brief, target, stats)
    title = mended.title
    sections, body = fit_plan(
        title,
        mended.sections,
        target,
        min_words=ctx.min_section_words,
        max_words=ctx.max_section_words,
        wanted=max(1, round(target / ctx.section_words)),
        form=form,
    )
    sections = refine_parts(run, title, sections, brief, stats)
    if material:
        sections = plan_sources(run.source_index(grounded), sections)
    notes = report_notes(run, mended.notes)
    run.emit(
        {
            "event": "plan",
            "title": title,
            "sections": len(sections),
            "target_words": target,
            "form": form,
            "problems": notes,
        }
    )
    return {
        "instruction": instruction,
        "target_words": target,
        "body_words": body,
        "language": language,
        "form": form,
        "subject": subject,
        "embedder": embedder,
        "plan_notes": notes,
        "doc_id": doc_id,
        "title": title,
        "sections_plan": sections,
        "budgets": [s["words"] for s in sections],
        **_writing_starts(),
        "stats": stats,
        "calibration": default_calibration(language),
        "source_info": source_info,
        "references": [],
        "given": [],
    }
