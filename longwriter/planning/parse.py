"""Plans from model output: a tolerant AgentWrite line-format parser and deterministic budget repair."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from longwriter.document import PlannedSection, with_part_fields
from longwriter.errors import shown
from longwriter.text import count_words
from longwriter.text.form import scan
from longwriter.text.headings import head_phrase
from longwriter.text.target import MAX_TARGET_WORDS, capped_count, whole_words

MAX_LINE = 2000
"""Plan lines are read up to this many characters."""
MAX_PLAN_SECTIONS = MAX_TARGET_WORDS // 200
"""Most sections a user's plan may have: the longest document cut into AgentWrite's shortest
paragraphs (200 words)."""
PLAN_SHAPE = '{"title": ..., "sections": [{"title": ..., "main_point": ..., "words": ...}, ...]}'
"""What a plan file holds (a bare list of sections, or of strings, also does); a section may
also say that it is the ``part``-th of ``parts`` parts of a chapter (see ``PlannedSection``)."""
_COUNT_TAIL = 80  # a word count ends its line: looking further back only costs time

_ITEM = re.compile(
    r"^\s*(?:[-*•]\s*)?(?:#+\s*)?(?:\*\*)?"
    r"(?:(?:paragraph|section|part|step|chapter)\s*\d+|第\s*[\d一二三四五六七八九十百]+\s*[段部章节]|\d+[.)、:：])"
    r"(?:\*\*)?\s*[-–—:：.)、]?\s*",
    re.IGNORECASE,
)
_COUNT = re.compile(
    r"[-–—(（,，;；]?\s*(?:word\s*count|words?|length|字数(?:要求)?|长度)?\s*[:：]?\s*(?:about|around|约|大约)?\s*"
    r"(\d[\d,]*)\s*(?:words?|字)\s*[)）]?\s*\.?\s*$",
    re.IGNORECASE,
)
_MAIN = re.compile(r"^(?:main\s*point|主要内容|内容)\s*[:：]\s*", re.IGNORECASE)
_TITLE = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*)?(?:title|标题|题目)\s*[:：]\s*(.+?)(?:\*\*)?\s*$", re.IGNORECASE
)


def _heading_of(point: str) -> tuple[str, str]:
    """Split "Heading: description" into its parts; otherwise derive a short heading from the point."""
    head, sep, rest = point.partition(":")
    if not sep:
        head, sep, rest = point.partition("：")
    if sep and 0 < count_words(head) <= 12 and rest.strip():
        return head.strip(" *\"'“”"), rest.strip()
    return head_phrase(point), point


def parse_plan_text(text: str) -> tuple[str | None, list[PlannedSection]]:
    """Read a title and sections from AgentWrite-style lines; sections without a count get ``words=0``."""
    title: str | None = None
    sections: list[PlannedSection] = []
    for raw in text.splitlines():
        line = scan(raw, MAX_LINE).strip()
        if not line:
            continue
        match = _TITLE.match(line)
        if match and title is None and not sections:
            title = match.group(1).strip(" *\"'“”《》")
            continue
        item = _ITEM.match(line)
        if not item:
            continue
        body = line[item.end() :].strip()
        words = 0
        count = _COUNT.search(body, max(0, len(body) - _COUNT_TAIL))
        if count:
            words = capped_count(count.group(1))
            body = body[: count.start()].strip(" -–—,，;；")
        body = re.sub(r"\s*[-–—]\s*$", "", _MAIN.sub("", body)).strip(" *")
        if not body:
            continue
        heading, point = _heading_of(body)
        sections.append({"title": heading, "main_point": point, "words": words})
    return title, sections


def _text_field(item: dict[str, Any], names: tuple[str, ...], where: str) -> str:
    """The first given of synonymous text fields (``title``/``heading``...), "" when none is."""
    value = next((item[k] for k in names if item.get(k)), "")
    if not isinstance(value, str):
        raise ValueError(f"{where}: {names[0]} must be text, got {shown(value)}")
    return value.strip()


def _split_of(item: dict[str, Any], where: str) -> tuple[int, int] | None:
    """``(part, parts)`` of a plan file's section, checked (both or neither, 1 <= part <= parts);
    None for a whole section."""
    part, parts = item.get("part"), item.get("parts")
    if part is None and parts is None:
        return None
    if type(part) is not int or type(parts) is not int:
        given = {"part": part, "parts": parts}
        raise ValueError(f"{where}: part and parts must both be whole numbers, got {shown(given)}")
    if not 1 <= part <= parts <= MAX_PLAN_SECTIONS:
        raise ValueError(
            f"{where}: part {shown(part)} of {shown(parts)}: "
            f"need 1 <= part <= parts <= {MAX_PLAN_SECTIONS}"
        )
    return (part, parts) if parts > 1 else None


def sections_from_any(raw: Any) -> tuple[str | None, list[PlannedSection]]:
    """Sections from a user plan: a dict ``{"title", "sections": [...]}`` or a bare list of sections.
    A title that ends in "(k/n)", as older versions saved split sections, becomes part fields.

    Raises ValueError naming the first problem; the limits that bind the target (at most
    :data:`MAX_TARGET_WORDS` words, :data:`MAX_PLAN_SECTIONS` sections) bind a plan too, since an
    edited plan's budgets become the target.
    """
    title = None
    items = raw
    if isinstance(raw, dict):
        title = _text_field(raw, ("title",), "the plan") or None
        items = raw.get("sections")
    if not isinstance(items, list) or not items:
        raise ValueError(f"a plan needs a non-empty list of sections: {PLAN_SHAPE}")
    if len(items) > MAX_PLAN_SECTIONS:
        raise ValueError(f"a plan has at most {MAX_PLAN_SECTIONS} sections, not {len(items)}")
    out: list[PlannedSection] = []
    for n, item in enumerate(items, 1):
        if isinstance(item, str):
            heading, point = _heading_of(item)
            out.append({"title": heading, "main_point": point, "words": 0})
            continue
        where = f"plan section {n}"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be an object or a string, got {shown(item)}")
        point = _text_field(item, ("main_point", "description"), where)
        heading = _text_field(item, ("title", "heading"), where)
        if not point and not heading:
            raise ValueError(f"{where} has neither a title nor a main_point")
        given = item.get("words") or item.get("word_count") or 0
        words = whole_words(given)
        if words is None:
            raise ValueError(
                f"{where}: words must be a word count from 0 to {MAX_TARGET_WORDS}, got {shown(given)}"
            )
        section: PlannedSection = {
            "title": heading or _heading_of(point)[0],
            "main_point": point or heading,
            "words": words,
        }
        split = _split_of(item, where)
        if split is not None:
            section["part"], section["parts"] = split
        out.append(with_part_fields(section))
    total = sum(s["words"] for s in out)
    if total > MAX_TARGET_WORDS:
        raise ValueError(
            f"the plan's sections add up to {total} words, above the limit of {MAX_TARGET_WORDS}"
        )
    return title, out


def _integer_split(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to ``weights`` that add up to ``total`` exactly (largest remainder)."""
    mass = sum(weights) or float(len(weights))
    exact = [total * (w if sum(weights) else 1.0) / mass for w in weights]
    out = [math.floor(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: exact[i] - out[i], reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def repair_plan(
    sections: list[PlannedSection],
    body_words: int,
    *,
    min_words: int,
    max_words: int,
) -> list[PlannedSection]:
    """Budgets that sum to ``body_words``: fill missing counts, rescale, merge tiny and split huge sections."""
    if not sections:
        raise ValueError("cannot repair an empty plan")
    known = [s["words"] for s in sections if s["words"] > 0]
    fill = sum(known) / len(known) if known else body_words / len(sections)
    raw = [float(s["words"] or fill) for s in sections]
    if not 0.5 <= sum(raw) / body_words <= 2.0:
        raw = [1.0] * len(raw)  # counts far from the target are noise, not intent: split evenly
    mean = sum(raw) / len(raw)
    raw = [min(3 * mean, max(mean / 3, w)) for w in raw]
    items: list[dict[str, Any]] = [dict(s) for s in sections]
    weights = [w * body_words / sum(raw) for w in raw]
    # Merge neighbours while a section is far too small to write well (and there is something to merge).
    floor = min(min_words, body_words)
    while len(items) > 1 and min(weights) < floor * 0.75:
        i = weights.index(min(weights))
        j = i + 1 if i + 1 < len(items) and (i == 0 or weights[i + 1] <= weights[i - 1]) else i - 1
        a, b = sorted((i, j))
        items[a] = {
            "title": items[a]["title"],
            "main_point": f"{items[a]['main_point']} {items[b]['main_point']}".strip(),
            "words": 0,
        }
        weights[a] += weights[b]
        del items[b], weights[b]
    # Split sections too long to write in one step: the parts keep the heading.
    out: list[PlannedSection] = []
    out_weights: list[float] = []
    for item, weight in zip(items, weights, strict=True):
        parts = max(1, math.ceil(weight / max_words))
        for k in range(parts):
            section: PlannedSection = {
                "title": str(item["title"]),
                "main_point": str(item["main_point"]),
                "words": 0,
            }
            if parts > 1:
                section["part"], section["parts"] = k + 1, parts
            out.append(section)
            out_weights.append(weight / parts)
    for section, budget in zip(out, _integer_split(body_words, out_weights), strict=True):
        section["words"] = budget
    _unique_titles(out)
    return out


def part_of(section: Mapping[str, Any]) -> tuple[int, int] | None:
    """``(k, n)`` for the k-th of n parts of a split section, else None (a whole section)."""
    parts = section.get("parts", 1)
    return (section.get("part", 1), parts) if parts > 1 else None


def _continues(section: Mapping[str, Any], before: Mapping[str, Any]) -> bool:
    """Whether ``section`` is a later part of the split section that ``before``, the section just
    before it, is a part of."""
    part = part_of(section)
    return (
        part is not None
        and part[0] > 1
        and part_of(before) is not None
        and before["title"] == section["title"]
    )


def shown_headings(sections: Sequence[Mapping[str, Any]]) -> list[tuple[int, str]]:
    """``(index, heading)`` of each heading the document shows: the parts of a split section that
    follow each other share the first one's."""
    return [
        (i, s["title"])
        for i, s in enumerate(sections)
        if not (i and _continues(s, sections[i - 1]))
    ]


def part_runs(sections: Sequence[PlannedSection]) -> list[tuple[int, int, str]]:
    """``(start, length, title)`` of each run of consecutive parts 1, 2, ... of one split section.

    A run is what is really there, whatever ``parts`` says: a lone part 1 of 2 (a merge, or a
    user's plan that says so) is a run of one."""
    runs: list[tuple[int, int, str]] = []
    i = 0
    while i < len(sections):
        head = part_of(sections[i])
        j = i + 1
        if head is not None and head[0] == 1:
            while j < len(sections):
                nxt = part_of(sections[j])
                if (
                    nxt is None
                    or sections[j]["title"] != sections[i]["title"]
                    or nxt[0] != j - i + 1
                ):
                    break
                j += 1
            runs.append((i, j - i, sections[i]["title"]))
        i = j
    return runs


def join_parts(sections: Sequence[PlannedSection]) -> list[PlannedSection]:
    """The sections before :func:`repair_plan` split them, all whole: each run of parts becomes its
    section again (budgets added, the first part's point), so that a second repair re-splits
    instead of merging parts into a lone part; a part outside a run is a section of its own."""
    out: list[PlannedSection] = [
        {"title": s["title"], "main_point": s["main_point"], "words": s["words"]} for s in sections
    ]
    for start, length, title in reversed(part_runs(sections)):
        run = sections[start : start + length]
        out[start : start + length] = [
            {
                "title": title,
                "main_point": run[0]["main_point"],
                "words": sum(s["words"] for s in run),
            }
        ]
    return out


LIST_BULLET = re.compile(
    r"^\s*(?:[-*•]|\(?\d+[.)、]|[a-z][.)]|[一二三四五六七八九十]+[、.．])\s*", re.IGNORECASE
)
"""A list bullet or number at the start of a line ("- ", "2) ", "b. ", "三、")."""


def parse_aspects(text: str, limit: int) -> list[str]:
    """Up to ``limit`` distinct one-line aspects from a reply listing them (bullets, numbers stripped)."""
    out: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        item = LIST_BULLET.sub("", scan(line, MAX_LINE)).strip().strip("*_\"'“”")
        key = re.sub(r"\W+", " ", item.lower()).strip()
        if not key or key in seen or count_words(item) > 40 or item.endswith((":", "：")):
            continue
        seen.add(key)
        out.append(item)
        if len(out) == limit:
            break
    return out


def _unique_titles(items: list[PlannedSection]) -> None:
    """Number repeated headings ("Introduction", "Introduction (2)") so no heading line repeats;
    the later parts of a split section take their first part's heading."""
    seen: dict[str, int] = {}
    later = [i > 0 and _continues(s, items[i - 1]) for i, s in enumerate(items)]
    for i, item in enumerate(items):
        if later[i]:
            item["title"] = items[i - 1]["title"]
            continue
        key = str(item["title"]).strip().lower()
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            item["title"] = f"{item['title']} ({seen[key]})"


def rebudget(planned: list[int], written: list[int], body_words: int, floor: int) -> list[int]:
    """Closed-loop length control: spread the surplus or deficit over the sections not yet written.

    ``written`` holds the words of the accepted sections (a prefix of the plan); the result keeps those and
    gives the rest budgets proportional to their planned size, at least ``floor`` and at most 2x planned.
    """
    rest = planned[len(written) :]
    if not rest:
        return list(written)
    remaining = body_words - sum(written)
    total_planned = sum(rest) or len(rest)
    new = [max(floor, min(2 * p, round(remaining * p / total_planned))) for p in rest]
    return list(written) + new
