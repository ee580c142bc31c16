"""What every node needs from a run: settings, chat calls, the document's memory, progress events."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from longwriter.agent.config import WriterContext
from longwriter.agent.models import Models
from longwriter.agent.state import WriterState
from longwriter.llm.embeddings import get_embedder
from longwriter.memory import SectionMemory, open_memory


@lru_cache(maxsize=32)
def _memory(
    location: str, doc_id: str, kind: str, url: str | None, model: str | None
) -> SectionMemory:
    return open_memory(location, doc_id, get_embedder(kind, url, model))


class Services:
    """Per-node access to the run's context, models, memory and progress stream."""

    def __init__(self, runtime: Runtime[WriterContext], llm: BaseChatModel | None) -> None:
        self.ctx = runtime.context if runtime.context is not None else WriterContext()
        self.models = Models(self.ctx, llm)
        self._writer = runtime.stream_writer

    def memory(self, state: WriterState) -> SectionMemory:
        """The Chroma memory of this document."""
        ctx = self.ctx
        return _memory(
            ctx.memory_location(),
            state["doc_id"],
            ctx.embedding,
            ctx.embedding_base_url,
            ctx.embedding_model,
        )

    def emit(self, event: str, **data: Any) -> None:
        """A progress event on the ``custom`` stream (ignored when nobody streams)."""
        self._writer({"event": event, **data})
