"""Resumable batch runs: each finished item is appended to a JSONL file as soon as it is done.

Rerunning with the same output file skips the items whose key is already there, so an interrupted
run (crash, Ctrl-C) loses at most the items that were in flight. Failed items are not written, so a
rerun retries them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from longwriter.jsonl import append_jsonl, read_jsonl

log = logging.getLogger(__name__)
_SPACE = re.compile(r"\s+")

T = TypeVar("T")


def prompt_key(prompt: str) -> str:
    """Stable key of a prompt: whitespace and case do not matter."""
    normal = _SPACE.sub(" ", prompt).strip().casefold()
    return hashlib.sha1(normal.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class BatchEvent:
    """Progress of a batch: ``kind`` happened to ``key``; counters are running totals."""

    kind: Literal["started", "done", "failed"]
    key: str
    total: int
    skipped: int
    done: int
    failed: int
    error: str | None = None


@dataclass
class BatchSummary:
    """Outcome of :func:`run_resumable`; ``errors`` holds ``(key, message)`` per failed item."""

    total: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def finished_keys(out_path: Path) -> set[str]:
    """Keys of the rows already in ``out_path`` (rows with a ``"key"``); bad lines are skipped."""
    if not Path(out_path).exists():
        return set()
    return {str(row["key"]) for _, row in read_jsonl(out_path, skip_bad=True) if "key" in row}


async def run_resumable(
    items: Sequence[T],
    *,
    key: Callable[[T], str],
    work: Callable[[T], Awaitable[dict[str, Any]]],
    out_path: Path,
    concurrency: int = 1,
    progress: Callable[[BatchEvent], None] | None = None,
    saved: Callable[[str], Awaitable[None]] | None = None,
) -> BatchSummary:
    """Run ``work`` on each item whose key is not yet in ``out_path``, ``concurrency`` at a time.

    Each finished row is appended to ``out_path`` with its ``"key"``, then ``saved(key)`` may drop
    what the item needed while unfinished (its checkpoints); rows found already written get their
    ``saved(key)`` again at the start (a kill may have come between the two). An exception from ``work`` is logged
    and counted in the summary, and the item is left for a rerun. Cancellation (Ctrl-C under
    ``asyncio.run``) cancels the items in flight; rows already written stay intact.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    keys = [key(item) for item in items]
    dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
    if dupes:
        raise ValueError(f"duplicate item keys: {', '.join(dupes[:5])}")
    started = time.monotonic()
    finished = finished_keys(out_path)
    pending = [(k, item) for k, item in zip(keys, items, strict=True) if k not in finished]
    summary = BatchSummary(total=len(items), skipped=len(items) - len(pending))
    if saved is not None:  # a kill between a row's append and its saved() left its checkpoints
        for k in sorted(finished & set(keys)):
            await saved(k)

    def emit(kind: Literal["started", "done", "failed"], k: str, error: str | None = None) -> None:
        if progress is not None:
            s = summary
            progress(BatchEvent(kind, k, s.total, s.skipped, s.done, s.failed, error))

    queue: Iterator[tuple[str, T]] = iter(pending)

    async def worker() -> None:
        for k, item in queue:  # the shared iterator hands each item to exactly one worker
            emit("started", k)
            try:
                row = await work(item)
            except Exception as exc:  # one bad item must not stop the batch
                message = f"{type(exc).__name__}: {exc}"
                log.warning("item %s failed: %s", k, message)
                summary.failed += 1
                summary.errors.append((k, message))
                emit("failed", k, message)
                continue
            append_jsonl(out_path, {"key": k, **{f: v for f, v in row.items() if f != "key"}})
            if saved is not None:
                await saved(k)
            summary.done += 1
            emit("done", k)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(pending))):
                group.create_task(worker())
    finally:
        summary.seconds = time.monotonic() - started
    return summary
