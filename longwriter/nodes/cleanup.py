"""Deterministic repairs of a drafted section: leaked labels, repeated headings, cut-off endings, repeats."""

from __future__ import annotations

import re

from longwriter.text import (
    count_words,
    ngram_overlap,
    split_sentences,
    strip_step_labels,
    trim_to_sentence,
)

_TRAILING_COUNT = re.compile(
    r"\s*[(（]?\s*(?:word\s*count\s*[:：]?\s*)?\d[\d,]*\s*(?:words?|字)\s*[)）]?\s*$", re.IGNORECASE
)
LEAK_MARKERS = re.compile(
    r"<think>|</think>|^\s*(?:paragraph|section)\s*\d+\s*[-–—:]|word\s*count\s*:|字数要求",
    re.IGNORECASE | re.MULTILINE,
)


def strip_labels(text: str) -> str:
    """Remove step labels ("Paragraph 3 -", "第3段："), copied plan lines and a trailing word count."""
    return _TRAILING_COUNT.sub("", strip_step_labels(text)).strip()


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


MIN_REPEAT_CHARS = 20  # shorter sentences ("Yes.", "It worked.") may recur naturally


def sentence_keys(text: str) -> set[str]:
    """Normalised sentences of ``text`` long enough to count as repeats."""
    return {k for k in map(_norm, split_sentences(text)) if len(k) >= MIN_REPEAT_CHARS}


def drop_repeats(
    text: str,
    earlier: set[tuple[str, ...]],
    max_overlap: float,
    seen: set[str] | None = None,
    n: int = 8,
) -> str:
    """Remove paragraphs that mostly repeat earlier sections (8-gram overlap above ``max_overlap``) and
    sentences already said, in this section or in ``seen`` (sentence keys of the document so far).
    Line breaks inside paragraphs (lists, verse) are kept."""
    seen = set(seen or ())
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        if earlier and ngram_overlap(para, earlier, n) > max_overlap:
            continue
        lines = []
        for line in para.splitlines():
            kept = []
            for sentence in split_sentences(line):
                key = _norm(sentence)
                if len(key) >= MIN_REPEAT_CHARS and key in seen:
                    continue
                seen.add(key)
                kept.append(sentence)
            joined = (" " if " " in line else "").join(kept)
            if count_words(joined):
                lines.append(joined)
        if lines:
            paragraphs.append("\n".join(lines).strip())
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
