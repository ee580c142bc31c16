"""Plan sanity: every plan is checked before writing starts, and repaired where that is deterministic.

A plan a reader accepts has distinct, short headings; main points about the subject (not about the
document); no markup or plan-format debris; a number of sections that fits the length. Small models
(SmolLM2-135M) break all of these. :func:`check_plan` lists the problems (typed, per section);
:func:`mend_plan` repairs what it can (strip debris, cut sentences to their head, derive headings from
main points, drop off-subject sections) and says whether enough of the plan survived; the planner
re-asks the model with the reasons otherwise, then falls back to a list of subtopics
(:func:`plan_from_subtopics`), then to a skeleton built from the subject (:func:`skeleton_plan`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from longwriter.document import PlannedSection, PlanProblem
from longwriter.planning.parse import parse_aspects, shown_headings
from longwriter.prompts import render
from longwriter.text.form import FormFields, document_family
from longwriter.text.headings import (
    SCAN_TEXT,
    HeadingProblem,
    duplicate_headings,
    has_debris,
    head_phrase,
    heading_problems,
    strip_debris,
    talks_about_document,
)
from longwriter.text.meta import is_meta
from longwriter.text.metrics import ngram_overlap, ngram_set
from longwriter.text.words import count_words, tokenize

OffSubject = Callable[[Sequence[str]], list[bool]]
"""Flags, per text, whether it is off the document's subject (e.g. ``SubjectScorer.off_subject``)."""

MAX_PLANNED = 16
"""Long documents are planned as at most this many chapters (short replies, fast on small models);
the budget repair then splits them into section-sized parts."""


class PlanCode(StrEnum):
    """Plan problems beyond those of a single heading (:class:`HeadingProblem`)."""

    DUPLICATE = "duplicate"  # a heading repeats the title or an earlier heading
    EMPTY_POINT = "empty_point"
    META_POINT = "meta_point"  # the main point talks about the document or makes a request
    POINT_DEBRIS = "point_debris"  # markup or plan words inside a main point
    OFF_SUBJECT = "off_subject"  # a section (or, with section None, the whole plan) is off subject
    TOO_MANY = "too_many_sections"
    TOO_FEW = "too_few_sections"  # one heading over 10,000 words
    NO_SECTIONS = "no_sections"
    SUBTOPICS = "subtopic_plan"  # the model could not plan: the plan was built around its subtopics
    SKELETON = "skeleton_plan"  # nor list subtopics: the plan is a skeleton built from the subject
    SINGLE = "single_section"  # one section: planned from the subject without asking the model


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


@dataclass(frozen=True)
class PlanBrief:
    """What a plan is checked against: the request, its subject and its length."""

    instruction: str
    language: str
    subject: str
    target_words: int
    section_words: int
    form: FormFields | None = None
    off_subject: OffSubject | None = None

    def asked_sections(self, body_words: int | None = None) -> int:
        """How many sections to ask the model for."""
        words = self.target_words if body_words is None else body_words
        return min(MAX_PLANNED, max(1, round(words / self.section_words)))

    def min_sections(self) -> int:
        """Fewer distinct headings than this is no plan for this length: a quarter of those asked for,
        i.e. at most about four parts under one heading (SmolLM2 planned 10,000 words on vaccines
        as one chapter, written as 23 parts under one heading, and a 3,500-word white paper as two
        chapters of 1,750 words; two chapters of 2,500 characters each are still a plan)."""
        return math.ceil(self.asked_sections() / MAX_PARTS_PER_HEADING)

    def max_sections(self) -> int:
        """More sections than this is not a plan for this length ("40 sections for 800 words")."""
        wanted = max(1, round(self.target_words / self.section_words))
        return max(2 * wanted, wanted + 2)


MAX_PARTS_PER_HEADING = 4
"""A plan needs about one heading per this many of the sections asked for (see ``min_sections``)."""


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


def problem(
    section: int | None, target: str, code: str, message: str, repaired: bool = False
) -> PlanProblem:
    """A plan problem (``repaired``: already dealt with, reported for the record)."""
    return {
        "section": section,
        "target": target,  # type: ignore[typeddict-item]
        "code": str(code),
        "message": message,
        "repaired": repaired,
    }


def _chinese(brief: PlanBrief) -> bool:
    return brief.language.startswith("zh")


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


def _off_subject(sections: Sequence[PlannedSection], brief: PlanBrief) -> list[bool]:
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
    subject = _content(brief.subject, _chinese(brief))
    if not subject:
        return [False] * len(sections)
    shares = [bool(_content(t, _chinese(brief)) & subject) for t in texts]
    if sum(shares) * 2 <= len(shares):
        return [False] * len(sections)
    return [
        not ok and not _FRAME.match(s["title"].strip())
        for ok, s in zip(shares, sections, strict=True)
    ]


def _plan_off_subject(title: str, sections: Sequence[PlannedSection], brief: PlanBrief) -> bool:
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
    subject = _content(brief.subject, _chinese(brief))
    words = _content(" ".join([title, *(_section_text(s) for s in sections)]), _chinese(brief))
    return bool(subject) and not subject & words


def title_off_subject(title: str, brief: PlanBrief) -> bool:
    """Whether a document title misses the subject and a better one can be made from it: it shares
    no word with the subject and (with a scorer) does not score on it either ("Essay on the Dismal
    Science of Secondary Education" over a column on homework in primary schools)."""
    chinese = _chinese(brief)
    subject = _content(brief.subject, chinese)
    if not title.strip() or not subject or _content(title, chinese) & subject:
        return False
    made = title_from_subject(brief.subject, brief.language)
    if heading_problems(made, language=brief.language, instruction=brief.instruction):
        return False  # no better title to offer: the subject is only the genre ("a note")
    return brief.off_subject is None or brief.off_subject([title])[0]


def main_point_problem(point: str, brief: PlanBrief) -> PlanCode | None:
    """Why a main point is not about the subject, if it is not."""
    if not point.strip() or not strip_debris(point, brief.instruction, heading=False):
        return PlanCode.EMPTY_POINT
    lead, self_talk = (_ZH_LEAD_IN, _ZH_SELF) if _chinese(brief) else (_EN_LEAD_IN, _EN_SELF)
    if lead.match(point) or self_talk.search(point[:SCAN_TEXT]):
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
            count_words(aspect) >= MIN_ASPECT_WORDS + (2 if _chinese(brief) else 0)
            and acceptable_point(aspect, brief)
            and not _repeats(aspect, kept, title)
            and ngram_overlap(aspect, said, ASPECT_NGRAM) < ASPECT_OVERLAP
        )
        out.append(aspect if fine else None)
        if fine:
            kept.append(aspect)
            said |= ngram_set(aspect, ASPECT_NGRAM)
    return out


def check_plan(
    title: str | None, sections: Sequence[PlannedSection], brief: PlanBrief
) -> list[PlanProblem]:
    """Every problem of a plan (nothing repaired); empty when a reader would accept it. A missing
    title (None) is not a problem: one is made from the subject."""
    out: list[PlanProblem] = []
    language, instruction = brief.language, brief.instruction
    if not sections:
        return [problem(None, "plan", PlanCode.NO_SECTIONS, "the plan has no sections")]
    for code in title_problems(title, brief) if title is not None else []:
        out.append(problem(None, "title", code, f"title {title!r}: {code}"))
    if title is not None and title_off_subject(title, brief):
        message = f"title {title!r} is not about {brief.subject!r}"
        out.append(problem(None, "title", PlanCode.OFF_SUBJECT, message))
    title = title or ""
    shown = shown_headings(sections)
    for i, heading in shown:
        for code in heading_problems(heading, language=language, instruction=instruction):
            out.append(problem(i, "heading", code, f"heading {heading!r}: {code}"))
    for k in duplicate_headings([h for _, h in shown], title):
        i, heading = shown[k]
        out.append(problem(i, "heading", PlanCode.DUPLICATE, f"heading {heading!r} is repeated"))
    for i, s in enumerate(sections):
        point_code = main_point_problem(s["main_point"], brief)
        if point_code is not None:
            message = f"main point {s['main_point'][:80]!r}: {point_code}"
            out.append(problem(i, "main_point", point_code, message))
    if _plan_off_subject(title, sections, brief):
        out.append(
            problem(
                None,
                "plan",
                PlanCode.OFF_SUBJECT,
                f"nothing in the plan is about {brief.subject!r}",
            )
        )
    else:
        for i, off in enumerate(_off_subject(sections, brief)):
            if off:
                out.append(
                    problem(
                        i,
                        "main_point",
                        PlanCode.OFF_SUBJECT,
                        f"section {sections[i]['title']!r} is not about {brief.subject!r}",
                    )
                )
    headed = brief.form is None or brief.form["headings"]
    if headed and len(shown) < brief.min_sections():
        message = f"{len(shown)} section(s) for {brief.target_words} words"
        out.append(problem(None, "plan", PlanCode.TOO_FEW, message))
    if len(sections) > brief.max_sections():
        out.append(
            problem(
                None,
                "plan",
                PlanCode.TOO_MANY,
                f"{len(sections)} sections for {brief.target_words} words",
            )
        )
    return out


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def title_problems(title: str, brief: PlanBrief) -> list[str]:
    """The heading problems of a document title; the subject's own phrase may read as a clause
    ("The volunteers who restore old steam locomotives": cutting it to "The volunteers" lost
    what the document is about)."""
    found = heading_problems(title, language=brief.language, instruction=brief.instruction)
    if title == title_from_subject(brief.subject, brief.language):
        return [p for p in found if p != HeadingProblem.SENTENCE]
    return found


def title_from_subject(subject: str, language: str = "en") -> str:
    """A document title made from the subject phrase, capitalised: the whole phrase when it reads as
    a heading ("The volunteers who restore old steam locomotives"), else its head ("The history of
    coffee" for "the history of coffee, from its legends in Ethiopia to modern espresso culture")."""
    whole = subject.strip()
    # A title may be a clause ("... who restore ...", "Cities need more trees"), not a list or a
    # sentence with its full stop.
    problems = set(heading_problems(whole, language=language)) - {HeadingProblem.SENTENCE}
    if whole and not problems and not re.search(r"[,，.。]", whole):
        return _capitalised(whole)
    return _capitalised(head_phrase(subject) or whole)


def _without_lead_in(point: str, brief: PlanBrief) -> str:
    """The main point without debris and without a "This section will explain" lead-in."""
    text = strip_debris(point, brief.instruction, heading=False)
    lead = (_ZH_LEAD_IN if _chinese(brief) else _EN_LEAD_IN).match(text)
    return _capitalised(text[lead.end() :]) if lead else text


def _fine_heading(heading: str, brief: PlanBrief) -> bool:
    return bool(heading) and not heading_problems(
        heading, language=brief.language, instruction=brief.instruction
    )


def _mend_heading(heading: str, brief: PlanBrief) -> str:
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
    head = _capitalised(head_phrase(_without_lead_in(point, brief)))
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


def topic_point(topic: str, brief: PlanBrief) -> str:
    """A main point for a section known only by its topic (``plan_point`` template)."""
    return render("plan_point", brief.language, topic=topic, subject=brief.subject)


def _repeats(heading: str, earlier: list[str], title: str) -> bool:
    return len(earlier) in duplicate_headings([*earlier, heading], title)


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
        heading = _mend_heading(s["title"], brief)
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
        if _repeats(s["title"], headings, title) and s["main_point"]:
            derived = _heading_from_point(s["main_point"], brief)
        if not _repeats(s["title"], headings, title) or not out:
            out.append(s)
        elif derived and not _repeats(derived, headings, title):
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
    if _plan_off_subject(title, sections, brief):
        return sections
    flags = _off_subject(sections, brief)
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
            new_title = _mend_heading(new_title, brief)
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


def parse_subtopics(text: str, limit: int, brief: PlanBrief) -> list[str]:
    """Up to ``limit`` usable headings from a reply listing subtopics one per line: bullets, numbers
    and debris stripped, sentences cut to their head, requests, repeats and (with a scorer: the
    templated main points would hide it) subtopics off the subject dropped."""
    out: list[str] = []
    for line in parse_aspects(text, 4 * limit):
        heading = _mend_heading(line, brief)
        if heading and not _repeats(heading, out, ""):
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
