"""The Python API: write one document (sync or async) or many, with durable checkpoints.

Every way of writing a document goes through one runner, :class:`DocumentRun`: it builds the graph,
streams it, answers the plan review and returns the result; the async forms run it in a thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StateSnapshot, StreamMode

from longwriter.agent.context import WriterContext, home_dir
from longwriter.agent.graph import build_graph
from longwriter.agent.run import Run
from longwriter.errors import ConfigError, LongWriterError
from longwriter.llm.chat import ChatModels
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


ReviewPlan = Callable[[dict[str, Any]], Any]
"""Called at the plan review with ``{"title", "target_words", "sections"}``; returns the edited plan,
or None to accept it."""


class RunStopped(LongWriterError):
    """An async run was cancelled: its thread stopped after the step it was in (all saved)."""


def _resumed(values: dict[str, Any]) -> Event:
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
    return build_graph(checkpointer).get_state(_config(thread_id)).values


def _new_thread_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class DocumentRun:
    """One document's run of the writer graph, started or resumed: the runner behind every way a
    document is written (:func:`write_document`, :func:`awrite_document`, :class:`DocumentStore`,
    :func:`write_many`, :func:`make_plan`, ``longwriter write``).

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
        config = _config(self.thread_id)
        if self.instruction is None:
            saved = graph.get_state(config)
            if self.on_event is not None and saved.values.get("sections_plan"):
                self.on_event(_resumed(saved.values))
            payload = self._answer(saved)
        else:
            payload = _inputs(self.instruction, self.target_words, self.plan)
        while True:
            for mode, chunk in graph.stream(
                payload, config, context=self.context, stream_mode=MODES
            ):
                self._go_on(stop)
                if mode == "custom" and self.on_event is not None and isinstance(chunk, dict):
                    self.on_event(chunk)
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
    review: ReviewPlan | None = None,
    resume: bool = False,
) -> DocumentResult:
    """Write a document. With a checkpointer and ``resume=True``, continue the run ``thread_id``.
    ``review`` answers the plan review (``context.review_plan``): see :class:`DocumentRun`."""
    return _run(**locals()).run()  # every argument is a setting of the run


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
    review: ReviewPlan | None = None,
    resume: bool = False,
    executor: Executor | None = None,
) -> DocumentResult:
    """Async :func:`write_document`: the run goes to a thread of ``executor`` (default: the event
    loop's own), see :meth:`DocumentRun.arun`."""
    settings = {name: value for name, value in locals().items() if name != "executor"}
    return await _run(**settings).arun(executor)


def _run(
    instruction: str,
    *,
    thread_id: str | None,
    checkpointer: BaseCheckpointSaver[Any] | None,
    context: WriterContext | None,
    resume: bool,
    **settings: Any,
) -> DocumentRun:
    """The run :func:`write_document` and :func:`awrite_document` make of their arguments."""
    return DocumentRun(
        None if resume else instruction,
        thread_id=thread_id or _new_thread_id(),
        checkpointer=checkpointer or InMemorySaver(),
        context=context or WriterContext(),
        **settings,
    )


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
        executor: Executor | None = None,
    ) -> DocumentResult:
        """Write row ``key``'s document (in a thread of ``executor``), continuing its saved run
        from the last committed section.

        The saved run is dropped, and the document started over, with ``fresh`` or when it wrote
        another instruction (the row was edited under the same key).
        """
        context = context or WriterContext()
        thread_id = self.thread_id(key)
        self._unfinished[thread_id] = context.memory_location()
        if context.gguf not in self._servers and Run(context, chat_model).calls_embedded_server():
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
            executor=executor,
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


@asynccontextmanager
async def _batch_store(
    checkpoints: str | Path | BatchCheckpoints | None,
) -> AsyncIterator[DocumentStore | None]:
    """The store :func:`write_many` keeps its documents in (None: memory only)."""
    if checkpoints is None:
        yield None
        return
    keep = (
        checkpoints
        if isinstance(checkpoints, BatchCheckpoints)
        else BatchCheckpoints(Path(checkpoints))
    )
    if keep.path is None:
        raise ConfigError("write_many(checkpoints=BatchCheckpoints(...)) needs the file's path")
    async with keep.open(keep.path) as store:
        yield store


async def write_many(
    instructions: Sequence[str],
    *,
    context: WriterContext | None = None,
    concurrency: int = 4,
    chat_model: ChatModels | None = None,
    checkpoints: str | Path | BatchCheckpoints | None = None,
) -> list[DocumentResult | BaseException]:
    """Write several documents with at most ``concurrency`` in flight (feeds a batching server);
    the results (or each document's exception) come in the order of ``instructions``.

    Each document runs in a thread of a pool of ``concurrency`` threads this call owns, so K
    documents really have K model calls in flight; the caller's event loop and its default executor
    are left alone. Without ``checkpoints`` the documents live in memory only: a crash loses them.
    With ``checkpoints`` (a SQLite file, or :class:`BatchCheckpoints` with a path) each document is
    checkpointed per section under its position in ``instructions``: a rerun with the same
    instructions continues each unfinished document from its last committed section and returns
    finished ones without a model call (the file keeps them until deleted; a position whose
    instruction changed starts over).
    """
    if concurrency < 1:
        raise ConfigError("concurrency must be at least 1")
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="longwriter")
    try:
        async with _batch_store(checkpoints) as store:

            async def one(index: int, text: str) -> DocumentResult:
                if store is None:
                    return await awrite_document(
                        text, context=context, chat_model=chat_model, executor=pool
                    )
                return await store.write(
                    text, key=str(index), context=context, chat_model=chat_model, executor=pool
                )

            runs = (one(index, text) for index, text in enumerate(instructions))
            return list(await asyncio.gather(*runs, return_exceptions=True))
    finally:
        pool.shutdown(wait=False)  # every run has ended: arun waits for its thread


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
