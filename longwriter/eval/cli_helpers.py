"""The parts ``longwriter eval ...`` (:mod:`longwriter.eval.cli`) is made of: its shared options,
the rows a command reads, resumable batches under a progress bar, the prediction jobs and their
settings, the NLL scorers and the reader's subject measure."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import fields
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from longwriter.agent.context import WriterContext
from longwriter.batch.resumable import BatchEvent, BatchSummary, run_resumable
from longwriter.cli_support import (
    SETTING_FLAGS,
    EndpointOptions,
    SamplingOptions,
    embedding_settings,
    input_option,
    parse_extra_body,
    stderr,
    writer_context,
)
from longwriter.errors import ConfigError
from longwriter.eval import nll as nll_mod
from longwriter.eval.length import LengthRow, score_rows, summarize_length
from longwriter.eval.reader import ScorerFactory
from longwriter.eval.rows import Prediction, Task, keyed_rows, load_predictions, load_tasks
from longwriter.eval.runner import RunConfig, run_predictions
from longwriter.llm import Endpoint, check_endpoint, resolve_endpoint
from longwriter.llm.local_server import EMBEDDED_CONTEXT

if TYPE_CHECKING:
    from longwriter.batch.store import BatchCheckpoints

log = logging.getLogger(__name__)


class Mode(StrEnum):
    """How predictions are produced."""

    agent = "agent"
    direct = "direct"


class Backend(StrEnum):
    """Where token log-probabilities come from."""

    llamacpp = "llamacpp"
    vllm = "vllm"
    transformers = "transformers"


# --- options shared by several commands --------------------------------------------------------

SkipBad = Annotated[
    bool,
    typer.Option(
        "--skip-bad", help="Skip malformed lines/rows (with a warning) instead of stopping."
    ),
]
Concurrency = Annotated[int, typer.Option(min=1, help="Rows in flight at once.")]
Limit = Annotated[int | None, typer.Option(min=1, help="Only the first N rows.")]
Window = Annotated[
    int | None,
    typer.Option(min=512, help="Model context in tokens; default: asked from the server."),
]
AgentOptions = Annotated[
    list[str] | None,
    typer.Option(
        "--agent-option",
        help="Agent mode: a WriterContext field as KEY=VALUE (repeatable), e.g. max_revisions=1.",
    ),
]
ExtraBody = Annotated[
    str | None,
    typer.Option(
        help="JSON object of server sampling extras for both modes, e.g. "
        "'{\"repetition_penalty\": 1.1}' (default: none; the embedded model's repeat penalty)."
    ),
]
PredPath = Annotated[Path, input_option("Prediction JSONL (output of `eval run`).")]
OLD_NAMES = {"pred": "input", "out": "output"}
"""The names the prediction file and what a command writes had before -i/-o."""
RequiredSet = Annotated[
    Path | None,
    typer.Option(
        "--dataset",
        help="The dataset given to `eval run` (with --limit N: its first N rows, as run): each of "
        "its rows without a prediction (failed or not run yet) scores S_l 0 and counts as "
        "'missing'. Default: score only the rows of the prediction file.",
    ),
]


# --- the rows a command reads -------------------------------------------------------------------


def required_tasks(dataset: Path, skip_bad: bool, limit: int | None) -> list[Task]:
    """The first ``limit`` tasks of a dataset (all without a limit); none is a ConfigError."""
    tasks = load_tasks(dataset, skip_bad=skip_bad, limit=limit)
    if not tasks:
        raise ConfigError(f"{dataset}: no usable rows")
    return tasks


def selected(
    pred: Path, dataset: Path | None, limit: int | None, skip_bad: bool
) -> tuple[list[Prediction], list[Task] | None]:
    """The predictions to use and the required tasks (None without a dataset).

    With a dataset its first ``limit`` rows are required and predictions of other tasks are left
    out (there may be none yet); without one, the first ``limit`` prediction rows, at least one.
    """
    preds = load_predictions(pred, skip_bad=skip_bad)
    if dataset is None:
        preds = preds[:limit]
        if not preds:
            raise ConfigError(f"{pred}: no usable rows")
        return preds, None
    required = required_tasks(dataset, skip_bad, limit)
    keys = {t.key for t in required}
    return [p for p in preds if p.task.key in keys], required


def scored(out: Path, tasks: Sequence[Task]) -> list[LengthRow]:
    """A length row per task against the predictions in ``out``: 0 for a task without one."""
    preds = load_predictions(out, skip_bad=True) if out.is_file() else []
    return score_rows(preds, tasks)


def csv_ints(text: str) -> list[int]:
    """``--lengths 1000,2000``: positive integers, else a usage error."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise typer.BadParameter(f"expected positive integers, got {text!r}")
    return values


def parse_run(spec: str) -> tuple[str, Path]:
    """``--run LABEL=PRED.jsonl`` (or just ``PRED.jsonl``, labelled by its stem)."""
    label, sep, path = spec.partition("=")
    return (label, Path(path)) if sep and label else (Path(spec).stem, Path(spec))


# --- resumable batches under a progress bar -----------------------------------------------------


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[BatchEvent], None]]:
    """A progress bar on stderr while the block runs; yields what takes the batch's events."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=stderr) as bar:
        task_id = bar.add_task(description, total=None, failed="")

        def update(event: BatchEvent) -> None:
            bar.update(
                task_id,
                total=event.total,
                completed=event.skipped + event.done + event.failed,
                failed=f"{event.failed} failed" if event.failed else "",
            )

        yield update


def batch_fields(summary: BatchSummary) -> dict[str, Any]:
    """A batch's counts for a command's summary (the first 20 errors)."""
    return {
        "total": summary.total,
        "skipped": summary.skipped,
        "done": summary.done,
        "failed": summary.failed,
        "errors": [{"key": k, "error": e} for k, e in summary.errors[:20]],
        "seconds": round(summary.seconds, 1),
    }


def per_prediction(
    preds: Sequence[Prediction],
    work: Callable[[Prediction], Awaitable[dict[str, Any]]],
    out: Path,
    description: str,
    concurrency: int = 1,
) -> tuple[BatchSummary, list[dict[str, Any]]]:
    """Run ``work`` on each prediction not yet in ``out`` (resumable, with a progress bar); returns
    the batch summary and the rows of ``out`` that belong to ``preds``."""
    with progress_bar(f"{description} → {out.name}") as progress:
        batch = asyncio.run(
            run_resumable(
                preds,
                key=lambda p: p.task.key,
                work=work,
                out_path=out,
                concurrency=concurrency,
                progress=progress,
            )
        )
    return batch, keyed_rows(out, {p.task.key for p in preds})


# --- predictions --------------------------------------------------------------------------------

RESERVED_AGENT_FIELDS = {"base_url", "model", "api_key", "target_words", "extra_body"}
"""Set by the runner from the endpoint, the task and --extra-body, not by --agent-option."""


def model_window(endpoint: Endpoint, given: int | None, option: str = "--context-window") -> int:
    """The given window, else what the server reports (vLLM), else 8,192 with a warning."""
    if given:
        return given
    found = check_endpoint(endpoint)
    if found is None:
        log.warning(
            "%s does not report its context window: assuming %d tokens (set %s)",
            endpoint.base_url,
            EMBEDDED_CONTEXT,
            option,
        )
    return found or EMBEDDED_CONTEXT


def agent_options(
    specs: list[str] | None,
    endpoint: EndpointOptions | None = None,
    sampling: SamplingOptions | None = None,
    extra_body: str | None = None,
) -> dict[str, Any]:
    """``--agent-option KEY=VALUE`` pairs for WriterContext fields (values are JSON when they parse,
    else text), checked now by WriterContext with the endpoint and sampling they will run with."""
    allowed = {f.name for f in fields(WriterContext)} - RESERVED_AGENT_FIELDS
    options: dict[str, Any] = {}
    for spec in specs or []:
        name, sep, raw = spec.partition("=")
        if not sep or name.strip() not in allowed:
            raise typer.BadParameter(
                f"--agent-option {spec!r}: expected KEY=VALUE with KEY one of "
                + ", ".join(sorted(allowed))
            )
        try:
            options[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            options[name.strip()] = raw
    endpoint, sampling = endpoint or EndpointOptions(), sampling or SamplingOptions()
    given = {
        "base_url": endpoint.base_url,
        "model": endpoint.model,
        "api_key": endpoint.api_key,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "extra_body": parse_extra_body(extra_body) if extra_body else {},
    }
    flags = {name: SETTING_FLAGS[name] for name in given} | {
        name: f"--agent-option {name}" for name in options
    }
    writer_context(given | options, flags=flags)
    return options


def run_config(
    mode: Mode,
    endpoint: Endpoint,
    window: int | None,
    sampling: SamplingOptions,
    options: dict[str, Any],
    extra_body: str | None,
    *,
    max_tokens: int | None = None,
    give_length: bool = False,
) -> RunConfig:
    """The settings of one prediction job."""
    return RunConfig(
        mode=mode.value,
        endpoint=endpoint,
        context_window=model_window(endpoint, window),
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        max_tokens=max_tokens,
        give_length=give_length,
        agent_options=options,
        extra_body=parse_extra_body(extra_body) if extra_body else {},
    )


def predict(
    tasks: Sequence[Task],
    jobs: Sequence[tuple[RunConfig, Path]],
    concurrency: int,
    keep: BatchCheckpoints | None = None,
) -> list[dict[str, Any]]:
    """Run each (config, output) job in turn and summarize it (batch counts, S_l, buckets, and the
    tasks still ``missing`` a prediction, which score 0). Agent jobs checkpoint their documents as
    ``keep`` says (default: beside their output).

    All jobs share one event loop: langchain-openai keeps its async HTTP client per process, and a
    client left over from a closed loop fails with "Event loop is closed".
    """
    from longwriter.batch.store import BatchCheckpoints

    keep = keep or BatchCheckpoints()

    async def all_jobs() -> list[BatchSummary]:
        done = []
        for cfg, out in jobs:
            store = keep.open(out) if cfg.mode == "agent" else nullcontext()
            async with store as documents:
                with progress_bar(f"{cfg.mode} → {out.name}") as progress:
                    done.append(
                        await run_predictions(
                            tasks,
                            cfg,
                            out,
                            concurrency=concurrency,
                            progress=progress,
                            documents=documents,
                        )
                    )
        return done

    results = []
    for (_cfg, out), batch in zip(jobs, asyncio.run(all_jobs()), strict=True):
        length = summarize_length(scored(out, tasks))
        results.append(
            {
                **batch_fields(batch),
                "S_l": length["S_l"],
                "missing": length["missing"],
                "buckets": length["buckets"],
            }
        )
    return results


# --- NLL ----------------------------------------------------------------------------------------


def make_scorer(
    backend: Backend, model: str | None, base_url: str | None, api_key: str, window: int
) -> nll_mod.Scorer:
    """The NLL scorer of ``backend``; a ConfigError names what it lacks."""
    if backend is Backend.llamacpp:
        return nll_mod.LlamaCppScorer(Path(model) if model else None, window=window)
    if backend is Backend.transformers:
        if not model:
            raise ConfigError(
                "--backend transformers needs --model (a Hugging Face folder or name)"
            )
        return nll_mod.TransformersScorer(model, window=window)
    if not base_url:
        raise ConfigError("--backend vllm needs --base-url")
    endpoint = resolve_endpoint(base_url, model, api_key)
    return nll_mod.VllmScorer(endpoint.base_url, endpoint.model, api_key=api_key, window=window)


# --- the reader's subject measure ---------------------------------------------------------------

NO_EMBEDDING = "none"
"""``eval reader --embedding none``: skip the off-subject measure."""


def subject_scorer(
    kind: str, url: str | None, model: str | None, key: str | None
) -> tuple[ScorerFactory | None, str]:
    """The scorer of paragraphs off the subject for the embedder options (None for ``none``), and
    the embedder kind chosen. The options are checked as WriterContext checks the writer's."""
    from longwriter.llm.embeddings import choose_embedding, get_embedder
    from longwriter.text.reader import SubjectScorer

    if kind == NO_EMBEDDING:
        return None, kind
    settings = embedding_settings(kind, url, model, key)
    writer_context({"base_url": None, **settings})
    api_key = settings.get("embedding_api_key") or os.environ.get("LONGWRITER_API_KEY") or "EMPTY"
    choice = choose_embedding(kind, base_url=url, model=model, api_key=api_key)
    embedder = get_embedder(choice.kind, choice.base_url, choice.model, api_key)
    fallback = get_embedder("hash").embed
    scorer = partial(SubjectScorer, embedder.embed, fallback=fallback, lexical=embedder.lexical)
    return scorer, choice.kind
