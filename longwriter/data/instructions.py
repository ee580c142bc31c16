"""Turn a plain list of topics into writing instructions with target lengths spread over a range.

LongWriter-6k covers outputs from 2,000 to 32,000 words; to teach a model to honour the requested
length, the targets should cover the range evenly. Targets are spaced evenly on a log scale (as
many 2k-4k as 10k-20k requests), rounded to round numbers, and assigned to topics in a shuffled
order; the wording rotates over the templates in ``prompts/*/data_instructions.txt``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from longwriter.errors import ConfigError
from longwriter.prompts import render
from longwriter.userfiles import read_user_text


def read_topics(path: Path) -> list[str]:
    """Topics, one per line; blank lines and ``#`` comments are skipped, repeats dropped."""
    topics = (line.strip() for line in read_user_text(Path(path), "topic file").splitlines())
    unique = dict.fromkeys(t for t in topics if t and not t.startswith("#"))
    if not unique:
        raise ConfigError(f"{path}: no topics (one per line)")
    return list(unique)


def round_target(words: float) -> int:
    """A round target: a multiple of 100 below 5,000 words, of 500 above."""
    step = 100 if words < 5000 else 500
    return max(step, round(words / step) * step)


def spread_targets(n: int, low: int, high: int, seed: int = 0) -> list[int]:
    """``n`` round targets evenly spaced on a log scale over ``[low, high]``, in shuffled order."""
    if not 0 < low <= high:
        raise ConfigError(f"need 0 < min words <= max words, got {low} and {high}")
    if n == 1:
        targets = [round_target(math.sqrt(low * high))]
    else:
        ratio = math.log(high / low)
        targets = [round_target(low * math.exp(ratio * i / (n - 1))) for i in range(n)]
    random.Random(seed).shuffle(targets)
    return targets


def make_instructions(
    topics: Iterable[str],
    *,
    min_words: int = 2000,
    max_words: int = 20000,
    language: str | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Instruction rows ``{"prompt", "length", "topic"}`` for ``dataset build``.

    ``language`` picks the template set (``en``, ``zh``); None detects it from each topic.
    """
    from longwriter.text import detect_language

    topics = list(topics)
    targets = spread_targets(len(topics), min_words, max_words, seed)
    rng = random.Random(seed + 1)
    rows = []
    for topic, words in zip(topics, targets, strict=True):
        lang = language or detect_language(topic)
        variants = render("data_instructions", lang, topic=topic, words=words).splitlines()
        prompt = variants[rng.randrange(len(variants))].strip()
        rows.append({"prompt": prompt, "length": words, "topic": topic})
    return rows
