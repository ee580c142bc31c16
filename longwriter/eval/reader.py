"""Reader figures of predictions: paragraphs off the subject, meta-talk, junk and bad headings.

Any finished Markdown document can be scored, with or without the plan that produced it: the
response is parsed into (heading, paragraphs) sections and judged against the row's instruction
(see :mod:`longwriter.text.reader`).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from typing import Any

from longwriter.eval.rows import Prediction
from longwriter.text import document_language
from longwriter.text.junk import junk_reasons
from longwriter.text.meta import is_meta
from longwriter.text.reader import SubjectScorer, document_figures
from longwriter.text.subject import subject_of

ScorerFactory = Callable[[str, str], SubjectScorer]
"""(subject, language) -> a scorer; None where off-subject paragraphs are not measured."""


def reader_row(pred: Prediction, scorer: ScorerFactory | None) -> dict[str, Any]:
    """The reader figures of one prediction, keyed like the other per-row results."""
    instruction = pred.task.prompt
    language = document_language(instruction)
    judge = scorer(subject_of(instruction), language) if scorer else None
    figures = document_figures(
        pred.response, instruction=instruction, language=language, scorer=judge
    )
    return {"key": pred.task.key, "language": language, **figures}


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.mean(values), 4) if values else None


def summarize_reader(documents: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Means and maxima over documents, each given by its document figures (``reader_row(...)
    ["document"]``, or a benchmark row with the same keys)."""
    off = [d["off_subject_share"] for d in documents if d.get("off_subject_share") is not None]
    meta = [d["meta_share"] for d in documents]
    junk = [d["junk_paragraphs"] for d in documents]
    bad = [d["bad_headings"] for d in documents]
    return {
        "documents": len(documents),
        "mean_off_subject_share": _mean(off),
        "max_off_subject_share": max(off, default=None),
        "mean_meta_share": _mean(meta),
        "max_meta_share": max(meta, default=None),
        "junk_paragraphs": sum(junk),
        "documents_with_junk": sum(j > 0 for j in junk),
        "mean_bad_headings": _mean(bad),
    }


# ---------------------------------------------------------------------------------------------
# Agreement with hand labels. A labelled paragraph row has ``id``, ``lang``, ``instruction``,
# ``point``, ``text``, ``on_subject``, ``junk`` and ``sentences`` ([{"text", "meta"}]); see
# tests/data/reader/ and benchmarks/calibrate_reader.py.

Pair = tuple[bool, bool]
"""(flagged by the detector, flagged by the label)."""


def agreement(pairs: Iterable[Pair]) -> dict[str, Any]:
    """Precision, recall and F1 of the detector, the positive class being "flagged"."""
    tp = fp = fn = n = 0
    for predicted, labelled in pairs:
        n += 1
        tp += predicted and labelled
        fp += predicted and not labelled
        fn += labelled and not predicted
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": n,
        "positives": tp + fn,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
    }


def meta_pairs(row: dict[str, Any]) -> list[Pair]:
    """Meta-talk per sentence of a labelled paragraph (topic: its instruction and point)."""
    topic = f"{row['instruction']}\n{row['point']}"
    return [(is_meta(s["text"], row["lang"], topic), s["meta"]) for s in row["sentences"]]


def junk_pairs(row: dict[str, Any]) -> list[Pair]:
    """Junk of a labelled paragraph."""
    return [(bool(junk_reasons(row["text"], row["instruction"])), row["junk"])]


def relevance(
    rows: Sequence[dict[str, Any]], scorer: ScorerFactory
) -> dict[str, tuple[float, bool]]:
    """(score, off the subject) of each labelled paragraph by id, one scorer per instruction as in
    a run."""
    out: dict[str, tuple[float, bool]] = {}
    for (instruction, language), group in groupby(
        rows, key=lambda r: (r["instruction"], r["lang"])
    ):
        items = list(group)
        judge = scorer(subject_of(instruction), language)
        got = judge.scores([r["text"] for r in items], [r["point"] for r in items])
        out.update(
            (r["id"], (score, judge.is_off(score))) for r, score in zip(items, got, strict=True)
        )
    return out
