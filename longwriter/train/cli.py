"""``longwriter train ...``: SFT (token-averaged loss), DPO preference pairs, DPO.

Needs the ``train`` extra (TRL, transformers, datasets, peft, accelerate), imported only inside the
commands. On GPUs run the same commands under ``accelerate launch`` (see docs/training.md).
Every command prints its summary as one JSON object on the last line of stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from longwriter.batch.resumable import BatchEvent
from longwriter.cli_support import (
    ApiKey,
    BaseUrl,
    JudgeApiKey,
    JudgeBaseUrl,
    JudgeModel,
    ModelName,
    guarded,
    input_option,
    old_names,
    output_option,
    setup_logging,
)
from longwriter.errors import ConfigError
from longwriter.train.common import TrainReport

app = typer.Typer(
    help="Fine-tune on long-output data: SFT with token-averaged loss, DPO pairs, DPO (TRL).",
    no_args_is_help=True,
)
_stderr = Console(stderr=True)
log = logging.getLogger(__name__)


# Options shared by the training commands (see _tune_options).
Model = Annotated[
    str,
    typer.Option(help="HF model folder, Hub id, an SFT output folder, or 'embedded' (SmolLM2)."),
]
Out = Annotated[Path, output_option("Output folder (adapter or model).")]
Full = Annotated[bool, typer.Option("--full", help="Full fine-tuning instead of LoRA.")]
LoraR = Annotated[int, typer.Option(min=1, help="LoRA rank.")]
MaxLength = Annotated[int, typer.Option(min=16, help="Longest example in tokens.")]
TooLong = Annotated[str, typer.Option(help="What to do with longer examples: drop or truncate.")]
MaxSteps = Annotated[int, typer.Option(help="Stop after N optimizer steps (-1: full epochs).")]
Epochs = Annotated[float, typer.Option(help="Training epochs (when --max-steps is -1).")]
LearningRate = Annotated[float | None, typer.Option("--lr", help="Default: per method.")]
BatchSize = Annotated[int, typer.Option(min=1, help="Examples (or packed rows) per device.")]
GradAccum = Annotated[int, typer.Option(min=1, help="Gradient accumulation steps.")]
Bf16 = Annotated[
    bool | None, typer.Option("--bf16/--no-bf16", help="Default: bf16 on a capable GPU.")
]
Checkpointing = Annotated[
    bool | None,
    typer.Option(
        "--gradient-checkpointing/--no-gradient-checkpointing", help="Default: on with CUDA."
    ),
]
Attn = Annotated[str | None, typer.Option(help="Attention kernel, e.g. flash_attention_2.")]
DeepSpeed = Annotated[str | None, typer.Option(help="DeepSpeed JSON config (passed through).")]
SaveSteps = Annotated[int, typer.Option(min=0, help="Checkpoint every N steps (0: end only).")]
Seed = Annotated[int, typer.Option(help="Random seed.")]


@app.callback()
def _setup() -> None:
    """Warnings and errors go to stderr."""
    setup_logging(_stderr)


_guard = guarded(_stderr, interrupted="interrupted", extra="train")


def _emit(summary: dict[str, Any]) -> None:
    print(json.dumps(summary, ensure_ascii=False, default=str), flush=True)


def _report_fields(report: TrainReport) -> dict[str, Any]:
    losses = report.losses
    return {
        "out": report.out_dir,
        "examples": report.examples,
        "dropped_too_long": report.dropped_too_long,
        "truncated": report.truncated,
        "steps": report.steps,
        "steps_per_second": round(report.steps_per_second, 4),
        "tokens_per_second": round(report.tokens_per_second, 1),
        "peak_rss_mb": report.peak_rss_mb,
        "peak_gpu_mb": report.peak_gpu_mb,
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "seconds": round(report.seconds, 1),
    }


def _tune_options(
    out: Out,
    model: Model = "embedded",
    full: Full = False,
    lora_r: LoraR = 16,
    max_length: MaxLength = 32768,
    too_long: TooLong = "drop",
    max_steps: MaxSteps = -1,
    epochs: Epochs = 1.0,
    lr: LearningRate = None,
    batch_size: BatchSize = 1,
    grad_accum: GradAccum = 1,
    bf16: Bf16 = None,
    gradient_checkpointing: Checkpointing = None,
    attn_implementation: Attn = None,
    deepspeed: DeepSpeed = None,
    save_steps: SaveSteps = 0,
    seed: Seed = 0,
) -> dict[str, Any]:
    """The options of every training command, as TuneOptions fields (``--lr`` is the learning
    rate; LoRA alpha = 2 x rank)."""
    fields = dict(locals())
    fields["learning_rate"] = fields.pop("lr")
    return {**fields, "lora_alpha": 2 * lora_r}


def _training_command(run: Callable[..., TrainReport]) -> Callable[..., None]:
    """A training command: the options of ``run`` followed by those of :func:`_tune_options`.

    ``run`` gets its own options and ``tune`` (the TuneOptions fields) and returns the report; the
    command prints its summary. Typer reads the merged ``__signature__``.
    """
    own = inspect.signature(run, eval_str=True).parameters
    shared = inspect.signature(_tune_options, eval_str=True).parameters

    @functools.wraps(run)
    def command(**options: Any) -> None:
        tune = _tune_options(**{name: options.pop(name) for name in shared})
        with contextlib.redirect_stdout(sys.stderr):  # the Trainer prints its logs to stdout
            report = run(tune=tune, **options)
        _emit(_report_fields(report))

    params = [p for name, p in own.items() if name != "tune"] + list(shared.values())
    keyword_only = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params]
    signature = inspect.Signature(keyword_only, return_annotation=None)
    command.__signature__ = signature  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in keyword_only} | {"return": None}
    return command


@app.command(context_settings=old_names(data="input", out="output"))
@_guard
@_training_command
def sft(
    data: Annotated[Path, input_option("Training JSONL (`dataset build` output).")],
    tune: dict[str, Any],
    mix: Annotated[Path | None, typer.Option(help="General chat data to mix in.")] = None,
    mix_ratio: Annotated[
        float, typer.Option(min=0.0, max=0.99, help="Share of general examples in the mix.")
    ] = 0.5,
    packing: Annotated[bool, typer.Option("--packing/--no-packing")] = True,
) -> TrainReport:
    """Supervised fine-tuning; the loss is averaged over all target tokens of each batch."""
    from longwriter.train.sft import SFTOptions, run_sft

    mixed = mix_ratio if mix else 0.0
    return run_sft(SFTOptions(data=data, mix=mix, mix_ratio=mixed, packing=packing, **tune))


@app.command(context_settings=old_names(pairs="input", out="output"))
@_guard
@_training_command
def dpo(
    pairs: Annotated[Path, input_option("Preference JSONL (`train dpo-pairs` output).")],
    tune: dict[str, Any],
    beta: Annotated[float, typer.Option(help="DPO beta (deviation from the reference).")] = 0.1,
    sft_weight: Annotated[
        float, typer.Option(min=0.0, help="Add an NLL loss on the chosen answers.")
    ] = 0.0,
) -> TrainReport:
    """DPO on preference pairs (LoRA: the reference is the model with the adapter off)."""
    from longwriter.train.dpo import DPOOptions, run_dpo

    return run_dpo(DPOOptions(pairs=pairs, beta=beta, sft_weight=sft_weight, **tune))


@app.command("dpo-pairs", context_settings=old_names(instructions="input", out="output"))
@_guard
def dpo_pairs(
    instructions: Annotated[Path, input_option("JSONL rows with 'prompt' (+ 'length').")],
    out: Annotated[Path, output_option("Pairs JSONL to write.")],
    samples: Annotated[int, typer.Option(min=2, help="Outputs sampled per instruction.")] = 4,
    mode: Annotated[
        str, typer.Option(help="direct (one call, the model under training) or agent.")
    ] = "direct",
    margin: Annotated[
        float, typer.Option(min=0.0, help="Minimum score gap (0-100) between chosen and rejected.")
    ] = 10.0,
    base_url: BaseUrl = None,
    model: ModelName = None,
    api_key: ApiKey = "EMPTY",
    temperature: float = 0.8,
    top_p: float = 0.95,
    max_tokens: Annotated[
        int | None, typer.Option(help="Direct mode budget; default: the context window.")
    ] = None,
    judge_base_url: JudgeBaseUrl = None,
    judge_model: JudgeModel = None,
    judge_api_key: JudgeApiKey = "EMPTY",
    concurrency: Annotated[int, typer.Option(min=1, help="Instructions in flight at once.")] = 1,
) -> None:
    """Sample outputs per instruction, rank by S_l (+ S_q with a judge), keep clear pairs.

    The sampled model is the embedded one unless --base-url names one; with --judge-base-url the
    judge's quality S_q joins the ranking."""
    if mode not in ("direct", "agent"):
        raise ConfigError("--mode must be 'direct' or 'agent'")
    from longwriter.data.build import load_instructions
    from longwriter.train.pairs import build_pairs

    loaded = load_instructions(instructions)
    _stderr.print(f"{instructions}: {loaded.describe()}", markup=False, highlight=False)
    sample, quality = _samplers(
        mode, base_url, model, api_key, temperature, top_p, max_tokens,
        judge_base_url, judge_model, judge_api_key,
    )  # fmt: skip
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=_stderr) as bar:
        task_id = bar.add_task("instructions", total=None)

        def progress(event: BatchEvent) -> None:
            done = event.done + event.failed
            bar.update(task_id, total=event.total - event.skipped, completed=done)

        summary, counts = asyncio.run(
            build_pairs(
                loaded.instructions,
                out,
                sample=sample,
                samples=samples,
                quality=quality,
                margin=margin,
                concurrency=concurrency,
                progress=progress,
            )
        )
    _emit(
        {
            "out": str(out),
            "instructions": len(loaded.instructions),
            "sampled": summary.done,
            "already_sampled": summary.skipped,
            "failed": summary.failed,
            "errors": [{"key": k, "error": e} for k, e in summary.errors[:10]],
            "pairs": counts.pairs,
            "no_clear_margin": counts.no_margin,
            "judge": bool(quality),
            "seconds": round(summary.seconds, 1),
        }
    )


def _samplers(
    mode: str,
    base_url: str | None,
    model: str | None,
    api_key: str,
    temperature: float,
    top_p: float,
    max_tokens: int | None,
    judge_base_url: str | None,
    judge_model: str | None,
    judge_api_key: str,
) -> tuple[Any, Any]:
    """The sampling function (eval's prediction runner) and the optional judge."""
    from longwriter.data.build import Instruction
    from longwriter.eval.judge import Judge, JudgeConfig
    from longwriter.eval.rows import Prediction, Task
    from longwriter.eval.runner import RunConfig, predict
    from longwriter.llm import check_endpoint, resolve_endpoint
    from longwriter.llm.local_server import EMBEDDED_CONTEXT
    from longwriter.text import parse_target_words
    from longwriter.train.pairs import judge_quality

    endpoint = resolve_endpoint(base_url, model, api_key)
    cfg = RunConfig(
        mode="agent" if mode == "agent" else "direct",
        endpoint=endpoint,
        context_window=check_endpoint(endpoint) or EMBEDDED_CONTEXT,
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        give_length=True,
    )

    def task_of(item: Instruction) -> Task:
        target = item.length or parse_target_words(item.prompt) or 0
        return Task(item.key, item.prompt, target, None, {})

    async def sample(item: Instruction, _index: int) -> str:
        return str((await predict(task_of(item), cfg))["response"])

    if not judge_base_url:
        return sample, None
    judge_endpoint = resolve_endpoint(judge_base_url, judge_model, judge_api_key)
    judge = Judge(JudgeConfig(judge_endpoint, context_window=check_endpoint(judge_endpoint)))

    async def quality(item: Instruction, text: str) -> float | None:
        row = await judge.judge(Prediction(task_of(item), text, {}))
        return judge_quality(row.get("scores"))

    return sample, quality


@app.command(context_settings=old_names(folder="out-dir"))
@_guard
def smoke(
    folder: Annotated[
        Path, typer.Option("--out-dir", help="Where the toy data and outputs go.")
    ] = Path("runs/smoke"),
    model: Model = "embedded",
    sft_steps: Annotated[int, typer.Option(min=1)] = 4,
    dpo_steps: Annotated[int, typer.Option(min=0)] = 2,
) -> None:
    """A few SFT and DPO steps on a toy dataset, then reload and generate (checks the setup)."""
    from longwriter.train.smoke import losses_ok, run_smoke

    with contextlib.redirect_stdout(sys.stderr):
        result = run_smoke(folder, model=model, sft_steps=sft_steps, dpo_steps=dpo_steps)
    summary = result.summary()
    summary["losses_fall"] = losses_ok(result.sft) and (result.dpo is None or losses_ok(result.dpo))
    _emit(summary)
