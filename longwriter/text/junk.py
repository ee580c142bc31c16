"""Junk: debris of scraped web text that small models emit inside prose.

Small models write paragraphs such as
``4729016_nfljfx583bkg 2022-07-13T12:19:45+0Zillion [#GruyCrocks].com.au/...``. Such tokens are
URLs and bare domains, e-mail addresses, @handles, #hashtags, hash-like ids, date-times, HTML/XML
tags and entities, template/JSON debris (``{{``, ``[[``, ``{"``), file names and a plan's list
numbers run into prose (``Health Clinics, 4. 5. Solar Microgrids``). A token that also
appears in the instruction (an essay about #MeToo, a guide to ``config.yaml``) is not junk.

The patterns are anchored at the start of a run (look-behinds), so every scan is linear in the text.
Prose lookalikes (COVID-19, 2:01:09, e.g., U.S., C#, ASP.NET, A-7/W35) are left alone. Token rules have known blind
spots: a bare ".com.au/..." without a name, and snake_case identifiers in a programming guide are
flagged unless the instruction uses them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from longwriter.text.sentences import split_sentences
from longwriter.text.words import count_words

_STOP = r"\s<>\"'()\[\]{}（）「」《》，。、"
_END = r".,;:!?"  # punctuation after a URL ends the sentence, not the URL
_TLDS = (
    "com|org|net|edu|gov|mil|int|io|co|info|biz|ly|tv|me|app|dev|ai|xyz|site|online|top|club"
    "|shop|blog|news|cn|uk|au|de|fr|jp|ru|in|ca|us|nl|es|br|kr|tw|hk|ch|se|no|pl|nz|za"
)
# HTML elements that models (and scraped pages) leak; a bare "<y and y>" in prose is not a tag.
_TAGS = (
    "a|abbr|article|aside|audio|b|blockquote|body|br|button|caption|center|cite|code|col|dd|del"
    "|details|div|dl|dt|em|embed|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html"
    "|i|iframe|img|input|ins|label|li|link|main|meta|nav|noscript|ol|option|p|path|pre|q|s"
    "|script|section|select|small|source|span|strike|strong|style|sub|summary|sup|svg|table"
    "|tbody|td|textarea|tfoot|th|thead|title|tr|u|ul|video|think|doc|xml"
)
_FILE_EXT = (
    "txt|jpe?g|png|gif|bmp|webp|svg|tiff?|heic|pdf|docx?|xlsx?|pptx?|csv|tsv|json|xml|html?"
    "|php|aspx?|py|exe|dll|zip|rar|tar|gz|7z|mp[34]|wav|flac|mov|avi|mkv|md|log|ini|cfg|conf"
    "|ya?ml|sql|bak|tmp|apk|iso|dat"
)
_JUNK = re.compile(
    rf"(?P<url>(?:\b(?:https?|ftp)://|(?<![\w.])www\.)[^{_STOP}]*[^{_STOP}{_END}])"
    r"|(?P<email>(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<timestamp>(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\.\d+)?(?:Z|[+-]\d{1,2}(?::?\d{2})?)?)"
    rf"|(?P<markup></?(?i:{_TAGS})\b(?:\s[^<>\n]{{0,200}})?/?>|</[A-Za-z][\w:-]{{0,40}}>"
    r"|<[A-Za-z][\w:-]{0,40}\s+[\w:-]{1,40}=[\"'][^<>\n]{0,200}>|<!--|-->"
    # a label in a template's double angle brackets ("<<The Power of Solar Microgrids>>")
    r"|<<(?=[^\s<>])[^<>\n]{1,200}(?<=[^\s<>])>>"
    r"|&(?:nbsp|amp|lt|gt|quot|apos|mdash|ndash|hellip|rsquo|lsquo|rdquo|ldquo|#\d{2,6}|#x[\da-fA-F]{2,5});)"
    # Prose has no braces and no empty brackets: "`{", "[ ]", "/ }" are leftovers of templates.
    r"|(?P<template>\{\{|\}\}|\[\[|\]\]|\{%|%\}|\{\s*\"|\"\s*\}|\"\w{1,40}\"\s*:\s*[\"{\[\d]"
    r"|\\u[\da-fA-F]{4}|\\n(?![a-z])|[{}]|\[\s*\]|\(\s*\))"
    r"|(?P<hashtag>(?<![\w#&])#[^\W\d_][\w-]*#?)"
    r"|(?P<handle>(?<![\w@.])@[A-Za-z_][\w.]*\w)"
    rf"|(?P<file>(?<![\w.-])[\w-]+\.(?i:{_FILE_EXT})\b)"
    rf"|(?P<domain>(?<![\w.@/-])(?:[A-Za-z\d][A-Za-z\d-]*\.)+(?:{_TLDS})(?:\.[a-z]{{2}})?\b"
    rf"(?![\w-])(?:/[^{_STOP}]*[^{_STOP}{_END}])?)"
    r"|(?P<id>(?<![\w-])[A-Za-z\d][A-Za-z\d_-]{7,}(?![\w-]))"
    # A plan's numbering run into prose: "... Rural Health Clinics, 4. 5. Solar Microgrids, and 6."
    r"|(?P<enum>(?:(?<=[^\W\d_][,;] )|(?<=[^\W\d_], and ))\d{1,2}\.(?=\s|$)"
    r"|(?<![\w.,])\d{1,2}\.(?=[ \t]+\d{1,2}\.(?:\s|$)))"
)
_LETTER_DIGIT_SWITCH = re.compile(r"[A-Za-z](?=\d)|\d(?=[A-Za-z])")
_HEX = re.compile(r"[\da-f]{12,}")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")

MOSTLY_JUNK = 0.5
"""A paragraph is dropped whole when sentences with junk hold at least this share of its words."""


@dataclass(frozen=True)
class Junk:
    """One junk token: its kind (``url``, ``handle``, ``id`` ...), text and offsets."""

    kind: str
    token: str
    start: int
    end: int


def _id_like(token: str) -> bool:
    """Hash or database ids and identifiers ("4729016_nfljfx583bkg", "a3f9c2e1b7d4", "user_name"),
    not "COVID-19" or "A320neo"."""
    digits = sum(c.isdigit() for c in token)
    letters = sum(c.isalpha() for c in token)
    if digits >= 10 and not letters:
        return "-" not in token  # a long bare number; "1990-2000-2010" is a sequence of years
    if "_" in token and letters:
        return True  # "dotslopsz_dots", "user_1234": identifiers, not words
    if not digits or not letters:
        return False
    switches = len(_LETTER_DIGIT_SWITCH.findall(token))
    return switches >= 3 or bool(_HEX.fullmatch(token.lower()) and digits >= 3 and letters >= 3)


def find_junk(text: str, instruction: str = "") -> list[Junk]:
    """Junk tokens of ``text`` in order, leaving out those that the instruction itself contains."""
    asked = instruction.lower()
    found = []
    for match in _JUNK.finditer(text):
        kind = match.lastgroup or ""
        token = match.group()
        if kind == "id" and not _id_like(token):
            continue
        core = token.lower().strip("#@/")
        if asked and core and core in asked:
            continue
        found.append(Junk(kind, token, match.start(), match.end()))
    return found


def junk_reasons(text: str, instruction: str = "") -> list[str]:
    """Why a paragraph reads as junk: ``"kind: token"`` once per distinct token, in order."""
    reasons = (f"{j.kind}: {j.token[:60]}" for j in find_junk(text, instruction))
    return list(dict.fromkeys(reasons))


def _clean_paragraph(paragraph: str, instruction: str) -> str:
    """The paragraph without its sentences that hold junk; empty when they were most of it."""
    total = junk_words = 0
    lines: list[list[str]] = []
    for line in paragraph.split("\n"):
        kept = []
        for sentence in split_sentences(line):
            words = count_words(sentence) or 1
            total += words
            if find_junk(sentence, instruction):
                junk_words += words
            else:
                kept.append(sentence)
        lines.append(kept)
    if junk_words == 0:
        return paragraph
    if junk_words >= MOSTLY_JUNK * total:
        return ""
    return "\n".join(" ".join(kept) for kept in lines if kept)


def strip_junk(text: str, instruction: str = "") -> str:
    """``text`` without junk: each sentence holding junk is dropped, and so is a paragraph (a
    blank-line-separated block) whose junk sentences hold at least half of its words. Paragraphs
    without junk are returned unchanged."""
    paragraphs = (_clean_paragraph(p, instruction) for p in _BLANK_LINES.split(text))
    return "\n\n".join(p for p in paragraphs if p.strip())


_MARK = r"\[(?:\d{1,3}(?:[ \t]*[,–-][ \t]*\d{1,3})*|citation needed)\]"
# At a line start, or after a word ("Europe[3]", "Europe [3]") or a punctuation mark, not after an
# index ("a[0]", "x_1[2]"); each alternative starts at one place only, so a run of blanks is linear.
_CITATION_MARK = re.compile(
    rf"^[ \t]*{_MARK}[ \t]*|(?:(?<=[^\W\d_]{{2}})|(?<=[.,;:!?\"'”’)]))[ \t]*{_MARK}",
    re.MULTILINE,
)
_ASKS_FOR_CITATIONS = re.compile(
    r"\[\d|\b(?:cit(?:e|es|ed|ing|ation|ations)|references?|footnotes?|sources?|bibliograph\w*)\b"
    r"|引用|参考文献|出处|脚注",
    re.IGNORECASE,
)


def strip_citation_marks(text: str, instruction: str = "") -> str:
    """``text`` without Wikipedia-style citation marks ("[8]", "[3, 4]", "[12–14]", "[citation
    needed]"): with no list of sources they point nowhere (SmolLM2 opened paragraphs with "[8] This
    makes ..."). Kept when the instruction asks for citations, references or sources."""
    if _ASKS_FOR_CITATIONS.search(instruction):
        return text
    return _CITATION_MARK.sub("", text)
