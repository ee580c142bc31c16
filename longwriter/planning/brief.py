"""What a plan is checked against (:class:`PlanBrief`: the request, its subject and its length), the
kinds of plan problem (:class:`PlanCode`), and what is made from the brief alone: the title made from
the subject and the main point of a section known only by its topic."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from longwriter.document import PlanProblem
from longwriter.prompts import render
from longwriter.text.form import FormFields
from longwriter.text.headings import HeadingProblem, capitalised, head_phrase, heading_problems

OffSubject = Callable[[Sequence[str]], list[bool]]
"""Flags, per text, whether it is off the document's subject (e.g. ``SubjectScorer.off_subject``)."""

MAX_PLANNED = 16
"""Long documents are planned as at most this many chapters (short replies, fast on small models);
the budget repair then splits them into section-sized parts."""
MAX_PARTS_PER_HEADING = 4
"""A plan needs about one heading per this many of the sections asked for (see ``min_sections``)."""


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
    sources_digest: str = ""  # what the caller's sources hold, for the planner (empty: none)

    @property
    def chinese(self) -> bool:
        """Whether the document is in Chinese (the lexical checks then read character bigrams)."""
        return self.language.startswith("zh")

    def asked_sections(self, body_words: int | None = None) -> int:
        """How many sections to ask the model for."""
        words = self.target_words if body_words is None else body_words
        return min(MAX_PLANNED, max(1, round(words / self.section_words)))

    def min_sections(self) -> int:
        """Fewer distinct headings than this is no plan for this length: a quarter of those asked for,
        i.e. at most about four parts under one heading, since one heading over a long document reads
        as a wall of parts while a few long chapters still make a plan."""
        return math.ceil(self.asked_sections() / MAX_PARTS_PER_HEADING)

    def max_sections(self) -> int:
        """More sections than this is not a plan for this length ("40 sections for 800 words")."""
        wanted = max(1, round(self.target_words / self.section_words))
        return max(2 * wanted, wanted + 2)


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


def title_from_subject(subject: str, language: str = "en") -> str:
    """A document title made from the subject phrase, capitalised: the whole phrase when it reads as
    a heading ("The volunteers who restore old steam locomotives"), else its head ("The history of
    coffee" for "the history of coffee, from its legends in Ethiopia to modern espresso culture")."""
    whole = subject.strip()
    # A title may be a clause ("... who restore ...", "Cities need more trees"), not a list or a
    # sentence with its full stop.
    problems = set(heading_problems(whole, language=language)) - {HeadingProblem.SENTENCE}
    if whole and not problems and not re.search(r"[,，.。]", whole):
        return capitalised(whole)
    return capitalised(head_phrase(subject) or whole)


def topic_point(topic: str, brief: PlanBrief) -> str:
    """A main point for a section known only by its topic (``plan_point`` template)."""
    return render("plan_point", brief.language, topic=topic, subject=brief.subject)
