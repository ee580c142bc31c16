"""Agreement of the reader-side detectors with the hand-labelled set in tests/data/reader/.

Precision, recall and F1 of each detector per language: meta-talk (per sentence), junk (per
paragraph), off-subject (per paragraph, per embedder, with a sweep of thresholds) and headings; then
the scorer's timing. One JSON object per line on stdout.

.venv/bin/python benchmarks/calibrate_reader.py                     # minilm, onnx and hash
.venv/bin/python benchmarks/calibrate_reader.py --embedding hash --no-timing
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import Any

from longwriter.eval.reader import Pair, agreement, junk_pairs, meta_pairs, relevance
from longwriter.jsonl import read_jsonl
from longwriter.llm.embeddings import get_embedder
from longwriter.text.headings import duplicate_headings, heading_problems
from longwriter.text.reader import OFF_SUBJECT_BELOW, SubjectScorer, null_bank

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "reader"
LANGUAGES = ("en", "zh")
SWEEP = (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.8, 1.0)


def load(name: str) -> list[dict[str, Any]]:
    """The rows of one labelled file."""
    return [row for _, row in read_jsonl(DATA / name)]


def by_language(
    rows: Sequence[dict[str, Any]], pairs: Callable[[dict[str, Any]], Iterable[Pair]]
) -> dict[str, Any]:
    """:func:`agreement` per language and over all rows."""
    out = {
        lang: agreement(p for r in rows if r["lang"] == lang for p in pairs(r))
        for lang in LANGUAGES
    }
    out["all"] = agreement(p for r in rows for p in pairs(r))
    return out


def relevance_report(rows: Sequence[dict[str, Any]], embedding: str) -> dict[str, Any]:
    """Off-subject verdicts per language (``minilm+hash``: MiniLM with the lexical fallback, as
    ``eval reader`` runs it), and the F1 of the raw scores over a sweep of thresholds."""
    name, _, backup = embedding.partition("+")
    fallback = get_embedder(backup).embed if backup else None
    embedder = get_embedder(name)
    factory = partial(SubjectScorer, embedder.embed, fallback=fallback, lexical=embedder.lexical)
    judged = relevance(rows, factory)

    def below(threshold: float) -> Callable[[dict[str, Any]], list[Pair]]:
        return lambda r: [(judged[r["id"]][0] < threshold, not r["on_subject"])]

    return {
        "detector": "off_subject",
        "embedding": embedding,
        "threshold": OFF_SUBJECT_BELOW,
        "positive_level": {lang: round(factory("", lang).positive_level, 2) for lang in LANGUAGES},
        **by_language(rows, lambda r: [(judged[r["id"]][1], not r["on_subject"])]),
        "sweep": {
            lang: {
                t: agreement(p for r in rows if r["lang"] == lang for p in below(t)(r))
                for t in SWEEP
            }
            for lang in LANGUAGES
        },
    }


def heading_report(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Bad-heading agreement: heading_problems plus duplicates within each labelled document."""
    flagged: list[bool] = []
    for (instruction, title), group in groupby(rows, key=lambda r: (r["instruction"], r["title"])):
        items = list(group)
        repeated = set(duplicate_headings([r["heading"] for r in items], title))
        flagged += [
            i in repeated
            or bool(heading_problems(r["heading"], language=r["lang"], instruction=instruction))
            for i, r in enumerate(items)
        ]
    bad = dict(zip((id(r) for r in rows), flagged, strict=True))
    return {"detector": "bad_heading", **by_language(rows, lambda r: [(bad[id(r)], not r["good"])])}


def timing(embedding: str) -> dict[str, Any]:
    """Seconds to build a scorer (cold: calibrating the bank; warm: only the subject) and to score
    a section's paragraphs and a plan's main points."""
    loaded = get_embedder(embedding).embed
    loaded(["warm-up"])  # model loading is not the scorer's cost

    def embed(texts: Sequence[str]) -> list[list[float]]:  # a new function: a cold calibration
        return loaded(texts)

    paragraphs = [p for _, p in null_bank("en")][:8]
    started = time.perf_counter()
    scorer = SubjectScorer(embed, "the history of coffee", "en")
    cold = time.perf_counter() - started
    warm = []
    for _ in range(5):
        started = time.perf_counter()
        scorer = SubjectScorer(embed, "the history of coffee", "en")
        warm.append(time.perf_counter() - started)
    started = time.perf_counter()
    scorer.off_subject(paragraphs, ["Coffee in Yemen"] * len(paragraphs))
    section = time.perf_counter() - started
    points = [f"Main point {i} about coffee in a new country" for i in range(12)]
    started = time.perf_counter()
    scorer.off_subject(points)
    plan = time.perf_counter() - started
    return {
        "detector": "timing",
        "embedding": embedding,
        "scorer_cold_s": round(cold, 3),
        "scorer_warm_s": round(statistics.median(warm), 4),
        "section_8_paragraphs_s": round(section, 3),
        "plan_12_points_s": round(plan, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--embedding",
        action="append",
        help="minilm, onnx, hash or NAME+hash (with the lexical fallback); repeat",
    )
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    paragraphs = load("paragraphs.jsonl")
    sentences = sum(len(r["sentences"]) for r in paragraphs)
    print(
        json.dumps(
            {
                "paragraphs": len(paragraphs),
                "sentences": sentences,
                "zh_paragraphs": sum(r["lang"] == "zh" for r in paragraphs),
            }
        )
    )
    print(json.dumps({"detector": "meta", **by_language(paragraphs, meta_pairs)}))
    print(json.dumps({"detector": "junk", **by_language(paragraphs, junk_pairs)}))
    for embedding in args.embedding or ["minilm", "onnx", "hash", "minilm+hash", "onnx+hash"]:
        print(json.dumps(relevance_report(paragraphs, embedding)), flush=True)
        if not args.no_timing and "+" not in embedding:
            print(json.dumps(timing(embedding)), flush=True)
    print(json.dumps(heading_report(load("headings.jsonl"))))


if __name__ == "__main__":
    main()
