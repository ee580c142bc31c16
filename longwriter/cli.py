"""``longwriter``: write long documents from the command line (typer + rich progress)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self

import click
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from longwriter.agent.context import WriterContext, home_dir
from longwriter.agent.events import Event
from longwriter.cli_support import (
    ApiKey,
    BaseUrl,
    EmbeddingKey,
    EmbeddingKind,
    EmbeddingModel,
    EmbeddingUrl,
    Fresh,
    KeepMemory,
    ModelName,
    batch_checkpoints,
    embedding_settings,
    parse_extra_body,
    print_error,
)
from longwriter.data.cli import app as dataset_app
from longwriter.errors import ConfigError, LongWriterError
from longwriter.eval.cli import app as eval_app
from longwriter.export import check_format, export_document, output_format
from longwriter.files import save_json, save_text
from longwriter.jsonl import json_value
from longwriter.planning.parse import sections_from_any
from longwriter.text.target import MAX_TARGET_WORDS
from longwriter.train.cli import app as train_app
from longwriter.userfiles import check_output_file, check_output_folder, read_user_text

if TYPE_CHECKING:
    from longwriter.api import ReviewPlan
    from longwriter.batch.documents import BatchItem
    from longwriter.batch.resumable import BatchEvent, BatchSummary
    from longwriter.batch.store import BatchCheckpoints

app = typer.Typer(
    help="Write coherent 10,000-20,000+ word documents with any chat LLM (AgentWrite + LongBench-Write).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(eval_app, name="eval")
app.add_typer(dataset_app, name="dataset")
app.add_typer(train_app, name="train")
err = Console(stderr=True)


def package_version() -> str:
    """The installed distribution's version, else (a checkout on PYTHONPATH) the package's own."""
    try:
        return metadata.version("longwriter")
    except metadata.PackageNotFoundError:
        from longwriter import __version__

        return __version__


def _print_version(wanted: bool) -> None:
    if wanted:
        print(f"longwriter {package_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Options of ``longwriter`` itself, before the command."""


Words = Annotated[
    int | None,
    typer.Option("--words", "-w", help="target length in words (default: from the instruction)"),
]
Gguf = Annotated[
    Path | None, typer.Option("--gguf", help="GGUF file for the embedded llama.cpp server")
]
Language = Annotated[
    str | None, typer.Option("--language", help="document language (default: detected)")
]
Endpoints = Annotated[
    list[str] | None,
    typer.Option(
        "--endpoint",
        envvar="LONGWRITER_ENDPOINTS",
        help="ROLE=URL[,MODEL]: send the plan or write calls to their own server (repeatable; "
        "in the env var, separated by spaces)",
    ),
]
Format = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="md, html, docx, epub or pdf, with a table of contents (default: the --output "
        "suffix, else md)",
    ),
]
ConnectWait = Annotated[
    float,
    typer.Option(min=0, help="seconds to wait for a model server that is still starting"),
]


PROMPT_SUFFIXES = (".txt", ".md", ".prompt", ".json", ".jsonl")
_ASCII_PATH = re.compile(r"[\w~-]*(?:[./][\w~-]*)+", re.ASCII)
"""One plain word with a dot or a slash ("prompt.text", "prompts/rome"); Chinese text with a slash
("输入/输出") is no path."""
_MAX_PATH = 4096
_MAX_NAME = 255  # bytes in one file name


def _plainly_a_path(value: str) -> bool:
    """Whether ``value`` can only mean a file: one word that ends in a prompt-file suffix, starts like
    a path ("/x", "./x", "~/x") or is a plain name with a dot or slash ("notes/x", "prompt.text"),
    and whose parts fit in a file name."""
    if (
        not value
        or len(value) >= _MAX_PATH
        or any(c.isspace() for c in value)
        or any(len(part.encode()) > _MAX_NAME for part in value.split("/"))
    ):
        return False
    return (
        value.lower().endswith(PROMPT_SUFFIXES)
        or value.startswith(("/", "./", "../", "~/"))
        or bool(_ASCII_PATH.fullmatch(value))
    )


def read_instruction(value: str) -> str:
    """The instruction: ``value`` itself, or the text of the file it names.

    Text of any length and script is never handed to the filesystem as a path (a long instruction
    made ``is_file()`` fail with "File name too long"): only a value that is plainly a path, or a
    short single line that names something on disk, is read as a file, and then it must be one.
    """
    named = value.strip()
    if _plainly_a_path(named) or (
        "\n" not in named and len(named) < _MAX_PATH and os.path.lexists(named)  # never raises
    ):
        value = read_user_text(Path(named).expanduser(), "prompt file")
    if not value.strip():
        raise ConfigError("the instruction is empty: say what to write")
    return value.strip()


def make_context(
    base_url: str | None,
    model: str | None,
    api_key: str,
    words: int | None,
    gguf: Path | None,
    language: str | None,
    endpoints: Sequence[str] | None,
    connect_wait: float,
    **extra: Any,
) -> WriterContext:
    """Settings from CLI options, with their bounds checked."""
    if words is not None and not 0 < words <= MAX_TARGET_WORDS:
        raise ConfigError(f"--words must be between 1 and {MAX_TARGET_WORDS}, got {words}")
    return WriterContext(
        base_url=base_url,
        model=model,
        api_key=api_key,
        endpoints=parse_endpoints(endpoints or ()),
        connect_wait=connect_wait,
        target_words=words,
        gguf=str(gguf) if gguf else None,
        language=language,
        **extra,
    )


def parse_endpoints(values: Sequence[str]) -> dict[str, dict[str, str]]:
    """``--endpoint ROLE=URL[,MODEL]`` values as ``WriterContext.endpoints``."""
    out: dict[str, dict[str, str]] = {}
    for value in values:
        role, sep, rest = value.partition("=")
        url, _, model = (part.strip() for part in rest.partition(","))
        role = role.strip()
        if not sep or not role or not url:
            raise ConfigError(f"--endpoint takes ROLE=URL[,MODEL], got {value!r}")
        if role in out:
            raise ConfigError(f"--endpoint {role}=... is given twice")
        out[role] = {"base_url": url} | ({"model": model} if model else {})
    return out


def _fail(message: str, code: int = 1) -> typer.Exit:
    print_error(err, message)
    return typer.Exit(code)


class _LiveView:
    """A rich progress display, shown while the ``with`` block runs."""

    progress: Progress

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


class ProgressView(_LiveView):
    """Rich progress for a document: section i/N, words vs target, tokens per second."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:>6.0f}/{task.total:.0f} words"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None
        self.tokens = 0
        self.llm_seconds = 0.0

    def on_event(self, event: Event) -> None:
        """Update from a ``custom`` stream event of the graph."""
        print_line = self.progress.console.print
        if event["event"] == "embedder":
            print_line(f"embedder: {event['text']}", markup=False)
        elif event["event"] == "plan":
            print_line(
                f"plan: [bold]{event['title']}[/] — {event['sections']} sections, {event['target_words']} words"
            )
            self.task = self.progress.add_task("planning", total=event["target_words"], rate="")
        elif (
            event["event"] == "resume"
        ):  # a resumed run plans nothing: its bar starts from the saved words
            self.task = self.progress.add_task(
                f"section {event['written'] + 1}/{event['sections']}",
                total=event["target_words"],
                completed=event["document_words"],
                rate="",
            )
        elif self.task is None:
            return
        elif event["event"] == "section":
            self.progress.update(
                self.task, description=f"section {event['index'] + 1}/{event['total']}"
            )
        elif event["event"] == "llm":
            self.tokens += int(event["completion_tokens"])
            self.llm_seconds += event["llm_seconds"]
            rate = self.tokens / self.llm_seconds if self.llm_seconds else 0.0
            self.progress.update(self.task, rate=f"{rate:5.1f} tok/s")
        elif event["event"] == "revise":
            print_line(
                f"  section {event['index'] + 1}: {event['action']} ({'; '.join(event['reasons'])})",
                style="dim",
            )
        elif event["event"] == "accepted":
            self.progress.update(self.task, completed=event["document_words"])
            print_line(
                f"  section {event['index'] + 1}/{event['total']}: {event['words']} words "
                f"(budget {event['budget']}, {event['verdict']})"
            )


class BatchView(_LiveView):
    """Rich progress for a batch: documents finished, in flight and failed, words accepted."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]documents"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = self.progress.add_task("documents", total=None, status="")
        self.running = 0
        self.words = 0
        self.failed = 0

    def _status(self) -> str:
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.running} writing{failed}, {self.words:,} words"

    def on_batch(self, event: BatchEvent) -> None:
        """Update from a batch event."""
        self.running += 1 if event.kind == "started" else -1
        self.failed = event.failed
        if event.kind == "done":  # failures are logged by the batch runner
            self.progress.console.print(f"  {event.key} done", markup=False)
        self.progress.update(
            self.task,
            total=event.total - event.skipped,
            completed=event.done + event.failed,
            status=self._status(),
        )

    def on_event(self, event: Event) -> None:
        """Count the words of accepted sections (graph ``custom`` events of any document)."""
        if event["event"] == "accepted":
            self.words += int(event["words"])
            self.progress.update(self.task, status=self._status())


@app.command()
def write(
    instruction: Annotated[
        str | None, typer.Argument(help="the instruction, or a file holding it")
    ] = None,
    words: Words = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="output file (its suffix sets --format)")
    ] = None,
    fmt: Format = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="report JSON (default: beside the output)")
    ] = None,
    base_url: BaseUrl = None,
    model: ModelName = None,
    api_key: ApiKey = "EMPTY",
    endpoint: Endpoints = None,
    connect_wait: ConnectWait = 30.0,
    gguf: Gguf = None,
    language: Language = None,
    thread_id: Annotated[
        str | None, typer.Option("--thread-id", help="name of this run (for --resume)")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="continue the run --thread-id where it stopped")
    ] = False,
    plan: Annotated[
        Path | None, typer.Option("--plan", help="plan JSON to write from (see `longwriter plan`)")
    ] = None,
    review_plan: Annotated[
        bool,
        typer.Option(
            "--review-plan",
            help="after planning, open the plan in your editor ($EDITOR) to edit it",
        ),
    ] = False,
    temperature: Annotated[float, typer.Option(help="sampling temperature")] = 0.7,
    max_revisions: Annotated[int, typer.Option(help="revision attempts per section")] = 2,
    section_words: Annotated[int, typer.Option(help="preferred words per section")] = 400,
    extra_body: Annotated[
        str | None,
        typer.Option(
            help="JSON object of server sampling extras, e.g. '{\"repetition_penalty\": 1.1}'"
        ),
    ] = None,
    memory: Annotated[
        str | None, typer.Option(help="Chroma folder, :memory: or http://host:port")
    ] = None,
    embedding: EmbeddingKind = None,
    embedding_url: EmbeddingUrl = None,
    embedding_model: EmbeddingModel = None,
    embedding_key: EmbeddingKey = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            help="SQLite checkpoint file (default: $LONGWRITER_HOME/checkpoints.sqlite; with "
            "--batch: .results.checkpoints.sqlite in --out-dir)"
        ),
    ] = None,
    batch: Annotated[
        Path | None,
        typer.Option(help="JSONL file: one document per line, {prompt, length?, id?}"),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option(help="with --batch: folder for the documents and results.jsonl")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="with --batch: documents in flight at once (1)")
    ] = None,
    fresh: Fresh = False,
    keep_memory: KeepMemory = False,
) -> None:
    """Write a document: plan, then write section by section with critique, revision and memory.

    With --batch, write every document of a JSONL file into --out-dir: each is checkpointed per
    section, so rerunning the same command continues every unfinished one where it stopped.
    """
    from longwriter.api import DocumentRun, saved_run, shortfall, sqlite_checkpointer
    from longwriter.batch.documents import SUMMARY_FIELDS, read_batch

    try:
        _check_mode(
            batch,
            {
                "--out-dir": out_dir,
                "--concurrency": concurrency,
                "--fresh": fresh,
                "--keep-memory": keep_memory,
            },
            {
                "an instruction argument": instruction,
                "--resume": resume,
                "--thread-id": thread_id,
                "--plan": plan,
                "--review-plan": review_plan,
                "--output": output,
                "--report": report,
            },
        )
        items = read_batch(batch) if batch else None
        if resume and not thread_id:
            raise ConfigError("--resume needs the --thread-id of the run to continue")
        text = None if resume or items else read_instruction(instruction or "")
        if not resume and not items and instruction is None:
            raise ConfigError("give an instruction (text or a file)")
        plan_data = _load_plan(plan) if plan else None
        fmt = output_format(output, fmt)
        prompts = [item.prompt for item in items] if items else [text or ""]
        check_format(fmt, sample="\n".join(prompts), language=language)
        ctx = make_context(
            base_url,
            model,
            api_key,
            words,
            gguf,
            language,
            endpoint,
            connect_wait,
            temperature=temperature,
            max_revisions=max_revisions,
            section_words=section_words,
            memory=memory,
            review_plan=review_plan,
            **embedding_settings(embedding, embedding_url, embedding_model, embedding_key),
            **({"extra_body": parse_extra_body(extra_body)} if extra_body else {}),
        )
        thread_id = thread_id or f"doc-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
        output = output or Path("longwriter-out") / f"{thread_id}.{fmt}"
        report = report or output.with_suffix(".report.json")
        if out_dir is not None:  # with --batch (checked by _check_mode)
            check_output_folder(out_dir, "--out-dir")
            keep = batch_checkpoints(checkpoints, fresh, keep_memory)
        else:  # fail now, not when the document is written
            for option, path in (("--output", output), ("--report", report)):
                check_output_file(path, option)
            if checkpoints is not None:
                check_output_file(checkpoints, "--checkpoints")
    except LongWriterError as exc:
        raise _fail(str(exc), 2) from None
    if items:
        assert out_dir is not None  # checked by _check_mode
        _write_batch(items, out_dir, concurrency or 1, ctx, keep, fmt)
        return
    how_to_resume = f"Continue with: longwriter write --thread-id {thread_id} --resume"
    with sqlite_checkpointer(checkpoints) as saver:
        saved = saved_run(saver, thread_id)
        if resume and not saved:
            raise _fail(
                f"no saved run named {thread_id!r} in {checkpoints or home_dir() / 'checkpoints.sqlite'}",
                2,
            )
        if not resume and saved:
            raise _fail(
                f"a run named {thread_id!r} already exists: add --resume to continue it, or pick another --thread-id",
                2,
            )
        if saved.get("sections"):
            err.print(f"resuming {thread_id}: {len(saved['sections'])} sections already written")
        err.print(
            f"run: {thread_id}  (resume with: longwriter write --thread-id {thread_id} --resume)"
        )
        try:
            with ProgressView(err) as view:
                result = DocumentRun(
                    None if resume else text,
                    thread_id=thread_id,
                    checkpointer=saver,
                    context=ctx,
                    plan=plan_data,
                    on_event=view.on_event,
                    review=_reviewer(view, how_to_resume),
                ).run()
        except KeyboardInterrupt:
            raise _fail(f"interrupted; nothing accepted is lost. {how_to_resume}", 130) from None
        except ConfigError as exc:  # bad input found inside the graph, before any model call
            raise _fail(str(exc), 2) from None
        except LongWriterError as exc:
            raise _fail(f"{exc}\n(accepted sections are saved. {how_to_resume})") from None
    rep = result.report
    save_json(report, rep)
    try:
        export_document(result.text, rep, output, fmt)
    except LongWriterError as exc:  # the document is not lost: it is kept as Markdown
        kept = save_text(output.with_suffix(".md"), result.text)
        raise _fail(f"{exc}; the document is saved as Markdown: {kept}, report: {report}") from None
    summary = {k: rep[k] for k in SUMMARY_FIELDS} | {"output": str(output), "report": str(report)}
    problem = shortfall(rep)
    if problem:
        print(json.dumps(summary | {"failed": problem}))
        raise _fail(f"{problem}; written anyway: {output}, report: {report}")
    err.print(
        f"[bold green]done:[/] {output} — {rep['words']} words (target {rep['target_words']}, "
        f"S_l {rep['length_score']:.1f}, rep4 {rep['rep4']:.3f}, {rep['seconds']:.0f}s); report: {report}"
    )
    print(json.dumps(summary))


def _check_mode(
    batch: Path | None, batch_only: dict[str, object], single: dict[str, object]
) -> None:
    """The ``batch_only`` options need --batch; --batch needs --out-dir and none of ``single``."""
    if batch is None:
        for name, value in batch_only.items():
            if value:
                raise ConfigError(f"{name} only applies with --batch")
        return
    if batch_only["--out-dir"] is None:
        raise ConfigError("--batch needs --out-dir (the folder for the documents)")
    clash = [name for name, value in single.items() if value]
    if clash:
        raise ConfigError(f"--batch cannot be combined with {', '.join(clash)}")


def _write_batch(
    items: list[BatchItem],
    out_dir: Path,
    concurrency: int,
    ctx: WriterContext,
    keep: BatchCheckpoints,
    fmt: str,
) -> None:
    """Write the batch with a progress view; the summary is the last stdout line."""
    from longwriter.batch.documents import RESULTS, write_batch

    results = out_dir / RESULTS
    err.print(f"{len(items)} documents → {out_dir} (finished ones are listed in {results})")

    async def run(view: BatchView) -> BatchSummary:
        async with keep.open(results) as documents:
            return await write_batch(
                items,
                out_dir,
                documents=documents,
                context=ctx,
                concurrency=concurrency,
                progress=view.on_batch,
                on_event=view.on_event,
                fmt=fmt,
            )

    try:
        with BatchView(err) as view:
            summary = asyncio.run(run(view))
    except KeyboardInterrupt:
        raise _fail(
            "interrupted; every accepted section is checkpointed: rerun the same command to continue",
            130,
        ) from None
    print(
        json.dumps(
            {
                "out_dir": str(out_dir),
                "results": str(results),
                "total": summary.total,
                "skipped": summary.skipped,
                "done": summary.done,
                "failed": summary.failed,
                "errors": [{"id": k, "error": e} for k, e in summary.errors],
                "seconds": round(summary.seconds, 1),
            },
            ensure_ascii=False,
        )
    )
    if summary.failed:
        err.print(f"{summary.failed} failed: rerun the same command to retry them")
        raise typer.Exit(1)


def _user_plan(text: str, source: str) -> Any:
    """A plan the user wrote, parsed and checked (shape and limits) before it reaches the graph."""
    try:
        plan = json_value(text)
        sections_from_any(plan)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return plan


def _load_plan(path: Path) -> Any:
    return _user_plan(read_user_text(path, "plan file"), f"plan file {path}")


def _reviewer(view: ProgressView, how_to_resume: str) -> ReviewPlan:
    """The plan review of a run shown in ``view``: the display pauses while the user edits; a bad
    edit ends the command (exit 2) with how to continue the run."""

    def review(plan: dict[str, Any]) -> Any:
        view.progress.stop()
        try:
            answer = _review(plan)
        except ConfigError as exc:
            raise _fail(f"{exc}. {how_to_resume}", 2) from None
        view.progress.start()
        return answer

    return review


def _review(plan: dict[str, Any]) -> Any:
    """The plan opened as JSON in the user's editor ($VISUAL, $EDITOR): the edited plan (checked like
    a --plan file), or None to keep the plan as planned (no terminal, editor quit without saving,
    nothing changed). An invalid edit is reported in one line and, if the user agrees, reopened as
    they left it."""
    planned = json.dumps(plan, ensure_ascii=False, indent=2) + "\n"
    if not sys.stdin.isatty():
        err.print(planned, markup=False, highlight=False)
        err.print("(no terminal: accepting the plan as is)")
        return None
    text = planned
    while True:
        try:
            edited = click.edit(text, extension=".json")
        except click.ClickException as exc:
            raise ConfigError(
                f"cannot edit the plan: {exc.format_message()} (set $EDITOR)"
            ) from None
        if edited is None or edited.strip() == planned.strip():
            err.print("plan kept as planned")
            return None
        try:
            return _user_plan(edited, "the edited plan")
        except ConfigError as exc:
            print_error(err, str(exc))
            if not typer.confirm(
                "Edit it again? (no: keep the plan as planned)", default=True, err=True
            ):
                return None
            text = edited


@app.command("plan")
def plan_cmd(
    instruction: Annotated[str, typer.Argument(help="the instruction, or a file holding it")],
    output: Annotated[Path, typer.Option("--output", "-o", help="plan JSON file")] = Path(
        "plan.json"
    ),
    words: Words = None,
    base_url: BaseUrl = None,
    model: ModelName = None,
    api_key: ApiKey = "EMPTY",
    endpoint: Endpoints = None,
    connect_wait: ConnectWait = 30.0,
    gguf: Gguf = None,
    language: Language = None,
    embedding: EmbeddingKind = None,
    embedding_url: EmbeddingUrl = None,
    embedding_model: EmbeddingModel = None,
    embedding_key: EmbeddingKey = None,
) -> None:
    """Plan only: write the section plan to JSON, to edit and pass to `write --plan`."""
    from longwriter.api import make_plan

    try:
        embedder = embedding_settings(embedding, embedding_url, embedding_model, embedding_key)
        ctx = make_context(
            base_url, model, api_key, words, gguf, language, endpoint, connect_wait, **embedder
        )
        text = read_instruction(instruction)
        check_output_file(output, "--output")
        result = make_plan(text, context=ctx)
    except LongWriterError as exc:
        raise _fail(str(exc), 2) from None
    save_json(output, result)
    err.print(
        f"plan: {len(result['sections'])} sections, {result['target_words']} words → {output}"
    )


@app.command("export")
def export_cmd(
    document: Annotated[Path, typer.Argument(help="a Markdown document, e.g. one `write` wrote")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="output file (default: the document's, new suffix)"),
    ] = None,
    fmt: Format = None,
    language: Language = None,
) -> None:
    """Convert a Markdown document to html, docx, epub or pdf, with a table of contents."""
    from longwriter.export import export
    from longwriter.text.lang import detect_language

    try:
        if fmt is None and output is None:
            raise ConfigError("give --format or an --output file name")
        fmt = output_format(output, fmt)
        output = output or document.with_suffix(f".{fmt}")
        text = read_user_text(document, "document")
        if output.resolve() == document.resolve():
            raise ConfigError(f"--output {output} is the document itself")
        check_output_file(output, "--output")
        export(text, output, fmt, title=document.stem, language=language or detect_language(text))
    except LongWriterError as exc:
        raise _fail(str(exc), 2) from None
    err.print(f"[bold green]done:[/] {output}")
    print(json.dumps({"output": str(output), "format": fmt}, ensure_ascii=False))


@app.command("serve-local")
def serve_local(
    gguf: Gguf = None,
    port: Annotated[int, typer.Option(help="port on 127.0.0.1 (0 = a free one)")] = 0,
    n_ctx: Annotated[int, typer.Option(help="context window")] = 8192,
) -> None:
    """Run the embedded OpenAI-compatible llama.cpp server in the foreground (Ctrl-C stops it)."""
    from longwriter.llm.local_server import LocalServer

    try:
        server = LocalServer(gguf, n_ctx=n_ctx, port=port or None)
        with server:
            err.print(f"serving {server.model} at {server.base_url} (Ctrl-C to stop)")
            while server.running:
                time.sleep(1)
    except KeyboardInterrupt:
        err.print("stopped")
    except LongWriterError as exc:
        raise _fail(str(exc)) from None


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
