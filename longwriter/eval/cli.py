"""``longwriter eval ...``: LongBench-Write runner, S_l, S_q, ruler, cumulative NLL and reports.

Progress goes to stderr; every command prints its summary as one JSON object on the last line of
stdout.

A row that ``eval run`` fails on is not written to the prediction file, so a rerun retries it. The
dataset says which rows are required: ``eval run`` (and ``length``, ``quality`` and ``report`` given
``--dataset``) scores a required row without a prediction as S_l 0 and counts it as ``missing``, as
LongBench-Write does for an empty response, so failures cannot raise the mean.
"""

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
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from longwriter.batch.resumable import BatchEvent, BatchSummary, run_resumable
from longwriter.cli_support import (
    ApiKey,
    BaseUrl,
    Checkpoints,
    EmbeddingKey,
    EmbeddingModel,
    EmbeddingUrl,
    Fresh,
    JudgeApiKey,
    JudgeBaseUrl,
    JudgeModel,
    KeepMemory,
    ModelName,
    batch_checkpoints,
    embedding_settings,
    guarded,
    input_option,
    old_names,
    output_option,
    parse_extra_body,
    setup_logging,
)
from longwriter.errors import ConfigError
from longwriter.eval import judge as judging
from longwriter.eval import nll as nll_mod
from longwriter.eval.length import LengthRow, plot_points, score_rows, summarize_length
from longwriter.eval.plots import plot_length, plot_nll
from longwriter.eval.reader import ScorerFactory, reader_row, summarize_reader
from longwriter.eval.report import artifact, build_report, load_run
from longwriter.eval.rows import Prediction, Task, keyed_rows, load_predictions, load_tasks
from longwriter.eval.ruler import RULER_LANGUAGES, RULER_LENGTHS, ruler_tasks, summarize_ruler
from longwriter.eval.runner import RunConfig, run_predictions
from longwriter.files import save_json
from longwriter.jsonl import append_jsonl, save_jsonl
from longwriter.llm import Endpoint, check_endpoint, resolve_endpoint
from longwriter.llm.local_server import EMBEDDED_CONTEXT

if TYPE_CHECKING:
    from longwriter.batch.store import BatchCheckpoints

app = typer.Typer(
    help="LongBench-Write evaluation: predictions (agent or direct), length score S_l, LLM-judged "
    "quality S_q, a length ruler, cumulative NLL and Markdown reports.",
    no_args_is_help=True,
)
_stderr = Console(stderr=True)
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


# Options shared by several commands.
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
# Set by the runner from the endpoint, the task and --extra-body, not by --agent-option.
RESERVED_AGENT_FIELDS = {"base_url", "model", "api_key", "target_words", "extra_body"}
PredPath = Annotated[Path, input_option("Prediction JSONL (output of `eval run`).")]
# The names of the prediction file and of what a command writes before -i/-o.
_OLD_NAMES = old_names(pred="input", out="output")
RequiredSet = Annotated[
    Path | None,
    typer.Option(
        "--dataset",
        help="The dataset given to `eval run` (with --limit N: its first N rows, as run): each of "
        "its rows without a prediction (failed or not run yet) scores S_l 0 and counts as "
        "'missing'. Default: score only the rows of the prediction file.",
    ),
]


@app.callback()
def _setup() -> None:
    """Warnings and errors go to stderr."""
    setup_logging(_stderr)


_guard = guarded(
    _stderr, interrupted="interrupted: finished rows are saved; rerun the same command to resume"
)


def _emit(summary: dict[str, Any]) -> None:
    """The command's summary: one JSON object on the last line of stdout."""
    print(json.dumps(summary, ensure_ascii=False, default=str), flush=True)


@contextmanager
def _progress(description: str) -> Iterator[Callable[[BatchEvent], None]]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_stderr) as bar:
        task_id = bar.add_task(description, total=None, failed="")

        def update(event: BatchEvent) -> None:
            bar.update(
                task_id,
                total=event.total,
                completed=event.skipped + event.done + event.failed,
                failed=f"{event.failed} failed" if event.failed else "",
            )

        yield update


def _batch_fields(summary: BatchSummary) -> dict[str, Any]:
    return {
        "total": summary.total,
        "skipped": summary.skipped,
        "done": summary.done,
        "failed": summary.failed,
        "errors": [{"key": k, "error": e} for k, e in summary.errors[:20]],
        "seconds": round(summary.seconds, 1),
    }


def _context_window(endpoint: Endpoint, given: int | None, option: str = "--context-window") -> int:
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


def _tasks(dataset: Path, skip_bad: bool, limit: int | None) -> list[Task]:
    """The first ``limit`` tasks of a dataset (all without a limit); none is a ConfigError."""
    tasks = load_tasks(dataset, skip_bad=skip_bad, limit=limit)
    if not tasks:
        raise ConfigError(f"{dataset}: no usable rows")
    return tasks


def _selected(
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
    required = _tasks(dataset, skip_bad, limit)
    keys = {t.key for t in required}
    return [p for p in preds if p.task.key in keys], required


def _scored(out: Path, tasks: Sequence[Task]) -> list[LengthRow]:
    """A length row per task against the predictions in ``out``: 0 for a task without one."""
    preds = load_predictions(out, skip_bad=True) if out.is_file() else []
    return score_rows(preds, tasks)


def _per_prediction(
    preds: Sequence[Prediction],
    work: Callable[[Prediction], Awaitable[dict[str, Any]]],
    out: Path,
    description: str,
    concurrency: int = 1,
) -> tuple[BatchSummary, list[dict[str, Any]]]:
    """Run ``work`` on each prediction not yet in ``out`` (resumable, with a progress bar); returns
    the batch summary and the rows of ``out`` that belong to ``preds``."""
    with _progress(f"{description} → {out.name}") as progress:
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


def _run_config(
    mode: Mode,
    endpoint: Endpoint,
    window: int | None,
    temperature: float,
    top_p: float,
    max_tokens: int | None,
    give_length: bool,
    agent_options: dict[str, Any],
    extra_body: str | None,
) -> RunConfig:
    return RunConfig(
        mode=mode.value,
        endpoint=endpoint,
        context_window=_context_window(endpoint, window),
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        give_length=give_length,
        agent_options=agent_options,
        extra_body=parse_extra_body(extra_body) if extra_body else {},
    )


def _agent_options(specs: list[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` pairs for WriterContext fields; values are JSON when they parse, else text."""
    from longwriter.agent.context import WriterContext

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
    return options


def _predict(
    tasks: Sequence[Task],
    jobs: Sequence[tuple[RunConfig, Path]],
    concurrency: int,
    keep: "BatchCheckpoints | None" = None,
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
                with _progress(f"{cfg.mode} → {out.name}") as progress:
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
        length = summarize_length(_scored(out, tasks))
        results.append(
            {
                **_batch_fields(batch),
                "S_l": length["S_l"],
                "missing": length["missing"],
                "buckets": length["buckets"],
            }
        )
    return results


@app.command(context_settings=old_names(dataset="input", out="output"))
@_guard
def run(
    dataset: Annotated[
        Path, input_option("LongBench-Write JSONL: prompt, length and an optional type.")
    ],
    out: Annotated[Path, output_option("Prediction JSONL; rows already there are skipped.")],
    mode: Annotated[
        Mode, typer.Option(help="agent (AgentWrite pipeline) or direct (one call).")
    ] = Mode.agent,
    concurrency: Concurrency = 1,
    limit: Limit = None,
    base_url: BaseUrl = None,
    model: ModelName = None,
    api_key: ApiKey = "EMPTY",
    context_window: Window = None,
    temperature: float = 0.7,
    top_p: float = 0.9,
    max_tokens: Annotated[
        int | None,
        typer.Option(min=1, help="Direct mode's budget; default: the window minus the prompt."),
    ] = None,
    give_length: Annotated[
        bool,
        typer.Option(
            help="Agent mode: pass the dataset length as target instead of parsing the prompt."
        ),
    ] = False,
    agent_option: AgentOptions = None,
    extra_body: ExtraBody = None,
    skip_bad: SkipBad = False,
    checkpoints: Checkpoints = None,
    fresh: Fresh = False,
    keep_memory: KeepMemory = False,
) -> None:
    """Produce predictions for a dataset (resumable: rerun to continue).

    A row that fails is not written, so a rerun retries it (in agent mode from its checkpoint, where
    it stopped). Until it has a prediction it scores S_l 0 and counts as 'missing' in the summary
    (and in `eval length --dataset`).
    """
    if mode is Mode.direct:
        agent_only = {
            "--checkpoints": checkpoints,
            "--fresh": fresh,
            "--keep-memory": keep_memory,
            "--give-length": give_length,
            "--agent-option": agent_option,
        }
        given = [name for name, value in agent_only.items() if value]
        if given:
            raise ConfigError(f"{', '.join(given)}: only with --mode agent")
    tasks = _tasks(dataset, skip_bad, limit)
    options = _agent_options(agent_option)
    keep = batch_checkpoints(checkpoints, fresh, keep_memory)
    endpoint = resolve_endpoint(base_url, model, api_key)
    cfg = _run_config(
        mode,
        endpoint,
        context_window,
        temperature,
        top_p,
        max_tokens,
        give_length,
        options,
        extra_body,
    )
    _emit(
        {
            "command": "run",
            "mode": mode.value,
            "model": endpoint.model,
            "out": str(out),
            **_predict(tasks, [(cfg, out)], concurrency, keep)[0],
        }
    )


@app.command(context_settings=_OLD_NAMES)
@_guard
def length(
    pred: PredPath,
    dataset: RequiredSet = None,
    limit: Limit = None,
    plot: Annotated[Path | None, typer.Option(help="Write a log-log scatter PNG here.")] = None,
    skip_bad: SkipBad = False,
) -> None:
    """Length score S_l (overall and per required-length bucket).

    Empty responses score 0 ('empty_responses'). With --dataset so do the dataset rows that have no
    prediction, because `eval run` failed on them (a rerun retries them) or has not reached them
    ('missing'); without it, only the rows in the prediction file are scored.
    """
    preds, required = _selected(pred, dataset, limit, skip_bad)
    rows = score_rows(preds, required)
    summary = summarize_length(rows)
    if plot:
        plot_length({pred.stem: plot_points(rows)}, plot)
        summary["plot"] = str(plot)
    _emit({"command": "length", "pred": str(pred), **summary})


@app.command(context_settings=_OLD_NAMES)
@_guard
def quality(
    pred: PredPath,
    judge_base_url: JudgeBaseUrl = None,
    judge_model: JudgeModel = None,
    judge_api_key: JudgeApiKey = "EMPTY",
    out: Annotated[
        Path | None, output_option("Judge rows (resumable); default: PRED.judge.jsonl.")
    ] = None,
    attempts: Annotated[
        int, typer.Option(min=1, max=10, help="Judge calls per row before recording a failure.")
    ] = 3,
    temperature: float = 0.3,
    judge_context_window: Window = None,
    json_schema: Annotated[
        bool,
        typer.Option(help="Ask for schema-constrained JSON (falls back automatically if refused)."),
    ] = True,
    timeout: Annotated[float, typer.Option(help="Seconds per judge call.")] = 300.0,
    concurrency: Concurrency = 1,
    dataset: RequiredSet = None,
    limit: Limit = None,
    skip_bad: SkipBad = False,
) -> None:
    """Quality score S_q with an LLM judge (six dimensions, 1-5 each), and S = (S_l + S_q) / 2.

    The judge is the embedded model unless --judge-base-url names one. S_q is over the judged
    rows; S_l, as in `eval length`, counts missing dataset rows as 0.
    """
    preds, required = _selected(pred, dataset, limit, skip_bad)
    out = out or artifact(pred, "judge.jsonl")
    endpoint = resolve_endpoint(judge_base_url, judge_model, judge_api_key)
    judge = judging.Judge(
        judging.JudgeConfig(
            endpoint=endpoint,
            temperature=temperature,
            attempts=attempts,
            timeout=timeout,
            context_window=_context_window(
                endpoint, judge_context_window, "--judge-context-window"
            ),
            json_schema=json_schema,
        )
    )
    batch, judged = _per_prediction(preds, judge.judge, out, "judging", concurrency)
    length = summarize_length(score_rows(preds, required))
    summary = judging.summarize_quality(judged, length["S_l"])
    summary["missing"] = length["missing"]
    summary["judge_errors"] = [
        {"key": r["key"], "error": r["error"]} for r in judged if r.get("error")
    ][:20]
    _emit(
        {
            "command": "quality",
            "pred": str(pred),
            "out": str(out),
            "judge_model": endpoint.model,
            "batch": _batch_fields(batch),
            **summary,
        }
    )


def _csv_ints(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(v <= 0 for v in values):
        raise typer.BadParameter(f"expected positive integers, got {text!r}")
    return values


@app.command()
@_guard
def ruler(
    out_dir: Annotated[
        Path, typer.Option(help="Folder for the stress set, predictions and plot.")
    ] = Path("ruler"),
    modes: Annotated[
        list[Mode] | None,
        typer.Option("--mode", help="Repeat for several (default: both)."),
    ] = None,
    lengths: Annotated[str, typer.Option(help="Required lengths, comma-separated.")] = ",".join(
        map(str, RULER_LENGTHS)
    ),
    languages: Annotated[
        list[str] | None, typer.Option("--language", help="en and/or zh (repeat); default both.")
    ] = None,
    topics: Annotated[
        int | None, typer.Option(min=1, help="Topics per language (default: all).")
    ] = None,
    dataset_only: Annotated[bool, typer.Option(help="Only write the stress set.")] = False,
    concurrency: Concurrency = 1,
    base_url: BaseUrl = None,
    model: ModelName = None,
    api_key: ApiKey = "EMPTY",
    context_window: Window = None,
    temperature: float = 0.7,
    top_p: float = 0.9,
    agent_option: AgentOptions = None,
    extra_body: ExtraBody = None,
) -> None:
    """Length ruler: our prompts at 1k-30k words (en, zh); produced vs required words per mode."""
    modes = modes or [Mode.agent, Mode.direct]
    languages = languages or list(RULER_LANGUAGES)
    bad = [lang for lang in languages if lang not in RULER_LANGUAGES]
    if bad:
        raise typer.BadParameter(f"unknown language(s) {', '.join(bad)}: use en and/or zh")
    tasks = ruler_tasks(_csv_ints(lengths), languages, topics)
    options = _agent_options(agent_option)
    dataset = out_dir / "ruler.jsonl"
    save_jsonl(dataset, (task.fields for task in tasks))
    if dataset_only:
        _emit({"command": "ruler", "dataset": str(dataset), "rows": len(tasks)})
        return
    endpoint = resolve_endpoint(base_url, model, api_key)
    results: dict[str, Any] = {}
    points: dict[str, list[tuple[int, int]]] = {}
    jobs = [
        (
            _run_config(
                mode, endpoint, context_window, temperature, top_p, None, False, options, extra_body
            ),
            out_dir / f"ruler_{mode.value}.jsonl",
        )
        for mode in dict.fromkeys(modes)
    ]
    for (cfg, out), batch in zip(jobs, _predict(tasks, jobs, concurrency), strict=True):
        rows = _scored(out, tasks)
        results[cfg.mode] = {
            "S_l": batch["S_l"],
            "failed": batch["failed"],
            "missing": batch["missing"],
            "by_length": summarize_ruler(rows),
        }
        points[cfg.mode] = plot_points(rows)
    plot = plot_length(points, out_dir / "ruler.png", title="Length ruler: produced vs required")
    _emit(
        {
            "command": "ruler",
            "dataset": str(dataset),
            "model": endpoint.model,
            "plot": str(plot),
            "modes": results,
        }
    )


def _scorer(
    backend: Backend, model: str | None, base_url: str | None, api_key: str, window: int
) -> nll_mod.Scorer:
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


@app.command(context_settings=_OLD_NAMES)
@_guard
def nll(
    pred: PredPath,
    backend: Annotated[
        Backend | None,
        typer.Option(help="Default: vllm with --base-url, else llamacpp (bundled GGUF)."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="llamacpp: GGUF path; vllm: served name; transformers: HF folder/name."),
    ] = None,
    base_url: BaseUrl = None,
    api_key: ApiKey = "EMPTY",
    context_window: Annotated[
        int, typer.Option(min=64, help="Tokens scored per response (context + text).")
    ] = 8192,
    with_prompt: Annotated[
        bool, typer.Option(help="Condition on the instruction (plain text).")
    ] = True,
    out: Annotated[Path | None, output_option("Per-row NLL JSONL; default PRED.nll.jsonl.")] = None,
    series: Annotated[
        Path | None, typer.Option(help="Averaged curve JSON; default PRED.nll.json.")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Curve PNG; default PRED.nll.png.")] = None,
    limit: Limit = None,
    skip_bad: SkipBad = False,
) -> None:
    """Cumulative average NLL by token position of the responses under a scoring model."""
    preds, _ = _selected(pred, None, limit, skip_bad)
    out = out or artifact(pred, "nll.jsonl")
    series = series or artifact(pred, "nll.json")
    plot = plot or artifact(pred, "nll.png")
    chosen = backend or (Backend.vllm if base_url else Backend.llamacpp)
    scorer = _scorer(chosen, model, base_url, api_key, context_window)

    async def work(p: Prediction) -> dict[str, Any]:
        return await asyncio.to_thread(
            nll_mod.nll_row, scorer, p.task.prompt, p.response, with_prompt=with_prompt
        )

    batch, rows = _per_prediction(preds, work, out, "scoring")
    curve = nll_mod.cumulative_series([r["nll"] for r in rows])
    save_json(series, {"scorer": scorer.name, **curve}, indent=None)
    plot_nll({pred.stem: curve}, plot)
    files = {"out": str(out), "series": str(series), "plot": str(plot)}
    summary = {"batch": _batch_fields(batch), **nll_mod.summarize_nll(rows)}
    _emit({"command": "nll", "pred": str(pred), "scorer": scorer.name, **files, **summary})


NO_EMBEDDING = "none"
"""``eval reader --embedding none``: skip the off-subject measure."""


@app.command(context_settings=_OLD_NAMES)
@_guard
def reader(
    pred: PredPath,
    dataset: RequiredSet = None,
    limit: Limit = None,
    embedding: Annotated[
        str,
        typer.Option(
            envvar="LONGWRITER_EMBEDDING",
            help="Embedder judging paragraphs off the subject: auto (MiniLM with the local "
            "extra, else onnx; or --embedding-url), minilm, onnx, hash (lexical), openai "
            "(--embedding-url) or none (skip that measure). Where it cannot tell subjects apart "
            "in the document's language (MiniLM on Chinese), the lexical one is used.",
        ),
    ] = "auto",
    embedding_url: EmbeddingUrl = None,
    embedding_model: EmbeddingModel = None,
    embedding_key: EmbeddingKey = None,
    out: Annotated[
        Path | None, output_option("Per-row figures JSONL; default PRED.reader.jsonl.")
    ] = None,
    skip_bad: SkipBad = False,
) -> None:
    """What a reader reads: paragraphs off the subject, meta-talk, junk, bad headings.

    Each response is parsed as Markdown (paragraphs: blank-line-separated blocks that are not
    headings) and judged against its instruction. Prints one JSON line per row (document figures),
    then the summary; the full per-section rows go to --output (rewritten on every run), which `eval
    report` picks up.
    """
    from longwriter.llm.embeddings import choose_embedding, get_embedder
    from longwriter.text.reader import SubjectScorer

    scorer: ScorerFactory | None = None
    if embedding != NO_EMBEDDING:
        settings = embedding_settings(embedding, embedding_url, embedding_model, embedding_key)
        key = settings.get("embedding_api_key") or os.environ.get("LONGWRITER_API_KEY") or "EMPTY"
        choice = choose_embedding(
            embedding, base_url=embedding_url, model=embedding_model, api_key=key
        )
        embedder = get_embedder(choice.kind, choice.base_url, choice.model, key)
        fallback = get_embedder("hash").embed
        scorer = partial(SubjectScorer, embedder.embed, fallback=fallback, lexical=embedder.lexical)
        embedding = choice.kind
    preds, required = _selected(pred, dataset, limit, skip_bad)
    out = out or artifact(pred, "reader.jsonl")
    out.unlink(missing_ok=True)
    rows = []
    for p in preds:
        row = reader_row(p, scorer)
        rows.append(row)
        append_jsonl(out, row)
        _emit({"key": row["key"], **row["document"]})
    missing = len({t.key for t in required} - {p.task.key for p in preds}) if required else 0
    _emit(
        {
            "command": "reader",
            "pred": str(pred),
            "out": str(out),
            "embedding": embedding,
            "missing": missing,
            **summarize_reader([r["document"] for r in rows]),
        }
    )


def _parse_run(spec: str) -> tuple[str, Path]:
    label, sep, path = spec.partition("=")
    return (label, Path(path)) if sep and label else (Path(spec).stem, Path(spec))


@app.command(context_settings=_OLD_NAMES)
@_guard
def report(
    runs: Annotated[
        list[str],
        typer.Option(
            "--run", help="LABEL=PRED.jsonl (or just PRED.jsonl); repeat to compare runs."
        ),
    ],
    out: Annotated[Path, output_option("Markdown file; plots are written beside it.")] = Path(
        "report.md"
    ),
    title: str = "LongBench-Write evaluation",
    dataset: RequiredSet = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="With --dataset: only its first N rows.")
    ] = None,
    skip_bad: SkipBad = False,
) -> None:
    """Markdown report with tables and plots; several runs side by side.

    With --dataset each run is scored on all its rows; one without a prediction scores S_l 0 and
    is counted as missing (as in `eval length`).
    """
    parsed = [_parse_run(spec) for spec in runs]
    labels = [label for label, _ in parsed]
    if len(set(labels)) != len(labels):
        raise typer.BadParameter(f"run labels must differ: {', '.join(labels)}")
    if limit is not None and dataset is None:
        raise typer.BadParameter("--limit needs --dataset")
    required = _tasks(dataset, skip_bad, limit) if dataset is not None else None
    results = [
        load_run(label, path, skip_bad=skip_bad, required=required) for label, path in parsed
    ]
    build_report(results, out, title=title)
    _emit(
        {
            "command": "report",
            "report": str(out),
            "runs": {
                r.label: {
                    "S_l": r.length["S_l"],
                    "missing": r.length["missing"],
                    "S_q": r.quality["S_q"] if r.quality else None,
                    "S": r.quality["S"] if r.quality else None,
                    "mean_nll": r.nll["mean_nll"] if r.nll else None,
                }
                for r in results
            },
        }
    )
