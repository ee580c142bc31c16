"""``longwriter eval ...``: LongBench-Write runner, S_l, S_q, ruler, cumulative NLL and reports.

Progress goes to stderr; every command prints its summary as one JSON object on the last line of
stdout.

A row that ``eval run`` fails on is not written to the prediction file, so a rerun retries it. The
dataset says which rows are required: ``eval run`` (and ``length``, ``quality`` and ``report`` given
``--dataset``) scores a required row without a prediction as S_l 0 and counts it as ``missing``, as
LongBench-Write does for an empty response, so failures cannot raise the mean.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from longwriter.cli_support import (
    ApiKey,
    BaseUrl,
    CheckpointOptions,
    CommandGroup,
    EmbeddingKey,
    EmbeddingModel,
    EmbeddingUrl,
    EndpointOptions,
    JudgeOptions,
    SamplingOptions,
    emit,
    input_option,
    output_option,
    with_options,
)
from longwriter.errors import ConfigError
from longwriter.eval import judge as judging
from longwriter.eval import nll as nll_mod
from longwriter.eval.cli_helpers import (
    OLD_NAMES,
    AgentOptions,
    Backend,
    Concurrency,
    ExtraBody,
    Limit,
    Mode,
    PredPath,
    RequiredSet,
    SkipBad,
    Window,
    agent_options,
    batch_fields,
    csv_ints,
    make_scorer,
    model_window,
    parse_run,
    per_prediction,
    predict,
    required_tasks,
    run_config,
    scored,
    selected,
    subject_scorer,
)
from longwriter.eval.length import plot_points, score_rows, summarize_length
from longwriter.eval.plots import plot_length, plot_nll
from longwriter.eval.reader import reader_row, summarize_reader
from longwriter.eval.report import artifact, build_report, load_run
from longwriter.eval.rows import Prediction
from longwriter.eval.ruler import RULER_LANGUAGES, RULER_LENGTHS, ruler_tasks, summarize_ruler
from longwriter.files import save_json
from longwriter.jsonl import append_jsonl, save_jsonl
from longwriter.llm import resolve_endpoint

commands = CommandGroup(
    "LongBench-Write evaluation: predictions (agent or direct), length score S_l, LLM-judged "
    "quality S_q, a length ruler, cumulative NLL and Markdown reports.",
    interrupted="interrupted: finished rows are saved; rerun the same command to resume",
)
app = commands.app


@commands.command(dataset="input", out="output")
@with_options(endpoint=EndpointOptions, sampling=SamplingOptions, checkpointing=CheckpointOptions)
def run(
    *,
    dataset: Annotated[
        Path, input_option("LongBench-Write JSONL: prompt, length and an optional type.")
    ],
    out: Annotated[Path, output_option("Prediction JSONL; rows already there are skipped.")],
    mode: Annotated[
        Mode, typer.Option(help="agent (AgentWrite pipeline) or direct (one call).")
    ] = Mode.agent,
    concurrency: Concurrency = 1,
    limit: Limit = None,
    endpoint: EndpointOptions,
    context_window: Window = None,
    sampling: SamplingOptions,
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
    checkpointing: CheckpointOptions,
) -> None:
    """Produce predictions for a dataset (resumable: rerun to continue).

    A row that fails is not written, so a rerun retries it (in agent mode from its checkpoint, where
    it stopped). Until it has a prediction it scores S_l 0 and counts as 'missing' in the summary
    (and in `eval length --dataset`).
    """
    if mode is Mode.direct:
        agent_only = {
            **checkpointing.given(),
            "--give-length": give_length,
            "--agent-option": agent_option,
        }
        given = [name for name, value in agent_only.items() if value]
        if given:
            raise ConfigError(f"{', '.join(given)}: only with --mode agent")
    tasks = required_tasks(dataset, skip_bad, limit)
    options = agent_options(agent_option, endpoint, sampling, extra_body)
    keep = checkpointing.settings()
    resolved = resolve_endpoint(endpoint.base_url, endpoint.model, endpoint.api_key)
    cfg = run_config(
        mode,
        resolved,
        context_window,
        sampling,
        options,
        extra_body,
        max_tokens=max_tokens,
        give_length=give_length,
    )
    emit(
        {
            "command": "run",
            "mode": mode.value,
            "model": resolved.model,
            "out": str(out),
            **predict(tasks, [(cfg, out)], concurrency, keep)[0],
        }
    )


@commands.command(**OLD_NAMES)
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
    preds, required = selected(pred, dataset, limit, skip_bad)
    rows = score_rows(preds, required)
    summary = summarize_length(rows)
    if plot:
        plot_length({pred.stem: plot_points(rows)}, plot)
        summary["plot"] = str(plot)
    emit({"command": "length", "pred": str(pred), **summary})


@commands.command(**OLD_NAMES)
@with_options(judge=JudgeOptions)
def quality(
    *,
    pred: PredPath,
    judge: JudgeOptions,
    out: Annotated[
        Path | None, output_option("Judge rows (resumable); default: PRED.judge.jsonl.")
    ] = None,
    attempts: Annotated[
        int, typer.Option(min=1, max=10, help="Judge calls per row before recording a failure.")
    ] = judging.JudgeConfig.attempts,
    temperature: Annotated[
        float, typer.Option(help="Sampling temperature of the judge.")
    ] = judging.JudgeConfig.temperature,
    judge_context_window: Window = None,
    json_schema: Annotated[
        bool,
        typer.Option(help="Ask for schema-constrained JSON (falls back automatically if refused)."),
    ] = judging.JudgeConfig.json_schema,
    timeout: Annotated[
        float, typer.Option(help="Seconds per judge call.")
    ] = judging.JudgeConfig.timeout,
    concurrency: Concurrency = 1,
    dataset: RequiredSet = None,
    limit: Limit = None,
    skip_bad: SkipBad = False,
) -> None:
    """Quality score S_q with an LLM judge (six dimensions, 1-5 each), and S = (S_l + S_q) / 2.

    The judge is the embedded model unless --judge-base-url names one. S_q is over the judged
    rows; S_l, as in `eval length`, counts missing dataset rows as 0.
    """
    preds, required = selected(pred, dataset, limit, skip_bad)
    out = out or artifact(pred, "judge.jsonl")
    endpoint = resolve_endpoint(judge.judge_base_url, judge.judge_model, judge.judge_api_key)
    window = model_window(endpoint, judge_context_window, "--judge-context-window")
    judge_config = judging.JudgeConfig(
        endpoint=endpoint,
        temperature=temperature,
        attempts=attempts,
        timeout=timeout,
        context_window=window,
        json_schema=json_schema,
    )
    batch, judged = per_prediction(
        preds, judging.Judge(judge_config).judge, out, "judging", concurrency
    )
    length = summarize_length(score_rows(preds, required))
    summary = judging.summarize_quality(judged, length["S_l"])
    summary["missing"] = length["missing"]
    summary["judge_errors"] = [
        {"key": r["key"], "error": r["error"]} for r in judged if r.get("error")
    ][:20]
    emit(
        {
            "command": "quality",
            "pred": str(pred),
            "out": str(out),
            "judge_model": endpoint.model,
            "batch": batch_fields(batch),
            **summary,
        }
    )


@commands.command()
@with_options(endpoint=EndpointOptions, sampling=SamplingOptions)
def ruler(
    *,
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
    endpoint: EndpointOptions,
    context_window: Window = None,
    sampling: SamplingOptions,
    agent_option: AgentOptions = None,
    extra_body: ExtraBody = None,
) -> None:
    """Length ruler: our prompts at 1k-30k words (en, zh); produced vs required words per mode."""
    modes = modes or [Mode.agent, Mode.direct]
    languages = languages or list(RULER_LANGUAGES)
    bad = [lang for lang in languages if lang not in RULER_LANGUAGES]
    if bad:
        raise typer.BadParameter(f"unknown language(s) {', '.join(bad)}: use en and/or zh")
    tasks = ruler_tasks(csv_ints(lengths), languages, topics)
    options = agent_options(agent_option, endpoint, sampling, extra_body)
    dataset = out_dir / "ruler.jsonl"
    save_jsonl(dataset, (task.fields for task in tasks))
    if dataset_only:
        emit({"command": "ruler", "dataset": str(dataset), "rows": len(tasks)})
        return
    resolved = resolve_endpoint(endpoint.base_url, endpoint.model, endpoint.api_key)
    jobs = [
        (
            run_config(mode, resolved, context_window, sampling, options, extra_body),
            out_dir / f"ruler_{mode.value}.jsonl",
        )
        for mode in dict.fromkeys(modes)
    ]
    results: dict[str, Any] = {}
    points: dict[str, list[tuple[int, int]]] = {}
    for (cfg, out), batch in zip(jobs, predict(tasks, jobs, concurrency), strict=True):
        rows = scored(out, tasks)
        results[cfg.mode] = {
            "S_l": batch["S_l"],
            "failed": batch["failed"],
            "missing": batch["missing"],
            "by_length": summarize_ruler(rows),
        }
        points[cfg.mode] = plot_points(rows)
    plot = plot_length(points, out_dir / "ruler.png", title="Length ruler: produced vs required")
    emit(
        {
            "command": "ruler",
            "dataset": str(dataset),
            "model": resolved.model,
            "plot": str(plot),
            "modes": results,
        }
    )


@commands.command(**OLD_NAMES)
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
    preds, _ = selected(pred, None, limit, skip_bad)
    out = out or artifact(pred, "nll.jsonl")
    series = series or artifact(pred, "nll.json")
    plot = plot or artifact(pred, "nll.png")
    chosen = backend or (Backend.vllm if base_url else Backend.llamacpp)
    scorer = make_scorer(chosen, model, base_url, api_key, context_window)

    async def work(p: Prediction) -> dict[str, Any]:
        return await asyncio.to_thread(
            nll_mod.nll_row, scorer, p.task.prompt, p.response, with_prompt=with_prompt
        )

    batch, rows = per_prediction(preds, work, out, "scoring")
    curve = nll_mod.cumulative_series([r["nll"] for r in rows])
    save_json(series, {"scorer": scorer.name, **curve}, indent=None)
    plot_nll({pred.stem: curve}, plot)
    files = {"out": str(out), "series": str(series), "plot": str(plot)}
    summary = {"batch": batch_fields(batch), **nll_mod.summarize_nll(rows)}
    emit({"command": "nll", "pred": str(pred), "scorer": scorer.name, **files, **summary})


@commands.command(**OLD_NAMES)
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
    scorer, embedding = subject_scorer(embedding, embedding_url, embedding_model, embedding_key)
    preds, required = selected(pred, dataset, limit, skip_bad)
    out = out or artifact(pred, "reader.jsonl")
    out.unlink(missing_ok=True)
    rows = []
    for p in preds:
        row = reader_row(p, scorer)
        rows.append(row)
        append_jsonl(out, row)
        emit({"key": row["key"], **row["document"]})
    missing = len({t.key for t in required} - {p.task.key for p in preds}) if required else 0
    emit(
        {
            "command": "reader",
            "pred": str(pred),
            "out": str(out),
            "embedding": embedding,
            "missing": missing,
            **summarize_reader([r["document"] for r in rows]),
        }
    )


@commands.command(**OLD_NAMES)
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
    parsed = [parse_run(spec) for spec in runs]
    labels = [label for label, _ in parsed]
    if len(set(labels)) != len(labels):
        raise typer.BadParameter(f"run labels must differ: {', '.join(labels)}")
    if limit is not None and dataset is None:
        raise typer.BadParameter("--limit needs --dataset")
    required = required_tasks(dataset, skip_bad, limit) if dataset is not None else None
    results = [
        load_run(label, path, skip_bad=skip_bad, required=required) for label, path in parsed
    ]
    build_report(results, out, title=title)
    emit(
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
