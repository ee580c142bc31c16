"""Plans in JSON: the response formats that ask for one, the room it needs, a stream watch that stops
a runaway plan, and a tolerant parser that salvages the complete sections of a cut-off reply."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from longwriter.document import Plan, PlannedSection
from longwriter.text import duplicate_headings
from longwriter.text.target import capped_count

ParsedPlan = tuple[str | None, list[PlannedSection]]
"""A plan's title (None: none given) and its sections."""


def json_formats(llama_cpp: bool) -> list[dict[str, Any]]:
    """Response formats that constrain the plan to the schema, most likely to be accepted first:
    OpenAI/vLLM take ``json_schema``; llama.cpp's server (``llama_cpp``) takes the schema inside
    ``json_object``."""
    schema = Plan.model_json_schema()
    openai_style = {
        "type": "json_schema",
        "json_schema": {"name": "plan", "schema": schema, "strict": False},
    }
    llama_style = {"type": "json_object", "schema": schema}
    if llama_cpp:
        return [llama_style, openai_style]
    return [openai_style, llama_style]


def plan_tokens(sections: int) -> int:
    """Room for a plan of ``sections`` sections (about 45 tokens each in JSON, and a title)."""
    return min(4096, 80 * sections + 200)


def plan_watch(sections: int) -> Callable[[str], bool]:
    """A stream watch for a JSON plan: stop reading once it holds more sections than the
    ``sections`` asked for, or two whose heading and main point both repeat earlier ones: the rest
    would be paid for and then merged or rejected. Only complete sections count, looked at when one
    closes."""
    seen = 0

    def watch(text: str) -> bool:
        nonlocal seen
        closed, seen = "}" in text[seen:], len(text)
        if not closed:
            return False
        found = _JSON_SECTION.findall(text)
        if len(found) > sections:
            return True
        title = _JSON_TITLE.search(text)
        first = title.group(1) if title else ""
        same_heading = set(duplicate_headings([t for t, _, _ in found], first))
        same_point = set(duplicate_headings([m for _, m, _ in found]))
        return len(same_heading & same_point) >= 2

    return watch


_JSON_SECTION = re.compile(
    r'\{\s*"title"\s*:\s*"((?:[^"\\]|\\.)*)"\s*,\s*"main_point"\s*:\s*"((?:[^"\\]|\\.)*)"'
    r'\s*,\s*"words"\s*:\s*(\d+)'
)
_JSON_TITLE = re.compile(r'^\s*\{\s*"title"\s*:\s*"((?:[^"\\]|\\.)*)"')


def parse_plan_json(text: str) -> tuple[str | None, list[PlannedSection]]:
    """A plan from JSON; the complete sections of a cut-off reply are salvaged. Raises ValueError
    (one line) when there is nothing to salvage."""
    start, end = text.find("{"), text.rfind("}")
    try:
        return sections_of(
            Plan.model_validate_json(text[start : end + 1] if 0 <= start < end else text)
        )
    except ValueError:
        title = _JSON_TITLE.search(text)
        found = [
            {"title": t, "main_point": m or t, "words": capped_count(w)}
            for t, m, w in _JSON_SECTION.findall(text)
        ]
        if not found:
            raise ValueError("the reply holds no plan in JSON") from None
        return (title.group(1) if title else None), found  # type: ignore[return-value]


def sections_of(plan: Plan) -> ParsedPlan:
    """The title (None when empty) and the sections of a schema-valid plan."""
    return plan.title.strip() or None, [
        {
            "title": s.title.strip(),
            "main_point": s.main_point.strip() or s.title.strip(),
            "words": s.words,
        }
        for s in plan.sections
        if s.title.strip() or s.main_point.strip()
    ]
