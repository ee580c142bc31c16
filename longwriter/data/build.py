"""AgentWrite data construction: run the agent over many instructions, resumably, then filter.

Every generated document is appended to a build log (``NAME.build.jsonl`` beside the output) the
moment it is finished, so a crash or a dead endpoint loses at most the documents in flight, and a
rerun generates only what is missing. The training file (``NAME.jsonl``, chat-format rows) and the
rejects (``NAME.rejected.jsonl``) are then derived from the whole log with the current filter
thresholds, so changing a threshold and rerunning re-filters without generating anything again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from longwriter.batch.resumable import BatchEvent, BatchSummary, prompt_key, run_resumable
from longwriter.data.filters import FilterConfig, check_document
from longwriter.document import Report
from longwriter.errors import BackendError, ConfigError
from longwriter.jsonl import read_jsonl, save_jsonl
from longwriter.text.target import required_length

if TYPE_CHECKING:
    from longwriter.agent import WriterContext

log = logging.getLogger(__name__)

SplitT = TypeVar("SplitT")

# Report fields kept in the build log (the text and plan are stored separately).
_REPORT_FIELDS = (
    "target_words",
    "words",
    "length_score",
    "rep4",
    "sections",
    "seconds",
    "prompt_tokens",
    "completion_tokens",
)


class DocumentLike(Protocol):
    """What the build needs from the agent's result (``longwriter.api.DocumentResult``)."""

    text: str
    report: Report
    plan: list[dict[str, Any]]


class Documents(Protocol):
    """Where the documents are written: a :class:`longwriter.batch.store.DocumentStore` or a stand-in."""

    async def write(
        self, instruction: str, *, key: str, context: WriterContext
    ) -> DocumentLike: ...

    async def finish(self, key: str) -> None: ...


@dataclass(frozen=True)
class Instruction:
    """One writing instruction; ``key`` is stable across runs (a hash of the normalised prompt)."""

    key: str
    prompt: str
    length: int | None
    line: int


@dataclass
class InstructionFile:
    """Usable instructions of a file and what was skipped, with line numbers for the log."""

    instructions: list[Instruction]
    bad_lines: int = 0
    empty: list[int] = field(default_factory=list)
    invalid: list[tuple[int, str]] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)

    def describe(self) -> str:
        """One line: how many were read and why others were skipped."""
        parts = [f"{len(self.instructions)} instructions"]
        for label, count in (
            ("bad JSON lines", self.bad_lines),
            ("empty prompts", len(self.empty)),
            ("invalid rows", len(self.invalid)),
            ("duplicates", len(self.duplicates)),
        ):
            if count:
                parts.append(f"{count} {label} skipped")
        return ", ".join(parts)


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """The ``(line number, object)`` rows of a JSONL file, and how many non-blank lines were
    skipped as not JSON objects (each is logged)."""
    with path.open("rb") as fh:
        nonblank = sum(1 for raw in fh if raw.strip())
    rows = list(read_jsonl(path, skip_bad=True))
    return rows, nonblank - len(rows)


def load_instructions(path: Path) -> InstructionFile:
    """Read rows with ``prompt`` (and optional ``length``).

    Bad lines, empty prompts, invalid lengths and repeated prompts are skipped and counted (each
    logged with its line number).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"instruction file not found: {path}")
    rows, bad_lines = read_rows(path)
    result = InstructionFile([], bad_lines=bad_lines)
    seen: set[str] = set()
    for lineno, row in rows:
        prompt = row.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            log.warning("%s:%d: empty or missing 'prompt', skipped", path, lineno)
            result.empty.append(lineno)
            continue
        try:
            length = None if row.get("length") in (None, "") else required_length(row["length"])
        except ValueError as exc:
            log.warning("%s:%d: %s, skipped", path, lineno, exc)
            result.invalid.append((lineno, str(exc)))
            continue
        key = prompt_key(prompt)
        if key in seen:
            log.info("%s:%d: duplicate prompt, skipped", path, lineno)
            result.duplicates.append(lineno)
            continue
        seen.add(key)
        result.instructions.append(Instruction(key, prompt.strip(), length, lineno))
    return result


def sibling_paths(out_path: Path) -> tuple[Path, Path]:
    """The build log and the rejects file that belong to a training file."""
    out_path = Path(out_path)
    stem = out_path.name.removesuffix(".jsonl")
    return out_path.with_name(f"{stem}.build.jsonl"), out_path.with_name(f"{stem}.rejected.jsonl")


@dataclass
class SplitCounts:
    """Outcome of :func:`split_build_log`: kept and rejected documents, rejects by reason tag."""

    kept: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


def training_row(entry: dict[str, Any], filters: FilterConfig) -> tuple[dict[str, Any], list[str]]:
    """The chat-format training row of a build-log entry, and the filters it fails (none: keep)."""
    report = entry.get("report") or {}
    plan = entry.get("plan") or []
    check = check_document(
        entry["text"],
        target_words=int(entry["target"]),
        plan=plan,
        sections=report.get("sections") or [],
        config=filters,
    )
    row = {
        "key": entry["key"],
        "messages": [
            {"role": "user", "content": entry["prompt"]},
            {"role": "assistant", "content": check.text},
        ],
        "target": entry["target"],
        "words": check.words,
        "S_l": round(check.length_score, 2),
        "rep4": round(check.rep4, 4),
        "plan": plan,
    }
    return row, list(check.reasons)


def split_build_log(
    log_path: Path, out_path: Path, rejected_path: Path, filters: FilterConfig | None = None
) -> SplitCounts:
    """(Re)write the training file and the rejects file from every document in the build log.

    Without a log (nothing built yet) the files are left as they are: a run whose every document
    failed must not empty a training file made before.
    """
    filters = filters or FilterConfig()
    kept: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    counts = SplitCounts()
    if not Path(log_path).exists():
        return counts
    latest = {entry["key"]: entry for _, entry in read_jsonl(log_path, skip_bad=True)}
    for entry in latest.values():
        row, reasons = training_row(entry, filters)
        if reasons:
            counts.reasons.update(r.split(":", 1)[0] for r in reasons)
            meta = {k: v for k, v in row.items() if k != "messages"}
            rejected.append({**meta, "prompt": entry["prompt"], "reasons": reasons})
        else:
            kept.append(row)
    counts.kept, counts.rejected = len(kept), len(rejected)
    save_jsonl(Path(out_path), kept)
    save_jsonl(Path(rejected_path), rejected)
    return counts


@dataclass
class BuildResult:
    """What :func:`build_dataset` did: the batch summary and the kept/rejected split."""

    batch: BatchSummary
    split: SplitCounts
    out_path: Path
    log_path: Path
    rejected_path: Path


class _CircuitBreaker:
    """Stops calling a dead endpoint: after ``limit`` failures in a row, the rest fail at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_a_row = 0

    def check(self) -> None:
        if self.limit and self.in_a_row >= self.limit:
            raise BackendError(
                f"not attempted: the endpoint failed {self.in_a_row} times in a row "
                "(rerun to resume)"
            )

    def record(self, ok: bool) -> None:
        self.in_a_row = 0 if ok else self.in_a_row + 1


async def run_and_split(
    instructions: Sequence[Instruction],
    work: Callable[[Instruction], Awaitable[dict[str, Any]]],
    log_path: Path,
    split: Callable[[], SplitT],
    *,
    concurrency: int = 1,
    progress: Callable[[BatchEvent], None] | None = None,
    saved: Callable[[str], Awaitable[None]] | None = None,
) -> tuple[BatchSummary, SplitT]:
    """Run ``work`` on every instruction not yet in the log (resumable), then ``split`` the whole
    log into the output files, also when the run is interrupted."""
    try:
        batch = await run_resumable(
            instructions,
            key=lambda item: item.key,
            work=work,
            out_path=log_path,
            concurrency=concurrency,
            progress=progress,
            saved=saved,
        )
    finally:
        derived = split()
    return batch, derived


async def build_dataset(
    instructions: Sequence[Instruction],
    out_path: Path,
    *,
    context: WriterContext,
    documents: Documents,
    concurrency: int = 1,
    filters: FilterConfig | None = None,
    max_failures_in_a_row: int = 5,
    progress: Callable[[BatchEvent], None] | None = None,
) -> BuildResult:
    """Generate a document for every instruction not yet in the build log, then split the log.

    ``documents`` is a ``longwriter.batch.store.DocumentStore`` opened on the build log (injected so tests
    can stand in for the agent): documents in flight resume mid-way on a rerun. ``context``
    carries the endpoint and sampling settings; ``target_words`` is set per row from its
    ``length``. The training file is rewritten even when the run is interrupted.
    """
    log_path, rejected_path = sibling_paths(out_path)
    breaker = _CircuitBreaker(max_failures_in_a_row)

    async def work(item: Instruction) -> dict[str, Any]:
        breaker.check()
        try:
            result = await documents.write(
                item.prompt, key=item.key, context=replace(context, target_words=item.length)
            )
        except Exception:
            breaker.record(ok=False)
            raise
        breaker.record(ok=True)
        report = result.report
        return {
            "prompt": item.prompt,
            "target": int(report.get("target_words") or item.length or 0),
            "text": result.text,
            "plan": result.plan,
            "report": {k: report.get(k) for k in _REPORT_FIELDS if k in report},
            "model": context.model,
        }

    batch, split = await run_and_split(
        instructions,
        work,
        log_path,
        lambda: split_build_log(log_path, out_path, rejected_path, filters),
        concurrency=concurrency,
        progress=progress,
        saved=documents.finish,
    )
    return BuildResult(batch, split, Path(out_path), log_path, rejected_path)
