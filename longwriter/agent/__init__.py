"""The LangGraph agent: state, run settings, a run's dependencies and (from :mod:`longwriter.agent.graph`)
the graph builder."""

from typing import TYPE_CHECKING, Any

from longwriter.agent.context import WriterContext, home_dir
from longwriter.agent.run import Run
from longwriter.agent.state import WriteRequest, WriterInput, WriterOutput, WriterState

if TYPE_CHECKING:
    from longwriter.agent.graph import build_graph

__all__ = [
    "Run",
    "WriteRequest",
    "WriterContext",
    "WriterInput",
    "WriterOutput",
    "WriterState",
    "build_graph",
    "home_dir",
]


def __getattr__(name: str) -> Any:
    """``build_graph`` on first use: the graph sits above the nodes, which import this package."""
    if name == "build_graph":
        from longwriter.agent.graph import build_graph

        return build_graph
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
