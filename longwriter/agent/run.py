"""One run of the writer: its settings, what it resolves once and keeps, and its progress stream.

Nothing here is process-wide. Each run resolves what it needs once and keeps it in its own
:class:`Run` (endpoints, chat clients, embedders, subject scorers, memories, the embedded server's
lease), so two runs in one long-lived process (Studio, a notebook, a web app) with other endpoints,
GGUFs or embedders cannot break each other, and a run gives back what it holds when it ends. The one
process-wide table left is the embedded servers' lease registry
(:func:`longwriter.llm.local_server.acquire`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.types import StreamWriter
from pydantic import BaseModel

from longwriter.agent.context import ROLES, RoleEndpoint, WriterContext, check_role
from longwriter.agent.events import Event
from longwriter.document import DocumentState
from longwriter.llm import (
    Endpoint,
    accepts_min_tokens,
    chat_model,
    check_endpoint,
    embedded_endpoint,
    remote_endpoint,
    sampling_defaults,
    server_kind,
)
from longwriter.llm.chat import ChatModel, ChatModels, Reply, Watch, complete, reply_of
from longwriter.llm.embeddings import Embedder, EmbeddingChoice, choose_embedding, get_embedder
from longwriter.llm.local_server import EMBEDDED_CONTEXT, ServerLease, acquire, release
from longwriter.llm.sampling import ServerKind, anti_loop_body
from longwriter.memory import SectionMemory, open_memory
from longwriter.memory.sources import SourceIndex, open_source_index
from longwriter.text.reader import SubjectScorer

K = TypeVar("K")
V = TypeVar("V")
SchemaT = TypeVar("SchemaT", bound=BaseModel)


def subject_reference(state: DocumentState) -> str:
    """What relevance is measured against: the subject phrase, else the instruction."""
    return state.get("subject") or state["instruction"]


def _ignore(_: Any) -> None:
    """The progress stream of a run nobody streams."""


class Run:
    """What one run's steps may touch: its settings (``ctx``), chat calls, embedders, the
    document's memory and subject scorer, and the progress stream; each resolved at first use and
    kept for the run.

    Made from the run's ``WriterContext`` (plain, serializable settings) and the caller's chat
    model(s), if any. Thread-safe: a run's steps may run in worker threads. A context manager:
    :meth:`close` gives back the embedded server's lease and closes the memories' Chroma clients;
    a closed run refuses to make anything new. Calls have a role (``plan`` or ``write``, see
    ``WriterContext.endpoints``; the default is ``write``); a role without a given model calls its
    endpoint.
    """

    def __init__(self, ctx: WriterContext | None = None, chat: ChatModels | None = None) -> None:
        self.ctx = ctx or WriterContext()
        if isinstance(chat, Mapping):
            for role in chat:
                check_role(role)
            self._given = dict(chat)
        else:
            self._given = {} if chat is None else dict.fromkeys(ROLES, chat)
        self._writer: StreamWriter = _ignore
        self.thread_id: str | None = None
        """The thread the run checkpoints to (None: a run without one)."""
        self._lock = threading.RLock()
        self._closed = False
        self._lease: ServerLease | None = None
        self._unstructured: set[str] = set()  # roles whose model failed at structured output
        self._endpoints: dict[RoleEndpoint, Endpoint] = {}
        self._windows: dict[Endpoint, int | None] = {}
        self._kinds: dict[Endpoint, ServerKind] = {}
        self._chats: dict[tuple[str, float], BaseChatModel] = {}
        self._embedders: dict[tuple[str, str | None, str | None], Embedder] = {}
        self._scorers: dict[tuple[EmbeddingChoice, str, str], SubjectScorer] = {}
        self._memories: dict[tuple[str, str], SectionMemory] = {}
        self._indexes: dict[tuple[str, str, str], SourceIndex] = {}

    def _kept(self, table: dict[K, V], key: K, make: Callable[[], V]) -> V:
        """``table[key]``, made by ``make`` the first time."""
        with self._lock:
            if key not in table:
                if self._closed:
                    raise RuntimeError("the run is closed: it has ended")
                table[key] = make()
            return table[key]

    # Progress

    @contextmanager
    def attached(self, writer: StreamWriter, config: RunnableConfig) -> Iterator[Run]:
        """This run for one step: its progress events go to ``writer`` (LangGraph's ``custom``
        stream) and its thread is ``config``'s. The writer is let go after the step: a run its
        caller abandons is ended when LangGraph drops the writer (see :class:`Runs`)."""
        thread = (config.get("configurable") or {}).get("thread_id")
        self.thread_id = str(thread) if thread else None
        self._writer = writer
        try:
            yield self
        finally:
            self._writer = _ignore

    def emit(self, event: Event) -> None:
        """A progress event on the ``custom`` stream (ignored when nobody streams)."""
        self._writer(event)

    # Endpoints and chat calls

    def given(self, role: str = "write") -> ChatModel | None:
        """The caller's model for ``role``, None when the role calls an endpoint."""
        return self._given.get(role)

    def calls_embedded_server(self) -> bool:
        """Whether a role calls the embedded server (no model given for it, no URL)."""
        return any(self.given(r) is None and not self.ctx.role_endpoint(r).base_url for r in ROLES)

    def check_endpoints(self) -> None:
        """Resolve (and so check) the endpoint of every role that calls one."""
        for role in ROLES:
            if self.given(role) is None:
                self.endpoint(role)

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

    def window(self) -> int:
        """Context window in tokens (the ``write`` endpoint's: the window the prompts are fitted to)."""
        if self.ctx.context_window:
            return self.ctx.context_window
        if self.given() is not None:
            return EMBEDDED_CONTEXT
        return self.served_window() or EMBEDDED_CONTEXT

    def server_kind(self, role: str = "write") -> ServerKind:
        """Which server answers ``role`` (asked once)."""
        endpoint = self.endpoint(role)
        return self._kept(self._kinds, endpoint, lambda: server_kind(endpoint))

    def chat(self, *, temperature: float | None = None, role: str = "write") -> ChatModel:
        """The chat model to call for ``role``: the caller's, else a LangChain client of its
        endpoint sampling at ``temperature`` (the settings' by default)."""
        model = self.given(role)
        if model is not None:
            return model
        ctx = self.ctx
        heat = ctx.temperature if temperature is None else temperature
        return self._kept(
            self._chats,
            (role, heat),
            lambda: chat_model(
                self.endpoint(role),
                temperature=heat,
                top_p=ctx.top_p,
                timeout=ctx.request_timeout,
                max_retries=ctx.max_retries,
            ),
        )

    def limits(
        self, max_tokens: int, min_tokens: int = 0, role: str = "write", loop_level: int = 0
    ) -> dict[str, Any]:
        """Per-call length and sampling arguments; ``max_tokens`` also goes in the body for servers
        (llama.cpp) that ignore OpenAI's newer ``max_completion_tokens``; ``min_tokens`` only where the
        server takes it; the embedded model's sampling defaults unless ``extra_body`` overrides them,
        raised to the run's anti-loop ``loop_level`` (see ``longwriter.llm.sampling``)."""
        max_tokens = max(16, max_tokens)
        if self.given(role) is not None:
            return {"max_tokens": max_tokens}
        kind = self.server_kind(role)
        body = anti_loop_body(
            kind, loop_level, {**sampling_defaults(self.endpoint(role)), **self.ctx.extra_body}
        )
        body["max_tokens"] = max_tokens
        if min_tokens > 0 and accepts_min_tokens(kind):
            body["min_tokens"] = min(min_tokens, max_tokens - 1)
        return {"max_tokens": max_tokens, "extra_body": body}

    def call(
        self,
        messages: list[BaseMessage],
        *,
        max_tokens: int,
        min_tokens: int = 0,
        temperature: float | None = None,
        response_format: dict[str, Any] | None = None,
        role: str = "write",
        loop_level: int = 0,
        watch: Watch | None = None,
    ) -> Reply:
        """One chat completion for ``role`` (:func:`longwriter.llm.chat.complete`); ``loop_level``
        > 0 samples against loops (a higher repetition penalty)."""
        kwargs = self.limits(max_tokens, min_tokens, role, loop_level)
        if response_format is not None and self.given(role) is None:
            # In the body, not as a client argument: the client would switch to its strict parse mode.
            kwargs["extra_body"] = {**kwargs["extra_body"], "response_format": response_format}
        where = self.ctx.role_endpoint(role).base_url or "the embedded server"
        chat = self.chat(temperature=temperature, role=role)
        return complete(chat, messages, kwargs, where=where, watch=watch)

    def structured(
        self, schema: type[SchemaT], messages: list[BaseMessage], *, role: str = "write"
    ) -> tuple[SchemaT | None, Reply] | None:
        """The caller's chat model's own structured output (``with_structured_output``) for
        ``role``: the parsed object (None when the reply did not parse) and the call; None when the
        role calls an endpoint (which gets a ``response_format``) or the model has no structured
        output."""
        model = self.given(role)
        if not isinstance(model, BaseChatModel) or role in self._unstructured:
            return None
        started = time.monotonic()
        try:
            out = model.with_structured_output(schema, include_raw=True).invoke(messages)
        except Exception:
            # Any failure (no structured output, or a server that rejects it: llama-cpp-python
            # answers OpenAI's json_schema format with HTTP 500): JSON text from now on.
            self._unstructured.add(role)
            return None
        parsed = out.get("parsed") if isinstance(out, dict) else out
        raw = out.get("raw") if isinstance(out, dict) else None
        raw_msg = raw if isinstance(raw, BaseMessage) else AIMessage(content="")
        return (parsed if isinstance(parsed, schema) else None), reply_of(
            raw_msg, messages, started
        )

    # Embeddings, subject scorers and the document's memory

    def embedder(self, choice: EmbeddingChoice) -> Embedder:
        """The embedder ``choice`` names (its model loaded at its first use)."""
        key = (choice.kind, choice.base_url, choice.model)
        api_key = self.ctx.embedding_key
        return self._kept(self._embedders, key, lambda: get_embedder(*key, api_key))

    def choose_embedding(self) -> EmbeddingChoice:
        """Settle the run's embedder (``WriterContext.embedding``; ``auto`` may probe the chat
        endpoint once). The plan step calls this and keeps the answer in the state. The embedded
        server (no ``base_url``) is never probed: llama.cpp serves it without embeddings."""
        ctx = self.ctx
        remote = self.given("write") is None and ctx.role_endpoint("write").base_url
        return choose_embedding(
            ctx.embedding,
            base_url=ctx.embedding_base_url,
            model=ctx.embedding_model,
            api_key=ctx.embedding_key,
            chat=(lambda: self.endpoint("write")) if remote else None,
            wait=ctx.connect_wait,
        )

    def embedding(self, state: DocumentState) -> EmbeddingChoice:
        """The embedder the plan step chose for this run (kept in the state). A state without one
        (saved before runs kept it, or made by hand) gets ``auto``'s offline choice: no probe."""
        kept = state.get("embedder")
        if kept:
            return EmbeddingChoice.from_dict(kept)
        kind = self.ctx.embedding
        if kind == "auto":
            kind = get_embedder("auto").name
        return EmbeddingChoice(
            kind, self.ctx.embedding_base_url or self.ctx.base_url, self.ctx.embedding_model
        )

    def scorer_for(self, choice: EmbeddingChoice, subject: str, language: str) -> SubjectScorer:
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

    def scorer(self, state: DocumentState) -> SubjectScorer:
        """How much texts are about this document's subject (the run's embedder, calibrated)."""
        return self.scorer_for(self.embedding(state), subject_reference(state), state["language"])

    def memory(self, state: DocumentState) -> SectionMemory:
        """The Chroma memory of this document, holding exactly the state's accepted sections.

        Memory is derived from the checkpoint, and this is the one place that makes it agree: a
        resume with another location, embedder or machine rebuilds it, and a section that ``commit``
        stored before a crash lost its checkpoint is deleted before any step reads memory again."""
        embedder = self.embedder(self.embedding(state))
        memory = self._memory_at(self.ctx.memory_location(), state["doc_id"], embedder)
        memory.sync((s["index"], s["title"], s["text"]) for s in state.get("sections", []))
        return memory

    def _memory_at(self, location: str, doc_id: str, embedder: Embedder) -> SectionMemory:
        """The memory of document ``doc_id`` at ``location`` for vectors of ``embedder`` (opened
        again if the embedder changed)."""
        with self._lock:
            kept = self._memories.get((location, doc_id))
            if kept is not None and kept.embedder.signature != embedder.signature:
                del self._memories[location, doc_id]
                kept.close()
            return self._kept(
                self._memories, (location, doc_id), lambda: open_memory(location, doc_id, embedder)
            )

    def source_index(self, state: DocumentState) -> SourceIndex:
        """The index of this document's sources (opened once per run, for the state's embedder);
        see :mod:`longwriter.agent.grounding`, which fills it."""
        embedder = self.embedder(self.embedding(state))
        location, doc_id = self.ctx.memory_location(), state["doc_id"]
        return self._kept(
            self._indexes,
            (location, doc_id, embedder.signature),
            lambda: open_source_index(location, doc_id, embedder),
        )

    def close(self) -> None:
        """Give back the embedded server's lease and close the memories (a second call does nothing)."""
        with self._lock:
            self._closed = True
            lease, self._lease = self._lease, None
            memories: list[SectionMemory | SourceIndex] = [
                *self._memories.values(),
                *self._indexes.values(),
            ]
            self._memories.clear()
            self._indexes.clear()
        for memory in memories:
            memory.close()
        if lease is not None:
            release(lease)

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
