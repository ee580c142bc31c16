"""``longwriter dataset ...``: build an AgentWrite training set, inspect it, make instructions.

Progress goes to stderr; every command prints its summary as one JSON object on the last line of
stdout.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from longwriter.batch.resumable import BatchEvent
from longwriter.cli_support import (
    ApiKey,
    BaseUrl,
    Checkpoints,
    Fresh,
    KeepMemory,
    ModelName,
    batch_checkpoints,
    guarded,
    input_option,
    old_names,
    output_option,
    setup_logging,
)
from longwriter.data.filters import FilterConfig
from longwriter.errors import ConfigError
from longwriter.jsonl import save_jsonl
from longwriter.userfiles import check_output_file

if TYPE_CHECKING:
    from longwriter.data.build import BuildResult

app = typer.Typer(
    help="Training data (AgentWrite): build a long-output SFT set with the agent, show its length "
    "distribution, and turn a list of topics into instructions.",
    no_args_is_help=True,
)
_stderr = Console(stderr=True)
log = logging.getLogger(__name__)


@app.callback()
def _setup() -> None:
    """Warnings and errors go to stderr."""
    setup_logging(_stderr)


_guard = guarded(_stderr, interrupted="interrupted: finished documents are saved; rerun to resume")


def _emit(summary: dict[str, Any]) -> None:
    print(json.dumps(summary, ensure_ascii=False, default=str), flush=True)


class _BuildProgress:
    """A rich progress bar fed by the batch events: done / failed / in flight."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("documents", total=None, status="")
        self.running = 0

    def __call__(self, event: BatchEvent) -> None:
        self.running += 1 if event.kind == "started" else -1
        status = f"{self.running} writing"
        if event.failed:
            status += f", {event.failed} failed"
        if event.skipped:
            status += f", {event.skipped} already built"
        self.progress.update(
            self.task,
            total=event.total - event.skipped,
            completed=event.done + event.failed,
            status=status,
        )


@app.command(context_settings=old_names(instructions="input", out="output"))
@_guard
def build(
    instructions: Annotated[Path, input_option("JSONL rows with 'prompt' (+ 'length').")],
    out: Annotated[Path, output_option("Training JSONL to write.")],
    concurrency: Annotated[int, typer.Option(min=1, help="Documents in flight at once.")] = 1,
    base_url: BaseUrl = None,
    model: ModelName = None,
    api_key: ApiKey = "EMPTY",
    temperature: float = 0.7,
    top_p: float = 0.9,
    min_length_ratio: Annotated[
        float, typer.Option(help="Drop outputs below this share of the target.")
    ] = FilterConfig.min_length_ratio,
    max_rep4: Annotated[
        float, typer.Option(help="Drop outputs with a higher repeated 4-gram share.")
    ] = FilterConfig.max_rep4,
    min_sections: Annotated[
        int, typer.Option(help="Plans with fewer sections count as failed.")
    ] = FilterConfig.min_sections,
    max_failures_in_a_row: Annotated[
        int, typer.Option(help="Stop calling the endpoint after this many failures in a row.")
    ] = 5,
    checkpoints: Checkpoints = None,
    fresh: Fresh = False,
    keep_memory: KeepMemory = False,
) -> None:
    """Run the agent on every instruction (resumable) and keep the documents that pass the filters.

    Writes OUTPUT (chat-format rows with metadata), OUTPUT.build.jsonl (every generated document)
    and OUTPUT.rejected.jsonl (what the filters dropped, with reasons). Rerunning skips finished rows,
    continues unfinished documents from their checkpoints and re-applies the filters to all rows.
    """
    from longwriter.agent.context import WriterContext
    from longwriter.data.build import build_dataset, load_instructions, sibling_paths
    from longwriter.llm import check_endpoint, resolve_endpoint

    loaded = load_instructions(instructions)
    _stderr.print(
        f"{instructions}: {loaded.describe()}", markup=False, highlight=False, soft_wrap=True
    )
    if not loaded.instructions:
        raise ConfigError(f"no usable instruction in {instructions}: {loaded.describe()}")
    check_output_file(out, "--output")
    keep = batch_checkpoints(checkpoints, fresh, keep_memory)
    endpoint = resolve_endpoint(base_url, model, api_key)
    window = check_endpoint(endpoint)
    context = WriterContext(
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key=endpoint.api_key,
        temperature=temperature,
        top_p=top_p,
        context_window=window,
        memory=":memory:",
    )
    filters = FilterConfig(
        min_length_ratio=min_length_ratio, max_rep4=max_rep4, min_sections=min_sections
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )

    async def run(bar: Progress) -> BuildResult:
        async with keep.open(sibling_paths(out)[0]) as documents:
            return await build_dataset(
                loaded.instructions,
                out,
                context=context,
                documents=documents,
                concurrency=concurrency,
                filters=filters,
                max_failures_in_a_row=max_failures_in_a_row,
                progress=_BuildProgress(bar),
            )

    with Progress(*columns, console=_stderr) as bar:
        result = asyncio.run(run(bar))
    batch, split = result.batch, result.split
    if batch.failed:
        _stderr.print(f"{batch.failed} failed: rerun the same command to retry them")
    _emit(
        {
            "out": str(result.out_path),
            "instructions": len(loaded.instructions),
            "skipped_input": {
                "bad_lines": loaded.bad_lines,
                "empty": len(loaded.empty),
                "invalid": len(loaded.invalid),
                "duplicates": len(loaded.duplicates),
            },
            "generated": batch.done,
            "already_built": batch.skipped,
            "failed": batch.failed,
            "errors": [{"key": k, "error": e} for k, e in batch.errors[:10]],
            "kept": split.kept,
            "rejected": split.rejected,
            "reject_reasons": dict(split.reasons),
            "seconds": round(batch.seconds, 1),
        }
    )


@app.command()
@_guard
def stats(
    data: Annotated[Path, typer.Argument(help="Training JSONL (output of `dataset build`).")],
    plot: Annotated[
        Path | None, typer.Option(help="Write a PNG of the length distribution here.")
    ] = None,
) -> None:
    """Print (and plot) the output-length distribution of a dataset."""
    from longwriter.data.stats import load_length_stats, plot_lengths

    lengths = load_length_stats(data)
    summary = lengths.summary()
    buckets = lengths.buckets()
    table = Table(title=f"{data.name}: words per output", title_justify="left")
    table.add_column("bucket")
    table.add_column("rows", justify="right")
    table.add_column("share", justify="right")
    for label, count in buckets.items():
        table.add_row(label, str(count), f"{count / summary['rows']:.0%}")
    _stderr.print(table)
    result: dict[str, Any] = {**summary, "buckets": buckets}
    if plot is not None:
        result["plot"] = str(plot_lengths(lengths, plot, title=data.name))
    _emit(result)


@app.command(context_settings=old_names(topics="input", t="i", out="output"))
@_guard
def instructions(
    topics: Annotated[Path, input_option("Text file, one topic a line.")],
    out: Annotated[Path, output_option("Instruction JSONL to write.")],
    min_words: Annotated[int, typer.Option(min=1, help="Shortest target.")] = 2000,
    max_words: Annotated[int, typer.Option(min=1, help="Longest target.")] = 20000,
    language: Annotated[
        str | None, typer.Option(help="Template language (en, zh); default: per topic.")
    ] = None,
    seed: int = 0,
) -> None:
    """Turn topics into instructions with targets spread evenly (log scale) over a range."""
    from longwriter.data.instructions import make_instructions, read_topics

    rows = make_instructions(
        read_topics(topics), min_words=min_words, max_words=max_words, language=language, seed=seed
    )
    check_output_file(out, "--output")
    save_jsonl(out, rows)
    lengths = sorted(r["length"] for r in rows)
    _emit({"out": str(out), "rows": len(rows), "min": lengths[0], "max": lengths[-1]})
