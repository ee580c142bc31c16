"""Prediction runner: answer every task with the agent or with one plain call, resumably.

``direct`` is the baseline the LongWriter papers measure: the instruction as the only user message
and a generous ``max_tokens`` (the context window minus the prompt). ``agent`` runs the AgentWrite
pipeline (:func:`longwriter.api.awrite_document`). Output rows keep the task's fields and add
``response``, ``words`` (LongBench-Write's count, as S_l uses; the agent's report keeps its own),
``seconds``, token counts and, for the agent, its report. The agent writes through a
:class:`~longwriter.batch.store.DocumentStore`, so a rerun continues each unfinished document mid-way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import HumanMessage

from longwriter.batch.resumable import BatchEvent, BatchSummary, run_resumable
from longwriter.eval.rows import Task
from longwriter.llm import (
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_P,
    Endpoint,
    chat_model,
    sampling_defaults,
)
from longwriter.text import count_words_longbench, estimate_tokens

if TYPE_CHECKING:
    from longwriter.batch.store import DocumentStore

Mode = Literal["agent", "direct"]
MODES: tuple[Mode, ...] = ("agent", "direct")
CHAT_OVERHEAD_TOKENS = 64  # chat template tokens around the user message
MIN_DIRECT_TOKENS = 256


@dataclass(frozen=True)
class RunConfig:
    """How predictions are produced; both modes sample with the same temperature and top_p."""

    mode: Mode
    endpoint: Endpoint
    context_window: int
    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = DEFAULT_TOP_P
    max_tokens: int | None = None
    """Direct mode's completion budget; None = the context window minus the prompt."""
    give_length: bool = False
    """Agent mode: pass the task's ``length`` as the target instead of parsing the prompt."""
    timeout: float = 1800.0
    agent_options: dict[str, Any] = field(default_factory=dict)
    """Extra :class:`~longwriter.agent.WriterContext` fields for agent mode."""
    extra_body: dict[str, Any] = field(default_factory=dict)
    """Server sampling extras for both modes, over the embedded model's defaults when it serves."""

    def sampling(self) -> dict[str, Any]:
        """The sampling extras of every call: as the agent sends them, so both modes compare fairly."""
        return {**sampling_defaults(self.endpoint), **self.extra_body}


def direct_max_tokens(prompt: str, context_window: int) -> int:
    """A plain call's completion budget: the window minus the (over-estimated) prompt."""
    return max(MIN_DIRECT_TOKENS, context_window - estimate_tokens(prompt) - CHAT_OVERHEAD_TOKENS)


async def _direct(task: Task, cfg: RunConfig) -> dict[str, Any]:
    budget = cfg.max_tokens or direct_max_tokens(task.prompt, cfg.context_window)
    llm = chat_model(
        cfg.endpoint,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        max_tokens=budget,
        # llama.cpp's server ignores max_completion_tokens, hence max_tokens in the body as well
        extra_body={**cfg.sampling(), "max_tokens": budget},
        timeout=cfg.timeout,
    )
    message = await llm.ainvoke([HumanMessage(task.prompt)])
    usage = message.usage_metadata
    return {
        "response": message.text,
        "prompt_tokens": usage["input_tokens"] if usage else None,
        "completion_tokens": usage["output_tokens"] if usage else None,
        "finish_reason": message.response_metadata.get("finish_reason"),
    }


async def _agent(task: Task, cfg: RunConfig, documents: DocumentStore | None) -> dict[str, Any]:
    from longwriter.agent import WriterContext  # heavy imports (graph, memory) only when used

    if documents is None:
        raise ValueError("agent mode writes through a DocumentStore: pass documents=")

    options: dict[str, Any] = {
        "memory": ":memory:",
        "context_window": cfg.context_window,
        "temperature": cfg.temperature,
        "top_p": cfg.top_p,
        **cfg.agent_options,
    }
    context = WriterContext(
        # The embedded server is the agent's own default (its sampling defaults and plan format).
        base_url=None if cfg.endpoint.embedded else cfg.endpoint.base_url,
        model=cfg.endpoint.model,
        api_key=cfg.endpoint.api_key,
        target_words=task.length if cfg.give_length else None,
        extra_body=cfg.extra_body,
        **options,
    )
    result = await documents.write(task.prompt, key=task.key, context=context)
    return {
        "response": result.text,
        "prompt_tokens": result.report.get("prompt_tokens"),
        "completion_tokens": result.report.get("completion_tokens"),
        "report": result.report,
    }


async def predict(
    task: Task, cfg: RunConfig, documents: DocumentStore | None = None
) -> dict[str, Any]:
    """Answer one task; the row carries the task's own fields plus the prediction. Agent mode
    needs the ``documents`` store its document is checkpointed in."""
    started = time.monotonic()
    produced = await (_agent(task, cfg, documents) if cfg.mode == "agent" else _direct(task, cfg))
    return {
        **task.fields,
        "prompt": task.prompt,
        "length": task.length,
        "type": task.type,
        "mode": cfg.mode,
        "model": cfg.endpoint.model,
        **produced,
        "words": count_words_longbench(produced["response"]),
        "seconds": round(time.monotonic() - started, 2),
    }


async def run_predictions(
    tasks: Sequence[Task],
    cfg: RunConfig,
    out_path: Path,
    *,
    concurrency: int = 1,
    progress: Callable[[BatchEvent], None] | None = None,
    documents: DocumentStore | None = None,
) -> BatchSummary:
    """Predict every task not yet in ``out_path`` (resumable), appending rows as they finish;
    agent mode writes into ``documents`` (a store opened on ``out_path``).

    Use one event loop per process for all runs: langchain-openai reuses its async HTTP client across
    ``ChatOpenAI`` instances, and a client from a closed loop fails with "Event loop is closed".
    """
    return await run_resumable(
        tasks,
        key=lambda t: t.key,
        work=lambda t: predict(t, cfg, documents),
        out_path=out_path,
        concurrency=concurrency,
        progress=progress,
        saved=documents.finish if documents else None,
    )
