"""Source files for the tests, written as users have them: text, Markdown, HTML, Word, JSONL and
real PDFs (written object by object, so pypdf reads exactly the text put in; no PDF library needed
to make one)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def write_text(path: Path, text: str) -> Path:
    """``text`` as a UTF-8 file (for .txt and .md sources)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_html(path: Path, body: str, head: str = "<title>Page</title>") -> Path:
    """An HTML page around ``body``."""
    return write_text(path, f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>")


def write_jsonl(path: Path, rows: Sequence[Any]) -> Path:
    """One JSON value a line."""
    return write_text(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


def write_docx(
    path: Path, blocks: Sequence[tuple[str, str]], table: Sequence[Sequence[str]] = ()
) -> Path:
    """A Word file of (style, text) blocks: "h1".."h9" for headings, "" for paragraphs; then a
    table of ``table``'s rows, if any."""
    import docx

    document = docx.Document()
    for style, text in blocks:
        if style:
            document.add_heading(text, level=int(style[1:]))
        else:
            document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def _escaped(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(pages: Sequence[str | Sequence[str]]) -> bytes:
    """A valid PDF of ``pages``, each a line or a list of lines of ASCII text in Helvetica (an
    empty list is a blank page); the cross-reference table holds the objects' real offsets."""
    bodies: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b""]
    bodies[2] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    kids = []
    for page in pages:
        lines = [page] if isinstance(page, str) else list(page)
        shown = " T* ".join(f"({_escaped(line)}) Tj" for line in lines)
        stream = f"BT /F1 12 Tf 72 720 Td 14 TL {shown} ET".encode("ascii") if lines else b""
        bodies.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        content = len(bodies)
        bodies.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % content
        )
        kids.append(len(bodies))
    refs = " ".join(f"{kid} 0 R" for kid in kids)
    bodies[1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(bodies, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(out)


def write_pdf(path: Path, pages: Sequence[str | Sequence[str]]) -> Path:
    """A real PDF file of ``pages`` (see :func:`pdf_bytes`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes(pages))
    return path


def write_encrypted_pdf(
    path: Path, pages: Sequence[str | Sequence[str]], user: str = "secret", owner: str = "owner"
) -> Path:
    """A PDF of ``pages`` encrypted by pypdf: with a ``user`` password nobody can read it without
    one; with ``user=""`` only its owner's password is set and anyone can read it."""
    import pypdf

    plain = write_pdf(path.with_name(f"plain-{path.name}"), pages)
    writer = pypdf.PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password=user, owner_password=owner)
    with path.open("wb") as fh:
        writer.write(fh)
    plain.unlink()
    return path


def write_corpus(folder: Path) -> dict[str, Path]:
    """One source of each kind in ``folder`` (the .md one in a subfolder), by kind."""
    return {
        "txt": write_text(folder / "notes.txt", "The harbour was dredged in 1844.\n"),
        "md": write_text(folder / "guide" / "port.md", "# Port\n\nThe wall is 612 metres long.\n"),
        "html": write_html(folder / "trade.html", "<h1>Trade</h1><p>Saffron came by sea.</p>"),
        "pdf": write_pdf(folder / "report.pdf", ["The lighthouse dates from 1871."]),
        "docx": write_docx(folder / "guild.docx", [("h1", "Guild"), ("", "Founded in 1839.")]),
        "jsonl": write_jsonl(folder / "rows.jsonl", [{"text": "Forty ships were registered."}]),
    }
