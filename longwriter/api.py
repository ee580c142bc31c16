"""The Python API: write one document (sync or async) or many, with durable checkpoints.

Every way of writing a document goes through one runner, :class:`DocumentRun`: it builds the graph,
streams it, answers the plan review and returns the result; the async forms run it in a thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot, StreamMode
from typing_extensions import TypedDict, Unpack

from longwriter.agent.context import WriterContext, home_dir
from longwriter.agent.events import Event, ResumeEvent, as_event
from longwriter.agent.graph import build_graph
from longwriter.agent.run import Run
from longwriter.document import Report
from longwriter.errors import LongWriterError, instruction_given
from longwriter.llm.chat import ChatModels

log = logging.getLogger(__name__)
MODES: list[StreamMode] = ["custom", "values"]


MIN_LENGTH_SCORE = 50.0
"""A document whose length score S_l is below this ended far from its target: the run failed."""


@dataclass
class DocumentResult:
    """A finished document."""

    text: str
    report: Report
    thread_id: str
    plan: list[dict[str, Any]] = field(default_factory=list)

    @property
    def shortfall(self) -> str | None:
        """Why the document counts as a failure (far below its target), else None."""
        return shortfall(self.report)

    def save(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the document to ``path`` as md, html, docx, epub or pdf (``fmt``, else the
        suffix of ``path``), with a table of contents; see :mod:`longwriter.export`."""
        from longwriter.export import export_document

        return export_document(self.text, self.report, Path(path), fmt)


def shortfall(report: Mapping[str, Any]) -> str | None:
    """A one-line reason when ``report`` describes a document far below its target, else None."""
    score = float(report.get("length_score", 100.0))
    if score >= MIN_LENGTH_SCORE:
        return None
    sections = report.get("sections", [])
    weak = [s for s in sections if s.get("verdict") != "accepted"]
    return (
        f"the document has {report.get('words', 0)} of {report.get('target_words')} words "
        f"(S_l {score:.0f} < {MIN_LENGTH_SCORE:.0f}); {len(weak)} of {len(sections)} sections "
        "were not accepted (their reasons are in the report)"
    )


@contextmanager
def sqlite_checkpointer(path: str | Path | None = None) -> Iterator[BaseCheckpointSaver[Any]]:
    """A SQLite checkpointer (default ``$LONGWRITER_HOME/checkpoints.sqlite``), closed afterwards."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    db = Path(path) if path else home_dir() / "checkpoints.sqlite"
    db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(db), check_same_thread=False)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()


def _inputs(
    instruction: str, target_words: int | None, plan: Any, sources: Sequence[str | Path]
) -> Any:
    data: dict[str, Any] = {"instruction": instruction_given(instruction)}
    if target_words is not None:
        data["target_words"] = target_words
    if plan is not None:
        data["plan"] = plan
    if sources:
        # Absolute, so that a resume from another folder reads the same files.
        data["sources"] = [os.path.abspath(os.path.expanduser(s)) for s in sources]
    return data


def _result(values: dict[str, Any], thread_id: str) -> DocumentResult:
    # A run stopped before finalize (an interrupt) has no report yet.
    report = cast(Report, values.get("report") or {})
    return DocumentResult(
        values.get("document", ""), report, thread_id, list(report.get("plan", []))
    )


def run_config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}, "recursion_limit": 10_000}


ReviewPlan = Callable[[dict[str, Any]], Any]
"""Called at the plan review with ``{"title", "target_words", "sections"}``; returns the edited plan,
or None to accept it."""


class RunStopped(LongWriterError):
    """An async run was cancelled: its thread stopped after the step it was in (all saved)."""


def _resumed(values: dict[str, Any]) -> ResumeEvent:
    """The event a resumed run starts with: what its saved plan asks for and what is written."""
    written = values.get("sections", [])
    return {
        "event": "resume",
        "title": values.get("title", ""),
        "sections": len(values["sections_plan"]),
        "target_words": values.get("target_words", 0),
        "written": len(written),
        "document_words": sum(int(s.get("words", 0)) for s in written),
    }


def saved_run(checkpointer: BaseCheckpointSaver[Any], thread_id: str) -> dict[str, Any]:
    """The state saved for run ``thread_id`` (empty when there is none)."""
    return build_graph(checkpointer).get_state(run_config(thread_id)).values


def _new_thread_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class DocumentRun:
    """One document's run of the writer graph, started or resumed: the runner behind every way a
    document is written (:func:`write_document`, :func:`awrite_document`,
    :class:`~longwriter.batch.store.DocumentStore`, :func:`~longwriter.batch.store.write_many`,
    :func:`make_plan`, ``longwriter write``).

    ``instruction`` None continues the saved run ``thread_id`` from its last checkpoint. Graph
    ``custom`` events go to ``on_event`` (a resumed run first sends a ``resume`` event with its saved
    progress); the plan review (``WriterContext.review_plan``) is answered by ``review``, and without
    it the run stops there (resuming it accepts the plan).
    """

    instruction: str | None
    thread_id: str = field(default_factory=_new_thread_id)
    checkpointer: BaseCheckpointSaver[Any] = field(default_factory=InMemorySaver)
    context: WriterContext = field(default_factory=WriterContext)
    target_words: int | None = None
    plan: Any = None
    chat_model: ChatModels | None = None
    on_event: Callable[[Event], None] | None = None
    review: ReviewPlan | None = None
    sources: Sequence[str | Path] = ()
    """Files, folders and globs of the caller's own material to write from (see ``--source``)."""

    def values(self, stop: threading.Event | None = None) -> dict[str, Any]:
        """Run the graph to its end (or to an unanswered plan review): the state it ends in.

        ``stop`` set (by :meth:`arun` when cancelled) ends the run after its current step.
        """
        self._go_on(stop)  # a queued run cancelled before it started
        with Run(self.context, self.chat_model) as run:  # released however the run ends
            return self._stream(build_graph(self.checkpointer, run=run), stop)

    def _stream(
        self, graph: CompiledStateGraph[Any, Any, Any, Any], stop: threading.Event | None
    ) -> dict[str, Any]:
        config = run_config(self.thread_id)
        if self.instruction is None:
            saved = graph.get_state(config)
            if self.on_event is not None and saved.values.get("sections_plan"):
                self.on_event(_resumed(saved.values))
            payload = self._answer(saved)
        else:
            payload = _inputs(self.instruction, self.target_words, self.plan, self.sources)
        while True:
            for mode, chunk in graph.stream(
                payload, config, context=self.context, stream_mode=MODES
            ):
                self._go_on(stop)
                event = as_event(chunk) if mode == "custom" else None
                if event is not None and self.on_event is not None:
                    self.on_event(event)
            state = graph.get_state(config)
            if not (state.interrupts and self.review):
                return state.values
            payload = self._answer(state)

    def _go_on(self, stop: threading.Event | None) -> None:
        if stop is not None and stop.is_set():
            raise RunStopped(f"run {self.thread_id} was cancelled")

    def _answer(self, state: StateSnapshot) -> Command[Any] | None:
        """What continues the run from ``state``: the review's answer to its pending plan review
        (acceptance without a review callback), else nothing."""
        if not state.interrupts:
            return None
        edited = self.review(state.interrupts[0].value) if self.review else None
        # True, not None, accepts: Command(resume=None) resumes nothing (LangGraph 1.2 fails on it).
        return Command(resume=True if edited is None else edited)

    def run(self, stop: threading.Event | None = None) -> DocumentResult:
        """Write (or finish) the document."""
        return _result(self.values(stop), self.thread_id)

    async def arun(self, executor: Executor | None = None) -> DocumentResult:
        """:meth:`run` in a thread of ``executor`` (default: the loop's own); the checkpointer must
        take sync calls from other threads (``InMemorySaver``, ``AsyncSqliteSaver``, ``SqliteSaver``).

        ``on_event`` is called in the event loop, as async code expects (``review`` in the run's
        thread: it may block). Cancelled, the run stops after its current step and this returns once
        it has (so its checkpoints are whole and the pool is free).
        """
        loop = asyncio.get_running_loop()
        run, on_event = self, self.on_event
        if on_event is not None:

            def in_loop(event: Event) -> None:
                loop.call_soon_threadsafe(on_event, event)

            run = replace(self, on_event=in_loop)
        stop = threading.Event()
        work = loop.run_in_executor(executor, contextvars.copy_context().run, run.run, stop)
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            stop.set()
            with suppress(Exception):
                await work
            raise


class RunSettings(TypedDict, total=False):
    """The settings of one document's run, as :func:`write_document` and :func:`awrite_document`
    take them (see :class:`DocumentRun`)."""

    context: WriterContext | None
    thread_id: str | None
    checkpointer: BaseCheckpointSaver[Any] | None
    target_words: int | None
    plan: Any
    chat_model: ChatModels | None
    on_event: Callable[[Event], None] | None
    review: ReviewPlan | None
    sources: Sequence[str | Path]
    resume: bool
    """Continue the saved run ``thread_id`` (needs its checkpointer) instead of starting anew."""


def write_document(instruction: str, **settings: Unpack[RunSettings]) -> DocumentResult:
    """Write a document. With a checkpointer and ``resume=True``, continue the run ``thread_id``.
    ``review`` answers the plan review (``context.review_plan``): see :class:`DocumentRun`."""
    return _run(instruction, settings).run()


async def awrite_document(
    instruction: str, *, executor: Executor | None = None, **settings: Unpack[RunSettings]
) -> DocumentResult:
    """Async :func:`write_document`: the run goes to a thread of ``executor`` (default: the event
    loop's own), see :meth:`DocumentRun.arun`."""
    return await _run(instruction, settings).arun(executor)


def _run(instruction: str, settings: RunSettings) -> DocumentRun:
    """The run :func:`write_document` and :func:`awrite_document` make of their arguments."""
    return DocumentRun(
        None if settings.get("resume") else instruction,
        thread_id=settings.get("thread_id") or _new_thread_id(),
        checkpointer=settings.get("checkpointer") or InMemorySaver(),
        context=settings.get("context") or WriterContext(),
        target_words=settings.get("target_words"),
        plan=settings.get("plan"),
        chat_model=settings.get("chat_model"),
        on_event=settings.get("on_event"),
        review=settings.get("review"),
        sources=settings.get("sources") or (),
    )


def make_plan(
    instruction: str,
    *,
    context: WriterContext | None = None,
    target_words: int | None = None,
    chat_model: ChatModels | None = None,
) -> dict[str, Any]:
    """Run only the planner: ``{"title", "target_words", "sections": [{title, main_point, words}]}``.

    The result can be edited and passed back as ``plan=`` (or ``longwriter write --plan``).
    """
    planning = DocumentRun(
        instruction,
        thread_id=f"plan-{uuid.uuid4().hex[:8]}",
        context=replace(context or WriterContext(), review_plan=True),  # stop at the plan
        target_words=target_words,
        chat_model=chat_model,
    )
    values = planning.values()
    return {
        "title": values["title"],
        "target_words": values["target_words"],
        "sections": values["sections_plan"],
    }
