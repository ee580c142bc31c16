"""The planner: target length, language, and a section plan whose budgets add up to the target."""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from longwriter.agent.config import MAX_TARGET_WORDS, WriterContext
from longwriter.agent.models import Reply
from longwriter.agent.state import Plan, PlannedSection, WriterState
from longwriter.errors import BackendError, ConfigError, PlanError
from longwriter.nodes.common import Services
from longwriter.nodes.plan_parse import (
    parse_aspects,
    parse_plan_text,
    part_of,
    repair_plan,
    sections_from_any,
)
from longwriter.prompts import render
from longwriter.text import (
    count_words,
    detect_language,
    parse_target_words,
    strip_step_labels,
)

PLAN_ATTEMPTS = 4
MAX_PLANNED = 16
ParsedPlan = tuple[str | None, list[PlannedSection]]


def resolve_target(state: WriterState, ctx: WriterContext) -> int:
    """Target words: given in the input, in the settings, in the instruction, or the default."""
    target = next(
        (t for t in (state.get("target_words"), ctx.target_words) if t is not None),
        parse_target_words(state["instruction"]) or ctx.default_words,
    )
    if not isinstance(target, int) or target <= 0:
        raise ConfigError(f"target length must be a positive number of words, got {target!r}")
    if target > MAX_TARGET_WORDS:
        raise ConfigError(f"target length {target} words is above the limit of {MAX_TARGET_WORDS}")
    return target


def heading_words(title: str, sections: list[PlannedSection]) -> int:
    """Words the Markdown title and section headings will add to the document (the parts of a split
    section share one heading)."""
    heads = [part_of(s["title"]) or (s["title"], 1, 1) for s in sections]
    return count_words(title) + sum(count_words(base) for base, k, _ in heads if k == 1)


def fit_plan(
    title: str,
    sections: list[PlannedSection],
    target: int,
    *,
    min_words: int,
    max_words: int,
    wanted: int | None = None,
) -> tuple[list[PlannedSection], int]:
    """Repair budgets so that headings plus sections land on ``target``; returns sections and body words.

    When the model planned fewer than ``wanted`` sections, long ones are split so that about ``wanted``
    sections of similar size result (weak models write short sections and long ones poorly).
    """
    for _ in range(2):  # splitting adds "(1/2)" to headings, which changes the heading words once
        body = max(len(sections), target - heading_words(title, sections))
        limit = max_words
        if wanted and len(sections) < wanted:
            limit = min(max_words, max(min_words, math.ceil(1.1 * body / wanted)))
        sections = repair_plan(sections, body, min_words=min_words, max_words=limit)
    return sections, body


_LENGTH_PHRASE = re.compile(
    r"(?:\ba\s+)?(?<![\d,.])\d[\d,]*(?:[- ]words?\b|\s*字)\s*", re.IGNORECASE
)
_JSON_TAIL = re.compile(r"""['"]?\s*[}\]][\s,'"{}\[\]]*$""")  # '}, { left by a broken JSON plan
_NUMBERED = re.compile(
    r"^\s*(?:\d+[.)]\s*)?(?:(?:section|part|chapter|paragraph|step)\s*\d+\s*[:.\-–—]\s*"
    r"|第\s*[\d一二三四五六七八九十]+\s*(?:部分|章|节|段)\s*[:：、]?\s*)",
    re.IGNORECASE,
)


def tidy_plan(
    title: str | None, sections: list[PlannedSection]
) -> tuple[str | None, list[PlannedSection]]:
    """Drop what models copy into headings from the instruction or the request: word counts
    ("A 1200-word History") and numbering ("Section 2: ..."), which the document adds itself, and
    the tail of a broken JSON plan ("Vaccines'}, {")."""

    def strip(text: str) -> str:
        return (
            _NUMBERED.sub("", _LENGTH_PHRASE.sub("", _JSON_TAIL.sub("", text))).strip(" -:") or text
        )

    return (strip(title) if title else None), [
        {**s, "title": strip(s["title"]), "main_point": strip(s["main_point"])} for s in sections
    ]


def refine_parts(
    svc: Services,
    title: str,
    sections: list[PlannedSection],
    language: str,
    stats: dict[str, float],
) -> list[PlannedSection]:
    """Give the parts of each split section an aspect of their own (one short model call per split
    section), so that they do not all restate the same main point; on any failure a part keeps it."""
    out = [dict(s) for s in sections]
    for i, section in enumerate(sections):
        part = part_of(section["title"])
        if part is None or part[1] != 1:
            continue
        chapter, _, n = part
        prompt = render(
            "plan_parts",
            language,
            title=title,
            chapter=chapter,
            main_point=section["main_point"],
            parts=n,
        )
        try:
            reply = svc.models.call(
                [HumanMessage(prompt)], max_tokens=60 * n + 60, temperature=0.5, role="plan"
            )
        except BackendError as exc:
            svc.emit("status", message=f"keeping the chapter's main point for its parts: {exc}")
            continue
        _count(svc, stats, reply)
        for k, aspect in enumerate(parse_aspects(strip_step_labels(reply.text), n)):
            out[i + k]["main_point"] = aspect
    return out  # type: ignore[return-value]


def fallback_title(instruction: str) -> str:
    """A title taken from the instruction when the model gives none."""
    first = instruction.strip().splitlines()[0]
    words = first.split()
    return " ".join(words[:12]) if len(words) > 1 else first[:30]


def json_formats(svc: Services) -> list[dict[str, Any]]:
    """Response formats that constrain the plan to the schema, most likely to be accepted first:
    OpenAI/vLLM take ``json_schema``; llama.cpp's server takes the schema inside ``json_object``."""
    schema = Plan.model_json_schema()
    openai_style = {
        "type": "json_schema",
        "json_schema": {"name": "plan", "schema": schema, "strict": False},
    }
    llama_style = {"type": "json_object", "schema": schema}
    if svc.models.override is None and svc.models.endpoint("plan").embedded:
        return [llama_style, openai_style]
    return [openai_style, llama_style]


def _ask_structured(
    svc: Services, prompt: str, max_tokens: int, stats: dict[str, float], fmt: dict[str, Any]
) -> ParsedPlan:
    reply = svc.models.call(
        [HumanMessage(prompt)],
        max_tokens=max_tokens,
        temperature=0.3,
        response_format=fmt,
        role="plan",
    )
    _count(svc, stats, reply)
    return parse_plan_json(reply.text)


def _count(svc: Services, stats: dict[str, float], reply: Reply) -> None:
    svc.emit("llm", **reply.stats())
    for key, value in reply.stats().items():
        stats[key] = stats.get(key, 0) + value


_JSON_SECTION = re.compile(
    r'\{\s*"title"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"main_point"\s*:\s*"((?:[^"\\]|\\.)*)"'
    r'\s*,\s*"words"\s*:\s*(\d+)'
)
_JSON_TITLE = re.compile(r'^\s*\{\s*"title"\s*:\s*"((?:[^"\\]|\\.)*)"')


def parse_plan_json(text: str) -> tuple[str | None, list[PlannedSection]]:
    """A plan from JSON; the complete sections of a cut-off reply are salvaged."""
    match = re.search(r"\{.*\}", text, re.DOTALL)
    try:
        plan = Plan.model_validate_json(match.group(0) if match else text)
    except ValueError:
        title = _JSON_TITLE.search(text)
        found = [
            {"title": t, "main_point": m or t, "words": int(w)}
            for t, m, w in _JSON_SECTION.findall(text)
        ]
        if not found:
            raise
        return (title.group(1) if title else None), found  # type: ignore[return-value]
    return plan.title.strip() or None, [
        {
            "title": s.title.strip(),
            "main_point": s.main_point.strip() or s.title.strip(),
            "words": s.words,
        }
        for s in plan.sections
        if s.title.strip() or s.main_point.strip()
    ]


def ask_plan(
    svc: Services, instruction: str, language: str, body_words: int, stats: dict[str, float]
) -> ParsedPlan:
    """Ask the model for a plan: JSON schema output first, then the AgentWrite line format; bounded retries."""
    ctx = svc.ctx
    # Long documents are planned as at most MAX_PLANNED chapters (short replies, fast on small models);
    # fit_plan then splits them into section-sized parts.
    n = min(MAX_PLANNED, max(1, round(body_words / ctx.section_words)))
    values = {
        "instruction": instruction.strip(),
        "sections": n,
        "target_words": body_words,
        "min_words": ctx.min_section_words,
        "max_words": ctx.max_section_words,
    }
    max_tokens = min(4096, 80 * n + 200)
    formats = json_formats(svc) if ctx.structured_plan else []
    problems: list[str] = []
    attempt = -1
    while attempt < PLAN_ATTEMPTS - 1:
        attempt += 1
        structured = bool(formats) and attempt % 2 == 0
        try:
            if structured:
                prompt = render("plan_json", language, **values)
                title, sections = _ask_structured(svc, prompt, max_tokens, stats, formats[0])
            else:
                reply = svc.models.call(
                    [HumanMessage(render("plan_text", language, **values))],
                    max_tokens=max_tokens,
                    temperature=0.3 + 0.2 * attempt,
                    role="plan",
                )
                _count(svc, stats, reply)
                title, sections = parse_plan_text(reply.text)
        except BackendError as exc:
            if not structured:
                raise
            formats.pop(0)  # the server rejects this format: try the other, then plain text
            problems.append(f"json: {str(exc)[:120]}")
            attempt -= 1  # a rejected format is not an answer: it costs no attempt
            continue
        except ValueError as exc:  # invalid JSON
            problems.append(f"json: {str(exc).splitlines()[0][:120]}")
            continue
        if sections:
            return title, sections
        problems.append("no sections found in the reply")
    raise PlanError(
        f"the model gave no usable plan after {PLAN_ATTEMPTS} tries ({'; '.join(problems)})"
    )


def plan(
    state: WriterState,
    runtime: Runtime[WriterContext],
    config: RunnableConfig,
    *,
    llm: BaseChatModel | None = None,
) -> dict[str, Any]:
    """Node: settle target and language, get (or take the given) plan, and repair its budgets."""
    svc = Services(runtime, llm)
    ctx = svc.ctx
    instruction = (state.get("instruction") or "").strip()
    if not instruction:
        raise ConfigError("the instruction is empty: say what to write")
    target = resolve_target(state, ctx)
    language = state.get("language") or ctx.language or detect_language(instruction)
    doc_id = str((config.get("configurable") or {}).get("thread_id") or uuid.uuid4().hex)
    stats: dict[str, float] = {}
    if state.get("plan"):
        try:
            title, sections = sections_from_any(state["plan"])
        except ValueError as exc:
            raise ConfigError(f"invalid plan: {exc}") from None
    else:
        svc.emit("status", message="planning")
        title, sections = tidy_plan(*ask_plan(svc, instruction, language, target, stats))
    title = title or fallback_title(instruction)
    wanted = max(1, round(target / ctx.section_words))
    sections, body = fit_plan(
        title,
        sections,
        target,
        min_words=ctx.min_section_words,
        max_words=ctx.max_section_words,
        wanted=wanted,
    )
    sections = refine_parts(svc, title, sections, language, stats)
    svc.memory({"doc_id": doc_id}).drop()  # a fresh document starts with an empty memory
    svc.emit("plan", title=title, sections=len(sections), target_words=target)
    return {
        "instruction": instruction,
        "target_words": target,
        "body_words": body,
        "language": language,
        "doc_id": doc_id,
        "title": title,
        "sections_plan": sections,
        "budgets": [s["words"] for s in sections],
        "current": 0,
        "boundary": 0,
        "draft": None,
        "attempts": [],
        "verdict": None,
        "stats": stats,
        "calibration": {
            "prompt_ratio": 1.0,
            "tokens_per_word": 1.5 if language in ("zh", "ja", "ko") else 1.4,
        },
    }


def review(state: WriterState, runtime: Runtime[WriterContext]) -> dict[str, Any]:
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
    ctx = runtime.context if runtime.context is not None else WriterContext()
    try:
        title, sections = sections_from_any(answer)
    except ValueError as exc:
        raise ConfigError(f"invalid edited plan: {exc}") from None
    title = title or state["title"]
    target = state["target_words"]
    if all(s["words"] > 0 for s in sections):
        target = sum(s["words"] for s in sections) + heading_words(title, sections)
    sections, body = fit_plan(title, sections, target, min_words=1, max_words=ctx.max_section_words)
    return {
        "title": title,
        "sections_plan": sections,
        "budgets": [s["words"] for s in sections],
        "body_words": body,
        "target_words": target,
    }
