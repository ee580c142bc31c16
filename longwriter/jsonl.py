"""JSON Lines files: line-numbered tolerant reading, crash-safe appending, atomic replacing.

Rows are UTF-8 JSON objects, one per line. Appends are flushed and fsynced one row at a time, so a
crash loses at most the row being written: a torn last line (no newline, not JSON). Readers skip
it with a warning; the next append first ends it with a newline, and from then on it is a bad line
in the middle, an error unless ``skip_bad``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from longwriter.files import replacing

log = logging.getLogger(__name__)


class JsonlError(ValueError):
    """A JSONL line is not a JSON object; the message names ``file:line`` and the problem."""

    def __init__(self, path: Path, lineno: int, problem: str) -> None:
        super().__init__(f"{path}:{lineno}: {problem}")
        self.path = path
        self.lineno = lineno
        self.problem = problem


def json_value(text: str) -> Any:
    """``text`` parsed as JSON; ValueError saying what is wrong (in one line) otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        line = f"line {exc.lineno} " if exc.lineno > 1 else ""
        raise ValueError(f"invalid JSON ({exc.msg} at {line}column {exc.colno})") from None
    except ValueError:  # json's only other complaint
        raise ValueError("invalid JSON (a number of more than 4300 digits)") from None
    except RecursionError:
        raise ValueError("invalid JSON (nested too deeply)") from None


def json_object(text: str) -> dict[str, Any]:
    """``text`` parsed as a JSON object; ValueError saying what is wrong otherwise."""
    obj = json_value(text)
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _parse_line(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    return json_object(text)


def read_jsonl(path: Path, *, skip_bad: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line (numbers are 1-based).

    A malformed line raises :class:`JsonlError`, or with ``skip_bad`` is logged and skipped. A
    malformed last line without a newline is a row whose writer died: logged and skipped always.
    """
    path = Path(path)
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = _parse_line(raw)
            except ValueError as exc:
                err = JsonlError(path, lineno, str(exc))
                if not raw.endswith(b"\n"):  # only the last line can lack one
                    log.warning("skipping a torn last line (its writer stopped mid-row): %s", err)
                    continue
                if not skip_bad:
                    raise err from None
                log.warning("skipping %s", err)
                continue
            yield lineno, obj


def _line(row: dict[str, Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n"


def save_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    """Replace ``path`` with ``rows`` atomically (``longwriter.files.replacing``)."""
    with replacing(path, binary=True) as fh:
        for row in rows:
            fh.write(_line(row))
    return Path(path)


def append_jsonl(path: Path, row: dict[str, Any]) -> None:
    """Append ``row`` as one line, then flush and fsync; creates parent directories."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = _line(row)
    with path.open("a+b") as fh:
        end = fh.seek(0, os.SEEK_END)
        if end:
            fh.seek(end - 1)
            if (
                fh.read(1) != b"\n"
            ):  # a previous writer died mid-line: keep its fragment on its own line
                line = b"\n" + line
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
