"""What every node needs from a run: settings, chat calls, the document's memory, progress events."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from longwriter.agent.config import WriterContext
from longwriter.agent.deps import RunDeps
from longwriter.agent.state import WriterState
from longwriter.llm.embeddings import EmbeddingChoice, choose_embedding, get_embedder
from longwriter.memory import SectionMemory
from longwriter.text.reader import SubjectScorer


def subject_reference(state: WriterState) -> str:
    """What relevance is measured against: the subject phrase, else the instruction."""
    return state.get("subject") or state["instruction"]


class Services:
    """What a node reads of its run: settings, chat calls, memory and scorers (all kept by the run's
    ``RunDeps``), and the progress stream."""

    def __init__(self, runtime: Runtime[WriterContext], deps: RunDeps) -> None:
        self.deps = deps
        self.ctx = deps.ctx
        self.models = deps.models
        self._writer = runtime.stream_writer

    def memory(self, state: WriterState) -> SectionMemory:
        """The Chroma memory of this document, holding exactly the state's accepted sections.

        Memory is derived from the checkpoint, and this is the one place that makes it agree: a
        resume with another location, embedder or machine rebuilds it, and a section that ``commit``
        stored before a crash lost its checkpoint is deleted before any node reads memory again."""
        embedder = self.deps.embedder(self.embedding(state))
        memory = self.deps.memory(self.ctx.memory_location(), state["doc_id"], embedder)
        memory.sync((s["index"], s["title"], s["text"]) for s in state.get("sections", []))
        return memory

    def scorer(self, state: WriterState) -> SubjectScorer:
        """How much texts are about this document's subject (the run's embedder, calibrated)."""
        return self.deps.scorer(self.embedding(state), subject_reference(state), state["language"])

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
