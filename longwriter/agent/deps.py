"""The dependencies of one run: endpoints, chat models, embedders, subject scorers, memories.

Nothing here is process-wide. Each run resolves what it needs once and keeps it in its own
:class:`RunDeps`, so two runs in one long-lived process (Studio, a notebook, a web app) with other
endpoints, GGUFs or embedders cannot break each other, and a run gives back what it holds (the
embedded server's lease, its Chroma clients) when it ends. The one process-wide table left is the
embedded servers' lease registry (:func:`longwriter.llm.local_server.acquire`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from longwriter.agent.config import ROLES, RoleEndpoint, WriterContext, check_role
from longwriter.agent.models import ChatModel, ChatModels, Models
from longwriter.llm import (
    Endpoint,
    chat_model,
    check_endpoint,
    embedded_endpoint,
    remote_endpoint,
    server_kind,
)
from longwriter.llm.embeddings import Embedder, EmbeddingChoice, get_embedder
from longwriter.llm.local_server import ServerLease, acquire, release
from longwriter.llm.sampling import ServerKind
from longwriter.memory import SectionMemory, open_memory
from longwriter.text.reader import SubjectScorer

K = TypeVar("K")
V = TypeVar("V")


class RunDeps:
    """What one run needs beyond its settings, made at first use and kept for the run.

    Made from the run's ``WriterContext`` (plain, serializable settings) and the caller's chat
    model(s), if any. Thread-safe: a run's nodes may run in worker threads. A context manager:
    :meth:`close` gives back the embedded server's lease and closes the memories' Chroma clients;
    a closed ``RunDeps`` refuses to make anything new.
    """

    def __init__(self, ctx: WriterContext | None = None, chat: ChatModels | None = None) -> None:
        self.ctx = ctx or WriterContext()
        if isinstance(chat, Mapping):
            for role in chat:
                check_role(role)
            self._given = dict(chat)
        else:
            self._given = {} if chat is None else dict.fromkeys(ROLES, chat)
        self.models = Models(self)
        self._lock = threading.RLock()
        self._closed = False
        self._lease: ServerLease | None = None
        self._endpoints: dict[RoleEndpoint, Endpoint] = {}
        self._windows: dict[Endpoint, int | None] = {}
        self._kinds: dict[Endpoint, ServerKind] = {}
        self._chats: dict[tuple[str, float], BaseChatModel] = {}
        self._embedders: dict[tuple[str, str | None, str | None], Embedder] = {}
        self._scorers: dict[tuple[EmbeddingChoice, str, str], SubjectScorer] = {}
        self._memories: dict[tuple[str, str], SectionMemory] = {}

    def _kept(self, table: dict[K, V], key: K, make: Callable[[], V]) -> V:
        """``table[key]``, made by ``make`` the first time."""
        with self._lock:
            if key not in table:
                if self._closed:
                    raise RuntimeError("the run's dependencies are closed: the run has ended")
                table[key] = make()
            return table[key]

    def given(self, role: str = "write") -> ChatModel | None:
        """The caller's model for ``role``, None when the role calls an endpoint."""
        return self._given.get(role)

    def calls_embedded_server(self) -> bool:
        """Whether a role calls the embedded server (no model given for it, no URL)."""
        return any(self.given(r) is None and not self.ctx.role_endpoint(r).base_url for r in ROLES)

    def endpoint(self, role: str = "write") -> Endpoint:
        """The endpoint of ``role``, checked to serve its model; the embedded server is leased
        (started if no run holds it yet) the first time a role needs it."""
        where = self.ctx.role_endpoint(role)
        return self._kept(self._endpoints, where, lambda: self._resolve(where))

    def _resolve(self, where: RoleEndpoint) -> Endpoint:
        wait = self.ctx.connect_wait
        if where.base_url:
            endpoint = remote_endpoint(where.base_url, where.model, where.api_key, wait)
        else:
            if self._lease is None:
                self._lease = acquire(self.ctx.gguf)
            endpoint = embedded_endpoint(self._lease, where.api_key)
        self._windows[endpoint] = check_endpoint(endpoint, wait)
        return endpoint

    def served_window(self, role: str = "write") -> int | None:
        """The context window ``role``'s server reports (None: it does not say)."""
        return self._windows[self.endpoint(role)]

    def server_kind(self, role: str = "write") -> ServerKind:
        """Which server answers ``role`` (asked once)."""
        endpoint = self.endpoint(role)
        return self._kept(self._kinds, endpoint, lambda: server_kind(endpoint))

    def chat(self, role: str, temperature: float) -> BaseChatModel:
        """A LangChain client of ``role``'s endpoint sampling at ``temperature``."""
        ctx = self.ctx
        return self._kept(
            self._chats,
            (role, temperature),
            lambda: chat_model(
                self.endpoint(role),
                temperature=temperature,
                top_p=ctx.top_p,
                timeout=ctx.request_timeout,
                max_retries=ctx.max_retries,
            ),
        )

    def embedder(self, choice: EmbeddingChoice) -> Embedder:
        """The embedder ``choice`` names (its model loaded at its first use)."""
        key = (choice.kind, choice.base_url, choice.model)
        api_key = self.ctx.embedding_key
        return self._kept(self._embedders, key, lambda: get_embedder(*key, api_key))

    def scorer(self, choice: EmbeddingChoice, subject: str, language: str) -> SubjectScorer:
        """How much texts are about ``subject``, with the ``choice`` embedder (calibrated)."""

        def make() -> SubjectScorer:
            embedder = self.embedder(choice)
            # The lexical hashing embedder separates Chinese subjects where MiniLM (English-trained)
            # cannot.
            fallback = (
                self.embedder(EmbeddingChoice("hash")).embed if choice.kind != "hash" else None
            )
            return SubjectScorer(
                embedder.embed, subject, language, fallback=fallback, lexical=embedder.lexical
            )

        return self._kept(self._scorers, (choice, subject, language), make)

    def memory(self, location: str, doc_id: str, embedder: Embedder) -> SectionMemory:
        """The Chroma memory of document ``doc_id`` at ``location`` for vectors of ``embedder``
        (opened again if the embedder changed)."""
        with self._lock:
            kept = self._memories.get((location, doc_id))
            if kept is not None and kept.embedder.signature != embedder.signature:
                del self._memories[location, doc_id]
                kept.close()
            return self._kept(
                self._memories, (location, doc_id), lambda: open_memory(location, doc_id, embedder)
            )

    def close(self) -> None:
        """Give back the embedded server's lease and close the memories (a second call does nothing)."""
        with self._lock:
            self._closed = True
            lease, self._lease = self._lease, None
            memories = list(self._memories.values())
            self._memories.clear()
        for memory in memories:
            memory.close()
        if lease is not None:
            release(lease)

    def __enter__(self) -> RunDeps:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True, eq=False)
class _Run:
    """A run's entry in :class:`RunsDeps`; ``control`` is held so that its id stays its own."""

    control: object
    deps: RunDeps


class RunsDeps:
    """The ``RunDeps`` of each run of one compiled graph.

    A runner of ours (``longwriter.api``) opens one ``RunDeps`` per run and builds the graph with
    it (``given``). Runs no runner of ours starts (``langgraph dev``/Studio serving the module's
    ``graph``, the graph as a subgraph or through ``as_tool()``) get theirs here, made at the run's
    first node and kept for its later ones. LangGraph hands every node of a run the same
    ``runtime.control`` and ``runtime.stream_writer``, both made per run (a subgraph shares its
    parent run's); with the graph's checkpoint namespace (two invocations of this graph inside one
    parent run) they tell the runs apart.

    A run's ``RunDeps`` are closed when the run ends: after its last node, ``finalize``; when a node
    raises (an error, or the plan review's ``interrupt``: the resumed run is a new run); and when
    the run's stream writer is garbage-collected, which covers runs their caller stops between two
    nodes (``interrupt_before``/``interrupt_after``, a cancellation). Closing a collected run's
    ``RunDeps`` (which may stop a server) is left to a thread: a collection may happen anywhere.

    Why not ``config["configurable"]``: a live object there stays out of checkpoint metadata (only
    primitive values are copied, langgraph#3448), but the LangGraph server builds a run's config
    from JSON, so the runs this class is for cannot carry one. Nor the run's context: it is the
    caller's object (often reused across runs, or a parent graph's, or None).
    """

    def __init__(
        self,
        settings: WriterContext | None,
        chat: ChatModels | None,
        given: RunDeps | None = None,
    ) -> None:
        self._settings = settings
        self._chat = chat
        self._given = given
        self._runs: dict[tuple[int, int, str], _Run] = {}
        self._lock = threading.RLock()  # re-entered when a collection ends a run under it

    def settings(self, runtime: Runtime[Any], config: RunnableConfig) -> WriterContext:
        """The run's settings (see ``WriterContext.of_run``)."""
        if self._given is not None:
            return self._given.ctx
        return WriterContext.of_run(runtime.context, config.get("configurable"), self._settings)

    @contextmanager
    def of_node(
        self, runtime: Runtime[Any], config: RunnableConfig, *, ends_run: bool = False
    ) -> Iterator[RunDeps]:
        """The run's ``RunDeps`` for one node call; ``ends_run`` for the run's last node."""
        if self._given is not None:
            yield self._given
            return
        control, writer = getattr(runtime, "control", None), runtime.stream_writer
        namespace = str((config.get("configurable") or {}).get("checkpoint_ns", ""))
        # ``writer`` is alive while its key is here: a finalizer removes the key when it dies.
        key = (id(control), id(writer), namespace.rpartition("|")[0])
        with self._lock:
            run = self._runs.get(key)
            if run is None:
                run = self._runs[key] = _Run(
                    control, RunDeps(self.settings(runtime, config), self._chat)
                )
                with suppress(TypeError):  # a writer that takes no weak reference: no fallback
                    weakref.finalize(writer, self._end, key, run, collected=True)
        try:
            yield run.deps
        except BaseException:
            self._end(key, run)
            raise
        if ends_run:
            self._end(key, run)

    def _end(self, key: tuple[int, int, str], run: _Run, *, collected: bool = False) -> None:
        with self._lock:
            if self._runs.get(key) is not run:
                return  # ended already
            del self._runs[key]
        if collected:
            threading.Thread(target=run.deps.close, name="longwriter-run-end", daemon=True).start()
        else:
            run.deps.close()
