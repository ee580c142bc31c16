"""The LangGraph agent: state, run settings, a run's dependencies and the graph builder."""

from longwriter.agent.config import WriterContext, home_dir
from longwriter.agent.deps import RunDeps
from longwriter.agent.graph import build_graph
from longwriter.agent.state import WriteRequest, WriterInput, WriterOutput, WriterState

__all__ = [
    "RunDeps",
    "WriteRequest",
    "WriterContext",
    "WriterInput",
    "WriterOutput",
    "WriterState",
    "build_graph",
    "home_dir",
]
