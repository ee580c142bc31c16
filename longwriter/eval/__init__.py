"""LongBench-Write evaluation: prediction runner, length score S_l, LLM-judged quality S_q, length
ruler, cumulative NLL and Markdown reports. The CLI is :mod:`longwriter.eval.cli` (``longwriter eval
...``)."""

from longwriter.eval.judge import (
    DIMENSIONS,
    Judge,
    JudgeConfig,
    JudgeParseError,
    Verdict,
    parse_judgement,
    summarize_quality,
)
from longwriter.eval.length import BUCKETS, LengthRow, bucket_of, score_prediction, summarize_length
from longwriter.eval.nll import cumulative_series, nll_row, summarize_nll
from longwriter.eval.report import RunResult, artifact, build_report, load_run
from longwriter.eval.rows import (
    EvalInputError,
    Prediction,
    Task,
    load_predictions,
    load_tasks,
    parse_prediction,
    parse_task,
)
from longwriter.eval.ruler import ruler_tasks, summarize_ruler
from longwriter.eval.runner import RunConfig, predict, run_predictions

__all__ = [
    "BUCKETS",
    "DIMENSIONS",
    "EvalInputError",
    "Judge",
    "JudgeConfig",
    "JudgeParseError",
    "LengthRow",
    "Prediction",
    "RunConfig",
    "RunResult",
    "Task",
    "Verdict",
    "artifact",
    "bucket_of",
    "build_report",
    "cumulative_series",
    "load_predictions",
    "load_run",
    "load_tasks",
    "nll_row",
    "parse_judgement",
    "parse_prediction",
    "parse_task",
    "predict",
    "ruler_tasks",
    "run_predictions",
    "score_prediction",
    "summarize_length",
    "summarize_nll",
    "summarize_quality",
    "summarize_ruler",
]
