"""Plumbing shared by every command: one error path with its exit codes, the option sets commands
share, options of ``WriterContext`` settings (their defaults and help come from the class), the JSON
summary on stdout and stderr logging."""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import itertools
import json
import logging
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler

from longwriter.agent.context import WriterContext
from longwriter.errors import ConfigError, LongWriterError
from longwriter.jsonl import json_object
from longwriter.llm.sampling import DEFAULT_TEMPERATURE, DEFAULT_TOP_P
from longwriter.userfiles import check_output_file

if TYPE_CHECKING:
    from longwriter.batch.store import BatchCheckpoints

P = ParamSpec("P")
R = TypeVar("R")

stderr = Console(stderr=True)
"""Where every command's progress, messages and errors go; stdout holds only its JSON summary."""

# --- one error path -----------------------------------------------------------------------------

EXIT_INPUT = 2
"""The user's input or settings are wrong (ConfigError, a bad file, a bad option): fix and rerun."""
EXIT_FAILED = 1
"""The run failed (BackendError such as a server that is down, a document far below its target)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C."""


def exit_code(exc: LongWriterError) -> int:
    """The exit code of a command that ``exc`` ended."""
    return EXIT_INPUT if isinstance(exc, ConfigError) else EXIT_FAILED


def print_error(message: str) -> None:
    """``error: message`` as one line, whatever it holds (no wrapping, no markup read from it)."""
    stderr.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    """Print ``error: message``; the exit (with ``code``) for the caller to raise."""
    print_error(message)
    return typer.Exit(code)


def guarded(
    *, interrupted: str = "interrupted", extra: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator of a command: a LongWriterError ends it with a one-line error and
    :func:`exit_code`; a missing module, when ``extra`` is given, with an install hint for that
    extra (exit 2); Ctrl-C with the ``interrupted`` message (exit 130)."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except LongWriterError as exc:
                raise fail(str(exc), exit_code(exc)) from None
            except ModuleNotFoundError as exc:
                if extra is None:
                    raise
                hint = f"{exc.name} is missing: pip install 'longwriter[{extra}]'"
                raise fail(hint, EXIT_INPUT) from None
            except KeyboardInterrupt:
                stderr.print(interrupted, soft_wrap=True)
                raise typer.Exit(EXIT_INTERRUPTED) from None

        return wrapper

    return decorate


# --- command groups and their output ------------------------------------------------------------


def setup_logging() -> None:
    """Warnings and errors go to stderr, unless the host configured logging already."""
    logging.basicConfig(
        level=logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=stderr, show_time=False, show_path=False, markup=False)],
    )


class CommandGroup:
    """A group of sub-commands (``longwriter eval``, ...): ``app`` is its typer app, which logs
    warnings and errors to stderr; :meth:`command` registers a command behind the one error path."""

    def __init__(self, help: str, *, interrupted: str, extra: str | None = None) -> None:
        self.app = typer.Typer(help=help, no_args_is_help=True)
        self.app.callback()(_log_to_stderr)
        self._guard = guarded(interrupted=interrupted, extra=extra)

    def command(
        self, name: str | None = None, **renamed: str
    ) -> Callable[[Callable[P, R]], Callable[P, R]]:
        """Decorator: register the command (as ``name``, else the function's name), guarded
        (:func:`guarded`); ``renamed`` maps the option names it had before to the new ones, which
        still read (:func:`old_names`)."""

        def register(fn: Callable[P, R]) -> Callable[P, R]:
            settings = old_names(**renamed) if renamed else None
            self.app.command(name, context_settings=settings)(self._guard(fn))
            return fn

        return register


def _log_to_stderr() -> None:
    """Warnings and errors go to stderr."""
    setup_logging()


def emit(summary: dict[str, Any]) -> None:
    """A command's summary: one JSON object on the last line of stdout."""
    print(json.dumps(summary, ensure_ascii=False, default=str), flush=True)


# --- option sets --------------------------------------------------------------------------------


def with_options(**groups: Callable[..., Any]) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Decorator: a set of options written once and shared by commands (as click's option
    decorators are). Each parameter ``name`` of the command that ``groups`` names is replaced, in
    the signature typer reads, by the parameters of ``groups[name]`` (a dataclass or function whose
    parameters are options); the command gets ``groups[name](**their values)`` as ``name``."""

    def decorate(command: Callable[..., R]) -> Callable[..., R]:
        own = inspect.signature(command, eval_str=True).parameters
        members = {
            name: inspect.signature(g, eval_str=True).parameters for name, g in groups.items()
        }
        params = [p for name, p in own.items() for p in members.get(name, {name: p}).values()]
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise TypeError(f"{command.__name__}: an option is given twice in {names}")

        @functools.wraps(command)
        def run(**options: Any) -> R:
            for name, group in groups.items():
                options[name] = group(**{key: options.pop(key) for key in members[name]})
            return command(**options)

        keyword_only = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params]
        run.__signature__ = inspect.Signature(keyword_only, return_annotation=None)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in keyword_only} | {"return": None}
        return run

    return decorate


# --- options of WriterContext settings ----------------------------------------------------------

SETTING_FLAGS = {
    "base_url": "--base-url",
    "model": "--model",
    "api_key": "--api-key",
    "endpoints": "--endpoint",
    "connect_wait": "--connect-wait",
    "gguf": "--gguf",
    "target_words": "--words",
    "language": "--language",
    "temperature": "--temperature",
    "top_p": "--top-p",
    "max_revisions": "--max-revisions",
    "section_words": "--section-words",
    "extra_body": "--extra-body",
    "memory": "--memory",
    "review_plan": "--review-plan",
    "embedding": "--embedding",
    "embedding_base_url": "--embedding-url",
    "embedding_model": "--embedding-model",
    "embedding_api_key": "--embedding-key",
}
"""The flag of each ``WriterContext`` field that a command takes as an option."""
_ENV_DEFAULT = re.compile(r"\s*Defaults to ``\$\w+``(?:, else ``[^`]*``)?\.")
_FIELD_REF = re.compile(r"``(\w+)``")


def _field_docstrings() -> dict[str, str]:
    """Each ``WriterContext`` field's docstring (the string after it in the class body), read from
    the source; empty where the source is not shipped."""
    try:
        source = textwrap.dedent(inspect.getsource(WriterContext))
    except (OSError, TypeError):
        return {}
    body = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)).body
    return {
        node.target.id: inspect.cleandoc(after.value.value)
        for node, after in itertools.pairwise(body)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
        and isinstance(after.value.value, str)
    }


SETTING_DOCS = _field_docstrings()
"""``WriterContext``'s field docstrings, read once: the help of the options that set the fields."""
_PLAIN_DEFAULTS = {
    f.name: f.default
    for f in dataclasses.fields(WriterContext)
    if f.default is not dataclasses.MISSING
}


def _field_ref(match: re.Match[str]) -> str:
    """A field named in a docstring, as the command line knows it: its flag, else with its default."""
    name = match[1]
    if name in SETTING_FLAGS:
        return SETTING_FLAGS[name]
    default = _PLAIN_DEFAULTS.get(name)
    return f"{name} ({default})" if default is not None else name


def setting_help(name: str, more: str = "") -> str:
    """The help of the option of ``WriterContext`` field ``name``: the field's docstring without
    the environment variable it defaults to (typer shows it), fields named by their flags, unset
    for None; ``more`` adds what the command line does beyond the field."""
    text = " ".join(SETTING_DOCS.get(name, "").split())
    text = _FIELD_REF.sub(_field_ref, _ENV_DEFAULT.sub("", text))
    text = re.sub(r"\bNone\b", "unset", text.replace("``", ""))
    return f"{text} {more}".strip()


def setting(name: str, *aliases: str, more: str = "", **option: Any) -> Any:
    """The ``typer.Option`` of ``WriterContext`` field ``name``: its flag (and ``aliases``), its
    help from the field's docstring (see :func:`setting_help`)."""
    return typer.Option(SETTING_FLAGS[name], *aliases, help=setting_help(name, more), **option)


def writer_context(
    settings: Mapping[str, Any],
    base: WriterContext | None = None,
    flags: Mapping[str, str] = SETTING_FLAGS,
) -> WriterContext:
    """``WriterContext(**settings)`` (or ``base`` with ``settings``), which checks them; its
    ConfigError names the setting by the command's flag (in ``flags``) instead of the field."""
    try:
        return dataclasses.replace(base, **settings) if base else WriterContext(**settings)
    except ConfigError as exc:
        message = str(exc)
        field, sep, rest = message.partition(" ")
        raise ConfigError(f"{flags[field]}{sep}{rest}" if field in flags else message) from None


# The model endpoint of the commands that call one (write, plan, eval, dataset build, dpo-pairs).
BaseUrl = Annotated[str | None, setting("base_url", envvar="LONGWRITER_BASE_URL")]
ModelName = Annotated[str | None, setting("model", envvar="LONGWRITER_MODEL")]
ApiKey = Annotated[str, setting("api_key", envvar="LONGWRITER_API_KEY")]
Temperature = Annotated[float, setting("temperature")]
TopP = Annotated[float, setting("top_p")]


@dataclass(frozen=True)
class EndpointOptions:
    """The model endpoint a command calls: ``--base-url``, ``--model``, ``--api-key``."""

    base_url: BaseUrl = None
    model: ModelName = None
    api_key: ApiKey = "EMPTY"


@dataclass(frozen=True)
class SamplingOptions:
    """How a command samples: ``--temperature`` and ``--top-p``, by default as the writer does."""

    temperature: Temperature = DEFAULT_TEMPERATURE
    top_p: TopP = DEFAULT_TOP_P


# The judge endpoint (eval quality, train dpo-pairs); its key defaults to the model's.
@dataclass(frozen=True)
class JudgeOptions:
    """The judge model's endpoint: ``--judge-base-url``, ``--judge-model``, ``--judge-api-key``."""

    judge_base_url: Annotated[
        str | None,
        typer.Option(
            "--judge-base-url",
            envvar="LONGWRITER_JUDGE_BASE_URL",
            help="OpenAI-compatible URL of the judge model.",
        ),
    ] = None
    judge_model: Annotated[
        str | None,
        typer.Option(
            "--judge-model",
            envvar="LONGWRITER_JUDGE_MODEL",
            help="Judge model name (default: the first the server lists).",
        ),
    ] = None
    judge_api_key: Annotated[
        str,
        typer.Option(
            "--judge-api-key",
            envvar=["LONGWRITER_JUDGE_API_KEY", "LONGWRITER_API_KEY"],
            help="API key of the judge server.",
        ),
    ] = "EMPTY"


# Options of the embedder (write, plan, eval reader); each has an env var, as the endpoint flags do.
EmbeddingKind = Annotated[str | None, setting("embedding", envvar="LONGWRITER_EMBEDDING")]
EmbeddingUrl = Annotated[
    str | None,
    setting("embedding_base_url", "--embedding-base-url", envvar="LONGWRITER_EMBEDDING_URL"),
]
EmbeddingModel = Annotated[
    str | None, setting("embedding_model", envvar="LONGWRITER_EMBEDDING_MODEL")
]
EmbeddingKey = Annotated[
    str | None, setting("embedding_api_key", envvar="LONGWRITER_EMBEDDING_KEY")
]


def embedding_settings(
    kind: str | None, url: str | None, model: str | None, key: str | None
) -> dict[str, Any]:
    """The embedder options given, as ``WriterContext`` fields (the context checks them); options
    not given keep the context's defaults."""
    given = {
        "embedding": kind,
        "embedding_base_url": url,
        "embedding_model": model,
        "embedding_api_key": key,
    }
    return {name: value for name, value in given.items() if value is not None}


def parse_extra_body(value: str) -> dict[str, Any]:
    """``--extra-body`` as a dict; a clear error for anything but a JSON object."""
    try:
        return json_object(value)
    except ValueError as exc:
        raise ConfigError(f"--extra-body {value!r}: {exc}") from None


# --- naming and the options of files ------------------------------------------------------------

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


InstructionsFile = Annotated[Path, input_option("JSONL rows with 'prompt' (+ 'length').")]
"""The instruction file of ``dataset build`` and ``train dpo-pairs``."""

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


@dataclass(frozen=True)
class CheckpointOptions:
    """How a batch's documents are checkpointed: ``--checkpoints``, ``--fresh``, ``--keep-memory``."""

    checkpoints: Checkpoints = None
    fresh: Fresh = False
    keep_memory: KeepMemory = False

    def given(self) -> dict[str, object]:
        """The options by flag, to tell which were given."""
        return {
            "--checkpoints": self.checkpoints,
            "--fresh": self.fresh,
            "--keep-memory": self.keep_memory,
        }

    def settings(self) -> BatchCheckpoints:
        """The options as settings, checked now (:func:`batch_checkpoints`)."""
        return batch_checkpoints(self.checkpoints, self.fresh, self.keep_memory)
