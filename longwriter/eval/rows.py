"""Input rows of the evaluation: LongBench-Write tasks and prediction rows, validated with line
numbers.

A task row has ``prompt`` (non-empty text), ``length`` (required words, 1 to 200,000) and
optionally ``type``; a prediction row additionally has ``response``. Each row gets a stable ``key``:
its own ``key``/``id``/``idx`` field, or else a hash of prompt and length (repeated rows get ``-2``,
``-3`` ...).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from longwriter.errors import ConfigError
from longwriter.jsonl import JsonlError, read_jsonl
from longwriter.text.target import required_length

log = logging.getLogger(__name__)

R = TypeVar("R")


class EvalInputError(ConfigError):
    """A dataset or prediction file cannot be used; the message names ``file:line``."""


@dataclass(frozen=True)
class Task:
    """One writing task: the instruction and the number of words it requires."""

    key: str
    prompt: str
    length: int
    type: str | None
    fields: dict[str, Any]  # the original row, carried into the prediction row


@dataclass(frozen=True)
class Prediction:
    """A task together with the response a model produced for it."""

    task: Task
    response: str
    row: dict[str, Any]


def parse_task(row: dict[str, Any]) -> Task:
    """Validate a task row (raises ValueError naming the problem); the key is provisional."""
    prompt = row.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("field 'prompt' is missing or empty")
    if "length" not in row:
        raise ValueError("field 'length' (required words) is missing")
    length = required_length(row["length"])
    kind = row.get("type")
    explicit = next((row[f] for f in ("key", "id", "idx") if row.get(f) is not None), None)
    digest = hashlib.sha1(f"{length}\n{prompt}".encode()).hexdigest()[:12]
    key = str(explicit) if explicit is not None else f"h{digest}"
    return Task(key, prompt, length, str(kind) if kind is not None else None, row)


def parse_prediction(row: dict[str, Any]) -> Prediction:
    """Validate a prediction row: a task row plus ``response`` (null counts as empty)."""
    task = parse_task(row)
    if "response" not in row:
        raise ValueError("field 'response' is missing")
    response = row["response"]
    if response is None:
        response = ""
    if not isinstance(response, str):
        raise ValueError(f"field 'response' must be text, got {type(response).__name__}")
    return Prediction(task, response, row)


def _load(path: Path, parse: Callable[[dict[str, Any]], R], *, skip_bad: bool) -> Iterator[R]:
    if not path.is_file():
        raise EvalInputError(f"{path}: no such file")
    try:
        for lineno, row in read_jsonl(path, skip_bad=skip_bad):
            try:
                item = parse(row)
            except ValueError as exc:
                if not skip_bad:
                    raise EvalInputError(f"{path}:{lineno}: {exc}") from None
                log.warning("skipping %s:%d: %s", path, lineno, exc)
                continue
            yield item
    except JsonlError as exc:
        raise EvalInputError(str(exc)) from None


def _unique_keys(
    items: list[R], key_of: Callable[[R], str], rekey: Callable[[R, str], R]
) -> list[R]:
    """Give repeated keys a ``-2``, ``-3`` ... suffix in file order, so each row has its own key."""
    counts = Counter(key_of(item) for item in items)
    seen: Counter[str] = Counter()
    out = []
    for item in items:
        k = key_of(item)
        seen[k] += 1
        out.append(rekey(item, f"{k}-{seen[k]}") if counts[k] > 1 and seen[k] > 1 else item)
    return out


def _rekey_task(task: Task, key: str) -> Task:
    return Task(key, task.prompt, task.length, task.type, task.fields)


def load_tasks(path: Path, *, skip_bad: bool = False, limit: int | None = None) -> list[Task]:
    """Read a LongBench-Write style dataset; bad rows raise EvalInputError (or are skipped)."""
    tasks = _unique_keys(
        list(_load(path, parse_task, skip_bad=skip_bad)), lambda t: t.key, _rekey_task
    )
    return tasks[:limit] if limit is not None else tasks


def load_predictions(path: Path, *, skip_bad: bool = False) -> list[Prediction]:
    """Read a prediction file (``eval run`` output, or any rows with prompt/length/response)."""
    preds = list(_load(path, parse_prediction, skip_bad=skip_bad))
    return _unique_keys(
        preds,
        lambda p: p.task.key,
        lambda p, k: Prediction(_rekey_task(p.task, k), p.response, p.row),
    )


def keyed_rows(path: Path, keys: set[str]) -> list[dict[str, Any]]:
    """Rows of a judge/NLL result file whose ``key`` is in ``keys`` (none if the file is absent)."""
    if not path.is_file():
        return []
    return [row for _, row in read_jsonl(path, skip_bad=True) if row.get("key") in keys]
