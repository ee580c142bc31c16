"""Markdown report of one or more runs side by side (agent vs direct, model A vs model B).

A run is a prediction file; the other commands write their results beside it, and the report picks
up whatever exists: ``P.judge.jsonl`` (``eval quality``), ``P.nll.jsonl`` (``eval nll``) and
``P.reader.jsonl`` (``eval reader``) for ``P.jsonl``. Given the dataset's tasks, each run is scored
on all of them: a task the run has no prediction for scores S_l 0 and is counted as missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from longwriter.eval.judge import DIMENSION_LABELS, DIMENSIONS, summarize_quality
from longwriter.eval.length import LengthRow, plot_points, score_rows, summarize_length
from longwriter.eval.nll import cumulative_series, summarize_nll
from longwriter.eval.plots import plot_length, plot_nll
from longwriter.eval.reader import summarize_reader
from longwriter.eval.rows import Task, keyed_rows, load_predictions
from longwriter.files import save_text

NLL_POSITIONS = (100, 500, 1000, 2000, 4000, 8000, 16000, 32000)


def artifact(pred: Path, suffix: str) -> Path:
    """Where a command keeps its result beside a prediction file: ``P.jsonl`` -> ``P.<suffix>``."""
    pred = Path(pred)
    return pred.with_name(f"{pred.stem}.{suffix}")


@dataclass
class RunResult:
    """Everything known about one run."""

    label: str
    pred_path: Path
    mode: str | None
    model: str | None
    lengths: list[LengthRow]
    length: dict[str, Any]
    quality: dict[str, Any] | None
    nll: dict[str, Any] | None
    nll_series: dict[str, list[Any]] | None
    seconds_mean: float | None
    completion_tokens_mean: float | None
    reader: dict[str, Any] | None = None  # summary of ``eval reader``


def _mean_of(rows: Sequence[dict[str, Any]], field: str) -> float | None:
    values = [r[field] for r in rows if isinstance(r.get(field), int | float)]
    return round(sum(values) / len(values), 1) if values else None


def load_run(
    label: str, pred_path: Path, *, skip_bad: bool = False, required: Sequence[Task] | None = None
) -> RunResult:
    """Score a prediction file and collect its judge and NLL results, if present.

    With ``required`` (the dataset's tasks) only their predictions count, and a task without one
    scores 0 (see :func:`~longwriter.eval.length.score_rows`).
    """
    preds = load_predictions(pred_path, skip_bad=skip_bad)
    if required is not None:
        wanted = {t.key for t in required}
        preds = [p for p in preds if p.task.key in wanted]
    lengths = score_rows(preds, required)
    length = summarize_length(lengths)
    keys = {p.task.key for p in preds}
    quality = nll = series = None
    judged = keyed_rows(artifact(pred_path, "judge.jsonl"), keys)
    if judged:
        quality = summarize_quality(judged, length["S_l"])
    scored = keyed_rows(artifact(pred_path, "nll.jsonl"), keys)
    if scored:
        nll = summarize_nll(scored)
        series = cumulative_series([r["nll"] for r in scored])
    read = keyed_rows(artifact(pred_path, "reader.jsonl"), keys)
    rows = [p.row for p in preds]
    return RunResult(
        label=label,
        pred_path=Path(pred_path),
        mode=next((str(r["mode"]) for r in rows if r.get("mode")), None),
        model=next((str(r["model"]) for r in rows if r.get("model")), None),
        lengths=lengths,
        length=length,
        quality=quality,
        nll=nll,
        nll_series=series,
        seconds_mean=_mean_of(rows, "seconds"),
        completion_tokens_mean=_mean_of(rows, "completion_tokens"),
        reader=summarize_reader([r["document"] for r in read]) if read else None,
    )


def _whole(value: float | None) -> int | None:
    """Counts (words, tokens) as whole numbers."""
    return None if value is None else round(value)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


def _metric_rows(
    runs: Sequence[RunResult], spec: Sequence[tuple[str, Callable[[RunResult], Any]]]
) -> list[list[Any]]:
    return [[name, *(get(run) for run in runs)] for name, get in spec]


def _quality(key: str) -> Callable[[RunResult], Any]:
    return lambda r: r.quality[key] if r.quality else None


READER_ROWS = (
    ("documents scored", "documents"),
    ("paragraphs off the subject (mean share)", "mean_off_subject_share"),
    ("paragraphs off the subject (max share)", "max_off_subject_share"),
    ("meta-talk sentences (mean share)", "mean_meta_share"),
    ("paragraphs with junk (total)", "junk_paragraphs"),
    ("documents with junk", "documents_with_junk"),
    ("bad headings per document", "mean_bad_headings"),
)


def _reader(key: str) -> Callable[[RunResult], Any]:
    return lambda r: r.reader[key] if r.reader else None


def _nll_at(series: dict[str, list[Any]] | None, position: int) -> float | None:
    """The averaged cumulative NLL at the last recorded position not beyond ``position``."""
    if not series or not series["positions"] or series["positions"][-1] < position:
        return None
    best = max(i for i, p in enumerate(series["positions"]) if p <= position)
    return float(series["mean_cum_nll"][best])


SUMMARY_ROWS: tuple[tuple[str, Callable[[RunResult], Any]], ...] = (
    ("S_l (length)", lambda r: r.length["S_l"]),
    ("S_q (quality)", _quality("S_q")),
    ("S = (S_l + S_q) / 2", _quality("S")),
    (
        "judged / judge failures",
        lambda r: f"{r.quality['judged']} / {r.quality['failed']}" if r.quality else None,
    ),
    ("mean required words", lambda r: _whole(r.length["mean_required"])),
    ("mean produced words", lambda r: _whole(r.length["mean_produced"])),
    ("missing predictions (S_l 0)", lambda r: r.length["missing"]),
    ("empty responses", lambda r: r.length["empty_responses"]),
    ("mean seconds per row", lambda r: r.seconds_mean),
    ("mean completion tokens", lambda r: _whole(r.completion_tokens_mean)),
    ("mean NLL (nats/token)", lambda r: r.nll["mean_nll"] if r.nll else None),
)
"""The rows of the summary table: a label and how to read it off a run."""


def build_report(
    runs: Sequence[RunResult], out: Path, *, title: str = "LongBench-Write evaluation"
) -> Path:
    """Write the Markdown report to ``out`` and its PNG plots beside it; returns ``out``."""
    out = Path(out)
    labels = [r.label for r in runs]
    lines = [f"# {title}", ""]
    lines += _table(
        ["run", "predictions", "mode", "model", "rows"],
        [[r.label, f"`{r.pred_path.name}`", r.mode, r.model, r.length["n"]] for r in runs],
    )
    lines += ["## Summary", ""]
    lines += _table(["metric", *labels], _metric_rows(runs, SUMMARY_ROWS))
    lines += _length_section(runs, out)
    lines += _quality_section(runs)
    if any(r.reader for r in runs):
        lines += ["## What a reader reads", ""]
        lines += _table(
            ["metric", *labels],
            _metric_rows(runs, [(name, _reader(key)) for name, key in READER_ROWS]),
        )
    lines += _nll_section(runs, out)
    lines += ["## Per row", ""]
    lines += _per_row_table(runs)
    return save_text(out, "\n".join(lines))


def _length_section(runs: Sequence[RunResult], out: Path) -> list[str]:
    """S_l per required-length bucket, and the plot of produced against required length."""
    lines = ["## Length score by required length", ""]
    buckets = list(dict.fromkeys(b for r in runs for b in r.length["buckets"]))
    lines += _table(
        ["required words", *(f"{r.label} S_l (n)" for r in runs)],
        [[b, *(_bucket_cell(r.length["buckets"].get(b)) for r in runs)] for b in buckets],
    )
    length_png = plot_length(
        {r.label: plot_points(r.lengths) for r in runs},
        out.with_name(f"{out.stem}.length.png"),
    )
    return [*lines, f"![produced vs required length]({length_png.name})", ""]


def _quality_section(runs: Sequence[RunResult]) -> list[str]:
    """The judge's scores per dimension (nothing when no run was judged)."""
    if not any(r.quality for r in runs):
        return []
    return [
        "## Quality by dimension (0-100)",
        "",
        *_table(
            ["dimension", *(r.label for r in runs)],
            [
                [
                    DIMENSION_LABELS[d],
                    *((r.quality["dimensions"][d] if r.quality else None) for r in runs),
                ]
                for d in DIMENSIONS
            ],
        ),
    ]


def _nll_section(runs: Sequence[RunResult], out: Path) -> list[str]:
    """The cumulative average NLL at fixed token positions, and its plot (nothing without NLL)."""
    if not any(r.nll_series for r in runs):
        return []
    lines = ["## Cumulative average NLL", ""]
    positions = [
        p for p in NLL_POSITIONS if any(_nll_at(r.nll_series, p) is not None for r in runs)
    ]
    lines += _table(
        ["token position", *(r.label for r in runs)],
        [[p, *(_nll_at(r.nll_series, p) for r in runs)] for p in positions],
    )
    nll_png = plot_nll(
        {r.label: r.nll_series for r in runs if r.nll_series},
        out.with_name(f"{out.stem}.nll.png"),
    )
    return [*lines, f"![cumulative NLL]({nll_png.name})", ""]


def _bucket_cell(bucket: dict[str, Any] | None) -> str:
    if not bucket or not bucket["n"]:
        return "–"
    return f"{_fmt(bucket['S_l'])} ({bucket['n']})"


def _per_row_table(runs: Sequence[RunResult]) -> list[str]:
    by_run = [{x.key: x for x in r.lengths} for r in runs]
    keys = list(dict.fromkeys(k for rows in by_run for k in rows))
    header = ["key", "required", *(f"{r.label} words (S_l)" for r in runs)]
    table = []
    for key in keys:
        required = next(rows[key].required for rows in by_run if key in rows)
        table.append([key, required, *(_row_cell(rows.get(key)) for rows in by_run)])
    return _table(header, table)


def _row_cell(row: LengthRow | None) -> str | None:
    """``words (S_l)`` of one run's row; ``missing (0)`` without a prediction, None if not scored."""
    if row is None:
        return None
    return f"{'missing' if row.missing else row.produced} ({row.score:.0f})"
