"""Length score S_l of LongBench-Write: how close each produced word count is to the required one.

Required ``x``, produced ``y`` words: ``y > x`` scores ``100 * max(0, 1 - (y/x - 1) / 3)``,
otherwise ``100 * max(0, 1 - (x/y - 1) / 2)``. An empty response scores 0, and so does a required
row (a task of the dataset) with no prediction at all: a failed or unfinished row must not leave the
mean. S_l is the mean over rows, also reported per bucket of required length.

Produced words are counted with LongBench-Write's own counter (:func:`count_words_longbench`: Han
characters plus ASCII words), not with the agent's :func:`count_words`, so that S_l is comparable
with published tables; the agent's reports keep their own count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from longwriter.eval.rows import Prediction, Task
from longwriter.text import count_words_longbench, length_score

# (label, low, high, high_inclusive): [0,500), [500,2k), [2k,4k), [4k,20k], then beyond.
BUCKETS: tuple[tuple[str, int, float, bool], ...] = (
    ("[0,500)", 0, 500, False),
    ("[500,2k)", 500, 2000, False),
    ("[2k,4k)", 2000, 4000, False),
    ("[4k,20k]", 4000, 20000, True),
    (">20k", 20000, float("inf"), False),
)
MAIN_BUCKETS = 4  # the LongBench-Write buckets, always reported; ">20k" only when it has rows


def bucket_of(required: int) -> str:
    """Label of the required-length bucket that ``required`` words fall into."""
    if required <= 0:
        raise ValueError(f"required length must be positive, got {required}")
    return next(
        label
        for label, low, high, inclusive in BUCKETS
        if low <= required < high or (inclusive and required == high)
    )


@dataclass(frozen=True)
class LengthRow:
    """Length outcome of one required row; ``missing``: it has no prediction (scored 0)."""

    key: str
    required: int
    produced: int
    score: float
    bucket: str
    missing: bool = False


def _row(task: Task, produced: int, *, missing: bool = False) -> LengthRow:
    score = length_score(task.length, produced)
    return LengthRow(task.key, task.length, produced, score, bucket_of(task.length), missing)


def score_prediction(pred: Prediction) -> LengthRow:
    """Count the response's words (LongBench-Write's counter) and score them against the task."""
    return _row(pred.task, count_words_longbench(pred.response))


def score_rows(
    preds: Sequence[Prediction], required: Sequence[Task] | None = None
) -> list[LengthRow]:
    """Length rows of ``preds``; with ``required``, one row per required task instead, in its order.

    A required task without a prediction (its key absent from ``preds``) scores 0 as ``missing``;
    predictions of other tasks are left out. A prediction is scored against its required task.
    """
    if required is None:
        return [score_prediction(p) for p in preds]
    by_key = {p.task.key: p.response for p in preds}
    return [
        _row(t, count_words_longbench(by_key[t.key]))
        if t.key in by_key
        else _row(t, 0, missing=True)
        for t in required
    ]


def plot_points(rows: Sequence[LengthRow]) -> list[tuple[int, int]]:
    """``(required, produced)`` of the rows that have a prediction (a missing row has no length)."""
    return [(r.required, r.produced) for r in rows if not r.missing]


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def summarize_length(rows: Sequence[LengthRow]) -> dict[str, Any]:
    """``S_l`` over all rows and per bucket (``n`` and ``S_l``, null when a bucket is empty).

    Missing rows count in ``n`` and S_l (as 0) and are counted in ``missing``; ``empty_responses``
    counts the predictions with no words, ``mean_produced`` is over the predictions only.
    """
    buckets: dict[str, dict[str, Any]] = {}
    for i, (label, *_bounds) in enumerate(BUCKETS):
        scores = [r.score for r in rows if r.bucket == label]
        if i < MAIN_BUCKETS or scores:
            buckets[label] = {"n": len(scores), "S_l": _mean(scores)}
    return {
        "n": len(rows),
        "S_l": _mean([r.score for r in rows]),
        "buckets": buckets,
        "missing": sum(1 for r in rows if r.missing),
        "empty_responses": sum(1 for r in rows if r.produced == 0 and not r.missing),
        "mean_required": _mean([r.required for r in rows]),
        "mean_produced": _mean([r.produced for r in rows if not r.missing]),
    }
