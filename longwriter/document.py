"""What a document run is made of, as plain checkpointable records: the plan, drafts, the critic's
verdicts, accepted sections, and the document's state without the chat (``DocumentState``). The pure
packages (planning, drafting) read these; the graph's state (:mod:`longwriter.agent.state`) extends
them with the chat and its reducers."""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any, Literal, NotRequired, TypeVar, cast

from pydantic import BaseModel, Field, field_validator

# pydantic (input schemas, Studio's form, ``as_tool``) rejects typing.TypedDict before Python 3.12.
from typing_extensions import TypedDict

from longwriter.text.form import FormFields
from longwriter.text.target import MAX_TARGET_WORDS

Action = Literal["accept", "expand", "dedupe", "rewrite", "condense"]


class SectionPlan(BaseModel):
    """One planned section: what it says and how long it should be."""

    title: str = Field(description="short section heading")
    main_point: str = Field(description="what the section covers, one or two sentences")
    words: int = Field(description="word budget for the section", ge=0)

    @field_validator("words")
    @classmethod
    def _capped(cls, words: int) -> int:
        """A model's absurd budget is noise (budget repair evens it out) that must not overflow
        float arithmetic; capped here rather than in the schema, whose grammar servers compile."""
        return min(words, MAX_TARGET_WORDS)


class Plan(BaseModel):
    """A document outline as the planner returns it (structured output schema)."""

    title: str = Field(description="document title")
    sections: list[SectionPlan] = Field(description="the sections in order")


class PlannedSection(TypedDict):
    """A section of the accepted plan; ``words`` is the planned budget, never rewritten later.

    A chapter too long for one step is split into ``parts`` sections under one heading, ``title``;
    this is the ``part``-th of them (both absent: a whole section)."""

    title: str
    main_point: str
    words: int
    part: NotRequired[int]
    parts: NotRequired[int]
    sources: NotRequired[list[str]]  # the source documents it is written from (a user may pin them)


class PlanProblem(TypedDict):
    """A problem found in a plan by the sanity check (``longwriter.planning.sanity``)."""

    section: int | None  # index in the plan as it was checked; None for the title or the whole plan
    target: Literal["title", "heading", "main_point", "plan"]
    code: str  # a HeadingProblem or PlanCode value
    message: str
    repaired: bool  # False: still in the plan (reported, e.g. in a user's own plan)


class Turn(TypedDict):
    """One exchange of the conversation that produced a draft, replayed in later prompts."""

    prompt: str  # the user message exactly as sent
    said: str  # the reply as generated when only its ends were cleaned (prefix-cache hits), else clean


class Draft(TypedDict):
    """One attempt at the current section."""

    text: str
    turns: list[Turn]  # the exchanges that produced ``text``
    words: int
    finish_reason: str | None
    action: str  # how it was produced: write, expand, rewrite, dedupe, ...
    removed: NotRequired[dict[str, int]]  # paragraphs dropped by content control, by kind
    score: NotRequired[float]  # set by the critic
    reasons: NotRequired[list[str]]


class Verdict(TypedDict):
    """The critic's judgement of the current draft."""

    ok: bool
    action: Action
    reasons: list[str]
    score: float  # higher is better; used to keep the best attempt
    degenerate: NotRequired[bool]  # the model looped: sample against loops from now on


class SectionResult(TypedDict):
    """An accepted section, as committed to the document and to memory."""

    index: int
    title: str
    text: str
    words: int
    budget: int
    attempts: int
    verdict: str  # "accepted" or "kept-best"
    reasons: list[str]
    summary: str
    turns: list[Turn]  # the exchanges that produced it (replayed verbatim for prefix caching)
    part: NotRequired[int]  # as in its PlannedSection
    parts: NotRequired[int]
    citations: NotRequired[
        dict[str, int]
    ]  # what the citation check found (longwriter.sources.cite)


PART_MARKER = re.compile(r"\s*\((\d{1,6})/(\d{1,6})\)\s*$")
"""A "(k/n)" part marker: older versions ended the headings of split sections with it."""
_Section = TypeVar("_Section", PlannedSection, SectionResult)


def with_part_fields(section: _Section) -> _Section:
    """``section`` with the "(k/n)" ending of a title as older versions saved split sections
    ("Origins (1/2)") turned into ``part`` and ``parts``; as it is otherwise."""
    match = None if "parts" in section else PART_MARKER.search(section["title"])
    if match is None or not 1 <= int(match[1]) <= int(match[2]) or int(match[2]) < 2:
        return section
    title = section["title"][: match.start()]
    return cast(
        _Section, {**section, "title": title, "part": int(match[1]), "parts": int(match[2])}
    )


def add_numbers(left: dict[str, float], right: dict[str, float]) -> dict[str, float]:
    """Reducer: sum counters key by key."""
    out = dict(left or {})
    for key, value in (right or {}).items():
        out[key] = out.get(key, 0) + value
    return out


class SourceInfo(TypedDict):
    """The run's own material as indexed: its documents, chunks and what was left out."""

    documents: list[str]
    chunks: int
    words: int
    skipped: dict[str, int]  # files left out, by reason


class GivenPassage(TypedDict):
    """A source passage given to the current section, under the number the section cites it by."""

    n: int
    id: str  # the chunk's content hash
    document: str
    locator: str  # page or section in the document
    text: str


class Reference(TypedDict):
    """An entry of the document's reference list."""

    n: int
    id: str
    document: str
    locator: str
    text: str


class SectionReport(TypedDict):
    """One accepted section in the report."""

    title: str
    part: NotRequired[int]
    parts: NotRequired[int]
    planned: int | None  # the plan's budget; None for a section the plan does not list
    budget: int  # the budget it was written to, after re-budgeting
    words: int
    attempts: int
    verdict: str  # "accepted", "kept-best" (the best attempt) or "dropped" (it only repeated)
    reasons: list[str]


class Report(TypedDict):
    """What a finished run reports (``WriterOutput.report``, ``DocumentResult.report``, saved
    beside every document); made by ``longwriter.agent.report.build_report``."""

    title: str
    language: str
    target_words: int
    words: int
    length_score: float
    rep4: float
    duplicated_lines: int
    reader: dict[str, Any]  # :func:`longwriter.text.reader.reader_figures`
    sections: list[SectionReport]
    seconds: float
    llm_seconds: float
    calls: int
    prompt_tokens: int
    completion_tokens: int
    plan: list[dict[str, Any]]
    plan_problems: list[dict[str, Any]]
    form: dict[str, Any]
    loop_level: int
    embedder: dict[str, Any]
    citations: NotRequired[dict[str, Any]]  # with sources: the citation check's figures


class DocumentState(TypedDict, total=False):
    """The state of one document run, without the chat it may have come from."""

    instruction: str
    request_id: str  # the human message taken as the instruction (longwriter.agent.steps.request)
    target_words: int
    body_words: int  # target minus the words of the title and headings
    language: str
    doc_id: str
    title: str
    plan: Any  # user-supplied plan (dict / list) before normalisation
    sections_plan: list[PlannedSection]
    form: FormFields  # what the document looks like: genre, section headings, title line
    subject: str  # what the document is about (longwriter.text.subject_of)
    plan_notes: list[PlanProblem]  # plan problems found, repaired or reported
    budgets: list[int]
    current: int
    boundary: int  # sections before this index are shown to the writer as summaries only
    sections: Annotated[list[SectionResult], operator.add]
    draft: Draft | None
    attempts: list[Draft]
    verdict: Verdict | None
    stats: Annotated[dict[str, float], add_numbers]
    calibration: dict[str, float]
    loop_level: int  # anti-loop sampling level learned in this run (see longwriter.llm.sampling)
    loop_ceiling: int  # the highest level the run may still climb to (LoopLadder)
    embedder: dict[
        str, Any
    ]  # the run's embedder (EmbeddingChoice.as_dict), chosen by the plan node
    sources: list[str]  # the caller's files, folders and globs to write from
    source_info: SourceInfo | None
    given: list[GivenPassage]  # the source passages of the section being written
    references: list[Reference]  # the document's reference list so far, by number
    document: str
    report: Report
