"""Step labels that models copy from a plan into their text ("Paragraph 3 -", "第3段：", "Word Count: 400")."""

from __future__ import annotations

import re

_NUM = r"(?:\d+|[一二三四五六七八九十百]+)"
# Markdown heading marks and emphasis that may precede a label; kept in the output.
_EMPHASIS = r"\*\*|__|\*|_"
_LEAD = rf"(?P<lead>[ \t]*(?:#{{1,6}}[ \t]+)?)(?P<open>{_EMPHASIS})?"
_LABEL = (
    rf"(?:(?:Paragraph|Para\.|Step)[ \t]*{_NUM}"
    rf"|第[ \t]*{_NUM}[ \t]*(?:段|部分|步)|(?:段落|步骤)[ \t]*{_NUM})"
    rf"[ \t]*(?P<c1>{_EMPHASIS})?[ \t]*(?:[-–—:：.、)）][ \t]*(?P<c2>{_EMPHASIS})?[ \t]*|$)"
)
_MAIN_POINT = r"(?:Main[ \t]+Point|主要内容|主要观点|要点)[ \t]*[:：]"
_WORD_COUNT = r"(?:Word[ \t]*Count|字数(?:要求)?)[ \t]*[:：][ \t]*(?:about|约)?[ \t]*\d"
_LABEL_RE = re.compile(rf"^{_LEAD}{_LABEL}", re.IGNORECASE)
# A copied plan line: starts with "Main Point:", or carries "- Word Count: 400" / "(字数：500字)".
_PLAN_LINE_RE = re.compile(
    rf"^{_LEAD}(?:{_MAIN_POINT}|[-–—(（]?[ \t]*{_WORD_COUNT}|.*[-–—(（][ \t]*{_WORD_COUNT})",
    re.IGNORECASE,
)
_MARKUP_ONLY_RE = re.compile(r"^[\s#*_>\-–—:：]*$")
_BLANK_RUN_RE = re.compile(r"\n{3,}")


def _strip_line(line: str) -> str | None:
    """The line without a leaked step label; None when it was a plan line or nothing but a label."""
    match = _LABEL_RE.match(line)
    if match is None:
        return None if _PLAN_LINE_RE.match(line) else line
    opened, closed = match.group("open") or "", match.group("c1") or match.group("c2") or ""
    # "**Paragraph 4** - text": the emphasis closed on the label goes with it.
    keep_open = opened if opened != closed else ""
    rest = match.group("lead") + keep_open + line[match.end() :]
    if _PLAN_LINE_RE.match(rest) or _MARKUP_ONLY_RE.match(rest):
        return None
    return rest.rstrip()


def strip_step_labels(text: str) -> str:
    """Remove plan labels leaked into a document, keeping headings and the rest of each line.

    A step label at the start of a line ("Paragraph 3 - ", "## Step 2:", "第3段：") is cut off;
    a line that is only a label, or a copied plan line ("Main Point: ...", "... - Word Count:
    400 words", "字数要求：500字"), is dropped; runs of blank lines left behind are collapsed.
    Ordinary uses of the words ("in paragraph 3 of the treaty") are left alone: only labels at the
    start of a line (after optional Markdown heading or emphasis marks) are removed.
    """
    kept = [s for s in (_strip_line(line) for line in text.split("\n")) if s is not None]
    return _BLANK_RUN_RE.sub("\n\n", "\n".join(kept)).strip()
