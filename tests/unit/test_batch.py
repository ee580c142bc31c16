"""Resumable batch runner: skipping finished keys, retrying failures, concurrency, Ctrl-C."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from longwriter.batch.resumable import BatchEvent, finished_keys, run_resumable
from longwriter.jsonl import read_jsonl


def _rows(path: Path) -> list[dict[str, Any]]:
    return [row for _, row in read_jsonl(path)]


def test_runs_everything_and_writes_rows_with_their_key(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"

    async def work(n: int) -> dict[str, Any]:
        return {"square": n * n, "key": "ignored"}

    summary = asyncio.run(run_resumable([1, 2, 3], key=str, work=work, out_path=out))
    assert (summary.total, summary.skipped, summary.done, summary.failed) == (3, 0, 3, 0)
    assert sorted((r["key"], r["square"]) for r in _rows(out)) == [("1", 1), ("2", 4), ("3", 9)]
    assert summary.seconds >= 0


def test_rerun_skips_finished_and_retries_failed(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    calls: list[int] = []
    flaky = {2}

    async def work(n: int) -> dict[str, Any]:
        calls.append(n)
        if n in flaky:
            raise RuntimeError("server hiccup")
        return {"n": n}

    first = asyncio.run(run_resumable([1, 2, 3], key=str, work=work, out_path=out))
    assert (first.done, first.failed) == (2, 1)
    assert first.errors == [("2", "RuntimeError: server hiccup")]
    assert finished_keys(out) == {"1", "3"}

    flaky.clear()
    calls.clear()
    second = asyncio.run(run_resumable([1, 2, 3], key=str, work=work, out_path=out))
    assert calls == [2]
    assert (second.skipped, second.done, second.failed) == (2, 1, 0)
    assert sorted(r["n"] for r in _rows(out)) == [1, 2, 3]


def test_concurrency_is_bounded_and_used(tmp_path: Path) -> None:
    in_flight = 0
    peak = 0

    async def work(n: int) -> dict[str, Any]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return {}

    out = tmp_path / "out.jsonl"
    summary = asyncio.run(run_resumable(range(10), key=str, work=work, out_path=out, concurrency=3))
    assert summary.done == 10
    assert peak == 3


def test_progress_events_count_up(tmp_path: Path) -> None:
    events: list[BatchEvent] = []

    async def work(n: int) -> dict[str, Any]:
        if n == 1:
            raise ValueError("bad item")
        return {}

    out = tmp_path / "out.jsonl"
    (tmp_path / "out.jsonl").write_text('{"key": "0"}\n', encoding="utf-8")
    asyncio.run(run_resumable([0, 1, 2], key=str, work=work, out_path=out, progress=events.append))
    finished = [e for e in events if e.kind != "started"]
    assert [(e.kind, e.key) for e in finished] == [("failed", "1"), ("done", "2")]
    assert finished[-1].skipped == 1 and finished[-1].done == 1 and finished[-1].failed == 1
    assert finished[0].error == "ValueError: bad item"


def test_duplicate_keys_and_bad_concurrency_are_rejected(tmp_path: Path) -> None:
    async def work(n: int) -> dict[str, Any]:
        return {}

    with pytest.raises(ValueError, match="duplicate item keys: 1"):
        asyncio.run(run_resumable([1, 1, 2], key=str, work=work, out_path=tmp_path / "o.jsonl"))
    with pytest.raises(ValueError, match="concurrency"):
        asyncio.run(
            run_resumable([1], key=str, work=work, out_path=tmp_path / "o.jsonl", concurrency=0)
        )


def test_cancel_keeps_finished_rows_and_a_rerun_completes(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"

    async def work(n: int) -> dict[str, Any]:
        await asyncio.sleep(0 if n == 0 else 10)
        return {"n": n}

    async def interrupted() -> None:
        task = asyncio.create_task(
            run_resumable(range(4), key=str, work=work, out_path=out, concurrency=2)
        )
        while not out.exists():
            await asyncio.sleep(0.01)
        task.cancel()  # what asyncio.run does on Ctrl-C
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(interrupted())
    assert _rows(out) == [{"key": "0", "n": 0}]

    async def quick(n: int) -> dict[str, Any]:
        return {"n": n}

    summary = asyncio.run(run_resumable(range(4), key=str, work=quick, out_path=out))
    assert (summary.skipped, summary.done) == (1, 3)
    assert sorted(r["n"] for r in _rows(out)) == [0, 1, 2, 3]


def test_saved_is_called_again_for_rows_already_written(tmp_path: Path) -> None:
    """A kill between a row's append and its ``saved`` left its checkpoints: the rerun drops them."""
    out = tmp_path / "out.jsonl"
    out.write_text('{"key": "1", "n": 1}\n{"key": "9", "n": 9}\n')
    dropped: list[str] = []

    async def work(n: int) -> dict[str, Any]:
        return {"n": n}

    async def saved(k: str) -> None:
        dropped.append(k)

    summary = asyncio.run(run_resumable([1, 2], key=str, work=work, out_path=out, saved=saved))
    assert (summary.skipped, summary.done) == (1, 1)
    assert dropped == ["1", "2"]  # "9" is not an item of this batch
