"""A run's material: the caller's source files read, chunked and deduplicated, and the digest of
it that the planner sees."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from longwriter.sources.chunk import Chunk, chunk_document, unique_chunks
from longwriter.sources.read import SourceDocument, read_sources
from longwriter.text import count_words, split_sentences

DIGEST_WORDS = 160
"""Words of the planner's digest of the sources: a small model plans worse under a long prompt."""


@dataclass(frozen=True)
class Material:
    """The chunks of the sources and what the reading found."""

    chunks: list[Chunk]
    documents: list[SourceDocument]
    skipped: dict[str, int]

    @property
    def words(self) -> int:
        """Words of all chunks."""
        return sum(c.words for c in self.chunks)


def gather(
    specs: Sequence[str | Path], progress: Callable[[int, int], None] | None = None
) -> Material:
    """Read and chunk the sources ``specs`` name (files, folders, globs); repeated passages are
    kept once. Raises :class:`~longwriter.sources.read.SourceError` on unusable input."""
    documents, report = read_sources(specs, progress)
    chunks, repeated = unique_chunks(c for d in documents for c in chunk_document(d))
    skipped = dict(report.skipped)
    if repeated:
        skipped["repeated passage"] = skipped.get("repeated passage", 0) + repeated
    return Material(chunks, documents, skipped)


def digest(documents: Sequence[SourceDocument], words: int = DIGEST_WORDS) -> str:
    """One line per source document for the planner: its name, its section names and its opening
    sentence, within about ``words`` words for all of them."""
    if not documents:
        return ""
    share = max(12, words // len(documents))
    lines = []
    for doc in documents[: max(1, words // 12)]:
        sections = list(dict.fromkeys(p.locator for p in doc.parts if p.locator))
        opening = next((s for p in doc.parts for s in split_sentences(p.text)), "")
        about = "; ".join(sections[:4]) if doc.kind not in ("pdf", "jsonl") else ""
        line = f"- {doc.name}: {about + ' — ' if about else ''}{opening}"
        tokens = line.split()
        if count_words(line) > share:  # CJK text has few spaces: cut it by characters
            line = " ".join(tokens[:share]) if len(tokens) > share else line[: share * 2]
            line += " …"
        lines.append(line)
    return "\n".join(lines)
