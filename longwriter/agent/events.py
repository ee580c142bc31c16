"""The progress events a run sends on LangGraph's ``custom`` stream, one TypedDict each: the steps
send them (``Run.emit``), the CLI's progress view, the batch runners and callers' ``on_event``
read them. ``event`` names the kind."""

from __future__ import annotations

from typing import Any, Literal, cast

from typing_extensions import TypedDict

from longwriter.document import PlanProblem
from longwriter.text.form import FormFields


class StatusEvent(TypedDict):
    """Something worth a line of progress that is no step's result."""

    event: Literal["status"]
    message: str


class EmbedderEvent(TypedDict):
    """The embedder the run settled on (``EmbeddingChoice.as_dict`` plus a line for people)."""

    event: Literal["embedder"]
    kind: str
    base_url: str | None
    model: str | None
    why: str | None
    text: str


class PlanEvent(TypedDict):
    """The plan is settled."""

    event: Literal["plan"]
    title: str
    sections: int
    target_words: int
    form: FormFields
    problems: list[PlanProblem]


class LlmEvent(TypedDict):
    """One model call finished (the counters of ``Reply.stats``)."""

    event: Literal["llm"]
    calls: float
    prompt_tokens: float
    completion_tokens: float
    llm_seconds: float


class SectionEvent(TypedDict):
    """Section ``index`` (0-based, of ``total``) is being written to ``budget`` words."""

    event: Literal["section"]
    index: int
    total: int
    title: str
    budget: int


class VerdictEvent(TypedDict):
    """The critic judged the current draft of section ``section``."""

    event: Literal["verdict"]
    section: int
    ok: bool
    action: str
    reasons: list[str]
    words: int


class ReviseEvent(TypedDict):
    """Section ``index`` is revised by ``action`` for ``reasons``."""

    event: Literal["revise"]
    index: int
    action: str
    reasons: list[str]


class AcceptedEvent(TypedDict):
    """Section ``index`` is committed (``verdict``: accepted, kept-best or dropped)."""

    event: Literal["accepted"]
    index: int
    total: int
    words: int
    budget: int
    verdict: str
    document_words: int
    target_words: int


class DoneEvent(TypedDict):
    """The document is finished."""

    event: Literal["done"]
    words: int
    length_score: float


class ResumeEvent(TypedDict):
    """A resumed run starts: what its saved plan asks for and what is already written."""

    event: Literal["resume"]
    title: str
    sections: int
    target_words: int
    written: int
    document_words: int


Event = (
    StatusEvent
    | EmbedderEvent
    | PlanEvent
    | LlmEvent
    | SectionEvent
    | VerdictEvent
    | ReviseEvent
    | AcceptedEvent
    | DoneEvent
    | ResumeEvent
)
"""Any progress event."""


def llm_event(stats: dict[str, float]) -> LlmEvent:
    """The event of a finished call, from its ``Reply.stats``."""
    return {
        "event": "llm",
        "calls": stats["calls"],
        "prompt_tokens": stats["prompt_tokens"],
        "completion_tokens": stats["completion_tokens"],
        "llm_seconds": stats["llm_seconds"],
    }


def status(message: str) -> StatusEvent:
    """A status line."""
    return {"event": "status", "message": message}


def as_event(chunk: Any) -> Event | None:
    """A ``custom`` stream chunk as an event (None: not one of ours, e.g. a parent graph's)."""
    if isinstance(chunk, dict) and isinstance(chunk.get("event"), str):
        return cast(Event, chunk)  # sent by Run.emit, typed there
    return None
