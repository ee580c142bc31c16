"""Chunks of the sources: passages of about a paragraph that a section is given and cites, each
keeping its document, its part's locator and its exact character offsets in the document's text.

A chunk ends at a paragraph boundary when it can, else at a sentence boundary, and never runs
across two parts, so its locator ("p. 3", "Intro > Setup") holds for all of it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from longwriter.sources.read import SourceDocument
from longwriter.text import count_words, split_sentences

CHUNK_WORDS = 120
"""Words per chunk: about a paragraph, small enough that several fit a section's request."""
_WINDOW = 8000
"""Characters given to the sentence splitter at a time: it rescans a line for each abbreviation,
so a paragraph of megabytes on one line would take quadratic time."""
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_TOKEN = re.compile(r"\S+")

_Span = tuple[int, int, int]
"""(start, end, words) of a piece of a part's text."""


@dataclass(frozen=True)
class Chunk:
    """A passage of a source document, with where it is."""

    id: str  # content hash: the same passage in two files is one chunk (and one index entry)
    document: str  # SourceDocument.name
    locator: str
    start: int  # document_text(doc)[start:end] == text
    end: int
    text: str

    @property
    def words(self) -> int:
        """Words of the passage, as budgets count them."""
        return count_words(self.text)


def document_text(doc: SourceDocument) -> str:
    """The document's whole text, its parts joined by a blank line: what chunk offsets refer to."""
    return "\n\n".join(part.text for part in doc.parts)


def chunk_id(text: str) -> str:
    """The content hash of a passage; case and spacing do not count."""
    return hashlib.sha1(" ".join(text.lower().split()).encode("utf-8")).hexdigest()[:16]


def chunk_document(doc: SourceDocument, words: int = CHUNK_WORDS) -> list[Chunk]:
    """The chunks of ``doc`` in order, of about ``words`` words each and never more than twice
    that; passages without a single word are left out."""
    words = max(1, words)
    chunks = []
    base = 0  # computed here rather than read from part.start, so offsets hold for any parts
    for part in doc.parts:
        for start, end, count in _pack(_units(part.text, words), words):
            if count:
                text = part.text[start:end]
                chunks.append(
                    Chunk(chunk_id(text), doc.name, part.locator, base + start, base + end, text)
                )
        base += len(part.text) + 2
    return chunks


def unique_chunks(chunks: Iterable[Chunk]) -> tuple[list[Chunk], int]:
    """The chunks with each passage once, where it first came, and how many repeats went."""
    kept: dict[str, Chunk] = {}
    dropped = 0
    for chunk in chunks:
        if chunk.id in kept:
            dropped += 1
        else:
            kept[chunk.id] = chunk
    return list(kept.values()), dropped


def _units(text: str, words: int) -> Iterator[_Span]:
    """The pieces chunks are made of: whole paragraphs of up to ``words`` words, else their
    sentences, and a sentence of more than twice that cut at words."""
    for start, end in _paragraphs(text):
        count = count_words(text[start:end])
        if count <= words:
            yield start, end, count
            continue
        for s_start, s_end in _sentences(text, start, end):
            s_count = count_words(text[s_start:s_end])
            if s_count <= 2 * words:
                yield s_start, s_end, s_count
            else:
                yield from _cut(text, s_start, s_end, words)


def _pack(units: Iterable[_Span], words: int) -> Iterator[_Span]:
    """Consecutive units joined while they stay within ``words`` words; a small remainder at the
    end joins the chunk before it rather than standing alone."""
    done: list[_Span] = []
    current: _Span | None = None
    for start, end, count in units:
        if current is not None and current[2] + count > words:
            done.append(current)
            current = None
        current = (start, end, count) if current is None else (current[0], end, current[2] + count)
    if current is not None:
        done.append(current)
    if len(done) > 1 and done[-1][2] < words // 4 and done[-2][2] + done[-1][2] <= 2 * words:
        tail = done.pop()
        done[-1] = (done[-1][0], tail[1], done[-1][2] + tail[2])
    return iter(done)


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the paragraphs of ``text`` (between blank lines), without surrounding space."""
    start = 0
    for brk in [*_PARAGRAPH_BREAK.finditer(text), None]:
        end = brk.start() if brk else len(text)
        if span := _stripped(text, start, end):
            yield span
        start = brk.end() if brk else end


def _sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Spans of the sentences of ``text[start:end]``, found a window at a time (the last sentence
    of a window may go on past it, so it is looked at again with the next)."""
    pos = start
    while pos < end:
        stop = end if end - pos <= _WINDOW else _window_end(text, pos, end)
        spans = list(_located(text, pos, stop))
        if not spans:  # a window of nothing but spaces
            pos = stop
            continue
        if stop < end and len(spans) > 1:
            spans.pop()
        yield from spans
        pos = spans[-1][1]


def _window_end(text: str, pos: int, end: int) -> int:
    """Where a window from ``pos`` ends: at a space in its second half if it has one."""
    limit = pos + _WINDOW
    space = max(
        text.rfind(" ", pos + _WINDOW // 2, limit), text.rfind("\n", pos + _WINDOW // 2, limit)
    )
    return space if space > pos else limit


def _located(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The sentences ``split_sentences`` finds in ``text[start:end]``, as spans of ``text``: they
    come in order and only whitespace lies between them, so each is found where the last ended."""
    pos = start
    for sentence in split_sentences(text[start:end]):
        found = text.find(sentence, pos, end)
        if found < 0:  # not expected; the rest is then one sentence rather than a wrong offset
            if span := _stripped(text, pos, end):
                yield span
            return
        pos = found + len(sentence)
        yield found, pos


def _cut(text: str, start: int, end: int, words: int) -> Iterator[_Span]:
    """A sentence too long for a chunk, cut at spaces every ``words`` words; a run without spaces
    that is longer (CJK text) is cut every ``words`` characters, each a word at most."""
    first, count = -1, 0
    last = start
    for token in _TOKEN.finditer(text, start, end):
        n = count_words(token[0])
        if n > words:
            if first >= 0:
                yield first, last, count
            first, count = -1, 0
            for at in range(token.start(), token.end(), words):
                piece_end = min(at + words, token.end())
                yield at, piece_end, count_words(text[at:piece_end])
            continue
        if first >= 0 and count + n > words:
            yield first, last, count
            first, count = -1, 0
        if first < 0:
            first = token.start()
        count += n
        last = token.end()
    if first >= 0:
        yield first, last, count


def _stripped(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` narrowed to leave out whitespace at both ends; None if nothing is left."""
    piece = text[start:end]
    body = piece.strip()
    if not body:
        return None
    lead = len(piece) - len(piece.lstrip())
    return start + lead, start + lead + len(body)
