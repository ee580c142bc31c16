"""Length ruler: a stress set of our own prompts (a few topics x lengths x English/Chinese) and a
produced-vs-required summary per mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from longwriter.eval.length import LengthRow
from longwriter.eval.rows import Task
from longwriter.prompts import render

RULER_LENGTHS: tuple[int, ...] = (1000, 2000, 5000, 10000, 20000, 30000)
RULER_LANGUAGES: tuple[str, ...] = ("en", "zh")


def ruler_topics(language: str) -> list[str]:
    """The stress-set topics for ``language`` (lines of the ``eval_ruler_topics`` prompt file)."""
    return [
        line.strip() for line in render("eval_ruler_topics", language).splitlines() if line.strip()
    ]


def ruler_tasks(
    lengths: Sequence[int] = RULER_LENGTHS,
    languages: Sequence[str] = RULER_LANGUAGES,
    topics_per_language: int | None = None,
) -> list[Task]:
    """Every (language, topic, length) prompt of the stress set, with stable keys."""
    tasks = []
    for lang in languages:
        for t, topic in enumerate(ruler_topics(lang)[:topics_per_language]):
            for words in lengths:
                if words <= 0:
                    raise ValueError(f"ruler lengths must be positive, got {words}")
                shown = f"{words:,}" if lang == "en" else str(words)
                prompt = render("eval_ruler", lang, words=shown, topic=topic)
                key = f"ruler-{lang}-{t + 1}-{words}"
                fields = {"key": key, "prompt": prompt, "length": words, "type": f"ruler-{lang}"}
                tasks.append(Task(key, prompt, words, f"ruler-{lang}", fields))
    return tasks


def summarize_ruler(rows: Sequence[LengthRow]) -> dict[str, Any]:
    """Per required length: rows, missing ones, mean produced words and produced/required ratio (of
    the predictions; null without any) and S_l (a missing row scores 0)."""
    by_length: dict[str, dict[str, Any]] = {}
    for required in sorted({r.required for r in rows}):
        group = [r for r in rows if r.required == required]
        words = [r.produced for r in group if not r.missing]
        produced = sum(words) / len(words) if words else None
        by_length[str(required)] = {
            "n": len(group),
            "missing": len(group) - len(words),
            "produced_mean": round(produced, 1) if produced is not None else None,
            "ratio": round(produced / required, 3) if produced is not None else None,
            "S_l": round(sum(r.score for r in group) / len(group), 2),
        }
    return by_length
