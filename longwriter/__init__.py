"""longwriter: coherent 10,000-20,000+ word documents from any chat LLM (AgentWrite + LongBench-Write)."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from longwriter.errors import BackendError, ConfigError, LongWriterError

if TYPE_CHECKING:
    from longwriter.agent.context import WriterContext
    from longwriter.agent.graph import build_graph
    from longwriter.api import DocumentResult, awrite_document, write_document
    from longwriter.batch.store import write_many

__version__ = "0.1.0"

_LAZY = {
    "WriterContext": "longwriter.agent.context",
    "build_graph": "longwriter.agent.graph",
    "DocumentResult": "longwriter.api",
    "awrite_document": "longwriter.api",
    "write_document": "longwriter.api",
    "write_many": "longwriter.batch.store",
}
"""Names imported on first use (PEP 562), so that ``import longwriter.text`` loads no LangGraph,
OpenAI client or Chroma."""

__all__ = [
    "BackendError",
    "ConfigError",
    "DocumentResult",
    "LongWriterError",
    "WriterContext",
    "awrite_document",
    "build_graph",
    "write_document",
    "write_many",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_LAZY[name]), name)
