"""What the user hands ``write`` and ``plan``: the instruction (text or a file) and a plan they wrote."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from longwriter.errors import ConfigError, instruction_given
from longwriter.jsonl import json_value
from longwriter.planning.parse import sections_from_any
from longwriter.userfiles import read_user_text

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

    Text of any length and script is never handed to the filesystem as a path, since a long
    instruction would make ``is_file()`` fail with "File name too long": only a value that is plainly
    a path, or a short single line that names something on disk, is read as a file, and then it
    must be one.
    """
    named = value.strip()
    if _plainly_a_path(named) or (
        "\n" not in named and len(named) < _MAX_PATH and os.path.lexists(named)  # never raises
    ):
        value = read_user_text(Path(named).expanduser(), "prompt file")
    return instruction_given(value)


def user_plan(text: str, source: str) -> Any:
    """A plan the user wrote, parsed and checked (shape and limits) before it reaches the graph."""
    try:
        plan = json_value(text)
        sections_from_any(plan)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return plan


def load_plan(path: Path) -> Any:
    """The plan in the ``--plan`` file ``path``, checked as :func:`user_plan` does."""
    return user_plan(read_user_text(path, "plan file"), f"plan file {path}")
