"""Exports: a finished Markdown document as HTML, DOCX, EPUB or PDF, each with a table of contents.

Pandoc does the conversions. The ``pypandoc-binary`` wheel ships the pandoc program itself, so
exports work offline with no system install (the ``export`` extra). PDF goes through Typst, whose
wheel is a whole typesetter with its fonts (the ``pdf`` extra): pandoc writes Typst source, Typst
makes the PDF; no LaTeX and no browser. The document's leading ``# title`` becomes the title of the
file (its metadata and title page) and its ``##`` sections the entries of the table of contents.
"""

from __future__ import annotations

import importlib.util
import re
import tempfile
from pathlib import Path

from longwriter.document import Report
from longwriter.errors import ConfigError, LongWriterError
from longwriter.files import replacing, save_text
from longwriter.text.lang import CJK_LANGUAGES

FORMATS = ("md", "html", "docx", "epub", "pdf")
_OTHER_SUFFIXES = {"md": (".markdown",), "html": (".htm",)}
SUFFIXES = {suffix: fmt for fmt in FORMATS for suffix in (f".{fmt}", *_OTHER_SUFFIXES.get(fmt, ()))}
"""File suffix -> the format it names: each format's own (``.pdf``) and a few others (``.htm``)."""
_NEEDS = {"pypandoc": "export", "typst": "pdf"}
"""Module → the extra that installs it."""

# Markdown as a model writes it, read safely: raw HTML or TeX in a draft stays text (no <script> in
# the HTML export), and a "---" line is a rule, never the start of a YAML block that fails to parse.
_READER = "markdown-raw_html-raw_tex-raw_attribute-yaml_metadata_block"
_PANDOC_ARGS = (
    "--standalone",
    "--toc",
    "--toc-depth=2",
    # Pandoc reads no file while converting: an image link in a draft cannot pull a local file
    # into a DOCX or EPUB.
    "--sandbox",
    "--quiet",  # missing translations of "Abstract" for zh; errors still raise
)
_TOC_TITLE = {"zh": "目录", "ja": "目次", "ko": "목차"}
"""Pandoc has no translations for these and would head their contents "Table of Contents"."""
_TITLE_LINE = re.compile(r"\A\s*#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*(?:\n|\Z)")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Font families that cover Chinese, Japanese or Korean (Noto CJK, Source Han, WenQuanYi, AR PL,
# Droid fallback, the Windows and macOS ones); Typst's own fonts cover none.
_CJK_FONT = re.compile(
    r"CJK|Source Han|WenQuanYi|AR PL|Droid Sans Fallback|Sim(Sun|Hei)|YaHei|PingFang|"
    r"Heiti|Songti|Hiragino|Gothic|Mincho|Nanum|Gulim",
    re.IGNORECASE,
)


def output_format(output: Path | None, fmt: str | None) -> str:
    """The format to write: ``fmt``, else the one ``output``'s suffix names, else Markdown.

    ConfigError for an unknown format or suffix, or a suffix that names another format than
    ``fmt`` (``-o rome.pdf --format docx``)."""
    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    suffix = output.suffix.lower() if output is not None else ""
    if not suffix:
        return fmt or "md"
    named = SUFFIXES.get(suffix)
    if named is None:
        if fmt is None:
            known = ", ".join(SUFFIXES)
            raise ConfigError(
                f"--output {output}: unknown suffix {suffix!r} (use {known} or --format)"
            )
        return fmt
    if fmt is not None and fmt != named:
        raise ConfigError(f"--output {output} is a .{named} file name but --format is {fmt}")
    return named


def check_format(fmt: str, *, sample: str = "", language: str | None = None) -> None:
    """Fail now, before any model starts, when ``fmt`` cannot be written here: its extra is not
    installed, or a PDF of CJK text (``language``, or ``sample``'s script) finds no CJK font."""
    if fmt == "md":
        return
    for module in ("pypandoc", "typst") if fmt == "pdf" else ("pypandoc",):
        if importlib.util.find_spec(module) is None:
            raise ConfigError(
                f"--format {fmt} needs {module}: pip install 'longwriter[{_NEEDS[module]}]'"
            )
    if fmt == "pdf" and (language in CJK_LANGUAGES or _CJK.search(sample)):
        _check_cjk_font()


def _check_cjk_font() -> None:
    import typst

    if not any(_CJK_FONT.search(family) for family in typst.Fonts().families()):
        raise ConfigError(
            "--format pdf: no Chinese/Japanese/Korean font is installed, so the PDF would show "
            "empty boxes (install one, e.g. apt-get install fonts-noto-cjk; html, docx and epub "
            "need no font)"
        )


def convert(
    markdown: str, fmt: str, *, title: str | None = None, language: str | None = None
) -> bytes:
    """``markdown`` as a file of format ``fmt`` (see :data:`FORMATS`), with a table of contents.

    ``title`` is used only when the document has no leading ``# title`` line (an email);
    ``language`` (an ISO code such as "en" or "zh") goes into the file's metadata, so readers
    hyphenate, pick fonts and read aloud in the right language.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    if fmt == "md":
        return markdown.encode()
    check_format(fmt, sample=markdown, language=language)
    import pypandoc

    leading = _TITLE_LINE.match(markdown)
    if leading:
        title, markdown = leading.group(1).strip(), markdown[leading.end() :]
    args = [*_PANDOC_ARGS, f"--metadata=title={title or 'Untitled'}"]
    args.append(f"--metadata=lang={language or 'en'}")
    if language in _TOC_TITLE:
        args.append(f"--metadata=toc-title={_TOC_TITLE[language]}")
    if fmt != "html":  # "##" sections become chapters (EPUB files, Word's "Heading 1")
        args.append("--shift-heading-level-by=-1")
    target = "typst" if fmt == "pdf" else fmt
    try:
        with tempfile.TemporaryDirectory(prefix="longwriter-export-") as tmp:
            out = Path(tmp) / f"document.{target}"
            pypandoc.convert_text(
                markdown,
                target,
                format=_READER,
                extra_args=args,
                outputfile=str(out),
                verify_format=False,
            )
            data = out.read_bytes()
    except (RuntimeError, OSError) as exc:
        raise LongWriterError(f"pandoc could not write {fmt}: {exc}") from None
    return _typeset(data) if fmt == "pdf" else data


def _typeset(source: bytes) -> bytes:
    """Typst source → PDF bytes (Typst's own fonts, plus the system's for other scripts)."""
    import typst

    try:
        pdf = typst.compile(source, format="pdf")
    except typst.TypstError as exc:
        raise LongWriterError(f"typst could not make the PDF: {exc.message}") from None
    assert isinstance(pdf, bytes)  # one PDF, not a page list (that is for png/svg)
    return pdf


def export(
    markdown: str,
    output: Path,
    fmt: str | None = None,
    *,
    title: str | None = None,
    language: str | None = None,
) -> Path:
    """Write ``markdown`` to ``output`` (atomically) in format ``fmt``, or the one ``output``'s
    suffix names; see :func:`convert` for ``title`` and ``language``."""
    output = Path(output)
    fmt = output_format(output, fmt)
    if fmt == "md":
        return save_text(output, markdown)
    data = convert(markdown, fmt, title=title, language=language)
    with replacing(output, binary=True) as fh:
        fh.write(data)
    return output


def export_document(markdown: str, report: Report, output: Path, fmt: str | None = None) -> Path:
    """:func:`export` with the title and language the document's report records."""
    return export(markdown, output, fmt, title=report.get("title"), language=report.get("language"))
