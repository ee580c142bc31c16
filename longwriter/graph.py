"""The LangGraph state machine: request → plan → (review) → write ⇄ critic ⇄ revise → commit → … → finalize."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from longwriter.agent.config import WriterContext
from longwriter.agent.deps import RunDeps, RunsDeps
from longwriter.agent.models import ChatModels
from longwriter.agent.state import WriterInput, WriterOutput, WriterState, upgraded
from longwriter.errors import ConfigError
from longwriter.nodes.critic import critic
from longwriter.nodes.finalize import commit, finalize
from longwriter.nodes.planner import plan, review
from longwriter.nodes.request import take_request
from longwriter.nodes.writer import revise, write


def _bound(
    step: Callable[..., Any], runs: RunsDeps, *, timed: bool = False, ends_run: bool = False
) -> Callable[..., Any]:
    """``step`` (a node or a router) as the graph calls it: with the run's settings as
    ``runtime.context`` whatever context a parent graph runs with (see ``WriterContext.of_run``),
    the run's ``RunDeps`` (a node's ``deps``; ``ends_run`` for the last node, which releases them),
    the state as this version reads it (``upgraded``: a resumed run may come from an older
    version's checkpoint), and, when ``timed``, its wall time added to ``stats.seconds`` (so resumed
    runs report working time only)."""
    params = inspect.signature(step).parameters

    def run(state: WriterState, runtime: Runtime[Any], config: RunnableConfig) -> Any:
        args: dict[str, Any] = {"config": config} if "config" in params else {}
        state = upgraded(state)
        if "deps" not in params:
            return step(state, runtime.override(context=runs.settings(runtime, config)), **args)
        started = time.monotonic()
        with runs.of_node(runtime, config, ends_run=ends_run) as deps:
            out = step(state, runtime.override(context=deps.ctx), deps=deps, **args)
        if not timed:
            return out
        stats = dict(out.get("stats") or {})
        stats["seconds"] = stats.get("seconds", 0.0) + time.monotonic() - started
        return {**out, "stats": stats}

    run.__name__ = run.__qualname__ = step.__name__
    run.__doc__ = step.__doc__
    return run


def after_plan(state: WriterState, runtime: Runtime[WriterContext]) -> Literal["review", "write"]:
    """Pause for plan review only when asked to."""
    return "review" if runtime.context is not None and runtime.context.review_plan else "write"


def after_critic(
    state: WriterState, runtime: Runtime[WriterContext]
) -> Literal["commit", "revise"]:
    """Accept a good draft; revise a bad one until the attempts run out."""
    verdict = state["verdict"]
    limit = (runtime.context or WriterContext()).max_revisions
    if verdict is not None and (verdict["ok"] or len(state["attempts"]) > limit):
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
    deps: RunDeps | None = None,
) -> CompiledStateGraph[WriterState, WriterContext, WriterInput, WriterOutput]:
    """Compile the writer graph.

    ``checkpointer`` makes runs durable and resumable (SQLite in the CLI); ``chat_model`` replaces the
    OpenAI-compatible endpoint from the context with any LangChain chat model, or one per role.
    ``settings`` are used when a run's context holds no ``WriterContext``: the graph as a subgraph of
    an app with its own context schema, or as a tool (see ``WriterContext.of_run``).
    ``deps`` makes a graph for one run whose dependencies (settings and chat models included) the
    caller opened and closes, as ``longwriter.api`` does; without it every run gets its own
    ``RunDeps``, released when it ends (see :class:`~longwriter.agent.deps.RunsDeps`).
    """
    if deps is not None and (chat_model is not None or settings is not None):
        raise ConfigError("build_graph: pass the chat model and settings in deps, not beside it")
    runs = RunsDeps(settings, chat_model, deps)

    def bound(
        step: Callable[..., Any], timed: bool = True, ends_run: bool = False
    ) -> Callable[..., Any]:
        return _bound(step, runs, timed=timed, ends_run=ends_run)

    builder = StateGraph(
        WriterState,
        context_schema=WriterContext,
        input_schema=WriterInput,
        output_schema=WriterOutput,
    )
    builder.add_node("request", take_request)
    builder.add_node("plan", bound(plan))
    builder.add_node("review", bound(review, timed=False))  # its wall time is a human's
    builder.add_node("write", bound(write))
    builder.add_node("critic", bound(critic))
    builder.add_node("revise", bound(revise))
    builder.add_node("commit", bound(commit))
    builder.add_node("finalize", bound(finalize, ends_run=True))
    builder.add_edge(START, "request")
    builder.add_edge("request", "plan")
    # Routers are wrapped too, so their destinations are listed: the wrapper has no return type.
    builder.add_conditional_edges("plan", bound(after_plan, False), ["review", "write"])
    builder.add_edge("review", "write")
    builder.add_edge("write", "critic")
    builder.add_conditional_edges("critic", bound(after_critic, False), ["commit", "revise"])
    builder.add_edge("revise", "critic")
    builder.add_conditional_edges("commit", after_commit)
    builder.add_edge("finalize", END)
    return builder.compile(checkpointer=checkpointer, name="longwriter")


graph = build_graph()
"""The graph for LangGraph Studio / ``langgraph dev`` (the server provides the checkpointer)."""
