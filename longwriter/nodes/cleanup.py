"""Deterministic repairs of a drafted section: leaked labels, repeated headings, cut-off endings, repeats."""

from __future__ import annotations

import re

from longwriter.text import count_words, ngram_overlap, ngram_set, split_sentences, trim_to_sentence

_LABEL = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*)?(?:"
    r"(?:paragraph|section|part|step)\s*\d+\s*(?:of\s*\d+\s*)?(?:[-–—:：.]|\s-\s)"
    r"|第\s*[\d一二三四五六七八九十百]+\s*[段部分节]+\s*[-–—:：.]?"
    r")(?:\*\*)?\s*",
    re.IGNORECASE,
)
_META_LINE = re.compile(
    r"^\s*(?:\*\*)?(?:main\s*point|word\s*count|words?|主要内容|字数(?:要求)?)\s*[:：].*$",
    re.IGNORECASE | re.MULTILINE,
)
_TRAILING_COUNT = re.compile(
    r"\s*[(（]?\s*(?:word\s*count\s*[:：]?\s*)?\d[\d,]*\s*(?:words?|字)\s*[)）]?\s*$", re.IGNORECASE
)
LEAK_MARKERS = re.compile(
    r"<think>|</think>|^\s*(?:paragraph|section)\s*\d+\s*[-–—:]|word\s*count\s*:|字数要求",
    re.IGNORECASE | re.MULTILINE,
)


def strip_labels(text: str) -> str:
    """Remove step labels ("Paragraph 3 -", "第3段："), plan metadata lines and trailing word counts."""
    text = _META_LINE.sub("", text)
    lines = [_LABEL.sub("", line, count=1) for line in text.splitlines()]
    text = "\n".join(lines).strip()
    return _TRAILING_COUNT.sub("", text).strip()


def _norm(s: str) -> str:
    return re.sub(r"[\W_]+", " ", s.lower()).strip()


def strip_heading(text: str, title: str) -> str:
    """Drop leading heading lines (Markdown headings, or a bare line repeating the section title)."""
    lines = text.strip().splitlines()
    base_title = _norm(re.sub(r"\(\d+/\d+\)\s*$", "", title))
    while lines:
        first = lines[0].strip()
        bare = _norm(first.lstrip("#").strip("* "))
        if first.startswith("#") or (bare and base_title and bare == base_title) or not first:
            lines.pop(0)
            continue
        break
    return "\n".join(lines).strip()


def clean_draft(text: str, title: str, truncated: bool) -> str:
    """All deterministic clean-ups of a fresh model reply."""
    text = strip_heading(strip_labels(text), title)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return trim_to_sentence(text) if truncated else text


def drop_repeats(text: str, earlier: set[tuple[str, ...]], max_overlap: float, n: int = 8) -> str:
    """Remove sentences said twice in the section and paragraphs that mostly repeat earlier sections."""
    seen: set[str] = set()
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        if earlier and ngram_overlap(para, earlier, n) > max_overlap:
            continue
        kept = []
        for sentence in split_sentences(para):
            key = _norm(sentence)
            if key and key in seen:
                continue
            seen.add(key)
            kept.append(sentence)
        joined = " ".join(kept) if " " in para else "".join(kept)
        if count_words(joined):
            paragraphs.append(joined.strip())
    return "\n\n".join(paragraphs)


def clip_to_words(text: str, limit: int) -> str:
    """Cut a too-long section at the last sentence end within ``limit`` words (never below half)."""
    if count_words(text) <= limit:
        return text
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        kept: list[str] = []
        for sentence in split_sentences(para):
            if count_words("\n\n".join([*out, " ".join([*kept, sentence])])) > limit:
                break
            kept.append(sentence)
        if kept:
            out.append(" ".join(kept))
        if len(kept) < len(split_sentences(para)):
            break
    clipped = "\n\n".join(out)
    return clipped if count_words(clipped) >= limit // 2 else text


__all__ = [
    "LEAK_MARKERS",
    "clean_draft",
    "clip_to_words",
    "drop_repeats",
    "ngram_set",
    "strip_labels",
]
