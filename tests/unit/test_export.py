"""Exports, checked by opening the files with the readers people use: an HTML parser, python-docx,
ebooklib and pypdf (headings, paragraphs, title, language, a table of contents that resolves)."""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import docx
import pypdf
import pytest
from ebooklib import ITEM_DOCUMENT, epub
from typer.testing import CliRunner

from longwriter import WriterContext
from longwriter.api import DocumentResult
from longwriter.batch.documents import BatchItem, write_batch
from longwriter.batch.store import BatchCheckpoints
from longwriter.cli import app
from longwriter.errors import ConfigError, LongWriterError
from longwriter.export import convert, export, output_format
from tests.fakes import ScriptedWriter, write_with

runner = CliRunner()

EN_TITLE = "A History of Coffee"
EN_SECTIONS = ["Legends of Ethiopia", "The Coffee Houses of Istanbul", "Espresso in Milan"]
EN = f"""# {EN_TITLE}

## {EN_SECTIONS[0]}

Kaldi the goatherd saw his goats dance after they ate red berries.

Monks brewed the berries to stay awake through <script>alert(1)</script> night prayers.

## {EN_SECTIONS[1]}

By 1555 the city had coffee houses where people met to talk, play chess and hear the news.

---

Rules and gossip spread from table to table.

## {EN_SECTIONS[2]}

In 1901 Luigi Bezzera patented a machine that pushed steam through the grounds.
"""
ZH_TITLE = "咖啡的历史"
ZH_SECTIONS = ["埃塞俄比亚的传说", "伊斯坦布尔的咖啡馆"]
ZH = f"""# {ZH_TITLE}

## {ZH_SECTIONS[0]}

牧羊人卡尔迪看到他的山羊吃了红色的果子以后跳起舞来。

## {ZH_SECTIONS[1]}

一五五五年，城里有了咖啡馆，人们在那里聊天、下棋、听新闻。
"""


@pytest.fixture(scope="module")
def en() -> dict[str, bytes]:
    """The English document in every format, converted once."""
    return {fmt: convert(EN, fmt, language="en") for fmt in ("html", "docx", "epub", "pdf")}


@pytest.fixture(scope="module")
def zh() -> dict[str, bytes]:
    return {fmt: convert(ZH, fmt, language="zh") for fmt in ("html", "docx", "epub")}


def _forbidden(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a model was started")


# --- readers ------------------------------------------------------------------------------------


class Page(HTMLParser):
    """What a browser shows: title, language, headings, paragraphs, links and element ids."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.title = self.lang = ""
        self.headings: list[tuple[str, str]] = []  # (tag, text)
        self.paragraphs: list[str] = []
        self.toc_links: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self._open: list[str] = []
        self._text = ""
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "html":
            self.lang = a.get("lang") or ""
        if tag == "nav" and a.get("id") == "TOC":
            self._open.append("toc")
        if tag == "a" and "toc" in self._open:
            self.toc_links.append(str(a.get("href")))
        if tag in ("title", "h1", "h2", "p"):
            self._text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and "toc" in self._open:
            self._open.remove("toc")
        text = " ".join(self._text.split())
        if tag == "title":
            self.title = text
        elif tag in ("h1", "h2"):
            self.headings.append((tag, text))
        elif tag == "p":
            self.paragraphs.append(text)

    def handle_data(self, data: str) -> None:
        self._text += data


def _docx(data: bytes) -> Any:
    return docx.Document(io.BytesIO(data))


def _docx_xml(data: bytes) -> str:
    """The body as stored: python-docx does not list what sits in a content control (the TOC)."""
    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()


def _styled(document: Any, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


def _epub(data: bytes, tmp_path: Path) -> Any:
    path = tmp_path / "book.epub"
    path.write_bytes(data)
    return epub.read_epub(str(path), options={"ignore_ncx": True})


def _nav_entries(book: Any) -> list[tuple[str, str]]:
    """(text, href) of every entry of the EPUB 3 navigation document."""
    nav = next(i for i in book.get_items() if isinstance(i, epub.EpubNav))
    markup = nav.get_content().decode()
    toc = markup[markup.index('epub:type="toc"') : markup.index("</nav>")]
    return [
        (re.sub(r"<[^>]+>", "", text), href)
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', toc)
    ]


# --- format choice ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "fmt", "expected"),
    [
        (None, None, "md"),
        (None, "epub", "epub"),
        ("doc.DOCX", None, "docx"),
        ("doc.htm", None, "html"),
        ("doc.pdf", "pdf", "pdf"),
        ("doc", "html", "html"),
        ("notes.txt", "html", "html"),
    ],
)
def test_output_format(output: str | None, fmt: str | None, expected: str) -> None:
    assert output_format(Path(output) if output else None, fmt) == expected


@pytest.mark.parametrize(
    ("output", "fmt", "message"),
    [
        ("doc.pdf", "docx", "is a .pdf file name but --format is docx"),
        ("doc.txt", None, "unknown suffix '.txt'"),
        (None, "rtf", "--format 'rtf' is not one of md, html, docx, epub, pdf"),
    ],
)
def test_output_format_errors(output: str | None, fmt: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        output_format(Path(output) if output else None, fmt)


# --- the files, opened --------------------------------------------------------------------------


def test_html_has_title_headings_and_a_toc_that_resolves(en: dict[str, bytes]) -> None:
    page = Page(en["html"].decode())
    assert page.title == EN_TITLE and page.lang == "en"
    assert page.headings == [("h1", EN_TITLE)] + [("h2", s) for s in EN_SECTIONS]
    assert len(page.toc_links) == len(EN_SECTIONS)
    assert all(link.startswith("#") and link[1:] in page.ids for link in page.toc_links)
    assert "Kaldi the goatherd saw his goats dance after they ate red berries." in page.paragraphs
    # A draft's markup stays text; a "---" line is a rule, not the start of a YAML block.
    assert "script" not in page.tags and any("<script>" in p for p in page.paragraphs)
    assert "hr" in page.tags and "Rules and gossip spread from table to table." in page.paragraphs


def test_docx_has_title_headings_paragraphs_and_a_toc_field(en: dict[str, bytes]) -> None:
    document = _docx(en["docx"])
    assert _styled(document, "Title") == [EN_TITLE]
    assert _styled(document, "Heading 1") == EN_SECTIONS
    texts = [p.text for p in document.paragraphs]
    assert (
        "In 1901 Luigi Bezzera patented a machine that pushed steam through the grounds." in texts
    )
    assert document.core_properties.title == EN_TITLE
    assert document.core_properties.language == "en"
    xml = _docx_xml(en["docx"])
    # A TOC field marked dirty: Word fills it in when it opens the file.
    assert re.search(r'w:dirty="true" />\s*<w:instrText[^>]*>TOC \\o', xml)


def test_epub_has_metadata_chapters_and_a_navigation_that_resolves(
    en: dict[str, bytes], tmp_path: Path
) -> None:
    book = _epub(en["epub"], tmp_path)
    assert book.get_metadata("DC", "title")[0][0] == EN_TITLE
    assert book.get_metadata("DC", "language")[0][0] == "en"
    entries = _nav_entries(book)
    assert [text for text, _ in entries] == EN_SECTIONS
    chapters = {item.get_name(): item for item in book.get_items_of_type(ITEM_DOCUMENT)}
    for text, href in entries:
        name, _, anchor = href.partition("#")
        page = Page(chapters[name].get_content().decode())
        assert anchor in page.ids and ("h1", text) in page.headings
    body = " ".join(item.get_content().decode() for item in chapters.values())
    assert "Kaldi the goatherd saw his goats dance" in body


def test_pdf_has_title_outline_contents_and_text(en: dict[str, bytes]) -> None:
    pdf = pypdf.PdfReader(io.BytesIO(en["pdf"]))
    assert pdf.metadata is not None and pdf.metadata.title == EN_TITLE
    assert [entry.title for entry in pdf.outline] == EN_SECTIONS
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
    assert "Contents" in text and "Luigi Bezzera patented a machine" in text


def test_chinese_document(zh: dict[str, bytes], tmp_path: Path) -> None:
    page = Page(zh["html"].decode())
    assert page.title == ZH_TITLE and page.lang == "zh"
    assert [text for tag, text in page.headings if tag == "h2"] == ["目录", *ZH_SECTIONS]
    assert page.toc_links and all(link[1:] in page.ids for link in page.toc_links)
    assert "牧羊人卡尔迪看到他的山羊吃了红色的果子以后跳起舞来。" in page.paragraphs
    document = _docx(zh["docx"])
    assert _styled(document, "Title") == [ZH_TITLE]
    assert _styled(document, "Heading 1") == ZH_SECTIONS
    assert re.search(r'"TOCHeading" />.*?<w:t[^>]*>目录</w:t>', _docx_xml(zh["docx"]))
    book = _epub(zh["epub"], tmp_path)
    assert book.get_metadata("DC", "language")[0][0] == "zh"
    assert [text for text, _ in _nav_entries(book)] == ZH_SECTIONS


class LatinFontsOnly:
    """typst.Fonts on a machine without a CJK font."""

    def families(self) -> list[str]:
        return ["Libertinus Serif", "DejaVu Sans"]


def test_chinese_pdf_without_a_cjk_font_fails_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import typst

    monkeypatch.setattr(typst, "Fonts", LatinFontsOnly)
    with pytest.raises(ConfigError, match="no Chinese/Japanese/Korean font is installed"):
        convert(ZH, "pdf", language="zh")
    monkeypatch.setattr("longwriter.api.DocumentRun.values", _forbidden)
    result = runner.invoke(app, ["write", "写一篇关于茶的文章", "--format", "pdf"])
    assert result.exit_code == 2 and "apt-get install fonts-noto-cjk" in result.stderr


def test_chinese_pdf_with_a_cjk_font() -> None:
    import typst

    if not any(re.search("CJK|WenQuanYi|Source Han", f) for f in typst.Fonts().families()):
        pytest.skip("no CJK font on this machine (apt-get install fonts-wqy-microhei)")
    pdf = pypdf.PdfReader(io.BytesIO(convert(ZH, "pdf", language="zh")))
    assert [entry.title for entry in pdf.outline] == ZH_SECTIONS
    assert "牧羊人卡尔迪" in "".join((p.extract_text() or "").replace(" ", "") for p in pdf.pages)


def test_a_document_without_a_title_line_takes_the_given_title() -> None:
    page = Page(convert("Dear Ann,\n\nThe beans arrived.\n", "html", title="Beans").decode())
    assert page.title == "Beans" and page.paragraphs[-1] == "The beans arrived."


# --- writing files: export(), DocumentResult.save, batch, CLI -----------------------------------


def test_export_replaces_the_file_and_keeps_markdown_as_is(tmp_path: Path) -> None:
    out = tmp_path / "doc.html"
    out.write_text("old", encoding="utf-8")
    assert export(EN, out, language="en") == out
    assert Page(out.read_text(encoding="utf-8")).title == EN_TITLE
    assert export(EN, tmp_path / "doc.md").read_text(encoding="utf-8") == EN
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.html", "doc.md"]  # no temp left


def test_document_result_save_uses_the_report(tmp_path: Path) -> None:
    body = ZH.split("\n", 1)[1]  # no title line: the report's title is used
    result = DocumentResult(body, {"title": ZH_TITLE, "language": "zh"}, "t1")
    document = _docx(result.save(tmp_path / "out.docx").read_bytes())
    assert document.core_properties.title == ZH_TITLE
    assert document.core_properties.language == "zh"


def test_batch_exports_each_document(tmp_path: Path) -> None:
    context = WriterContext(memory=":memory:", embedding="hash", structured_plan=False)

    async def run() -> Any:
        async with BatchCheckpoints().open(tmp_path / "results.jsonl") as documents:
            return await write_batch(
                [BatchItem("maps", "Write a 600-word history of maps.", None)],
                tmp_path,
                documents=documents,
                context=context,
                chat_model=ScriptedWriter(),
                fmt="html",
            )

    assert asyncio.run(run()).done == 1
    row = json.loads((tmp_path / "results.jsonl").read_text(encoding="utf-8"))
    page = Page(Path(row["export"]).read_text(encoding="utf-8"))
    assert row["export"] == str(tmp_path / "maps.html") and (tmp_path / "maps.md").is_file()
    assert page.headings[0][0] == "h1" and page.toc_links
    assert all(link[1:] in page.ids for link in page.toc_links)


def test_cli_write_exports_the_format_of_the_output_suffix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_with(monkeypatch, ScriptedWriter())
    out = tmp_path / "rivers.epub"
    args = ["write", "Write a 300-word essay about rivers.", "-o", str(out)]
    args += ["--checkpoints", str(tmp_path / "ck.sqlite"), "--memory", ":memory:"]
    result = runner.invoke(app, [*args, "--embedding", "hash"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[-1])["output"] == str(out)
    book = _epub(out.read_bytes(), tmp_path)
    assert book.get_metadata("DC", "language")[0][0] == "en" and _nav_entries(book)
    assert (tmp_path / "rivers.report.json").is_file()


def test_cli_write_keeps_the_markdown_when_the_export_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise LongWriterError("pandoc could not write docx: boom")

    write_with(monkeypatch, ScriptedWriter())
    monkeypatch.setattr("longwriter.cli.write.export_document", broken)
    args = ["write", "Write a 300-word essay about rivers.", "-o", str(tmp_path / "r.docx")]
    args += ["--checkpoints", str(tmp_path / "ck.sqlite"), "--memory", ":memory:"]
    result = runner.invoke(app, [*args, "--embedding", "hash"])
    assert result.exit_code == 1
    assert "the document is saved as Markdown" in result.stderr
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# ")
    assert (tmp_path / "r.report.json").is_file() and not (tmp_path / "r.docx").exists()


def test_cli_export_converts_a_written_document(tmp_path: Path) -> None:
    source = tmp_path / "coffee.md"
    source.write_text(ZH, encoding="utf-8")
    result = runner.invoke(app, ["export", str(source), "--format", "docx"])
    assert result.exit_code == 0, result.output
    document = _docx((tmp_path / "coffee.docx").read_bytes())
    assert _styled(document, "Heading 1") == ZH_SECTIONS
    assert document.core_properties.language == "zh"  # detected from the text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "{doc}"], "give --format or an --output file name"),
        (["export", "{doc}", "-o", "{tmp}/x.pdf", "--format", "epub"], "is a .pdf file name"),
        (["export", "{doc}", "-o", "{tmp}/x.rtf"], "unknown suffix '.rtf'"),
        (["export", "{doc}", "-o", "{doc}"], "is the document itself"),
        (["export", "{tmp}/missing.md", "--format", "html"], "missing.md does not exist"),
        (["write", "Write about tea.", "-o", "{tmp}/t.pdf", "--format", "docx"], ".pdf file name"),
        (["write", "Write about tea.", "--format", "odt"], "--format 'odt' is not one of"),
        (["write", "Write about tea.", "-o", "{tmp}/tea.txt"], "unknown suffix '.txt'"),
        (["write", "--batch", "{tmp}/b.jsonl", "--out-dir", "{tmp}", "--format", "x"], "'x'"),
    ],
)
def test_cli_format_errors_exit_2_before_any_model(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("longwriter.api.DocumentRun.values", _forbidden)
    doc = tmp_path / "doc.md"
    doc.write_text(EN, encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"prompt": "Write about tea."}\n', encoding="utf-8")
    result = runner.invoke(app, [a.format(doc=doc, tmp=tmp_path) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and message in lines[-1]


def test_a_missing_extra_is_named_before_any_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "typst" else real(name, *a)
    )
    monkeypatch.setattr("longwriter.api.DocumentRun.values", _forbidden)
    result = runner.invoke(app, ["write", "Write about tea.", "--format", "pdf"])
    assert result.exit_code == 2
    assert "pip install 'longwriter[pdf]'" in result.stderr.strip().splitlines()[-1]
