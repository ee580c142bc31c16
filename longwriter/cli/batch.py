"""``longwriter write --batch``: every document of a JSONL file into a folder, each checkpointed per
section, so rerunning the same command continues the unfinished ones."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from longwriter.cli.views import BatchView
from longwriter.cli_support import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    Fresh,
    KeepMemory,
    batch_checkpoints,
    emit,
    fail,
    stderr,
)
from longwriter.errors import ConfigError
from longwriter.export import check_format, output_format
from longwriter.userfiles import check_output_folder

if TYPE_CHECKING:
    from longwriter.agent.context import WriterContext
    from longwriter.batch.documents import BatchItem
    from longwriter.batch.resumable import BatchSummary
    from longwriter.batch.store import BatchCheckpoints


@dataclass(frozen=True)
class BatchOptions:
    """The options of ``write --batch`` (none of them goes without it)."""

    batch: Annotated[
        Path | None,
        typer.Option(help="JSONL file: one document per line, {prompt, length?, id?}"),
    ] = None
    out_dir: Annotated[
        Path | None, typer.Option(help="with --batch: folder for the documents and results.jsonl")
    ] = None
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="with --batch: documents in flight at once (1)")
    ] = None
    fresh: Fresh = False
    keep_memory: KeepMemory = False


def check_mode(batch: BatchOptions, single: dict[str, object]) -> None:
    """Without --batch none of its options; with it --out-dir and none of the ``single`` options
    (those of one document, by flag)."""
    if batch.batch is None:
        only_batch = {
            "--out-dir": batch.out_dir,
            "--concurrency": batch.concurrency,
            "--fresh": batch.fresh,
            "--keep-memory": batch.keep_memory,
        }
        for name, value in only_batch.items():
            if value:
                raise ConfigError(f"{name} only applies with --batch")
        return
    if batch.out_dir is None:
        raise ConfigError("--batch needs --out-dir (the folder for the documents)")
    clash = [name for name, value in single.items() if value]
    if clash:
        raise ConfigError(f"--batch cannot be combined with {', '.join(clash)}")


def write_batch(
    options: BatchOptions, context: WriterContext, fmt: str | None, checkpoints: Path | None
) -> None:
    """Check the batch's inputs (every line, the format, the folder, the checkpoints), then write
    it; the summary is the last stdout line, and any failed document fails the command (exit 1)."""
    from longwriter.batch.documents import read_batch

    assert options.batch is not None and options.out_dir is not None  # checked by check_mode
    items = read_batch(options.batch)
    fmt = output_format(None, fmt)
    check_format(fmt, sample="\n".join(item.prompt for item in items), language=context.language)
    check_output_folder(options.out_dir, "--out-dir")
    keep = batch_checkpoints(checkpoints, options.fresh, options.keep_memory)
    summary = _run(items, options.out_dir, options.concurrency or 1, context, keep, fmt)
    if summary.failed:
        stderr.print(f"{summary.failed} failed: rerun the same command to retry them")
        raise typer.Exit(EXIT_FAILED)


def _run(
    items: list[BatchItem],
    out_dir: Path,
    concurrency: int,
    context: WriterContext,
    keep: BatchCheckpoints,
    fmt: str,
) -> BatchSummary:
    """Write the batch under a progress view and print its summary."""
    from longwriter.batch.documents import RESULTS
    from longwriter.batch.documents import write_batch as write_documents

    results = out_dir / RESULTS
    stderr.print(f"{len(items)} documents → {out_dir} (finished ones are listed in {results})")

    async def run(view: BatchView) -> BatchSummary:
        async with keep.open(results) as documents:
            return await write_documents(
                items,
                out_dir,
                documents=documents,
                context=context,
                concurrency=concurrency,
                progress=view.on_batch,
                on_event=view.on_event,
                fmt=fmt,
            )

    try:
        with BatchView(stderr) as view:
            summary = asyncio.run(run(view))
    except KeyboardInterrupt:
        raise fail(
            "interrupted; every accepted section is checkpointed: rerun the same command to continue",
            EXIT_INTERRUPTED,
        ) from None
    emit(
        {
            "out_dir": str(out_dir),
            "results": str(results),
            "total": summary.total,
            "skipped": summary.skipped,
            "done": summary.done,
            "failed": summary.failed,
            "errors": [{"id": k, "error": e} for k, e in summary.errors],
            "seconds": round(summary.seconds, 1),
        }
    )
    return summary
