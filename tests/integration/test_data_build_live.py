"""`dataset build` against the real agent and the embedded llama.cpp server, which dies mid-run."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from longwriter.agent.context import WriterContext
from longwriter.batch.resumable import BatchEvent
from longwriter.batch.store import BatchCheckpoints
from longwriter.data.build import (
    BuildResult,
    Instruction,
    build_dataset,
    prompt_key,
    sibling_paths,
)
from longwriter.data.filters import FilterConfig
from longwriter.jsonl import read_jsonl
from longwriter.llm.local_server import LocalServer

pytestmark = pytest.mark.integration

PROMPTS = [f"Write a 120-word note about {topic}." for topic in ("tea", "rivers")]
# SmolLM2 rarely meets AgentWrite's bar; loose filters keep the test about the mechanics.
LOOSE = FilterConfig(min_length_ratio=0.05, max_rep4=1.0, max_duplicate_lines=1.0, min_sections=1)


def test_build_resumes_after_the_endpoint_dies(tmp_path: Path) -> None:
    instructions = [Instruction(prompt_key(p), p, 120, i + 1) for i, p in enumerate(PROMPTS)]
    out = tmp_path / "data.jsonl"
    log_path, rejected_path = sibling_paths(out)

    def build(context: WriterContext, **options: Any) -> BuildResult:
        async def run() -> BuildResult:
            async with BatchCheckpoints().open(log_path) as documents:
                return await build_dataset(
                    instructions,
                    out,
                    context=context,
                    documents=documents,
                    filters=LOOSE,
                    **options,
                )

        return asyncio.run(run())

    with LocalServer() as first:
        context = WriterContext(
            base_url=first.base_url,
            model=first.model,
            memory=":memory:",
            embedding="hash",
            max_revisions=0,
            temperature=0.3,
        )

        def kill_after_first(event: BatchEvent) -> None:
            if event.kind == "done" and event.done == 1:
                first.stop()

        result = build(context, max_failures_in_a_row=1, progress=kill_after_first)
    assert (result.batch.done, result.batch.failed) == (1, 1)
    assert len(list(read_jsonl(log_path))) == 1  # the finished document was kept

    with LocalServer() as second:  # another server, another port: the keys are the prompts
        result = build(replace(context, base_url=second.base_url))
    assert (result.batch.skipped, result.batch.done, result.batch.failed) == (1, 1, 0)
    rows = [r for _, r in read_jsonl(out)] + [r for _, r in read_jsonl(rejected_path)]
    assert len(rows) == 2
    for _, row in read_jsonl(out):
        user, assistant = row["messages"]
        assert user["content"] in PROMPTS and assistant["content"].strip()
        assert row["target"] == 120 and row["words"] > 0 and row["plan"]
        assert not any(line.startswith("Paragraph ") for line in assistant["content"].splitlines())
