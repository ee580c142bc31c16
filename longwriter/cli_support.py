"""Plumbing shared by the sub-command groups: stderr logging, one-line error handling, option parsing."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler

from longwriter.errors import ConfigError, LongWriterError, shown
from longwriter.jsonl import json_object
from longwriter.userfiles import check_output_file

if TYPE_CHECKING:
    from longwriter.batch.store import BatchCheckpoints

P = ParamSpec("P")
R = TypeVar("R")

# The naming every command follows: -i/--input is the file it reads (write, plan, export and
# `dataset stats` take it as their argument), -o/--output what it writes (one file; for `train` the
# model folder), --out-dir a folder of outputs; every endpoint flag has an env var.
INPUT = ("--input", "-i")
OUTPUT = ("--output", "-o")


def input_option(help: str) -> Any:
    """The option naming the file a command reads."""
    return typer.Option(*INPUT, help=help)


def output_option(help: str) -> Any:
    """The option naming what a command writes."""
    return typer.Option(*OUTPUT, help=help)


def old_names(**renamed: str) -> dict[str, Any]:
    """Context settings under which the names options had before still work, hidden from --help, so
    users' scripts keep running: ``old_names(out="output")`` reads ``--out`` as ``--output``.

    Click hands option names to ``token_normalize_func`` without their dashes (``-t`` as ``t``),
    and choice values too: no old name may be a choice value of the command.
    """
    table = {old.replace("_", "-"): new for old, new in renamed.items()}
    return {"token_normalize_func": lambda name: table.get(name, name)}


# The model endpoint of the commands that call one (write, plan, eval, dataset build, dpo-pairs).
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        envvar="LONGWRITER_BASE_URL",
        help="OpenAI-compatible URL, e.g. http://gpu-box:8000/v1 (default: the embedded model).",
    ),
]
ModelName = Annotated[
    str | None,
    typer.Option(
        "--model",
        envvar="LONGWRITER_MODEL",
        help="Served model name (default: the first the server lists).",
    ),
]
ApiKey = Annotated[
    str, typer.Option("--api-key", envvar="LONGWRITER_API_KEY", help="API key of the server.")
]
# The judge endpoint (eval quality, train dpo-pairs); its key defaults to the model's.
JudgeBaseUrl = Annotated[
    str | None,
    typer.Option(
        "--judge-base-url",
        envvar="LONGWRITER_JUDGE_BASE_URL",
        help="OpenAI-compatible URL of the judge model.",
    ),
]
JudgeModel = Annotated[
    str | None,
    typer.Option(
        "--judge-model",
        envvar="LONGWRITER_JUDGE_MODEL",
        help="Judge model name (default: the first the server lists).",
    ),
]
JudgeApiKey = Annotated[
    str,
    typer.Option(
        "--judge-api-key",
        envvar=["LONGWRITER_JUDGE_API_KEY", "LONGWRITER_API_KEY"],
        help="API key of the judge server.",
    ),
]

# Options of every batch of documents (write --batch, eval run, dataset build).
Checkpoints = Annotated[
    Path | None,
    typer.Option(
        "--checkpoints",
        help="SQLite file that checkpoints every document per section, so a rerun resumes each "
        "where it stopped (default: .NAME.checkpoints.sqlite beside the file of finished rows).",
    ),
]
Fresh = Annotated[
    bool,
    typer.Option(
        "--fresh", help="Start unfinished documents over instead of resuming their checkpoints."
    ),
]
KeepMemory = Annotated[
    bool,
    typer.Option(
        "--keep-memory",
        help="Keep the Chroma memory of finished and abandoned documents (default: deleted).",
    ),
]
_SQLITE_HEADER = b"SQLite format 3\x00"

# Options of the embedder (write, plan, eval reader); each has an env var, as the endpoint flags do.
EmbeddingKind = Annotated[
    str | None,
    typer.Option(
        "--embedding",
        envvar="LONGWRITER_EMBEDDING",
        help="auto (default: MiniLM with the local extra, else the endpoint's /embeddings if "
        "served, else onnx), minilm, onnx (core install), openai or hash (lexical).",
    ),
]
EmbeddingUrl = Annotated[
    str | None,
    typer.Option(
        "--embedding-url",
        "--embedding-base-url",
        envvar="LONGWRITER_EMBEDDING_URL",
        help="OpenAI-compatible URL serving /embeddings, e.g. http://gpu-box:8001/v1.",
    ),
]
EmbeddingModel = Annotated[
    str | None,
    typer.Option(
        "--embedding-model",
        envvar="LONGWRITER_EMBEDDING_MODEL",
        help="Embedding model served there (default: the first it lists).",
    ),
]
EmbeddingKey = Annotated[
    str | None,
    typer.Option(
        "--embedding-key",
        envvar="LONGWRITER_EMBEDDING_KEY",
        help="API key of the embeddings server (default: the chat endpoint's --api-key).",
    ),
]


def embedding_settings(
    kind: str | None, url: str | None, model: str | None, key: str | None
) -> dict[str, Any]:
    """The embedder options as ``WriterContext`` fields, checked with the flags' names (a typo fails
    now, before any model starts); options not given keep the context's defaults."""
    from longwriter.llm.embeddings import KINDS
    from longwriter.llm.endpoint import check_base_url

    if kind is not None and kind not in KINDS:
        raise ConfigError(f"--embedding must be one of {', '.join(KINDS)}, got {shown(kind)}")
    if url is not None:
        check_base_url(url, "--embedding-url")
    given = {
        "embedding": kind,
        "embedding_base_url": url,
        "embedding_model": model,
        "embedding_api_key": key,
    }
    return {name: value for name, value in given.items() if value is not None}


def setup_logging(console: Console) -> None:
    """Warnings and errors go to ``console`` (stderr), unless the host configured logging already."""
    logging.basicConfig(
        level=logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_time=False, show_path=False, markup=False)],
    )


def print_error(console: Console, message: str) -> None:
    """``error: message`` as one line, whatever it holds (no wrapping, no markup read from it)."""
    console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


def guarded(
    console: Console, *, interrupted: str = "interrupted", extra: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: LongWriterError → one-line error, exit 2; a missing module → install hint with the
    ``extra`` name, exit 2 (when given); Ctrl-C → ``interrupted`` message, exit 130."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except LongWriterError as exc:
                print_error(console, str(exc))
                raise typer.Exit(2) from None
            except ModuleNotFoundError as exc:
                if extra is None:
                    raise
                print_error(console, f"{exc.name} is missing: pip install 'longwriter[{extra}]'")
                raise typer.Exit(2) from None
            except KeyboardInterrupt:
                console.print(interrupted, soft_wrap=True)
                raise typer.Exit(130) from None

        return wrapper

    return decorate


def parse_extra_body(value: str) -> dict[str, Any]:
    """``--extra-body`` as a dict; a clear error for anything but a JSON object."""
    try:
        return json_object(value)
    except ValueError as exc:
        raise ConfigError(f"--extra-body {value!r}: {exc}") from None


def batch_checkpoints(path: Path | None, fresh: bool, keep_memory: bool) -> BatchCheckpoints:
    """The batch options as settings; a ``--checkpoints`` file that cannot be written or is not a
    SQLite database is a ConfigError now, before any model starts."""
    from longwriter.batch.store import BatchCheckpoints

    if path is not None:
        check_output_file(path, "--checkpoints")
        if path.is_file() and path.stat().st_size:
            with path.open("rb") as fh:
                if fh.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
                    raise ConfigError(f"--checkpoints {path} is not a SQLite file")
    return BatchCheckpoints(path, fresh, keep_memory)
