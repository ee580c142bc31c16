"""Atomic file writes: a reader, or a run after a crash, finds a file's old content or its new
content, never a part. Every file the project writes goes through ``replacing`` (JSONL logs, which
grow row by row, are appended with an fsync per row instead: see ``longwriter.jsonl``)."""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def replacing(path: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """A file whose content replaces ``path`` when the block ends: written in the same folder,
    fsynced, then renamed over ``path``. If the block raises, ``path`` is left as it was and the
    temporary file is removed. Parent folders are created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # Opened before the try: a failed exclusive create must not delete somebody else's file.
    fh = open(tmp, "xb" if binary else "x", encoding=None if binary else "utf-8")  # noqa: SIM115
    try:
        with fh:
            if path.exists():  # a user's file keeps its permissions
                os.chmod(fh.fileno(), stat.S_IMODE(path.stat().st_mode))
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def save_text(path: Path, text: str) -> Path:
    """Replace ``path`` with ``text`` (UTF-8) atomically."""
    with replacing(path) as fh:
        fh.write(text)
    return Path(path)


def save_json(path: Path, value: Any, *, indent: int | None = 2) -> Path:
    """Replace ``path`` with ``value`` as JSON atomically (serialised first: a value that cannot be
    serialised leaves the old file as it was)."""
    return save_text(path, json.dumps(value, ensure_ascii=False, indent=indent) + "\n")


def save_figure(fig: Any, path: Path, *, dpi: int) -> Path:
    """Save a matplotlib figure atomically, in the format its file name says (png, svg, pdf...)."""
    with replacing(path, binary=True) as fh:
        fig.savefig(fh, format=Path(path).suffix.lstrip(".") or "png", dpi=dpi)
    return Path(path)
