"""The LangGraph state machine: request → plan → (review) → write ⇄ critic ⇄ revise → commit → … → finalize."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from longwriter.agent.context import WriterContext
from longwriter.agent.run import Run
from longwriter.agent.runs import Runs
from longwriter.agent.state import WriterInput, WriterOutput, WriterState, upgraded
from longwriter.agent.steps.commit import commit
from longwriter.agent.steps.critic import critic
from longwriter.agent.steps.finalize import finalize
from longwriter.agent.steps.plan import plan
from longwriter.agent.steps.request import take_request
from longwriter.agent.steps.review import review
from longwriter.agent.steps.write import revise, write
from longwriter.errors import ConfigError
from longwriter.llm.chat import ChatModels

Step = Callable[[WriterState, Run], dict[str, Any]]
"""A graph step: reads the state and the run, returns a partial update."""
Router = Callable[[WriterState, WriterContext], str]


def _node(step: Step, runs: Runs, *, timed: bool = True, ends_run: bool = False) -> Any:
    """``step`` as the graph calls it: with the state as this version reads it (``upgraded``: a
    resumed run may come from an older version's checkpoint), the run's :class:`Run` (``ends_run``
    for the last step, which releases it), and, when ``timed``, its wall time added to
    ``stats.seconds`` (so resumed runs report working time only)."""

    def node(state: WriterState, runtime: Runtime[Any], config: RunnableConfig) -> dict[str, Any]:
        started = time.monotonic()
        with (
            runs.of_node(runtime, config, ends_run=ends_run) as run,
            run.attached(runtime.stream_writer, config),
        ):
            out = step(upgraded(state), run)
        if not timed:
            return out
        stats = dict(out.get("stats") or {})
        stats["seconds"] = stats.get("seconds", 0.0) + time.monotonic() - started
        return {**out, "stats": stats}

    node.__name__ = node.__qualname__ = step.__name__
    node.__doc__ = step.__doc__
    return node


def _route(router: Router, runs: Runs) -> Any:
    """``router`` with the run's settings, whatever context a parent graph runs with (see
    ``WriterContext.of_run``)."""

    def route(state: WriterState, runtime: Runtime[Any], config: RunnableConfig) -> str:
        return router(upgraded(state), runs.settings(runtime, config))

    route.__name__ = route.__qualname__ = router.__name__
    return route


def after_plan(state: WriterState, ctx: WriterContext) -> Literal["review", "write"]:
    """Pause for plan review only when asked to."""
    return "review" if ctx.review_plan else "write"


def after_critic(state: WriterState, ctx: WriterContext) -> Literal["commit", "revise"]:
    """Accept a good draft; revise a bad one until the attempts run out."""
    verdict = state["verdict"]
    if verdict is not None and (verdict["ok"] or len(state["attempts"]) > ctx.max_revisions):
        return "commit"
    return "revise"


def after_commit(state: WriterState) -> Literal["write", "finalize"]:
    """Next section, or the end."""
    return "write" if state["current"] < len(state["sections_plan"]) else "finalize"


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    *,
    chat_model: ChatModels | None = None,
    settings: WriterContext | None = None,
    run: Run | None = None,
) -> CompiledStateGraph[WriterState, WriterContext, WriterInput, WriterOutput]:
    """Compile the writer graph.

    ``checkpointer`` makes runs durable and resumable (SQLite in the CLI); ``chat_model`` replaces the
    OpenAI-compatible endpoint from the context with any LangChain chat model, or one per role.
    ``settings`` are used when a run's context holds no ``WriterContext``: the graph as a subgraph of
    an app with its own context schema, or as a tool (see ``WriterContext.of_run``).
    ``run`` makes a graph for one run whose :class:`Run` (settings and chat models included) the
    caller opened and closes, as ``longwriter.api`` does; without it every run gets its own
    ``Run``, released when it ends (see :class:`~longwriter.agent.run.Runs`).
    """
    if run is not None and (chat_model is not None or settings is not None):
        raise ConfigError("build_graph: pass the chat model and settings in the run, not beside it")
    runs = Runs(settings, chat_model, run)

    builder = StateGraph(
        WriterState,
        context_schema=WriterContext,
        input_schema=WriterInput,
        output_schema=WriterOutput,
    )
    builder.add_node("request", take_request)
    builder.add_node("plan", _node(plan, runs))
    builder.add_node("review", _node(review, runs, timed=False))  # its wall time is a human's
    builder.add_node("write", _node(write, runs))
    builder.add_node("critic", _node(critic, runs))
    builder.add_node("revise", _node(revise, runs))
    builder.add_node("commit", _node(commit, runs))
    builder.add_node("finalize", _node(finalize, runs, ends_run=True))
    builder.add_edge(START, "request")
    builder.add_edge("request", "plan")
    # Routers are wrapped too, so their destinations are listed: the wrapper has no return type.
    builder.add_conditional_edges("plan", _route(after_plan, runs), ["review", "write"])
    builder.add_edge("review", "write")
    builder.add_edge("write", "critic")
    builder.add_conditional_edges("critic", _route(after_critic, runs), ["commit", "revise"])
    builder.add_edge("revise", "critic")
    builder.add_conditional_edges("commit", after_commit)
    builder.add_edge("finalize", END)
    return builder.compile(checkpointer=checkpointer, name="longwriter")


def studio_graph() -> CompiledStateGraph[WriterState, WriterContext, WriterInput, WriterOutput]:
    """The graph for LangGraph Studio / ``langgraph dev`` (``langgraph.json``; the server provides
    the checkpointer and calls this once when it loads the graph)."""
    return build_graph()


def __getattr__(name: str) -> Any:
    """``graph``, compiled at first use rather than at import (PEP 562): user code and older
    Studio configurations name ``longwriter.agent.graph:graph``."""
    if name == "graph":
        return studio_graph()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
