"""Off-subject paragraphs judged by the bundled MiniLM (with the lexical fallback, as `eval reader`
runs it) against the hand-labelled set; scorer timings printed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial

import pytest

from longwriter.eval.reader import agreement, relevance
from longwriter.llm.embeddings import get_embedder
from longwriter.text.reader import SubjectScorer, null_bank
from tests.reader_data import assert_agrees, labelled_paragraphs

pytestmark = pytest.mark.integration

# (precision, recall) of the off-subject verdicts, measured with benchmarks/calibrate_reader.py
# (Chinese: MiniLM's positive level is 1.4, so the hashing fallback judges); 0.05 allowed below.
MINILM_AGREEMENT = {"en": (0.892, 0.707), "zh": (0.745, 0.778)}


@pytest.mark.parametrize("language", sorted(MINILM_AGREEMENT))
def test_minilm_relevance_agrees_with_the_labelled_set(language: str) -> None:
    rows = labelled_paragraphs(language)
    factory = partial(
        SubjectScorer, get_embedder("minilm").embed, fallback=get_embedder("hash").embed
    )
    judged = relevance(rows, factory)
    got = agreement((judged[r["id"]][1], not r["on_subject"]) for r in rows)
    assert_agrees(got, MINILM_AGREEMENT[language], margin=0.05)


def test_scorer_timing_with_minilm() -> None:
    loaded = get_embedder("minilm").embed
    loaded(["warm-up"])

    def embed(texts: Sequence[str]) -> list[list[float]]:  # a fresh function: a cold calibration
        return loaded(texts)

    started = time.perf_counter()
    SubjectScorer(embed, "the history of coffee", "en")
    cold = time.perf_counter() - started
    started = time.perf_counter()
    scorer = SubjectScorer(embed, "the history of coffee", "en")
    warm = time.perf_counter() - started
    paragraphs = [p for _, p in null_bank("en")][:8]
    started = time.perf_counter()
    scorer.off_subject(paragraphs, ["Coffee in Yemen"] * len(paragraphs))
    section = time.perf_counter() - started
    print(f"\nMiniLM scorer: cold {cold:.2f} s, warm {warm:.3f} s, 8 paragraphs {section:.3f} s")
    assert warm < cold and warm < 2.0
