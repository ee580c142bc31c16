"""Which run a node belongs to, for graphs that no runner of ours starts (Studio, a parent graph,
``as_tool``): each run gets its own :class:`~longwriter.agent.run.Run`, made at its first node
and closed when it ends."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.runtime import Runtime

from longwriter.agent.context import WriterContext
from longwriter.agent.run import Run
from longwriter.llm.chat import ChatModels


def _run_key(runtime: Runtime[Any], config: RunnableConfig) -> tuple[object, ...]:
    """What tells this node's run from others: LangGraph's run id where the run has one (the
    LangGraph server gives every run one), else the per-run control and stream writer; with the
    graph's checkpoint namespace, which tells apart two invocations inside one parent run."""
    namespace = str((config.get("configurable") or {}).get("checkpoint_ns", "")).rpartition("|")[0]
    info = getattr(runtime, "execution_info", None)
    if info is not None and info.run_id:
        return ("run", info.run_id, namespace)
    return (id(getattr(runtime, "control", None)), id(runtime.stream_writer), namespace)


@dataclass(frozen=True, eq=False)
class _Run:
    """A run's entry in :class:`Runs`; ``control`` is held so that its id stays its own."""

    control: object
    run: Run


class Runs:
    """The ``Run`` of each run of one compiled graph.

    A runner of ours (``longwriter.api``) opens one ``Run`` per run and builds the graph with
    it (``given``). Runs no runner of ours starts (``langgraph dev``/Studio serving the module's
    ``graph``, the graph as a subgraph or through ``as_tool()``) get theirs here, made at the run's
    first node and kept for its later ones, keyed by ``_run_key``: LangGraph's run id where the
    run has one (``runtime.execution_info.run_id``; the LangGraph server sets it), else the
    ``runtime.control`` and ``runtime.stream_writer`` LangGraph makes per run and hands every node
    of it (a graph invoked inside a node has no run id of its own and shares its parent's control).

    A run's ``Run`` is closed when the run ends: after its last node, ``finalize``; when a node
    raises (an error, or the plan review's ``interrupt``: the resumed run is a new run); and when
    the run's stream writer is garbage-collected, which covers runs their caller stops between two
    nodes (``interrupt_before``/``interrupt_after``, a cancellation). Closing a collected run's
    ``Run`` (which may stop a server) is left to a thread: a collection may happen anywhere.

    Why not ``config["configurable"]``: a live object there stays out of checkpoint metadata (only
    primitive values are copied, langgraph#3448), but the LangGraph server builds a run's config
    from JSON, so the runs this class is for cannot carry one. Nor the run's context: it is the
    caller's object (often reused across runs, or a parent graph's, or None).
    """

    def __init__(
        self,
        settings: WriterContext | None,
        chat: ChatModels | None,
        given: Run | None = None,
    ) -> None:
        self._settings = settings
        self._chat = chat
        self._given = given
        self._runs: dict[tuple[object, ...], _Run] = {}
        self._lock = threading.RLock()  # re-entered when a collection ends a run under it

    def settings(self, runtime: Runtime[Any], config: RunnableConfig) -> WriterContext:
        """The run's settings (see ``WriterContext.of_run``)."""
        if self._given is not None:
            return self._given.ctx
        return WriterContext.of_run(runtime.context, config.get("configurable"), self._settings)

    @contextmanager
    def of_node(
        self, runtime: Runtime[Any], config: RunnableConfig, *, ends_run: bool = False
    ) -> Iterator[Run]:
        """The run's ``Run`` for one node call; ``ends_run`` for the run's last node."""
        if self._given is not None:
            yield self._given
            return
        control, writer = getattr(runtime, "control", None), runtime.stream_writer
        # ``writer`` is alive while its key is here: a finalizer removes the key when it dies.
        key = _run_key(runtime, config)
        with self._lock:
            entry = self._runs.get(key)
            if entry is None:
                entry = self._runs[key] = _Run(
                    control, Run(self.settings(runtime, config), self._chat)
                )
                with suppress(TypeError):  # a writer that takes no weak reference: no fallback
                    weakref.finalize(writer, self._end, key, entry, collected=True)
        try:
            yield entry.run
        except BaseException:
            self._end(key, entry)
            raise
        if ends_run:
            self._end(key, entry)

    def _end(self, key: tuple[object, ...], entry: _Run, *, collected: bool = False) -> None:
        with self._lock:
            if self._runs.get(key) is not entry:
                return  # ended already
            del self._runs[key]
        if collected:
            threading.Thread(target=entry.run.close, name="longwriter-run-end", daemon=True).start()
        else:
            entry.run.close()
