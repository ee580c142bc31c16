"""Content control: what a reader would not want in a draft, removed before the critic sees it.

Junk (URLs, ids, markup debris) goes first, then the stretches where a paragraph drifts away from the
subject (runs of sentences scoring low against the subject and the section's point, and low sentences
at either end of a paragraph), then whole paragraphs that are still off the subject. All of it is
deterministic; the length loop then asks for more text, so what is missing is refilled on the subject.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Sequence

from longwriter.drafting.cleanup import keep_sentences
from longwriter.text import count_words, split_sentences
from longwriter.text.junk import strip_junk
from longwriter.text.reader import SENTENCE_OFF_BELOW, SubjectScorer

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def drifting(scores: Sequence[float]) -> set[int]:
    """Indexes of the sentences to cut from a paragraph with these sentence scores: every run of two
    or more sentences away from the subject, and such a sentence opening or closing the paragraph.
    A single weak sentence between two on the subject stays (it is often a link: "It worked.")."""
    low = [score < SENTENCE_OFF_BELOW for score in scores]
    cut: set[int] = set()
    start = 0
    while start < len(low):
        if not low[start]:
            start += 1
            continue
        end = start
        while end < len(low) and low[end]:
            end += 1
        if end - start >= 2 or start == 0 or end == len(low):
            cut.update(range(start, end))
        start = end
    return cut


def _trim(paragraph: str, cut: set[int]) -> str:
    """``paragraph`` without the sentences whose indexes are in ``cut`` (line breaks kept)."""
    position = itertools.count()
    return keep_sentences(paragraph, lambda _: next(position) not in cut)


def keep_on_subject(
    text: str, scorer: SubjectScorer, *, point: str, instruction: str
) -> tuple[str, Counter[str]]:
    """``text`` without junk, drifting sentences and paragraphs off the subject (judged against the
    subject and the section's main ``point``), and what was removed: paragraphs cleaned of junk
    (``junk``), sentences cut (``drift``) and paragraphs dropped (``off_subject``)."""
    removed: Counter[str] = Counter()
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    clean = [strip_junk(p, instruction) for p in paragraphs]
    removed["junk"] = sum(1 for p, c in zip(paragraphs, clean, strict=True) if c != p)
    clean = [c for c in clean if c]
    if not clean or not scorer.informative:
        return "\n\n".join(clean), +removed
    trimmed = []
    for paragraph, scored in zip(
        clean, scorer.sentence_scores(clean, [point] * len(clean)), strict=True
    ):
        cut = drifting([score for _, score in scored])
        if len(cut) == len(scored):
            removed["off_subject"] += 1  # nothing of it was on the subject
            continue
        removed["drift"] += len(cut)
        trimmed.append(_trim(paragraph, cut) if cut else paragraph)
    trimmed = [t for t in trimmed if t.strip()]
    off = scorer.off_subject(trimmed, [point] * len(trimmed)) if trimmed else []
    removed["off_subject"] += sum(off)
    kept = [p for p, drop in zip(trimmed, off, strict=True) if not drop]
    return "\n\n".join(kept), +removed


WATCH_MIN_WORDS = 12
"""Shorter paragraphs (a heading, a line of a list) are left to the filter: too little to judge."""
DRIFT_RUN = 3
"""This many complete sentences in a row away from the subject end a reply (the filter cuts such a
run anyway, see :func:`drifting`): three, not two, because a weak model sometimes comes back after
two (docs/design-notes.md, "Drift")."""
RUN_ON_CHARS = 4000
"""A sentence still open after this many characters (a list of URLs, "a. a. a. ...") is skipped by
the sentence check, so each piece costs at most this much splitting: the watch stays linear."""
_SENTENCE_MARK = re.compile(r"[.!?\u2026\u3002\uff01\uff1f]")


def drift_watch(
    scorer: SubjectScorer, *, point: str, instruction: str, sentences: bool = True
) -> Callable[[str], bool]:
    """A stream watch (``Models.call(watch=...)``) that stops a reply once it leaves the subject:
    at a complete paragraph that :func:`keep_on_subject` would drop whole, or (with ``sentences``)
    as soon as the paragraph being written has :data:`DRIFT_RUN` complete sentences in a row away
    from the subject. A small model that leaves the subject rarely comes back, so the rest of such a
    reply is not worth paying for. Each sentence is scored once, when the next one begins."""
    judged = 0  # where the paragraph being written starts
    tail = 0  # where its sentence being written starts
    seen = 0  # how much of the text was looked at
    marked = False  # whether a sentence mark arrived after ``tail``
    run = 0  # complete sentences in a row away from the subject, at the end of the paragraph

    def watch(text: str) -> bool:
        nonlocal judged, tail, seen, marked, run
        # A paragraph break completed by the new text starts at the last line end before it.
        line_ended = "\n" in text[seen:]
        before = text.rfind("\n", judged, seen)
        start = (before if before >= 0 else max(judged, seen)) if line_ended else len(text)
        marked = marked or (sentences and bool(_SENTENCE_MARK.search(text, seen)))
        seen = len(text)
        for brk in _PARAGRAPH_BREAK.finditer(text, start):
            paragraph, judged = text[judged : brk.start()], brk.end()
            tail, run, marked = judged, 0, bool(_SENTENCE_MARK.search(text, judged))
            if count_words(paragraph) < WATCH_MIN_WORDS:
                continue
            kept, _ = keep_on_subject(paragraph, scorer, point=point, instruction=instruction)
            if not kept.strip():
                return True
        if not (sentences and marked):
            return False
        if len(text) - tail > RUN_ON_CHARS:  # no sentence ends in sight: not judged by sentences
            tail, run = len(text), 0
            return False
        written = split_sentences(text[tail:])
        if len(written) < 2:
            return False
        tail = max(tail, text.rfind(written[-1]))
        marked = bool(_SENTENCE_MARK.search(text, tail))
        for score in scorer.scores(written[:-1], [point] * (len(written) - 1)):
            run = run + 1 if score < SENTENCE_OFF_BELOW else 0
        return run >= DRIFT_RUN

    return watch
