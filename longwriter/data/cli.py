"""``longwriter dataset ...``: build an AgentWrite training set, inspect it, make instructions.

Progress goes to stderr; every command prints its summary as one JSON object on the last line of
stdout.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
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
    CheckpointOptions,
    CommandGroup,
    EndpointOptions,
    InstructionsFile,
    SamplingOptions,
    emit,
    input_option,
    output_option,
    stderr,
    with_options,
    writer_context,
)
from longwriter.data.filters import FilterConfig
from longwriter.errors import ConfigError
from longwriter.jsonl import save_jsonl
from longwriter.userfiles import check_output_file

if TYPE_CHECKING:
    from longwriter.agent.context import WriterContext
    from longwriter.batch.store import BatchCheckpoints
    from longwriter.data.build import BuildResult, InstructionFile

commands = CommandGroup(
    "Training data (AgentWrite): build a long-output SFT set with the agent, show its length "
    "distribution, and turn a list of topics into instructions.",
    interrupted="interrupted: finished documents are saved; rerun to resume",
)
app = commands.app


def read_instructions(path: Path) -> InstructionFile:
    """The instructions of ``path`` (``dataset build``, ``train dpo-pairs``); what was skipped is
    said on stderr."""
    from longwriter.data.build import load_instructions

    loaded = load_instructions(path)
    stderr.print(f"{path}: {loaded.describe()}", markup=False, highlight=False, soft_wrap=True)
    return loaded


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


@commands.command(instructions="input", out="output")
@with_options(endpoint=EndpointOptions, sampling=SamplingOptions, checkpointing=CheckpointOptions)
def build(
    *,
    instructions: InstructionsFile,
    out: Annotated[Path, output_option("Training JSONL to write.")],
    concurrency: Annotated[int, typer.Option(min=1, help="Documents in flight at once.")] = 1,
    endpoint: EndpointOptions,
    sampling: SamplingOptions,
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
    checkpointing: CheckpointOptions,
) -> None:
    """Run the agent on every instruction (resumable) and keep the documents that pass the filters.

    Writes OUTPUT (chat-format rows with metadata), OUTPUT.build.jsonl (every generated document)
    and OUTPUT.rejected.jsonl (what the filters dropped, with reasons). Rerunning skips finished rows,
    continues unfinished documents from their checkpoints and re-applies the filters to all rows.
    """
    loaded = read_instructions(instructions)
    if not loaded.instructions:
        raise ConfigError(f"no usable instruction in {instructions}: {loaded.describe()}")
    check_output_file(out, "--output")
    keep = checkpointing.settings()
    context = _writer(endpoint, sampling)
    filters = FilterConfig(
        min_length_ratio=min_length_ratio, max_rep4=max_rep4, min_sections=min_sections
    )
    result = _build(loaded, out, context, keep, concurrency, filters, max_failures_in_a_row)
    if result.batch.failed:
        stderr.print(f"{result.batch.failed} failed: rerun the same command to retry them")
    emit(_summary(loaded, result))


def _writer(endpoint: EndpointOptions, sampling: SamplingOptions) -> WriterContext:
    """The writer's settings: checked before the endpoint is asked for its model and window."""
    from longwriter.llm import check_endpoint, resolve_endpoint

    sampled = {"temperature": sampling.temperature, "top_p": sampling.top_p, "memory": ":memory:"}
    options = {"base_url": endpoint.base_url, "model": endpoint.model, "api_key": endpoint.api_key}
    context = writer_context(options | sampled)
    resolved = resolve_endpoint(endpoint.base_url, endpoint.model, endpoint.api_key)
    window = check_endpoint(resolved)
    served = {"base_url": resolved.base_url, "model": resolved.model, "api_key": resolved.api_key}
    return writer_context(served | {"context_window": window}, base=context)


def _build(
    loaded: InstructionFile,
    out: Path,
    context: WriterContext,
    keep: BatchCheckpoints,
    concurrency: int,
    filters: FilterConfig,
    max_failures_in_a_row: int,
) -> BuildResult:
    """Write the documents under a progress bar and filter them into the training set."""
    from longwriter.data.build import build_dataset, sibling_paths

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

    with Progress(*columns, console=stderr) as bar:
        return asyncio.run(run(bar))


def _summary(loaded: InstructionFile, result: BuildResult) -> dict[str, Any]:
    """The summary of ``dataset build``."""
    batch, split = result.batch, result.split
    return {
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


@commands.command()
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
    stderr.print(table)
    result: dict[str, Any] = {**summary, "buckets": buckets}
    if plot is not None:
        result["plot"] = str(plot_lengths(lengths, plot, title=data.name))
    emit(result)


@commands.command(topics="input", t="i", out="output")
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
    emit({"out": str(out), "rows": len(rows), "min": lengths[0], "max": lengths[-1]})
