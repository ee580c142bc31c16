"""The graph's former home: it lives in :mod:`longwriter.agent.graph`. Kept for one release so that
``longwriter.graph:graph`` (Studio configurations, user code) still resolves."""

from typing import Any


def __getattr__(name: str) -> Any:
    from longwriter.agent import graph

    return getattr(graph, name)
