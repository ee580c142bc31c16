"""The Python API: write one document (sync or async) or many, with durable checkpoints."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command, StreamMode

from longwriter.agent.config import WriterContext, home_dir
from longwriter.agent.graph import build_graph
from longwriter.errors import ConfigError

Event = dict[str, Any]
MODES: list[StreamMode] = ["custom", "values"]


MIN_LENGTH_SCORE = 50.0
"""A document whose length score S_l is below this ended far from its target: the run failed."""


@dataclass
class DocumentResult:
    """A finished document."""

    text: str
    report: dict[str, Any]
    thread_id: str
    plan: list[dict[str, Any]] = field(default_factory=list)

    @property
    def shortfall(self) -> str | None:
        """Why the document counts as a failure (far below its target), else None."""
        return shortfall(self.report)


def shortfall(report: dict[str, Any]) -> str | None:
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


def _inputs(instruction: str, target_words: int | None, plan: Any) -> Any:
    if not instruction or not instruction.strip():
        raise ConfigError("the instruction is empty: say what to write")
    data: dict[str, Any] = {"instruction": instruction}
    if target_words is not None:
        data["target_words"] = target_words
    if plan is not None:
        data["plan"] = plan
    return data


def _result(values: dict[str, Any], thread_id: str) -> DocumentResult:
    report = values.get("report") or {}
    return DocumentResult(
        values.get("document", ""), report, thread_id, list(report.get("plan", []))
    )


def write_document(
    instruction: str,
    *,
    context: WriterContext | None = None,
    thread_id: str | None = None,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    target_words: int | None = None,
    plan: Any = None,
    chat_model: BaseChatModel | None = None,
    on_event: Callable[[Event], None] | None = None,
    resume: bool = False,
) -> DocumentResult:
    """Write a document. With a checkpointer and ``resume=True``, continue the run ``thread_id``."""
    context = context or WriterContext()
    thread_id = thread_id or uuid.uuid4().hex[:12]
    graph = build_graph(checkpointer or InMemorySaver(), chat_model=chat_model)
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}, "recursion_limit": 10_000}
    payload: Any = None if resume else _inputs(instruction, target_words, plan)
    if resume and graph.get_state(config).interrupts:
        payload = Command(resume=None)
    for mode, chunk in graph.stream(payload, config, context=context, stream_mode=MODES):
        if mode == "custom" and on_event is not None and isinstance(chunk, dict):
            on_event(chunk)
    return _result(graph.get_state(config).values, thread_id)


async def awrite_document(
    instruction: str,
    *,
    context: WriterContext | None = None,
    thread_id: str | None = None,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    target_words: int | None = None,
    plan: Any = None,
    chat_model: BaseChatModel | None = None,
    on_event: Callable[[Event], None] | None = None,
) -> DocumentResult:
    """Async ``write_document`` (the blocking model calls run in worker threads)."""
    context = context or WriterContext()
    thread_id = thread_id or uuid.uuid4().hex[:12]
    graph = build_graph(checkpointer or InMemorySaver(), chat_model=chat_model)
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}, "recursion_limit": 10_000}
    payload: Any = _inputs(instruction, target_words, plan)
    async for mode, chunk in graph.astream(payload, config, context=context, stream_mode=MODES):
        if mode == "custom" and on_event is not None and isinstance(chunk, dict):
            on_event(chunk)
    return _result((await graph.aget_state(config)).values, thread_id)


async def write_many(
    instructions: Sequence[str],
    *,
    context: WriterContext | None = None,
    concurrency: int = 4,
    chat_model: BaseChatModel | None = None,
) -> list[DocumentResult | BaseException]:
    """Write several documents with at most ``concurrency`` in flight (feeds a batching server).

    The graph's nodes are synchronous and run in the event loop's default thread pool, which Python
    sizes to ``cpu_count + 4``; when ``concurrency`` needs more threads, the pool is replaced by a
    larger one, so K documents really have K model calls in flight.
    """
    if concurrency < 1:
        raise ConfigError("concurrency must be at least 1")
    if concurrency + 4 > min(32, (os.cpu_count() or 1) + 4):
        pool = ThreadPoolExecutor(max_workers=concurrency + 4, thread_name_prefix="longwriter")
        asyncio.get_running_loop().set_default_executor(pool)
    gate = asyncio.Semaphore(concurrency)

    async def one(text: str) -> DocumentResult:
        async with gate:
            return await awrite_document(text, context=context, chat_model=chat_model)

    return list(await asyncio.gather(*(one(t) for t in instructions), return_exceptions=True))


def make_plan(
    instruction: str,
    *,
    context: WriterContext | None = None,
    target_words: int | None = None,
    chat_model: BaseChatModel | None = None,
) -> dict[str, Any]:
    """Run only the planner: ``{"title", "target_words", "sections": [{title, main_point, words}]}``.

    The result can be edited and passed back as ``plan=`` (or ``longwriter write --plan``).
    """
    graph = build_graph(InMemorySaver(), chat_model=chat_model)
    config: RunnableConfig = {"configurable": {"thread_id": f"plan-{uuid.uuid4().hex[:8]}"}}
    ctx = context or WriterContext()
    graph.invoke(
        _inputs(instruction, target_words, None), config, context=ctx, interrupt_after=["plan"]
    )
    values = graph.get_state(config).values
    return {
        "title": values["title"],
        "target_words": values["target_words"],
        "sections": values["sections_plan"],
    }
