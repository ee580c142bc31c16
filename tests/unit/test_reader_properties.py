"""Every reader-side function that takes text is total and linear-time, also on pathological input
(runs of spaces, punctuation, digits, markup; a few hundred KB): a model's output can be anything."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from longwriter.drafting.relevance import drift_watch
from longwriter.text.junk import find_junk, junk_reasons, strip_citation_marks, strip_junk
from longwriter.text.meta import is_meta
from longwriter.text.reader import (
    SubjectScorer,
    document_figures,
    parse_markdown,
    split_paragraphs,
)

INSTRUCTION = "Write a 1500-word guide to the history of coffee."
PIECES = [
    " ", "  ", "\n", "\n\n", ".", "...", ",", "1", "2022", "-", "_", "#", "## ", "@", "{", "}", "[",
    "]", "<", ">", "/", ":", "://", "www.", "http", ".com", "&", ";", "a", "Z", "x1", "中", "本文",
    "这一部分", "。", "，", "this guide ", "In this section, ", "the ", "of ", "will ", "readers ",
    "coffee ", "\t", "*", "`", '"', "'", "(", ")", "[1", "[12]", ",", "–",
]  # fmt: skip
TEXT_FUNCTIONS: dict[str, Callable[[str], Any]] = {
    "is_meta en": lambda t: is_meta(t, "en", INSTRUCTION),
    "is_meta zh": lambda t: is_meta(t, "zh", "写一篇关于咖啡历史的文章"),
    "find_junk": lambda t: find_junk(t, INSTRUCTION),
    "junk_reasons": lambda t: junk_reasons(t, INSTRUCTION),
    "strip_junk": lambda t: strip_junk(t, INSTRUCTION),
    "strip_citation_marks": lambda t: strip_citation_marks(t, INSTRUCTION),
    "parse_markdown": parse_markdown,
    "split_paragraphs": split_paragraphs,
    "document_figures": lambda t: document_figures(t, instruction=INSTRUCTION, language="en"),
}


def _letters(texts: Sequence[str]) -> list[list[float]]:
    """A cheap embedder (letter counts), enough to run the scorer on any text."""
    vectors = []
    for text in texts:
        counts = [float(text.count(c)) for c in "etaoinshrdlu中文 "]
        norm = sum(x * x for x in counts) ** 0.5 or 1.0
        vectors.append([x / norm for x in counts])
    return vectors


SCORER = SubjectScorer(_letters, "the history of coffee", "en")


def _scored(text: str) -> Any:
    return document_figures(text, instruction=INSTRUCTION, language="en", scorer=SCORER)


def _streamed_to_drift_watch(text: str) -> bool:
    """``text`` arriving in 64-character pieces, as a stream, to a fresh drift watch."""
    watch = drift_watch(SCORER, point="coffee in Yemen", instruction=INSTRUCTION)
    return any(watch(text[:end]) for end in range(64, len(text) + 64, 64))


ALL = {
    **TEXT_FUNCTIONS,
    "document_figures with a scorer": _scored,
    "drift_watch on a stream": _streamed_to_drift_watch,
}
runs = st.lists(
    st.tuples(st.sampled_from(PIECES), st.integers(1, 3000)), min_size=1, max_size=12
).map(lambda parts: "".join(piece * n for piece, n in parts))


@pytest.mark.parametrize("name", sorted(ALL))
@settings(
    max_examples=40, deadline=4000, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(text=st.one_of(st.text(max_size=2000), runs))
def test_total_on_any_text(name: str, text: str) -> None:
    ALL[name](text)


def _seconds(function: Callable[[str], Any], text: str, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function(text)
        best = min(best, time.perf_counter() - started)
    return best


UNIT = 60_000  # characters; the large input is four times this (240 KB)
PATHOLOGICAL = {
    "spaces": " ",
    "dots": ".",
    "digits": "7",
    "digits and commas": "1,",
    "words": "word ",
    "hash runs": "#a",
    "braces": "{[",
    "urls": "http://a.b/",
    "domain labels": "a.",
    "ids": "a1b2_",
    "deixis": "this short guide , will ",
    "chinese": "本文将从这一部分",
    "headings": "## h\n",
    "blank lines": "x\n\n",
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_linear_time_on_pathological_runs(name: str) -> None:
    function = ALL[name]
    for label, piece in PATHOLOGICAL.items():
        small = piece * (UNIT // len(piece))
        large = small * 4
        if _seconds(function, large) < 3.0:
            continue
        # Quadratic work takes 16 times as long on the larger input, linear 4 (a busy machine
        # slows single runs: the best of two is compared).
        ratio = _seconds(function, large, 2) / max(_seconds(function, small, 2), 1e-3)
        assert ratio < 10, (label, ratio)
