"""The critic's judgement: cheap deterministic checks of a draft, returned as a typed verdict."""

from __future__ import annotations

import math
from typing import Protocol

from longwriter.document import Action, DocumentState, Draft, Verdict
from longwriter.drafting.cleanup import LEAK_MARKERS, sentence_keys
from longwriter.llm.chat import LOOP_FINISH
from longwriter.text import (
    detect_language,
    duplicated_lines,
    ngram_overlap,
    ngram_set,
    repeated_ngram_share,
)
from longwriter.text.lang import CJK_LANGUAGES

LOOP_LINES = 2  # duplicated lines in one draft that mean the model is looping
EDITS = ("dedupe", "condense")
"""Revisions made without the model (the draft's text is cut, nothing new is generated)."""


class Limits(Protocol):
    """The settings a verdict depends on (``WriterContext`` has them)."""

    @property
    def max_repeat_share(self) -> float: ...
    @property
    def max_overlap(self) -> float: ...
    @property
    def length_tolerance(self) -> float: ...


def earlier_ngrams(state: DocumentState, n: int = 8) -> set[tuple[str, ...]]:
    """n-grams of every accepted section (for overlap checks against the document so far)."""
    grams: set[tuple[str, ...]] = set()
    for section in state.get("sections", []):
        grams |= ngram_set(section["text"], n)
    return grams


def earlier_sentences(state: DocumentState) -> set[str]:
    """Sentence keys of every accepted section (for sentence-level repeat removal)."""
    return set().union(*(sentence_keys(s["text"]) for s in state.get("sections", [])))


def wrong_language(text: str, expected: str) -> str | None:
    """The detected language when it plainly differs from ``expected`` (script-level check)."""
    got = detect_language(text)
    if got == expected:
        return None
    if (got in CJK_LANGUAGES) != (expected in CJK_LANGUAGES) or (
        got in CJK_LANGUAGES and expected in CJK_LANGUAGES
    ):
        return got
    return None


def judge(
    draft: Draft,
    budget: int,
    ctx: Limits,
    *,
    language: str,
    earlier: set[tuple[str, ...]],
    near_duplicates: int = 0,
) -> Verdict:
    """Judge a draft against its budget, repetition limits, language and leaked labels."""
    text, words = draft["text"], draft["words"]
    removed = draft.get("removed") or {}
    reasons: list[str] = []
    if removed.get("off_subject"):
        reasons.append(f"{removed['off_subject']} paragraph(s) off the subject removed")
    if removed.get("junk"):
        reasons.append(f"junk removed from {removed['junk']} paragraph(s)")
    if removed.get("drift"):
        reasons.append(f"{removed['drift']} sentence(s) drifting off the subject cut")
    if words == 0:
        return {
            "ok": False,
            "action": "rewrite",
            "reasons": reasons or ["the reply was empty"],
            "score": -1000.0,
        }
    action: Action = "accept"
    rep4 = repeated_ngram_share(text, 4)
    overlap = ngram_overlap(text, earlier, 8) if earlier else 0.0
    dup_lines = duplicated_lines(text)
    other = wrong_language(text, language) if words >= 30 else None
    penalty = 100 * max(0.0, rep4 - ctx.max_repeat_share) + 100 * overlap + 20 * len(dup_lines)
    penalty += 15 * near_duplicates + (60 if other else 0)
    if other:
        reasons.append(f"written in {other}, expected {language}")
        action = "rewrite"
    if LEAK_MARKERS.search(text):
        reasons.append("leaked step labels or reasoning tags")
        action = action if action != "accept" else "dedupe"
    if dup_lines:
        reasons.append(f"{len(dup_lines)} duplicated line(s)")
    if rep4 > ctx.max_repeat_share:
        reasons.append(f"repeated 4-gram share {rep4:.2f} > {ctx.max_repeat_share:.2f}")
    if overlap > ctx.max_overlap:
        reasons.append(f"{overlap:.0%} of its 8-grams repeat earlier sections")
    if near_duplicates:
        reasons.append(f"{near_duplicates} paragraph(s) nearly duplicate earlier ones")
    if action == "accept" and (
        dup_lines or rep4 > ctx.max_repeat_share or overlap > ctx.max_overlap or near_duplicates
    ):
        action = "dedupe"
    low = math.floor(budget * (1 - ctx.length_tolerance))
    high = math.ceil(budget * (1 + 2.5 * ctx.length_tolerance))
    if words < low:
        reasons.append(f"{words} words, budget {budget}")
        action = action if action != "accept" else "expand"
    elif words > high:
        reasons.append(f"{words} words, budget {budget}")
        action = action if action != "accept" else "condense"
    score = 100 - 100 * abs(math.log(words / max(1, budget))) - penalty
    return {
        "ok": action == "accept",
        "action": action,
        "reasons": reasons,
        "score": round(score, 2),
        # A loop cut from the stream counts once: not again after the clean-up that removed it.
        "degenerate": (draft["finish_reason"] == LOOP_FINISH and draft["action"] not in EDITS)
        or rep4 > ctx.max_repeat_share
        or len(dup_lines) >= LOOP_LINES,
    }
