"""`dataset build`: input checks, resume after a crash or a dead endpoint, train/reject split."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from longwriter.agent.context import WriterContext
from longwriter.batch.resumable import BatchEvent
from longwriter.batch.store import BatchCheckpoints
from longwriter.data.build import (
    build_dataset,
    load_instructions,
    prompt_key,
    sibling_paths,
    split_build_log,
)
from longwriter.data.filters import FilterConfig
from longwriter.errors import BackendError, ConfigError
from longwriter.jsonl import read_jsonl
from tests.fakes import Crashing, ScriptedWriter, letter_code, write_with


@dataclass
class FakeDoc:
    text: str
    report: dict[str, Any]
    plan: list[dict[str, Any]]


@dataclass
class FakeAgent:
    """Stands in for the document store: a varied document at the requested length.

    Prompts containing "short" get a fifth of the target, "loop" a repeated paragraph; after
    ``die_after`` calls every call raises like a dead server.
    """

    die_after: int | None = None
    calls: list[str] = field(default_factory=list)

    async def finish(self, key: str) -> None:
        pass

    async def write(self, prompt: str, *, key: str, context: WriterContext) -> FakeDoc:
        self.calls.append(prompt)
        if self.die_after is not None and len(self.calls) > self.die_after:
            raise BackendError("cannot reach the model server")
        await asyncio.sleep(0)
        target = context.target_words or 600
        n = target // 5 if "short" in prompt else target
        if "loop" in prompt:
            body = "\n\n".join(["The same sentence comes back again and again here."] * (n // 9))
        else:
            body = " ".join(letter_code(len(self.calls) * 100_000 + i) for i in range(n))
        plan = [{"title": "A", "budget": n // 2}, {"title": "B", "budget": n - n // 2}]
        sections = [{"title": "A", "words": n // 2}, {"title": "B", "words": n - n // 2}]
        text = f"# {prompt}\n\nParagraph 1 - {body}"
        return FakeDoc(text, {"target_words": target, "sections": sections, "seconds": 1.0}, plan)


def write_instructions(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(prompt: str, length: int | None = 600) -> str:
    return json.dumps({"prompt": prompt, "length": length})


def rows_of(path: Path) -> list[dict[str, Any]]:
    return [r for _, r in read_jsonl(path)]


def run(instr: list[Any], out: Path, agent: FakeAgent, **kwargs: Any) -> Any:
    return asyncio.run(
        build_dataset(instr, out, context=WriterContext(model="fake"), documents=agent, **kwargs)
    )


def test_bad_lines_empty_invalid_and_duplicate_prompts_are_skipped_and_counted(
    tmp_path: Path,
) -> None:
    path = write_instructions(
        tmp_path / "in.jsonl",
        [
            row("Write about tea"),
            "{not json",
            row("   "),
            json.dumps({"length": 500}),
            row("Write about  TEA "),  # same prompt up to case and spaces
            row("Write about coffee", None),
            json.dumps({"prompt": "Write about rice", "length": "many"}),
            "[1, 2]",
            "",
        ],
    )
    loaded = load_instructions(path)
    assert [i.prompt for i in loaded.instructions] == ["Write about tea", "Write about coffee"]
    assert [i.length for i in loaded.instructions] == [600, None]
    assert loaded.bad_lines == 2
    assert loaded.empty == [3, 4]
    assert loaded.duplicates == [5]
    assert [line for line, _ in loaded.invalid] == [7]
    assert "2 instructions" in loaded.describe() and "1 duplicates skipped" in loaded.describe()
    assert prompt_key("Write about tea") == prompt_key(" write  about TEA")


def test_missing_instruction_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_instructions(tmp_path / "nope.jsonl")


def test_build_writes_chat_rows_and_rejects_with_reasons(tmp_path: Path) -> None:
    path = write_instructions(
        tmp_path / "in.jsonl", [row("Write about tea"), row("short essay"), row("loop story")]
    )
    out = tmp_path / "data.jsonl"
    result = run(load_instructions(path).instructions, out, FakeAgent(), concurrency=2)
    assert (result.batch.done, result.split.kept, result.split.rejected) == (3, 1, 2)
    assert dict(result.split.reasons) == {"too_short": 1, "repetition": 1}
    [kept] = rows_of(out)
    user, assistant = kept["messages"]
    assert user == {"role": "user", "content": "Write about tea"}
    assert assistant["role"] == "assistant" and "Paragraph 1" not in assistant["content"]
    assert kept["target"] == 600 and kept["words"] == 603  # the "# Write about tea" heading
    assert kept["S_l"] > 99 and kept["rep4"] == 0.0 and len(kept["plan"]) == 2
    rejected = {r["prompt"]: r["reasons"] for r in rows_of(sibling_paths(out)[1])}
    assert rejected["short essay"][0].startswith("too_short")
    assert rejected["loop story"][0].startswith("repetition")


def test_rerun_after_crash_only_generates_missing_rows(tmp_path: Path) -> None:
    prompts = [f"Write about topic {i}" for i in range(6)]
    instr = load_instructions(write_instructions(tmp_path / "in.jsonl", [row(p) for p in prompts]))
    out = tmp_path / "data.jsonl"
    log_path, _ = sibling_paths(out)
    first = FakeAgent(die_after=2)
    result = run(instr.instructions, out, first, max_failures_in_a_row=2)
    assert result.batch.done == 2 and result.batch.failed == 4
    # the breaker stopped calling the dead endpoint after two failures in a row
    assert len(first.calls) == 4
    assert len(rows_of(out)) == 2  # what was finished is already usable
    # a torn last line (a crash mid-write) must not break the rerun
    with log_path.open("a", encoding="utf-8") as fh:
        fh.write('{"key": "half-writ')
    second = FakeAgent()
    result = run(instr.instructions, out, second)
    assert (result.batch.skipped, result.batch.done, result.batch.failed) == (2, 4, 0)
    assert sorted(second.calls) == sorted(prompts[2:])
    assert sorted(r["messages"][0]["content"] for r in rows_of(out)) == sorted(prompts)
    third = FakeAgent()
    run(instr.instructions, out, third)
    assert third.calls == []


def test_split_reapplies_new_thresholds_without_generating(tmp_path: Path) -> None:
    instr = load_instructions(
        write_instructions(tmp_path / "in.jsonl", [row("Write about tea"), row("short essay")])
    )
    out = tmp_path / "data.jsonl"
    run(instr.instructions, out, FakeAgent())
    assert len(rows_of(out)) == 1
    log_path, rejected_path = sibling_paths(out)
    counts = split_build_log(log_path, out, rejected_path, FilterConfig(min_length_ratio=0.1))
    assert (counts.kept, counts.rejected) == (2, 0)
    assert len(rows_of(out)) == 2 and rows_of(rejected_path) == []


def test_interrupted_build_still_writes_the_training_file(tmp_path: Path) -> None:
    """Ctrl-C under asyncio.run cancels the build: finished documents still reach the output."""
    instr = load_instructions(
        write_instructions(tmp_path / "in.jsonl", [row(f"Write about {i}") for i in range(4)])
    )
    out = tmp_path / "data.jsonl"

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None

        def progress(event: BatchEvent) -> None:
            if event.kind == "done" and event.done == 2:
                task.cancel()

        await build_dataset(
            instr.instructions,
            out,
            context=WriterContext(model="fake"),
            documents=FakeAgent(),
            progress=progress,
        )

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(main())
    assert len(rows_of(out)) == 2


def test_a_crashed_build_continues_each_document_from_its_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = [f"Write a 2000-word history of {topic}." for topic in ("bridges", "ports")]
    instr = load_instructions(
        write_instructions(tmp_path / "in.jsonl", [row(p, None) for p in prompts])
    )
    out = tmp_path / "data.jsonl"
    context = WriterContext(memory=":memory:", embedding="hash", structured_plan=False)

    def build() -> Any:
        async def run() -> Any:
            async with BatchCheckpoints().open(sibling_paths(out)[0]) as documents:
                return await build_dataset(
                    instr.instructions, out, context=context, documents=documents
                )

        return asyncio.run(run()).batch

    write_with(monkeypatch, Crashing(crash_after=9))  # 6 calls a document: dies in the second
    first = build()
    assert (first.done, first.failed) == (1, 1)
    model = ScriptedWriter()
    write_with(monkeypatch, model)
    again = build()
    assert (again.skipped, again.done, again.failed) == (1, 1, 0)
    assert not any("Paragraph 1 - Main Point" in c for c in model.calls)  # no planning again
    assert not any(prompts[0] in str(m.content) for r, _ in model.exchanges for m in r)
