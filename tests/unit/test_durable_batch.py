"""Durable batches: every document checkpointed per section under a stable thread, resumed mid-way
after a crash, its Chroma memory deleted once it is done (or kept by a flag)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import chromadb
import pytest
from typer.testing import CliRunner

from longwriter import BackendError, WriterContext
from longwriter.batch.documents import BatchItem, write_batch
from longwriter.batch.resumable import BatchSummary
from longwriter.batch.store import BatchCheckpoints, DocumentStore
from longwriter.cli import app
from longwriter.jsonl import read_jsonl
from tests.fakes import Crashing, ScriptedWriter

ITEMS = [
    BatchItem("bridges", "Write a history of bridges.", 2000),
    BatchItem("maps", "Write an essay on maps.", 2000),
    BatchItem("ports", "Write a report on ports.", 2000),
]
PLAN_MARK = "Paragraph 1 - Main Point"
CRASH = 20
"""A document takes 11 calls (4 to plan, 7 for 5 sections): the server dies inside the second."""


def _ctx(chroma: Path) -> WriterContext:
    return WriterContext(memory=str(chroma), embedding="hash", structured_plan=False)


def _batch(
    out: Path, model: ScriptedWriter, keep: BatchCheckpoints | None = None
) -> tuple[BatchSummary, list[dict[str, Any]], str]:
    """Write ITEMS into ``out``; the summary, the graph events and the batch's thread prefix."""
    events: list[dict[str, Any]] = []

    async def run() -> tuple[BatchSummary, str]:
        async with (keep or BatchCheckpoints()).open(out / "results.jsonl") as documents:
            summary = await write_batch(
                ITEMS,
                out,
                documents=documents,
                context=_ctx(out / "chroma"),
                chat_model=model,
                on_event=events.append,
            )
            return summary, documents.thread_id("")

    summary, prefix = asyncio.run(run())
    return summary, events, prefix


def _saved_sections(out: Path, key: str) -> list[dict[str, Any]]:
    """The accepted sections checkpointed for row ``key`` of the batch in ``out``."""

    async def read() -> list[dict[str, Any]]:
        from longwriter.agent.graph import build_graph

        async with BatchCheckpoints().open(out / "results.jsonl") as documents:
            config = {"configurable": {"thread_id": documents.thread_id(key)}}
            state = await build_graph(documents.saver).aget_state(config)  # type: ignore[arg-type]
            return list(state.values.get("sections", []))

    return asyncio.run(read())


def _collections(chroma: Path, prefix: str) -> list[str]:
    names = [c.name for c in chromadb.PersistentClient(path=str(chroma)).list_collections()]
    return sorted(n for n in names if n.startswith(f"lw-{prefix}"))


def _planned(model: ScriptedWriter) -> set[str]:
    """The rows ``model`` was asked to plan."""
    return {i.id for i in ITEMS if any(PLAN_MARK in c and i.prompt in c for c in model.calls)}


def _asked_about(model: ScriptedWriter, item: BatchItem) -> bool:
    """Whether any request to ``model`` was about ``item``."""
    return any(item.prompt in str(m.content) for request, _ in model.exchanges for m in request)


def _accepted(events: list[dict[str, Any]]) -> int:
    return sum(1 for e in events if e.get("event") == "accepted")


def test_a_crashed_batch_resumes_each_document_where_it_stopped(tmp_path: Path) -> None:
    clean_out = tmp_path / "clean"
    clean, _, _ = _batch(clean_out, ScriptedWriter())
    assert clean.done == 3

    out = tmp_path / "crashed"
    first, events, prefix = _batch(out, Crashing(crash_after=CRASH))
    assert (first.done, first.failed) == (1, 2)
    saved = _saved_sections(out, "maps")
    assert len(saved) >= 1
    assert _collections(out / "chroma", prefix) == []  # finished and abandoned: memory deleted

    model = ScriptedWriter()
    second, events, again = _batch(out, model)
    assert again == prefix  # the same threads
    assert (second.skipped, second.done, second.failed) == (1, 2, 0)
    assert _planned(model) == {"ports"}  # "maps" continued without planning again
    assert not _asked_about(model, ITEMS[0])  # the finished document is not written again
    clean_reports = {
        row["key"]: json.loads(Path(row["report"]).read_text(encoding="utf-8"))
        for _, row in read_jsonl(clean_out / "results.jsonl")
    }
    rows = {row["key"]: row for _, row in read_jsonl(out / "results.jsonl")}
    reports = {
        k: json.loads(Path(r["report"]).read_text(encoding="utf-8")) for k, r in rows.items()
    }
    # No section written twice: the second run accepted only what the first had not.
    assert _accepted(events) == len(reports["maps"]["sections"]) - len(saved) + len(
        reports["ports"]["sections"]
    )
    maps = Path(rows["maps"]["output"]).read_text(encoding="utf-8")
    assert all(s["text"] in maps for s in saved)
    for key in ("maps", "ports"):
        titles = [s["title"] for s in reports[key]["sections"]]
        assert titles == [s["title"] for s in clean_reports[key]["sections"]]
        assert rows[key]["thread_id"] == f"{prefix}{key}"
    assert _saved_sections(out, "maps") == []  # a recorded document's checkpoints are dropped
    assert _collections(out / "chroma", prefix) == []


def test_keep_memory_keeps_the_collections(tmp_path: Path) -> None:
    keep = BatchCheckpoints(keep_memory=True)
    summary, _, prefix = _batch(tmp_path, Crashing(crash_after=CRASH), keep)
    assert (summary.done, summary.failed) == (1, 2)
    names = _collections(tmp_path / "chroma", prefix)
    assert f"lw-{prefix}bridges" in names and f"lw-{prefix}maps" in names


def test_fresh_starts_unfinished_documents_over(tmp_path: Path) -> None:
    _batch(tmp_path, Crashing(crash_after=CRASH))
    model = ScriptedWriter()
    summary, _, _ = _batch(tmp_path, model, BatchCheckpoints(fresh=True))
    assert (summary.skipped, summary.done) == (1, 2)
    assert _planned(model) == {"maps", "ports"}


def test_thread_ids_are_stable_per_file_and_distinct_between_files(tmp_path: Path) -> None:
    async def thread(path: Path, key: str) -> str:
        async with BatchCheckpoints(path).open(tmp_path / "unused.jsonl") as documents:
            return documents.thread_id(key)

    one = asyncio.run(thread(tmp_path / "a.sqlite", "row-1"))
    assert one.endswith("-row-1")
    assert asyncio.run(thread(tmp_path / "a.sqlite", "row-1")) == one
    assert asyncio.run(thread(tmp_path / "b.sqlite", "row-1")) != one


def test_an_edited_row_starts_over(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def write(documents: DocumentStore, prompt: str, model: ScriptedWriter) -> None:
        await documents.write(
            prompt, key="row", context=_ctx(tmp_path / "chroma"), chat_model=model
        )

    async def run() -> ScriptedWriter:
        async with BatchCheckpoints().open(tmp_path / "r.jsonl") as documents:
            with pytest.raises(BackendError):
                await write(documents, "Write a 900-word essay on maps.", Crashing(crash_after=2))
            model = ScriptedWriter()
            await write(documents, "Write a 900-word essay on tea.", model)
            return model

    model = asyncio.run(run())
    assert "instruction changed" in caplog.text
    assert any(PLAN_MARK in c and "tea" in c for c in model.calls)


def test_cli_batch_checkpoints_beside_the_results(tmp_path: Path) -> None:
    batch = tmp_path / "in.jsonl"
    batch.write_text(json.dumps({"prompt": "Write about rivers.", "id": "r"}) + "\n")
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database")
    runner = CliRunner()
    for extra, message in [
        (["Write x", "--fresh"], "--fresh only applies with --batch"),
        (["Write x", "--keep-memory"], "--keep-memory only applies with --batch"),
        (
            ["--batch", str(batch), "--out-dir", str(tmp_path / "d"), "--checkpoints", str(bad)],
            "is not a SQLite file",
        ),
    ]:
        result = runner.invoke(app, ["write", *extra])
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.stderr.split())
