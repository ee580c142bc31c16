"""What every node needs from a run: settings, chat calls, the document's memory, progress events."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from langgraph.runtime import Runtime

from longwriter.agent.config import WriterContext
from longwriter.agent.models import ChatModels, Models
from longwriter.agent.state import WriterState
from longwriter.llm.embeddings import get_embedder
from longwriter.memory import SectionMemory, open_memory
from longwriter.text.reader import SubjectScorer


@lru_cache(maxsize=16)
def _scorer(
    kind: str, url: str | None, model: str | None, subject: str, language: str
) -> SubjectScorer:
    # The lexical hashing embedder separates Chinese subjects where MiniLM (English-trained) cannot.
    fallback = get_embedder("hash").embed if kind != "hash" else None
    embedder = get_embedder(kind, url, model)
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
        ctx = self.ctx
        embedder = get_embedder(ctx.embedding, ctx.embedding_base_url, ctx.embedding_model)
        memory = open_memory(ctx.memory_location(), state["doc_id"], embedder)
        memory.sync((s["index"], s["title"], s["text"]) for s in state.get("sections", []))
        return memory

    def scorer(self, state: WriterState) -> SubjectScorer:
        """How much texts are about this document's subject (the run's embedder, calibrated)."""
        ctx = self.ctx
        return _scorer(
            ctx.embedding,
            ctx.embedding_base_url,
            ctx.embedding_model,
            subject_reference(state),
            state["language"],
        )

    def emit(self, event: str, **data: Any) -> None:
        """A progress event on the ``custom`` stream (ignored when nobody streams)."""
        self._writer({"event": event, **data})
