"""The LangGraph state machine: plan → (review) → write ⇄ critic ⇄ revise → commit → … → finalize."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from longwriter.agent.config import WriterContext
from longwriter.agent.state import WriterInput, WriterOutput, WriterState
from longwriter.nodes.critic import critic
from longwriter.nodes.finalize import commit, finalize
from longwriter.nodes.planner import plan, review
from longwriter.nodes.writer import revise, write


def _timed(node: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Add the node's wall time to ``stats.seconds`` (so resumed runs report working time only)."""

    @functools.wraps(node)
    def run(*args: Any, **kwargs: Any) -> dict[str, Any]:
        started = time.monotonic()
        update = node(*args, **kwargs)
        stats = dict(update.get("stats") or {})
        stats["seconds"] = stats.get("seconds", 0.0) + time.monotonic() - started
        return {**update, "stats": stats}

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
    chat_model: BaseChatModel | None = None,
) -> CompiledStateGraph[WriterState, WriterContext, WriterInput, WriterOutput]:
    """Compile the writer graph.

    ``checkpointer`` makes runs durable and resumable (SQLite in the CLI); ``chat_model`` replaces the
    OpenAI-compatible endpoint from the context with any LangChain chat model (used by tests).
    """

    def with_llm(node: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        return _timed(functools.wraps(node)(functools.partial(node, llm=chat_model)))

    builder = StateGraph(
        WriterState,
        context_schema=WriterContext,
        input_schema=WriterInput,
        output_schema=WriterOutput,
    )
    builder.add_node("plan", with_llm(plan))
    builder.add_node("review", review)
    builder.add_node("write", with_llm(write))
    builder.add_node("critic", with_llm(critic))
    builder.add_node("revise", with_llm(revise))
    builder.add_node("commit", with_llm(commit))
    builder.add_node("finalize", _timed(finalize))
    builder.add_edge(START, "plan")
    builder.add_conditional_edges("plan", after_plan)
    builder.add_edge("review", "write")
    builder.add_edge("write", "critic")
    builder.add_conditional_edges("critic", after_critic)
    builder.add_edge("revise", "critic")
    builder.add_conditional_edges("commit", after_commit)
    builder.add_edge("finalize", END)
    return builder.compile(checkpointer=checkpointer)


graph = build_graph()
"""The graph for LangGraph Studio / ``langgraph dev`` (the server provides the checkpointer)."""
