"""``longwriter write``: one document (this module) or, with ``--batch``, every document of a JSONL
file (:mod:`longwriter.cli.batch`)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from longwriter.agent.context import WriterContext, home_dir
from longwriter.cli.batch import BatchOptions, check_mode, write_batch
from longwriter.cli.inputs import load_plan, read_instruction
from longwriter.cli.options import Format, WriterOptions, WritingOptions
from longwriter.cli.review import plan_reviewer
from longwriter.cli.views import ProgressView
from longwriter.cli_support import (
    EXIT_INPUT,
    EXIT_INTERRUPTED,
    emit,
    exit_code,
    fail,
    guarded,
    setting,
    stderr,
    with_options,
)
from longwriter.errors import ConfigError, LongWriterError
from longwriter.export import check_format, export_document, output_format
from longwriter.files import save_json, save_text
from longwriter.userfiles import check_output_file

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from longwriter.api import DocumentResult

Instruction = Annotated[str | None, typer.Argument(help="the instruction, or a file holding it")]
WriteCheckpoints = Annotated[
    Path | None,
    typer.Option(
        help="SQLite checkpoint file (default: $LONGWRITER_HOME/checkpoints.sqlite; with "
        "--batch: .results.checkpoints.sqlite in --out-dir)"
    ),
]


@dataclass(frozen=True)
class DocumentOptions:
    """The options of one document (none of them goes with --batch)."""

    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="output file (its suffix sets --format)")
    ] = None
    report: Annotated[
        Path | None, typer.Option("--report", help="report JSON (default: beside the output)")
    ] = None
    thread_id: Annotated[
        str | None, typer.Option("--thread-id", help="name of this run (for --resume)")
    ] = None
    resume: Annotated[
        bool, typer.Option("--resume", help="continue the run --thread-id where it stopped")
    ] = False
    plan: Annotated[
        Path | None, typer.Option("--plan", help="plan JSON to write from (see `longwriter plan`)")
    ] = None
    review_plan: Annotated[
        bool, setting("review_plan", more="It opens in your editor ($EDITOR) as JSON.")
    ] = WriterContext.review_plan
    sources: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            help="your own material to write from and cite: a file (.txt .md .html .pdf .docx "
            ".jsonl), a folder or a glob (repeatable)",
        ),
    ] = None

    def given(self) -> dict[str, object]:
        """The options by flag, to tell which were given."""
        return {
            "--resume": self.resume,
            "--thread-id": self.thread_id,
            "--plan": self.plan,
            "--review-plan": self.review_plan,
            "--output": self.output,
            "--report": self.report,
            "--source": self.sources,
        }


@guarded()
@with_options(
    document=DocumentOptions, settings=WriterOptions, writing=WritingOptions, batch=BatchOptions
)
def write(
    *,
    instruction: Instruction = None,
    document: DocumentOptions,
    fmt: Format = None,
    settings: WriterOptions,
    writing: WritingOptions,
    checkpoints: WriteCheckpoints = None,
    batch: BatchOptions,
) -> None:
    """Write a document: plan, then write section by section with critique, revision and memory.

    With --batch, write every document of a JSONL file into --out-dir: each is checkpointed per
    section, so rerunning the same command continues every unfinished one where it stopped.
    """
    check_mode(batch, {"an instruction argument": instruction, **document.given()})
    if batch.batch is not None:
        write_batch(batch, settings.context(**writing.settings()), fmt, checkpoints)
        return
    context = settings.context(**writing.settings(), review_plan=document.review_plan)
    write_one(instruction, document, context, fmt, checkpoints)


def write_one(
    instruction: str | None,
    document: DocumentOptions,
    context: WriterContext,
    fmt: str | None,
    checkpoints: Path | None,
) -> None:
    """Write (or resume) one document with a progress view; the summary is the last stdout line.
    Every input is checked before the run starts."""
    if document.resume and not document.thread_id:
        raise ConfigError("--resume needs the --thread-id of the run to continue")
    if document.resume and document.sources:
        raise ConfigError(
            "--source does not go with --resume: a run keeps the sources it began with"
        )
    if not document.resume and instruction is None:
        raise ConfigError("give an instruction (text or a file)")
    text = None if document.resume else read_instruction(instruction or "")
    plan = load_plan(document.plan) if document.plan else None
    fmt = output_format(document.output, fmt)
    check_format(fmt, sample=text or "", language=context.language)
    thread_id = document.thread_id or f"doc-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
    output = document.output or Path("longwriter-out") / f"{thread_id}.{fmt}"
    report = document.report or output.with_suffix(".report.json")
    for option, path in (("--output", output), ("--report", report)):
        check_output_file(path, option)
    if checkpoints is not None:
        check_output_file(checkpoints, "--checkpoints")
    if document.sources:
        from longwriter.sources.read import source_paths

        source_paths(document.sources)  # a missing file fails before any model starts
    result = _run(text, thread_id, context, plan, checkpoints, document.sources or [])
    _save(result, output, report, fmt)


def _run(
    text: str | None,
    thread_id: str,
    context: WriterContext,
    plan: Any,
    checkpoints: Path | None,
    sources: list[str],
) -> DocumentResult:
    """Run the document ``thread_id`` (``text`` None: resume it) under a progress view."""
    from longwriter.api import DocumentRun, saved_run, sqlite_checkpointer

    how_to_resume = f"Continue with: longwriter write --thread-id {thread_id} --resume"
    with sqlite_checkpointer(checkpoints) as saver:
        saved = saved_run(saver, thread_id)
        if text is None and not saved:
            where = checkpoints or home_dir() / "checkpoints.sqlite"
            raise ConfigError(f"no saved run named {thread_id!r} in {where}")
        if text is not None and saved:
            raise ConfigError(
                f"a run named {thread_id!r} already exists: add --resume to continue it, or pick "
                "another --thread-id"
            )
        if saved.get("sections"):
            stderr.print(f"resuming {thread_id}: {len(saved['sections'])} sections already written")
        stderr.print(
            f"run: {thread_id}  (resume with: longwriter write --thread-id {thread_id} --resume)"
        )
        try:
            with ProgressView(stderr) as view:
                return DocumentRun(
                    text,
                    thread_id=thread_id,
                    checkpointer=saver,
                    context=context,
                    plan=plan,
                    sources=sources,
                    on_event=view.on_event,
                    review=plan_reviewer(view, how_to_resume),
                ).run()
        except KeyboardInterrupt:
            raise fail(
                f"interrupted; nothing accepted is lost. {how_to_resume}", EXIT_INTERRUPTED
            ) from None
        except LongWriterError as exc:
            raise _stopped(exc, saver, thread_id, how_to_resume) from None


def _stopped(
    exc: LongWriterError, saver: BaseCheckpointSaver[Any], thread_id: str, how_to_resume: str
) -> typer.Exit:
    """The exit of a run that ``exc`` ended: bad input found inside the graph, before any model
    call (exit 2), or a failed run (exit 1), which says how to continue when it saved any accepted
    section."""
    from longwriter.api import saved_run

    if isinstance(exc, ConfigError):
        return fail(str(exc), EXIT_INPUT)
    if saved_run(saver, thread_id).get("sections"):
        return fail(f"{exc}\n(accepted sections are saved. {how_to_resume})", exit_code(exc))
    return fail(str(exc), exit_code(exc))


def _save(result: DocumentResult, output: Path, report: Path, fmt: str) -> None:
    """Save the report and the document in ``fmt``; a document far below its target, or one that
    could not be exported (then kept as Markdown), fails the command (exit 1)."""
    from longwriter.api import shortfall
    from longwriter.batch.documents import summary_fields

    rep = result.report
    save_json(report, rep)
    try:
        export_document(result.text, rep, output, fmt)
    except LongWriterError as exc:  # the document is not lost: it is kept as Markdown
        kept = save_text(output.with_suffix(".md"), result.text)
        raise fail(f"{exc}; the document is saved as Markdown: {kept}, report: {report}") from None
    summary = summary_fields(rep) | {"output": str(output), "report": str(report)}
    problem = shortfall(rep)
    if problem:
        emit(summary | {"failed": problem})
        raise fail(f"{problem}; written anyway: {output}, report: {report}")
    stderr.print(
        f"[bold green]done:[/] {output} — {rep['words']} words (target {rep['target_words']}, "
        f"S_l {rep['length_score']:.1f}, rep4 {rep['rep4']:.3f}, {rep['seconds']:.0f}s); report: {report}"
    )
    emit(summary)
