"""Quality filters for generated training documents, as in the AgentWrite data construction.

The LongWriter paper drops outputs far below their target length, outputs whose plan failed, and
degenerate (looping) outputs, and removes step labels such as "Paragraph 3 -" that the model copied
from the plan into the text. Everything here is deterministic and cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from longwriter.text import strip_step_labels


@dataclass(frozen=True)
class FilterConfig:
    """Thresholds of :func:`check_document`; the defaults follow the paper's intent (see docs)."""

    min_length_ratio: float = 0.7
    """Drop outputs shorter than this share of the target length."""
    max_rep4: float = 0.2
    """Drop outputs whose share of repeated word 4-grams exceeds this (degenerate looping)."""
    max_duplicate_lines: float = 0.2
    """Drop outputs whose share of duplicated non-blank lines exceeds this."""
    min_sections: int = 2
    """A plan with fewer sections counts as failed."""


def plan_problems(
    plan: Sequence[dict[str, Any]], sections: Sequence[dict[str, Any]], min_sections: int = 2
) -> list[str]:
    """Why a plan counts as failed: too few sections, sections never written, or empty sections.

    ``plan`` is the agent's plan (one dict per section), ``sections`` the report's per-section rows.
    """
    problems = []
    if len(plan) < min_sections:
        problems.append(f"{len(plan)} planned sections < {min_sections}")
    if sections and len(sections) < len(plan):
        problems.append(f"only {len(sections)} of {len(plan)} planned sections written")
    empty = [i + 1 for i, s in enumerate(sections) if not int(s.get("words") or 0)]
    if empty:
        problems.append(f"empty sections {empty}")
    return problems


def duplicate_line_share(text: str, min_chars: int = 20) -> float:
    """Share of the lines (of at least ``min_chars`` characters) that repeat an earlier line."""
    seen: set[str] = set()
    total = repeats = 0
    for raw in text.splitlines():
        line = raw.strip()
        if len(line) < min_chars:
            continue
        total += 1
        repeats += line in seen
        seen.add(line)
    return repeats / total if total else 0.0


@dataclass(frozen=True)
class DocumentCheck:
    """Result of :func:`check_document`: the cleaned text, its measures, reasons to drop it."""

    text: str
    words: int
    length_score: float
    rep4: float
    duplicate_lines: float
    reasons: tuple[str, ...]

    @property
    def keep(self) -> bool:
        """Whether the document passed every filter."""
        return not self.reasons


def check_document(
    text: str,
    *,
    target_words: int,
    plan: Sequence[dict[str, Any]],
    sections: Sequence[dict[str, Any]] = (),
    config: FilterConfig | None = None,
) -> DocumentCheck:
    """Strip leaked labels from ``text``, measure it and list the filters it fails.

    Reasons are short machine-readable tags followed by details: ``too_short``, ``plan_failed``,
    ``repetition``, ``empty``, ``no_target``.
    """
    from longwriter.text import count_words, length_score, repeated_ngram_share

    cfg = config or FilterConfig()
    clean = strip_step_labels(text)
    words = count_words(clean)
    reasons = []
    if not words:
        reasons.append("empty")
    elif target_words <= 0:
        reasons.append("no_target: the target length is unknown")
    elif words < cfg.min_length_ratio * target_words:
        reasons.append(f"too_short: {words} words < {cfg.min_length_ratio:.0%} of {target_words}")
    problems = plan_problems(plan, sections, cfg.min_sections)
    if problems:
        reasons.append("plan_failed: " + "; ".join(problems))
    rep4 = repeated_ngram_share(clean, 4) if words else 0.0
    dup = duplicate_line_share(clean)
    if rep4 > cfg.max_rep4:
        reasons.append(f"repetition: repeated 4-gram share {rep4:.2f} > {cfg.max_rep4}")
    elif dup > cfg.max_duplicate_lines:
        reasons.append(f"repetition: duplicated line share {dup:.2f} > {cfg.max_duplicate_lines}")
    score = length_score(target_words, words) if target_words > 0 else 0.0
    return DocumentCheck(clean, words, score, rep4, dup, tuple(reasons))
