"""Plan sanity: every plan is checked before writing starts.

A plan a reader accepts has distinct, short headings; main points about the subject (not about the
document); no markup or plan-format debris; a number of sections that fits the length. Small models
(SmolLM2-135M) break all of these. :func:`check_plan` lists the problems (typed, per section) and
:func:`fix_request` tells the model how to avoid them when it is asked again. The repairs are in
:mod:`longwriter.planning.mend`, the fallback plans in :mod:`longwriter.planning.fallback`, the brief
a plan is checked against in :mod:`longwriter.planning.brief`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from longwriter.document import PlannedSection, PlanProblem
from longwriter.planning.brief import (
    PlanBrief,
    PlanCode,
    problem,
    title_from_subject,
    topic_point,
)
from longwriter.planning.parse import shown_headings
from longwriter.prompts import render
from longwriter.text.headings import (
    SCAN_TEXT,
    HeadingProblem,
    duplicate_headings,
    has_debris,
    heading_problems,
    strip_debris,
    talks_about_document,
)
from longwriter.text.meta import is_meta
from longwriter.text.metrics import ngram_overlap, ngram_set
from longwriter.text.words import count_words, tokenize

_FIX_KEYS: dict[str, str] = {
    **{code: "heading" for code in HeadingProblem},
    PlanCode.DUPLICATE: "duplicate",
    PlanCode.EMPTY_POINT: "point",
    PlanCode.META_POINT: "point",
    PlanCode.POINT_DEBRIS: "point",
    PlanCode.OFF_SUBJECT: "subject",
    PlanCode.TOO_MANY: "count",
    PlanCode.TOO_FEW: "count",
    PlanCode.NO_SECTIONS: "count",
}
"""Which line of the ``plan_fixes`` prompt tells the model how to avoid each problem."""

# "This section will explain how ...", "In this part we discuss ...", "本节将介绍 ...": the document
# talking about itself. What follows the lead-in is usually the real main point.
_EN_LEAD_IN = re.compile(
    r"^\s*(?:(?:in\s+)?(?:this|the|our|my|next)\s+(?:section|paragraph|part|chapter|essay|article"
    r"|document|report|post|piece|guide)\s*,?\s*(?:(?:we|i)\s+)?|here,?\s+(?:we|i)\s+|(?:we|i)\s+)"
    r"(?:will\s+|shall\s+|would\s+|should\s+|can\s+|is going to\s+|are going to\s+|aims? to\s+"
    r"|tries to\s+|wants? to\s+)?(?:briefly\s+)?(?:describes?|explains?|discuss(?:es)?|covers?"
    r"|introduces?|explores?|presents?|focus(?:es)? on|looks? at|talks? about|examines?|outlines?"
    r"|details?|provides?|gives?|summari[sz]es?|shows?|tells?|reviews?|analy[sz]es?|highlights?"
    r"|address(?:es)?|deals? with|is about|will be about)\b"
    r"(?:\s+(?:an?\s+)?(?:overview|introduction|summary|description|explanation|discussion)"
    r"\s+of\b)?(?:\s+(?:the reader|readers|you)\b)?\s*",
    re.IGNORECASE,
)
_ZH_LEAD_IN = re.compile(
    r"^\s*(?:本(?:节|段|部分|章|文)|这一?(?:部分|节|段|章))(?:将|会|主要|将会|要)*"
    r"(?:介绍|讲述|描述|探讨|讨论|说明|分析|阐述|概述|回顾|总结|讲)了?\s*"
)
# The document describing its own making: "The chapter will be written in 4 sections, one paragraph
# per line" (SmolLM2, asked for the aspects of a chapter).
_EN_SELF = re.compile(
    r"\b(?:this|the|each|every|our)\s+(?:chapter|section|paragraph|part|essay|article|document"
    r"|report|text|piece)s?\s+(?:will|should|shall|must|is going to|can|has to)\b"
    r"|\bper (?:line|paragraph)\b|\bwritten in \d+\b"
    # the request's format echoed as a point: "Each line is one short sentence that ..."
    r"|\b(?:each|every) (?:line|bullet)\s+(?:is|should|must|will)\b"
    r"|\b(?:each|every) part (?:is )?dedicated to\b"
    r"|\bthe (?:first|second|third|fourth|fifth|next|last|final) (?:part|section|chapter)\b",
    re.IGNORECASE,
)
_ZH_SELF = re.compile(
    r"(?:本|这一?|每一?)(?:章|节|段|部分)(?:将|会|要|应)|每行|分为\s*\d+\s*(?:个)?部分"
)
MIN_ASPECT_WORDS = 3
"""An aspect of a chapter is a short sentence: a bare word ("Introduction") is no aspect."""
ASPECT_NGRAM, ASPECT_OVERLAP = 3, 0.5
"""Aspects sharing this share of their word trigrams with earlier ones restate them (SmolLM2 gives
the same sentence with a new tail)."""
# Frame sections whose headings need not name the subject ("Conclusion").
_FRAME = re.compile(
    r"^(?:introduction|conclusion|summary|overview|background|closing|opening|final thoughts"
    r"|引言|导言|前言|结论|结语|总结|概述|背景|开头|结尾)$",
    re.IGNORECASE,
)
_EN_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "the a an of to and in on for with its their about from by at as or is are was were be "
        "this that these those it how why what when where who which history guide essay report "
        "article story write words word",
    )
)
_ZH_STOPCHARS = frozenset("的了和与及在是对中为之于关")


def lead_in(point: str, brief: PlanBrief) -> re.Match[str] | None:
    """The "This section will explain" (or "本节将介绍") lead-in that opens ``point``, if any."""
    return (_ZH_LEAD_IN if brief.chinese else _EN_LEAD_IN).match(point)


def _content(text: str, chinese: bool) -> set[str]:
    """Content words for the lexical subject check: English words (first 5 letters, a crude stem),
    Chinese character bigrams."""
    tokens = tokenize(text)
    if chinese:
        chars = [t for t in tokens if len(t) == 1 and not t.isascii() and t not in _ZH_STOPCHARS]
        return {a + b for a, b in itertools.pairwise(chars)} | {
            t[:5] for t in tokens if t.isascii() and len(t) > 2 and t not in _EN_STOPWORDS
        }
    return {t[:5] for t in tokens if len(t) > 2 and t not in _EN_STOPWORDS and not t.isdigit()}


def _section_text(section: PlannedSection) -> str:
    return f"{section['title']}: {section['main_point']}"


def sections_off_subject(sections: Sequence[PlannedSection], brief: PlanBrief) -> list[bool]:
    """Per section, whether it is off the subject: the scorer's verdict, else a lexical check that
    only speaks when most sections share words with the subject (paraphrase defeats it otherwise).
    A main point made from its heading (``topic_point``) names the subject by construction, so such
    a section is judged by the scorer on its heading alone ("Data Formats and Ways to Present Data to
    User" kept its place in a marathon guide that way). Not by the lexical check: headings rarely
    repeat the subject's words ("Yemen's Sufi monks" in a history of coffee)."""
    if brief.off_subject is not None:  # the point alone: a heading naming the subject hides nothing
        judged = [
            s["title"] if s["main_point"] == topic_point(s["title"], brief) else s["main_point"]
            for s in sections
        ]
        return brief.off_subject(judged) if sections else []
    texts = [_section_text(s) for s in sections]
    subject = _content(brief.subject, brief.chinese)
    if not subject:
        return [False] * len(sections)
    shares = [bool(_content(t, brief.chinese) & subject) for t in texts]
    if sum(shares) * 2 <= len(shares):
        return [False] * len(sections)
    return [
        not ok and not _FRAME.match(s["title"].strip())
        for ok, s in zip(shares, sections, strict=True)
    ]


def plan_off_subject(title: str, sections: Sequence[PlannedSection], brief: PlanBrief) -> bool:
    """Whether nothing in the plan (title, headings, main points) bears on the subject; a title made
    from the subject says nothing about the plan (it must not carry a plan about football)."""
    if not sections:
        return False
    if title == title_from_subject(brief.subject, brief.language):
        title = ""
    if brief.off_subject is not None:
        return all(
            brief.off_subject([*([title] if title else []), *(s["main_point"] for s in sections)])
        )
    subject = _content(brief.subject, brief.chinese)
    words = _content(" ".join([title, *(_section_text(s) for s in sections)]), brief.chinese)
    return bool(subject) and not subject & words


def title_off_subject(title: str, brief: PlanBrief) -> bool:
    """Whether a document title misses the subject and a better one can be made from it: it shares
    no word with the subject and (with a scorer) does not score on it either ("Essay on the Dismal
    Science of Secondary Education" over a column on homework in primary schools)."""
    subject = _content(brief.subject, brief.chinese)
    if not title.strip() or not subject or _content(title, brief.chinese) & subject:
        return False
    made = title_from_subject(brief.subject, brief.language)
    if heading_problems(made, language=brief.language, instruction=brief.instruction):
        return False  # no better title to offer: the subject is only the genre ("a note")
    return brief.off_subject is None or brief.off_subject([title])[0]


def main_point_problem(point: str, brief: PlanBrief) -> PlanCode | None:
    """Why a main point is not about the subject, if it is not."""
    if not point.strip() or not strip_debris(point, brief.instruction, heading=False):
        return PlanCode.EMPTY_POINT
    self_talk = _ZH_SELF if brief.chinese else _EN_SELF
    if lead_in(point, brief) or self_talk.search(point[:SCAN_TEXT]):
        return PlanCode.META_POINT
    if is_meta(point, brief.language, brief.instruction):
        return PlanCode.META_POINT
    if talks_about_document(point, language=brief.language, instruction=brief.instruction):
        return PlanCode.META_POINT  # "Please provide the details", "Create a Beekeeping Guide"
    if has_debris(point, brief.instruction):
        return PlanCode.POINT_DEBRIS
    return None


def acceptable_point(point: str, brief: PlanBrief) -> bool:
    """Whether ``point`` may stand as a main point: about the subject, not about the document (the
    check :func:`check_plan` applies to each section)."""
    if main_point_problem(point, brief) is not None:
        return False
    return brief.off_subject is None or not brief.off_subject([point])[0]


def repeats_heading(heading: str, earlier: list[str], title: str) -> bool:
    """Whether ``heading`` repeats the document ``title`` or one of the ``earlier`` headings."""
    return len(earlier) in duplicate_headings([*earlier, heading], title)


def part_aspects(
    title: str, chapter: str, point: str, aspects: Sequence[str], brief: PlanBrief
) -> list[str | None]:
    """Per aspect proposed for the parts of a split chapter, the aspect if it can be a part's main
    point (a sentence about the subject that restates neither the document ``title``, the chapter,
    its ``point`` nor an earlier aspect), else None: that part keeps the chapter's point."""
    out: list[str | None] = []
    kept: list[str] = [chapter, point]
    said = ngram_set(point, ASPECT_NGRAM)
    for aspect in aspects:
        fine = (
            count_words(aspect) >= MIN_ASPECT_WORDS + (2 if brief.chinese else 0)
            and acceptable_point(aspect, brief)
            and not repeats_heading(aspect, kept, title)
            and ngram_overlap(aspect, said, ASPECT_NGRAM) < ASPECT_OVERLAP
        )
        out.append(aspect if fine else None)
        if fine:
            kept.append(aspect)
            said |= ngram_set(aspect, ASPECT_NGRAM)
    return out


def title_problems(title: str, brief: PlanBrief) -> list[str]:
    """The heading problems of a document title; the subject's own phrase may read as a clause
    ("The volunteers who restore old steam locomotives": cutting it to "The volunteers" lost
    what the document is about)."""
    found = heading_problems(title, language=brief.language, instruction=brief.instruction)
    if title == title_from_subject(brief.subject, brief.language):
        return [p for p in found if p != HeadingProblem.SENTENCE]
    return found


def check_plan(
    title: str | None, sections: Sequence[PlannedSection], brief: PlanBrief
) -> list[PlanProblem]:
    """Every problem of a plan (nothing repaired); empty when a reader would accept it. A missing
    title (None) is not a problem: one is made from the subject."""
    if not sections:
        return [problem(None, "plan", PlanCode.NO_SECTIONS, "the plan has no sections")]
    out = _title_notes(title, brief)
    shown = shown_headings(sections)
    out += _heading_notes(shown, title or "", brief)
    for i, s in enumerate(sections):
        point_code = main_point_problem(s["main_point"], brief)
        if point_code is not None:
            message = f"main point {s['main_point'][:80]!r}: {point_code}"
            out.append(problem(i, "main_point", point_code, message))
    out += _subject_notes(title or "", sections, brief)
    headed = brief.form is None or brief.form["headings"]
    if headed and len(shown) < brief.min_sections():
        message = f"{len(shown)} section(s) for {brief.target_words} words"
        out.append(problem(None, "plan", PlanCode.TOO_FEW, message))
    if len(sections) > brief.max_sections():
        message = f"{len(sections)} sections for {brief.target_words} words"
        out.append(problem(None, "plan", PlanCode.TOO_MANY, message))
    return out


def _title_notes(title: str | None, brief: PlanBrief) -> list[PlanProblem]:
    """The problems of the document title (none for a missing one)."""
    if title is None:
        return []
    out = [
        problem(None, "title", code, f"title {title!r}: {code}")
        for code in title_problems(title, brief)
    ]
    if title_off_subject(title, brief):
        message = f"title {title!r} is not about {brief.subject!r}"
        out.append(problem(None, "title", PlanCode.OFF_SUBJECT, message))
    return out


def _heading_notes(shown: list[tuple[int, str]], title: str, brief: PlanBrief) -> list[PlanProblem]:
    """The problems of the headings a reader sees, and their repeats."""
    out: list[PlanProblem] = []
    for i, heading in shown:
        for code in heading_problems(
            heading, language=brief.language, instruction=brief.instruction
        ):
            out.append(problem(i, "heading", code, f"heading {heading!r}: {code}"))
    for k in duplicate_headings([h for _, h in shown], title):
        i, heading = shown[k]
        out.append(problem(i, "heading", PlanCode.DUPLICATE, f"heading {heading!r} is repeated"))
    return out


def _subject_notes(
    title: str, sections: Sequence[PlannedSection], brief: PlanBrief
) -> list[PlanProblem]:
    """The whole plan off the subject, or else each section that is."""
    if plan_off_subject(title, sections, brief):
        message = f"nothing in the plan is about {brief.subject!r}"
        return [problem(None, "plan", PlanCode.OFF_SUBJECT, message)]
    return [
        problem(
            i,
            "main_point",
            PlanCode.OFF_SUBJECT,
            f"section {sections[i]['title']!r} is not about {brief.subject!r}",
        )
        for i, off in enumerate(sections_off_subject(sections, brief))
        if off
    ]


def fix_request(notes: Sequence[PlanProblem], brief: PlanBrief, sections: int) -> str:
    """The ``$problems`` block of a re-ask: one line per kind of problem found, telling the model how
    to avoid it (``plan_fixes``); empty when there is nothing to say."""
    lines = dict(
        line.split(": ", 1)
        for line in render(
            "plan_fixes", brief.language, subject=brief.subject, sections=sections
        ).splitlines()
        if ": " in line
    )
    keys = dict.fromkeys(_FIX_KEYS[n["code"]] for n in notes if n["code"] in _FIX_KEYS)
    if not keys:
        return ""
    return render("plan_problems", brief.language, reasons="\n".join(f"- {lines[k]}" for k in keys))
