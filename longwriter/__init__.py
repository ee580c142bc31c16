"""longwriter: coherent 10,000-20,000+ word documents from any chat LLM (AgentWrite + LongBench-Write)."""

from longwriter.agent import WriterContext, build_graph
from longwriter.api import DocumentResult, awrite_document, write_document, write_many
from longwriter.errors import BackendError, ConfigError, LongWriterError

__version__ = "0.1.0"

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
