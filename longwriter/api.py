"""The Python API: write one document (sync or async) or many, with durable checkpoints."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot, StreamMode

from longwriter.agent.config import WriterContext, home_dir
from longwriter.agent.deps import RunDeps
from longwriter.agent.graph import build_graph
from longwriter.agent.models import ChatModels
from longwriter.errors import ConfigError
from longwriter.llm.local_server import ServerLease, acquire, release
from longwriter.memory import delete_memory

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

log = logging.getLogger(__name__)
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

    def save(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write the document to ``path`` as md, html, docx, epub or pdf (``fmt``, else the
        suffix of ``path``), with a table of contents; see :mod:`longwriter.export`."""
        from longwriter.export import export_document

        return export_document(self.text, self.report, Path(path), fmt)


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


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}, "recursion_limit": 10_000}


@contextmanager
def _run_graph(
    checkpointer: BaseCheckpointSaver[Any] | None,
    context: WriterContext | None,
    chat_model: ChatModels | None,
) -> Iterator[CompiledStateGraph[Any, Any, Any, Any]]:
    """The graph for one run, with the run's dependencies (endpoints, the embedded server's lease,
    embedders, memories), released when the block ends; run it with ``context=context``."""
    with RunDeps(context, chat_model) as deps:
        yield build_graph(checkpointer or InMemorySaver(), deps=deps)


def _continuation(saved: StateSnapshot) -> Any:
    """What continues a saved run: an answer to its pending interrupt (the plan review), else nothing."""
    return Command(resume=None) if saved.interrupts else None


def write_document(
    instruction: str,
    *,
    context: WriterContext | None = None,
    thread_id: str | None = None,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    target_words: int | None = None,
    plan: Any = None,
    chat_model: ChatModels | None = None,
    on_event: Callable[[Event], None] | None = None,
    resume: bool = False,
) -> DocumentResult:
    """Write a document. With a checkpointer and ``resume=True``, continue the run ``thread_id``."""
    context = context or WriterContext()
    thread_id = thread_id or uuid.uuid4().hex[:12]
    config = _config(thread_id)
    with _run_graph(checkpointer, context, chat_model) as graph:
        payload = (
            _continuation(graph.get_state(config))
            if resume
            else _inputs(instruction, target_words, plan)
        )
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
    chat_model: ChatModels | None = None,
    on_event: Callable[[Event], None] | None = None,
    resume: bool = False,
) -> DocumentResult:
    """Async ``write_document`` (the blocking model calls run in worker threads); the checkpointer
    must support async calls (``InMemorySaver``, ``AsyncSqliteSaver``)."""
    context = context or WriterContext()
    thread_id = thread_id or uuid.uuid4().hex[:12]
    config = _config(thread_id)
    with _run_graph(checkpointer, context, chat_model) as graph:
        payload = (
            _continuation(await graph.aget_state(config))
            if resume
            else _inputs(instruction, target_words, plan)
        )
        async for mode, chunk in graph.astream(payload, config, context=context, stream_mode=MODES):
            if mode == "custom" and on_event is not None and isinstance(chunk, dict):
                on_event(chunk)
        return _result((await graph.aget_state(config)).values, thread_id)


class DocumentStore:
    """The documents of one batch, checkpointed per section in one SQLite file.

    Row ``key`` is written in thread ``<namespace>-<key>``; ``key`` is the key the command gives the
    row in its file of finished rows (its id, else a hash of its prompt), ``namespace`` a random tag
    kept in the checkpoint file. So a rerun finds each document's thread and Chroma collection (named
    after the thread) again, and two batches sharing a Chroma location never share a collection.
    """

    def __init__(
        self, saver: AsyncSqliteSaver, namespace: str, *, fresh: bool, keep_memory: bool
    ) -> None:
        self.saver = saver
        self.namespace = namespace
        self.fresh = fresh
        self.keep_memory = keep_memory
        self._unfinished: dict[str, str] = {}  # thread id → Chroma location, till recorded
        self._servers: dict[str | None, ServerLease] = {}  # GGUF → the batch's lease on its server

    def thread_id(self, key: str) -> str:
        """The stable thread of row ``key``."""
        return f"{self.namespace}-{key}"

    async def write(
        self,
        instruction: str,
        *,
        key: str,
        context: WriterContext | None = None,
        target_words: int | None = None,
        chat_model: ChatModels | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> DocumentResult:
        """Write row ``key``'s document, continuing its saved run from the last committed section.

        The saved run is dropped, and the document started over, with ``fresh`` or when it wrote
        another instruction (the row was edited under the same key).
        """
        context = context or WriterContext()
        thread_id = self.thread_id(key)
        self._unfinished[thread_id] = context.memory_location()
        if (
            context.gguf not in self._servers
            and RunDeps(context, chat_model).calls_embedded_server()
        ):
            await self._hold_server(context.gguf)
        saved = await build_graph(self.saver).aget_state(_config(thread_id))
        resume = bool(saved.values)
        if resume and (self.fresh or saved.values.get("instruction") != instruction.strip()):
            if not self.fresh:
                log.warning("%s: the instruction changed since its saved run: starting over", key)
            await self.discard(key)
            resume = False
        return await awrite_document(
            instruction.strip(),
            context=context,
            thread_id=thread_id,
            checkpointer=self.saver,
            target_words=target_words,
            chat_model=chat_model,
            on_event=on_event,
            resume=resume,
        )

    async def _hold_server(self, gguf: str | None) -> None:
        """Lease the embedded server of ``gguf`` for the batch: each run leases it too, but would
        start it anew (about 2 s) whenever no other document of the batch is in flight."""
        lease = await asyncio.to_thread(acquire, gguf)
        if self._servers.setdefault(gguf, lease) is not lease:  # another document was quicker
            await asyncio.to_thread(release, lease)

    async def discard(self, key: str) -> None:
        """Forget row ``key``'s saved run: its next write starts over (and empties its memory)."""
        await self.saver.adelete_thread(self.thread_id(key))

    async def finish(self, key: str) -> None:
        """Row ``key`` is recorded as finished: its checkpoints go, and its memory unless kept."""
        thread_id = self.thread_id(key)
        await self.saver.adelete_thread(thread_id)
        location = self._unfinished.pop(thread_id, None)
        if location is not None and not self.keep_memory:
            await asyncio.to_thread(delete_memory, location, thread_id)

    async def close(self) -> None:
        """The batch ends: drop the memory of documents left unfinished (unless kept), their
        checkpoints stay for the next run; give back the embedded servers it held."""
        if not self.keep_memory:
            for thread_id, location in self._unfinished.items():
                await asyncio.to_thread(delete_memory, location, thread_id)
        self._unfinished.clear()
        for lease in self._servers.values():
            await asyncio.to_thread(release, lease)
        self._servers.clear()


async def _namespace(saver: AsyncSqliteSaver) -> str:
    """The checkpoint file's own random tag, made the first time it is opened."""
    conn = saver.conn
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS longwriter_batch (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
    )
    await conn.execute(
        "INSERT OR IGNORE INTO longwriter_batch VALUES ('namespace', ?)", (uuid.uuid4().hex[:8],)
    )
    await conn.commit()
    async with conn.execute("SELECT value FROM longwriter_batch WHERE name = 'namespace'") as cur:
        row = await cur.fetchone()
    assert row is not None  # inserted above
    return str(row[0])


def checkpoints_beside(record: Path) -> Path:
    """A batch's default checkpoint file: hidden, beside its file of finished rows."""
    return record.parent / f".{record.stem}.checkpoints.sqlite"


@dataclass(frozen=True)
class BatchCheckpoints:
    """How a batch keeps its documents: ``path`` None = :func:`checkpoints_beside` its record;
    ``fresh`` starts unfinished documents over instead of resuming them; ``keep_memory`` keeps the
    Chroma collections of finished and abandoned documents."""

    path: Path | None = None
    fresh: bool = False
    keep_memory: bool = False

    @asynccontextmanager
    async def open(self, record: Path) -> AsyncIterator[DocumentStore]:
        """The document store of the batch whose finished rows go to ``record``."""
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        path = self.path or checkpoints_beside(Path(record))
        path.parent.mkdir(parents=True, exist_ok=True)
        async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
            store = DocumentStore(
                saver, await _namespace(saver), fresh=self.fresh, keep_memory=self.keep_memory
            )
            try:
                yield store
            finally:
                await store.close()


async def write_many(
    instructions: Sequence[str],
    *,
    context: WriterContext | None = None,
    concurrency: int = 4,
    chat_model: ChatModels | None = None,
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
    chat_model: ChatModels | None = None,
) -> dict[str, Any]:
    """Run only the planner: ``{"title", "target_words", "sections": [{title, main_point, words}]}``.

    The result can be edited and passed back as ``plan=`` (or ``longwriter write --plan``).
    """
    config: RunnableConfig = {"configurable": {"thread_id": f"plan-{uuid.uuid4().hex[:8]}"}}
    ctx = context or WriterContext()
    with _run_graph(None, ctx, chat_model) as graph:
        graph.invoke(
            _inputs(instruction, target_words, None), config, context=ctx, interrupt_after=["plan"]
        )
        values = graph.get_state(config).values
    return {
        "title": values["title"],
        "target_words": values["target_words"],
        "sections": values["sections_plan"],
    }
