"""Reading sources: every format from a real file with its locators and offsets, folders and globs,
and one clear one-line error naming the file for each kind of bad input."""

from __future__ import annotations

import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longwriter.errors import ConfigError
from longwriter.sources import read as read_module
from longwriter.sources.chunk import document_text
from longwriter.sources.read import (
    SourceDocument,
    SourceError,
    markdown_sections,
    read_source,
    read_sources,
    source_paths,
)
from tests.sources_corpus import (
    write_corpus,
    write_docx,
    write_encrypted_pdf,
    write_html,
    write_jsonl,
    write_pdf,
    write_text,
)


def _parts(doc: SourceDocument) -> list[tuple[str, str]]:
    """The (locator, text) of each part, after checking that its offset is exact."""
    whole = document_text(doc)
    for part in doc.parts:
        assert whole[part.start : part.start + len(part.text)] == part.text
    return [(p.locator, p.text) for p in doc.parts]


def test_markdown_parts_are_its_sections_under_their_heading_paths(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / "a.md",
        "Intro  text\nwraps here.\n\n# Harbour #\n\nDredged in 1844.\n\n## Wall\n\n612 metres.\n\n"
        "```\n# not a heading\n```\n\n### Gate\n\nIron.\n\n## Quay\n\nStone.\n\n#hashtag is text\n",
    )
    doc = read_source(path, "a.md")
    assert doc.kind == "md" and doc.name == "a.md"
    assert _parts(doc) == [
        ("", "Intro text wraps here."),
        ("Harbour", "Dredged in 1844."),
        ("Harbour > Wall", "612 metres.\n\n``` # not a heading ```"),
        ("Harbour > Wall > Gate", "Iron."),
        ("Harbour > Quay", "Stone.\n\n#hashtag is text"),
    ]


def test_html_drops_page_chrome_and_splits_at_headings(tmp_path: Path) -> None:
    path = write_html(
        tmp_path / "b.htm",
        "<header>Site</header><nav>Menu</nav><p>Before.</p><h1>Trade <i>routes</i></h1>"
        "<p>Saffron   and\n oil.<br>By sea<!-- note -->ward.</p>loose text<script>bad()</script>"
        "<h2>Ports</h2><ul><li>Genoa</li><li>Tyre</li></ul><style>p{}</style><footer>(c)</footer>",
        head="<title>Ignored</title><style>x{}</style>",
    )
    assert _parts(read_source(path, "b.htm")) == [
        ("", "Before."),
        ("Trade routes", "Saffron and oil. By seaward.\n\nloose text"),
        ("Trade routes > Ports", "Genoa\n\nTyre"),
    ]


def test_a_pdf_has_one_part_per_page_with_text(tmp_path: Path) -> None:
    path = write_pdf(
        tmp_path / "d.pdf", [["Page one (so to say)", "says 1844."], [], "Page three."]
    )
    doc = read_source(path, "d.pdf")
    assert doc.kind == "pdf"
    assert _parts(doc) == [("p. 1", "Page one (so to say) says 1844."), ("p. 3", "Page three.")]


def test_a_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    path = write_encrypted_pdf(tmp_path / "open.pdf", ["Anyone may read this."], user="")
    assert _parts(read_source(path, "open.pdf")) == [("p. 1", "Anyone may read this.")]


def test_a_word_file_has_sections_at_headings_and_its_tables(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "e.docx",
        [("", "Preface."), ("h1", "Guild"), ("", "Founded in 1839."), ("h2", "Members")],
        table=[["Name", "Joined"], ["Ada", "1840"]],
    )
    assert _parts(read_source(path, "e.docx")) == [
        ("", "Preface."),
        ("Guild", "Founded in 1839."),
        ("Guild > Members", "Name | Joined\n\nAda | 1840"),
    ]


def test_jsonl_rows_are_parts_by_line_number(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "c.jsonl",
        [
            {"text": "Row one."},
            {"content": "Row two."},
            {"id": 3, "body": "Row three."},
            7,
            "Row five.",
        ],
    )
    path.write_text(path.read_text() + "\n" + '{"text": "After a blank line."}\n')
    assert _parts(read_source(path, "c.jsonl")) == [
        ("row 1", "Row one."),
        ("row 2", "Row two."),
        ("row 3", "Row three."),
        ("row 5", "Row five."),
        ("row 7", "After a blank line."),
    ]


def test_text_is_utf8_with_its_spacing_made_regular(tmp_path: Path) -> None:
    path = tmp_path / "n.txt"
    path.write_bytes("\ufeffOne\t\tline\r\nwrapped.\r\n \r\n\r\n中文\n继续。\n".encode())
    assert _parts(read_source(path, "n.txt")) == [("", "One line wrapped.\n\n中文继续。")]


def test_a_folder_is_read_recursively_and_skips_what_it_cannot_use(tmp_path: Path) -> None:
    files = write_corpus(tmp_path)
    write_text(tmp_path / "copy.txt", files["txt"].read_text())
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "junk.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "blank.md").write_text("  \n")
    write_text(tmp_path / ".hidden.txt", "Hidden.")
    write_text(tmp_path / ".git" / "notes.md", "Hidden folder.")
    calls: list[tuple[int, int]] = []
    docs, report = read_sources(
        [tmp_path], progress=lambda done, total: calls.append((done, total))
    )
    assert [(d.name, d.kind) for d in docs] == [
        ("copy.txt", "txt"),
        ("guide/port.md", "md"),
        ("guild.docx", "docx"),
        ("report.pdf", "pdf"),
        ("rows.jsonl", "jsonl"),
        ("trade.html", "html"),
    ]
    assert report.skipped == {
        "duplicate document": 1,
        "unsupported type": 1,
        "binary": 1,
        "empty": 1,
    }
    assert report.files == 6 and report.words == sum(
        len(p.text.split()) for d in docs for p in d.parts
    )
    assert calls == [(n, 9) for n in range(1, 10)]
    assert [name for _, name in source_paths([tmp_path])][:2] == ["blank.md", "copy.txt"]


def test_globs_expand_recursively_and_name_files_from_their_root(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    write_text(tmp_path / "guide" / "deep" / "more.md", "# More\n\nDeeper.\n")
    docs, _ = read_sources([str(tmp_path / "**" / "*.md"), str(tmp_path / "*.txt")])
    assert [d.name for d in docs] == ["guide/deep/more.md", "guide/port.md", "notes.txt"]
    assert source_paths([tmp_path / "notes.txt", tmp_path / "notes.txt"]) == [
        (tmp_path / "notes.txt", "notes.txt")
    ]


def test_too_many_files_is_an_error_naming_the_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        write_text(tmp_path / f"{n}.txt", f"File {n}.")
    monkeypatch.setattr(read_module, "MAX_FILES", 2)
    with pytest.raises(SourceError, match="hold 3 readable files, more than 2"):
        source_paths([tmp_path])


def test_a_file_over_the_size_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_text(tmp_path / "big.txt", "x" * 100)
    monkeypatch.setattr(read_module, "MAX_FILE_BYTES", 10)
    with pytest.raises(SourceError, match=r"big\.txt is larger than"):
        read_sources([path])


def _zip_without_word(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a Word document")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.md", None, "does not exist"),
        ("notes.png", b"\x89PNG", r"is a \.png file, not a supported type"),
        ("README", b"text", "without a suffix, not a supported type"),
        ("bin.txt", b"ab\x00cd", r"is binary \(it holds NUL bytes\)"),
        ("latin.md", "café".encode("latin-1"), r"is not UTF-8 text \(bad byte at 3\)"),
        ("empty.md", b"  \n\n# Only a heading\n", "has no text"),
        ("empty.txt", b"", "has no text"),
        ("broken.pdf", b"%PDF-1.4 garbage", "is not a readable PDF"),
        ("fake.docx", b"not a zip", "is not a readable Word .docx file"),
        ("zip.docx", _zip_without_word, "is not a readable Word .docx file"),
        ("bad.jsonl", b'{"text": "ok"}\n{oops\n', r"line 2 is invalid JSON"),
        ("locked.pdf", "encrypted", "is encrypted"),
        ("scan.pdf", [[]], r"has no text \(a scanned PDF needs OCR first\)"),
    ],
)
def test_a_bad_named_file_is_one_clear_error(
    tmp_path: Path, name: str, content: object, message: str
) -> None:
    path = tmp_path / name
    if content == "encrypted":
        write_encrypted_pdf(path, ["Secret."])
    elif isinstance(content, list):
        write_pdf(path, content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif callable(content):
        content(path)
    with pytest.raises(SourceError, match=message) as caught:
        read_sources([path])
    assert isinstance(caught.value, ConfigError)
    assert "\n" not in str(caught.value) and name in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("https://example.com/paper.pdf", "is a URL"),
        ("http://example.com/notes.md", "is a URL"),
        ("", "a source name is empty"),
    ],
)
def test_urls_and_empty_names_are_refused_without_any_network(spec: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        source_paths([spec])


def test_empty_globs_and_folders_without_sources_are_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"\*\.docx matches no file"):
        read_sources([str(tmp_path / "*.docx")])
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.png").write_bytes(b"\x89PNG")
    with pytest.raises(SourceError, match="pics holds no readable file"):
        source_paths([tmp_path / "pics"])


def test_a_folder_where_no_file_has_text_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"\x00")
    (tmp_path / "b.md").write_text("\n")
    with pytest.raises(SourceError, match=r"has any text \(skipped: 1 binary, 1 empty\)"):
        read_sources([tmp_path])


def test_a_missing_parser_says_what_to_install_even_inside_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_pdf(tmp_path / "a.pdf", ["Text."])
    write_text(tmp_path / "b.txt", "More text.")
    monkeypatch.setitem(sys.modules, "pypdf", None)
    with pytest.raises(SourceError, match=r"reading \.pdf needs pypdf: pip install"):
        read_sources([tmp_path])


@settings(deadline=2000, max_examples=150)
@given(
    st.lists(
        st.sampled_from([*"# ab`~\n\t>", "```", "~~~~", "## ", "\n\n", "\u2028"])
        | st.text(max_size=3),
        max_size=150,
    ).map("".join)
)
def test_the_markdown_splitter_is_total_and_drops_only_heading_lines(text: str) -> None:
    sections = list(markdown_sections(text))
    assert all("\n" not in locator for locator, _ in sections)
    kept = Counter(line for _, body in sections for line in body.split("\n"))
    assert not Counter(line for line in text.splitlines() if "#" not in line) - kept
    if "#" not in text:
        assert sections == ([("", "\n".join(text.splitlines()))] if text.splitlines() else [])
