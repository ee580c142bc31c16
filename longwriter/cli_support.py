"""Plumbing shared by the sub-command groups: stderr logging, one-line error handling, option parsing."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler

from longwriter.errors import ConfigError, LongWriterError
from longwriter.jsonl import json_object

P = ParamSpec("P")
R = TypeVar("R")


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
