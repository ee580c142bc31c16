"""Files a user names: read a text file (prompt, plan, topics), or check an output path before any
work starts. Every problem is a one-line ConfigError (the CLI exits 2)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from longwriter.errors import ConfigError

MAX_TEXT_BYTES = 10 * 2**20
"""Largest text file read (10 MB): /dev/zero or a video named by mistake fails instead of filling
the memory."""


def read_user_text(path: Path, what: str) -> str:
    """The UTF-8 text of ``path``; ConfigError when it is missing, a folder, unreadable, binary (NUL
    bytes), not UTF-8, larger than :data:`MAX_TEXT_BYTES` or blank."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_TEXT_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {path} is a folder, not a file") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except ValueError:  # a NUL character in the name
        raise ConfigError(f"{what} {path!r} is not a valid file name") from None
    if len(data) > MAX_TEXT_BYTES:
        raise ConfigError(f"{what} {path} is larger than {MAX_TEXT_BYTES // 2**20} MB")
    if b"\0" in data:
        raise ConfigError(f"{what} {path} is binary (it holds NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text (bad byte at {exc.start})") from None
    if not text.strip():
        raise ConfigError(f"{what} {path} is empty")
    return text


def check_output_file(path: Path, option: str) -> None:
    """Fail now, not after hours of generation, when the file ``path`` cannot be written: it is a
    folder, or its folder cannot be made or written in. Missing folders are created (as saving
    would)."""
    try:
        is_folder = path.is_dir()
    except (OSError, ValueError):  # a name too long, or with a NUL character
        is_folder = False
    if is_folder:
        raise ConfigError(f"{option} {path} is a folder: give a file name")
    check_output_folder(path.parent, option)


def check_output_folder(folder: Path, option: str) -> None:
    """Create ``folder`` if needed and make sure a file can be written in it; ConfigError if not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except FileExistsError:
        raise ConfigError(f"{option}: {folder} is a file, not a folder") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{option}: cannot write in {folder}: {reason}") from None
