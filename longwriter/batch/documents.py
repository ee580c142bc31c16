"""Many documents from a JSONL file (``longwriter write --batch``), resumably, into one folder.

Each line is ``{"prompt": ..., "length": words?, "id": name?}``. Document ``id`` goes to
``DIR/<id>.md`` and ``DIR/<id>.report.json``; every finished document is appended to
``DIR/results.jsonl`` (see :func:`longwriter.batch.resumable.run_resumable`), so a rerun skips it. Documents
in flight are checkpointed per section under their id (:class:`longwriter.batch.store.DocumentStore`), so
a rerun continues each from its last committed section.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from longwriter.agent.context import WriterContext
from longwriter.agent.events import Event
from longwriter.batch.resumable import BatchEvent, BatchSummary, prompt_key, run_resumable
from longwriter.batch.store import DocumentStore
from longwriter.document import Report
from longwriter.errors import ConfigError, LongWriterError, shown
from longwriter.export import export_document
from longwriter.files import save_json, save_text
from longwriter.jsonl import JsonlError, read_jsonl
from longwriter.text.target import required_length

RESULTS = "results.jsonl"


def summary_fields(report: Report) -> dict[str, Any]:
    """The report's figures repeated in a document's summary line."""
    return {
        "target_words": report["target_words"],
        "words": report["words"],
        "length_score": report["length_score"],
        "rep4": report["rep4"],
        "seconds": report["seconds"],
    }


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class BatchItem:
    """One document to write; ``length`` None = read the target from the prompt."""

    id: str
    prompt: str
    length: int | None


def _item(row: dict[str, Any]) -> BatchItem:
    prompt = row.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("'prompt' must be a non-empty string")
    length = None if row.get("length") is None else required_length(row["length"])
    name = row.get("id")
    if name is None:
        name = f"doc-{prompt_key(prompt)[:12]}"
    elif isinstance(name, bool) or not isinstance(name, str | int) or not _ID.fullmatch(str(name)):
        raise ValueError(
            f"'id' must be a file name of letters, digits, '.', '_' or '-', got {shown(name)}"
        )
    return BatchItem(str(name), prompt.strip(), length)


def read_batch(path: Path) -> list[BatchItem]:
    """The documents listed in ``path``; a bad line is a ConfigError naming ``file:line``.

    A row without ``id`` is named by a hash of its prompt, which is stable across reruns.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"batch file not found: {path}")
    items: list[BatchItem] = []
    first_line: dict[str, int] = {}
    try:
        for lineno, row in read_jsonl(path):
            try:
                item = _item(row)
            except ValueError as exc:
                raise ConfigError(f"{path}:{lineno}: {exc}") from None
            if item.id in first_line:
                raise ConfigError(
                    f"{path}:{lineno}: id {item.id!r} is already used on line "
                    f"{first_line[item.id]} (rows without 'id' are named by their prompt)"
                )
            first_line[item.id] = lineno
            items.append(item)
    except JsonlError as exc:
        raise ConfigError(str(exc)) from None
    if not items:
        raise ConfigError(f"{path}: no documents (one JSON object with a 'prompt' per line)")
    return items


async def write_batch(
    items: list[BatchItem],
    out_dir: Path,
    *,
    documents: DocumentStore,
    context: WriterContext | None = None,
    concurrency: int = 1,
    chat_model: BaseChatModel | None = None,
    progress: Callable[[BatchEvent], None] | None = None,
    on_event: Callable[[Event], None] | None = None,
    fmt: str = "md",
) -> BatchSummary:
    """Write every document not yet in ``out_dir/results.jsonl``, ``concurrency`` at a time, into
    ``documents`` (opened on ``out_dir/results.jsonl``).

    ``progress`` gets the batch events, ``on_event`` every document's graph events. A failed
    document is counted in the summary and continued by the next run; one that ended far below
    its target is started over. With ``fmt`` other than "md", each document is also exported to
    ``DIR/<id>.<fmt>`` (the Markdown stays: it is what a rerun checks).
    """
    out_dir = Path(out_dir)

    async def work(item: BatchItem) -> dict[str, Any]:
        result = await documents.write(
            item.prompt,
            key=item.id,
            context=context,
            target_words=item.length,
            chat_model=chat_model,
            on_event=on_event,
        )
        text_path, report_path = out_dir / f"{item.id}.md", out_dir / f"{item.id}.report.json"
        save_text(text_path, result.text)
        save_json(report_path, result.report)
        problem = result.shortfall
        if problem:  # a failure: counted, and written again by the next run
            await documents.discard(item.id)
            raise LongWriterError(f"{problem}; see {report_path}")
        fields = summary_fields(result.report)
        paths = {"output": str(text_path), "report": str(report_path)}
        if fmt != "md":
            exported = out_dir / f"{item.id}.{fmt}"
            paths["export"] = str(export_document(result.text, result.report, exported, fmt))
        return fields | paths | {"thread_id": result.thread_id}

    return await run_resumable(
        items,
        key=lambda item: item.id,
        work=work,
        out_path=out_dir / RESULTS,
        concurrency=concurrency,
        progress=progress,
        saved=documents.finish,
    )
