"""The graph's former home, kept so that ``longwriter.agent.graph:graph`` (Studio configurations,
user code) still resolves. The graph lives in :mod:`longwriter.graph`, above the nodes it wires: this
package (state, settings, models) sits below them and imports them only when asked (PEP 562)."""

from typing import Any


def __getattr__(name: str) -> Any:
    from longwriter import graph

    return getattr(graph, name)
