"""Reading the caller's own material for grounded writing: files, folders and globs of text,
Markdown, HTML, PDF, Word and JSONL, each document cut into parts that say where they came from (a
page, a section, a row) so that a passage can be cited.

Nothing is fetched from the network. The PDF, Word and HTML libraries are imported only when such
a file is read, so the rest of the package works without the ``sources`` extra.
"""

from __future__ import annotations

import glob
import hashlib
import importlib
import itertools
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from longwriter.errors import ConfigError
from longwriter.jsonl import json_value
from longwriter.text import count_words

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".jsonl")
_TYPES = " ".join(SUFFIXES)
MAX_FILES = 2000
"""Most readable files the sources may hold: a folder of more is most likely the wrong folder."""
MAX_FILE_BYTES = 512 * 2**20
"""Largest source file read: a disk image named by mistake fails instead of filling the memory."""

_KINDS = {
    ".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
    ".pdf": "pdf", ".docx": "docx", ".jsonl": "jsonl",
}  # fmt: skip
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_MAGIC = re.compile(r"[*?\[]")
_ATX = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_HTML_DROP = frozenset(
    {"script", "style", "nav", "header", "footer", "noscript", "template", "head"}
)
_HTML_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_HTML_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "form", "hr", "li", "main", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})  # fmt: skip

_Item: TypeAlias = tuple[int, str] | str
"""What a structured reader yields: a heading as (level, title), or a block of text."""


class SourceError(ConfigError):
    """A source the run cannot use; the message names the file and the problem in one line, and
    ``reason`` is the short form a folder's report counts skipped files by."""

    def __init__(self, message: str, reason: str = "unreadable") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SourcePart:
    """One readable unit of a document, with where it came from."""

    locator: str  # "p. 3", a heading path "Intro > Setup" ("" before any heading), "row 12"
    text: str
    start: int  # offset in the document's whole text: its parts joined by "\n\n"


@dataclass(frozen=True)
class SourceDocument:
    """A source file's text, in parts."""

    path: Path
    name: str  # shown in references: the path relative to the folder or glob it came from
    kind: str  # "pdf", "docx", "html", "md", "txt", "jsonl"
    parts: tuple[SourcePart, ...]


@dataclass
class SourceReport:
    """What reading the sources found: documents kept, files skipped by reason, words kept."""

    files: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    words: int = 0


def source_paths(specs: Sequence[str | Path]) -> list[tuple[Path, str]]:
    """The readable files ``specs`` name, each as (path, display name), checked before any model
    starts: a URL, a missing path, a glob or folder without a readable file, or a named file of an
    unsupported type is a :class:`SourceError`."""
    return [(path, name) for path, name, _ in _expand(specs) if _supported(path)]


def read_sources(
    specs: Sequence[str | Path], progress: Callable[[int, int], None] | None = None
) -> tuple[list[SourceDocument], SourceReport]:
    """Every usable document ``specs`` name, identical texts once, with ``progress(done, total)``
    after each file. A file named on its own that fails raises; one found in a folder or by a
    glob is skipped with a warning and counted, so one bad file does not stop a run."""
    found = _expand(specs)
    report = SourceReport()
    skipped = report.skipped
    readable = [entry for entry in found if _supported(entry[0])]
    if len(readable) < len(found):
        skipped["unsupported type"] = len(found) - len(readable)
    documents: list[SourceDocument] = []
    seen: set[bytes] = set()
    for done, (path, name, named) in enumerate(readable, 1):
        try:
            doc = read_source(path, name)
        except SourceError as exc:
            if named or exc.reason == "missing library":
                raise
            log.warning("skipped %s", exc)
            skipped[exc.reason] = skipped.get(exc.reason, 0) + 1
        else:
            digest = hashlib.sha1("\n\n".join(p.text for p in doc.parts).encode()).digest()
            if digest in seen:
                skipped["duplicate document"] = skipped.get("duplicate document", 0) + 1
            else:
                seen.add(digest)
                documents.append(doc)
                report.files += 1
                report.words += sum(count_words(p.text) for p in doc.parts)
        if progress is not None:
            progress(done, len(readable))
    if not documents:
        counts = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items()))
        listed = ", ".join(str(s) for s in specs)
        listed = listed if len(listed) <= 100 else listed[:97] + "..."
        raise SourceError(f"no source in {listed} has any text (skipped: {counts})", "empty")
    return documents, report


def read_source(path: Path, name: str) -> SourceDocument:
    """The file ``path`` as a document shown as ``name``; a :class:`SourceError` says what is
    wrong with it."""
    path = Path(path)
    kind = _KINDS.get(path.suffix.lower())
    if kind is None:
        raise _unsupported(path)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise _bad(path, "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):  # opening a pipe would block
            raise _bad(path, "is not a regular file")
        with path.open("rb"):
            pass
    except FileNotFoundError:
        raise _bad(path, "does not exist", "missing") from None
    except OSError as exc:
        raise _bad(path, f"cannot be read: {exc.strerror or exc}") from None
    if info.st_size > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // 2**20
        raise _bad(path, f"is larger than {limit} MB", "too large")
    parts: list[SourcePart] = []
    start = 0
    for locator, raw in _READERS[kind](path):
        text = _tidy(raw)
        if text:
            parts.append(SourcePart(locator, text, start))
            start += len(text) + 2
    if not parts:
        hint = " (a scanned PDF needs OCR first)" if kind == "pdf" else ""
        raise _bad(path, f"has no text{hint}", "empty")
    return SourceDocument(path, name, kind, tuple(parts))


def _tidy(raw: str) -> str:
    """``raw`` with each paragraph on one line, spaces collapsed, and paragraphs (text between
    blank lines) apart by "\\n\\n": the form chunk offsets and the citation check rely on."""
    paragraphs: list[str] = []
    lines: list[str] = []
    for line in raw.splitlines():
        words = line.split()
        if words:
            lines.append(" ".join(words))
        elif lines:
            paragraphs.append(_joined(lines))
            lines = []
    if lines:
        paragraphs.append(_joined(lines))
    return "\n\n".join(paragraphs)


def _joined(lines: list[str]) -> str:
    """Lines of one paragraph as one line; a line break between two CJK characters is no space."""
    pieces = [lines[0]]
    for before, line in itertools.pairwise(lines):
        wide = {unicodedata.east_asian_width(c) for c in (before[-1], line[0])} <= {"W", "F"}
        pieces.extend((line,) if wide else (" ", line))
    return "".join(pieces)


def _supported(path: Path) -> bool:
    return path.suffix.lower() in _KINDS


def _unsupported(path: Path) -> SourceError:
    what = f"a {path.suffix} file" if path.suffix else "a file without a suffix"
    return _bad(path, f"is {what}, not a supported type ({_TYPES})", "unsupported type")


def _expand(specs: Sequence[str | Path]) -> list[tuple[Path, str, bool]]:
    """Each file ``specs`` name, once, as (path, display name, named on its own)."""
    found: list[tuple[Path, str, bool]] = []
    seen: set[str] = set()
    for spec in specs:
        for path, name, named in _spec_files(str(spec)):
            key = os.path.abspath(path)
            if key not in seen:
                seen.add(key)
                found.append((path, name, named))
    count = sum(1 for path, _, _ in found if _supported(path))
    if count > MAX_FILES:
        raise SourceError(
            f"the sources hold {count} readable files, more than {MAX_FILES}: "
            "name a smaller folder or a narrower pattern",
            "too many files",
        )
    return found


def _spec_files(spec: str) -> list[tuple[Path, str, bool]]:
    """The files one spec names: a file, a folder read recursively, or a glob pattern."""
    if _URL.match(spec.strip()):
        raise _bad(spec, "is a URL: sources are local files (download it first)", "URL")
    if not spec.strip():
        raise SourceError("a source name is empty: give a file, a folder or a pattern", "missing")
    path = Path(spec).expanduser()
    try:
        is_file, is_dir, exists = path.is_file(), path.is_dir(), path.exists()
    except (OSError, ValueError):  # a name too long, or with a NUL character
        raise SourceError(f"source {spec!r} is not a valid file name", "missing") from None
    if is_file:
        if not _supported(path):
            raise _unsupported(path)
        return [(path, path.name, True)]
    if exists and not is_dir:
        raise _bad(path, "is not a regular file")
    if is_dir:
        files = _folder_files(path)
    elif _MAGIC.search(spec):
        files = _glob_files(spec)
    else:
        raise _bad(path, "does not exist", "missing")
    if not any(_supported(p) for p, _, _ in files):
        what = "folder" if is_dir else "pattern"
        raise SourceError(f"source {what} {spec} holds no readable file ({_TYPES})")
    return files


def _folder_files(root: Path) -> list[tuple[Path, str, bool]]:
    """The files under ``root``, sorted by their path in it; hidden files and folders left out,
    and so are links to folders, which could loop."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            path = Path(folder, name)
            # A pipe or device named like a text file would block the reading or never end.
            if not name.startswith(".") and (not _supported(path) or path.is_file()):
                found.append((path, path.relative_to(root).as_posix(), False))
    return sorted(found, key=lambda entry: entry[1])


def _glob_files(pattern: str) -> list[tuple[Path, str, bool]]:
    """The files ``pattern`` matches (``**`` spans folders), named from the pattern's folder."""
    expanded = os.path.expanduser(pattern)
    root = Path(*itertools.takewhile(lambda p: not _MAGIC.search(p), Path(expanded).parts))
    matches = sorted(glob.glob(expanded, recursive=True))
    if not matches:
        raise SourceError(f"source pattern {pattern} matches no file", "missing")
    files = [Path(match) for match in matches if os.path.isfile(match)]
    return [
        (p, p.relative_to(root).as_posix() if p.is_relative_to(root) else p.name, False)
        for p in files
    ]


def _text(path: Path) -> str:
    """The UTF-8 text of ``path``; binary data or another encoding is a SourceError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _bad(path, f"cannot be read: {exc.strerror or exc}") from None
    if b"\0" in data:
        raise _bad(path, "is binary (it holds NUL bytes), not text", "binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad(path, f"is not UTF-8 text (bad byte at {exc.start})", "not UTF-8") from None


def _sections(items: Iterable[_Item], sep: str) -> Iterator[tuple[str, str]]:
    """(heading path, text) for the text under each heading, blocks joined by ``sep``."""
    trail: list[tuple[int, str]] = []
    body: list[str] = []
    for item in items:
        if isinstance(item, str):
            body.append(item)
            continue
        if body:
            yield " > ".join(title for _, title in trail if title), sep.join(body)
            body = []
        level, title = item
        while trail and trail[-1][0] >= level:
            trail.pop()
        trail.append((level, " ".join(title.split())))
    if body:
        yield " > ".join(title for _, title in trail if title), sep.join(body)


def markdown_sections(text: str) -> Iterator[tuple[str, str]]:
    """(heading path, raw text) for each section of Markdown ``text``; the heading lines are no
    part of any text."""
    return _sections(_markdown_items(text), "\n")


def _markdown_items(text: str) -> Iterator[_Item]:
    """The lines of Markdown ``text``, with ATX headings (outside code fences) as (level, title)."""
    fence = ""
    for line in text.splitlines():
        if fence:
            close = _FENCE.match(line)
            if close and close[1].startswith(fence) and not line[close.end() :].strip():
                fence = ""
            yield line
            continue
        if opening := _FENCE.match(line):
            fence = opening[1]
            yield line
        elif heading := _ATX.match(line):
            title = line[heading.end() :].strip()
            bare = title.rstrip("#")
            if not bare or bare[-1] in " \t":  # a closing run of #s is no part of the title
                title = bare.strip()
            yield len(heading[1]), title
        else:
            yield line


def _library(module: str, path: Path, package: str) -> Any:
    """The parsing library ``module``, or a SourceError saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        hint = f"reading {path.suffix.lower()} needs {package}: pip install 'longwriter[sources]'"
        raise SourceError(f"source {path}: {hint}", "missing library") from None


def _bad(path: Path | str, problem: str, reason: str = "unreadable") -> SourceError:
    """The error for source ``path`` and its ``problem``, counted as ``reason``."""
    return SourceError(f"source {path} {problem}", reason)


def _brief(exc: BaseException) -> str:
    """A library's exception as a short phrase that fits a one-line message."""
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def _html(path: Path) -> Iterator[tuple[str, str]]:
    html = _library("lxml.html", path, "lxml")
    text = _text(path)
    if not text.strip():
        return iter(())
    try:  # huge_tree: past 255 nested elements libxml2 would drop the text without a word
        parser = html.HTMLParser(encoding="utf-8", huge_tree=True)
        root = html.document_fromstring(text.encode(), parser=parser)
        items = list(_html_items(root))
    except Exception as exc:  # lxml raises several kinds of error for markup it cannot parse
        raise _bad(path, f"is not readable HTML ({_brief(exc)})", "unreadable HTML") from None
    return _sections(items, "\n\n")


def _html_items(root: Any) -> Iterator[_Item]:
    """Headings and paragraphs of an lxml tree in document order, in one pass over its elements."""
    from lxml import etree

    para: list[str] = []
    heading: list[str] | None = None
    opened: Any = None  # the heading element being read
    walk = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walk:
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start" and tag in _HTML_DROP:
            walk.skip_subtree()  # its end event still comes and carries its tail
            continue
        if heading is None and (tag in _HTML_HEADINGS or tag in _HTML_BLOCKS):
            if text := " ".join("".join(para).split()):
                yield text
            para = []
            if event == "start" and tag in _HTML_HEADINGS:
                heading, opened = [], el
        elif event == "end" and el is opened and heading is not None:
            yield _HTML_HEADINGS[tag], "".join(heading)
            heading, opened = None, None
        buffer = para if heading is None else heading
        if event == "start":
            buffer.append(" " if tag == "br" else el.text or "")
        else:  # an end, a comment or a processing instruction: the text after it follows
            buffer.append(el.tail or "")
    if text := " ".join("".join(para).split()):
        yield text


def _pdf(path: Path) -> Iterator[tuple[str, str]]:
    pypdf = _library("pypdf", path, "pypdf")
    # An open file, not a path: pypdf then reads the objects of each page as it needs them.
    with path.open("rb") as fh:
        try:
            reader = pypdf.PdfReader(fh, strict=False)
            # An encrypted file with only an owner's password opens with the empty one.
            locked = reader.is_encrypted and not reader.decrypt("")
            pages = 0 if locked else len(reader.pages)
        except Exception as exc:  # pypdf raises many kinds of error for a damaged file
            raise _bad(path, f"is not a readable PDF ({_brief(exc)})", "unreadable PDF") from None
        if locked:
            raise _bad(path, "is encrypted: remove its password first", "encrypted")
        failed = 0
        for number in range(pages):
            try:
                text = reader.pages[number].extract_text() or ""
            except Exception as exc:  # one damaged page leaves the others readable
                failed += 1
                log.warning("source %s: page %d is unreadable (%s)", path, number + 1, _brief(exc))
                continue
            yield f"p. {number + 1}", text
    if pages and failed == pages:
        raise _bad(path, "is not a readable PDF (no page opens)", "unreadable PDF")


def _docx(path: Path) -> Iterator[tuple[str, str]]:
    docx = _library("docx", path, "python-docx")
    try:
        document = docx.Document(str(path))
        items = list(_docx_items(document))
    except Exception as exc:  # a file that is no Word zip raises BadZipFile, KeyError and more
        raise _bad(
            path, f"is not a readable Word .docx file ({_brief(exc)})", "not a Word file"
        ) from None
    return _sections(items, "\n\n")


def _docx_items(document: Any) -> Iterator[_Item]:
    """Headings, paragraphs and table rows of a Word document, in their order in the body."""
    from docx.table import Table

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [cell.text.strip() for cell in row.cells]
                # A merged cell is listed once for every grid column it spans.
                unique = [c for i, c in enumerate(cells) if c and (i == 0 or c != cells[i - 1])]
                yield " | ".join(unique)
            continue
        style = (block.style.name if block.style is not None else "") or ""
        if style.startswith("Heading") and block.text.strip():
            level = re.search(r"\d+", style)
            yield int(level[0]) if level else 1, block.text
        else:
            yield block.text


def _jsonl(path: Path) -> Iterator[tuple[str, str]]:
    # Split at "\n" only: a JSON string may hold a raw U+2028, which splitlines() breaks at.
    for number, line in enumerate(_text(path).split("\n"), 1):
        if not line.strip():
            continue
        try:
            value = json_value(line)
        except ValueError as exc:
            raise _bad(path, f"line {number} is {exc}", "bad JSONL") from None
        if isinstance(value, dict):  # its "text", else its "content", else its first string
            first = next((v for v in value.values() if isinstance(v, str)), "")
            value = next(
                (value[k] for k in ("text", "content") if isinstance(value.get(k), str)), first
            )
        if isinstance(value, str) and value:
            yield f"row {number}", value


_READERS: dict[str, Callable[[Path], Iterator[tuple[str, str]]]] = {
    "txt": lambda path: iter([("", _text(path))]),
    "md": lambda path: markdown_sections(_text(path)),
    "html": _html, "pdf": _pdf, "docx": _docx, "jsonl": _jsonl,
}  # fmt: skip
