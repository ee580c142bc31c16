"""Exceptions with messages meant for users: one line that names the problem."""

from __future__ import annotations

import reprlib


class LongWriterError(Exception):
    """Base class: the message is shown to the user as is."""


class ConfigError(LongWriterError):
    """Bad settings or input (empty instruction, impossible target, unreadable file)."""


class BackendError(LongWriterError):
    """The model server is unreachable, unknown, or keeps failing."""


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHOWN_CHARS = 100


def shown(value: object) -> str:
    """``value``'s repr, shortened: a value of any size or depth fits a one-line message."""
    try:
        text = _SHORT.repr(value)
    except ValueError:  # an int of more digits than Python converts to text (4300)
        return "<a number of thousands of digits>"
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def instruction_given(instruction: str | None, how: str = "") -> str:
    """``instruction`` without its surrounding space; a :class:`ConfigError` when nothing is left
    (``how`` says where an instruction may be given)."""
    text = (instruction or "").strip()
    if not text:
        raise ConfigError(f"the instruction is empty: say what to write{how}")
    return text
