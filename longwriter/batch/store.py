"""Many documents through one runner: a batch's documents checkpointed per section in one SQLite
file (:class:`DocumentStore`, :class:`BatchCheckpoints`) and :func:`write_many`."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from longwriter.agent.context import WriterContext
from longwriter.agent.events import Event
from longwriter.agent.graph import build_graph
from longwriter.agent.run import Run
from longwriter.api import DocumentResult, awrite_document, run_config
from longwriter.errors import ConfigError
from longwriter.llm.chat import ChatModels
from longwriter.llm.local_server import ServerLease, acquire, release
from longwriter.memory import delete_memory

if TYPE_CHECKING:
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

log = logging.getLogger(__name__)


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
        saved = await build_graph(self.saver).aget_state(run_config(thread_id))
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
