"""What every node needs from a run: settings, chat calls, the document's memory, progress events."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from langgraph.runtime import Runtime

from longwriter.agent.config import WriterContext
from longwriter.agent.models import ChatModels, Models
from longwriter.agent.state import WriterState
from longwriter.llm.embeddings import EmbeddingChoice, choose_embedding, get_embedder
from longwriter.memory import SectionMemory, open_memory
from longwriter.text.reader import SubjectScorer


@lru_cache(maxsize=16)
def _scorer(choice: EmbeddingChoice, key: str, subject: str, language: str) -> SubjectScorer:
    # The lexical hashing embedder separates Chinese subjects where MiniLM (English-trained) cannot.
    fallback = get_embedder("hash").embed if choice.kind != "hash" else None
    embedder = get_embedder(choice.kind, choice.base_url, choice.model, key)
    return SubjectScorer(
        embedder.embed, subject, language, fallback=fallback, lexical=embedder.lexical
    )


def subject_reference(state: WriterState) -> str:
    """What relevance is measured against: the subject phrase, else the instruction."""
    return state.get("subject") or state["instruction"]


class Services:
    """Per-node access to the run's context, models, memory and progress stream."""

    def __init__(self, runtime: Runtime[WriterContext], llm: ChatModels | None) -> None:
        self.ctx = runtime.context if runtime.context is not None else WriterContext()
        self.models = Models(self.ctx, llm)
        self._writer = runtime.stream_writer

    def memory(self, state: WriterState) -> SectionMemory:
        """The Chroma memory of this document, holding exactly the state's accepted sections.

        Memory is derived from the checkpoint, and this is the one place that makes it agree: a
        resume with another location, embedder or machine rebuilds it, and a section that ``commit``
        stored before a crash lost its checkpoint is deleted before any node reads memory again."""
        choice = self.embedding(state)
        embedder = get_embedder(choice.kind, choice.base_url, choice.model, self.ctx.embedding_key)
        memory = open_memory(self.ctx.memory_location(), state["doc_id"], embedder)
        memory.sync((s["index"], s["title"], s["text"]) for s in state.get("sections", []))
        return memory

    def scorer(self, state: WriterState) -> SubjectScorer:
        """How much texts are about this document's subject (the run's embedder, calibrated)."""
        return _scorer(
            self.embedding(state),
            self.ctx.embedding_key,
            subject_reference(state),
            state["language"],
        )

    def choose_embedding(self) -> EmbeddingChoice:
        """Settle the run's embedder (``WriterContext.embedding``; ``auto`` may probe the chat
        endpoint once). The plan node calls this and keeps the answer in the state. The embedded
        server (no ``base_url``) is never probed: llama.cpp serves it without embeddings."""
        ctx = self.ctx
        remote = self.models.given("write") is None and ctx.role_endpoint("write").base_url
        return choose_embedding(
            ctx.embedding,
            base_url=ctx.embedding_base_url,
            model=ctx.embedding_model,
            api_key=ctx.embedding_key,
            chat=(lambda: self.models.endpoint("write")) if remote else None,
            wait=ctx.connect_wait,
        )

    def embedding(self, state: WriterState) -> EmbeddingChoice:
        """The embedder the plan node chose for this run (kept in the state). A state without one
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

    def emit(self, event: str, **data: Any) -> None:
        """A progress event on the ``custom`` stream (ignored when nobody streams)."""
        self._writer({"event": event, **data})
