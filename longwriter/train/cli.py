"""``longwriter train ...``: SFT (token-averaged loss), DPO preference pairs, DPO.

Needs the ``train`` extra (TRL, transformers, datasets, peft, accelerate), imported only inside the
commands. On GPUs run the same commands under ``accelerate launch`` (see docs/training.md).
Every command prints its summary as one JSON object on the last line of stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from longwriter.batch.resumable import BatchEvent
from longwriter.cli_support import (
    CommandGroup,
    EndpointOptions,
    InstructionsFile,
    JudgeOptions,
    Temperature,
    TopP,
    emit,
    input_option,
    output_option,
    stderr,
    with_options,
)
from longwriter.data.cli import read_instructions
from longwriter.errors import ConfigError
from longwriter.train.common import TrainReport

if TYPE_CHECKING:
    from longwriter.data.build import Instruction
    from longwriter.eval.rows import Task

commands = CommandGroup(
    "Fine-tune on long-output data: SFT with token-averaged loss, DPO pairs, DPO (TRL).",
    interrupted="interrupted",
    extra="train",
)
app = commands.app

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


def _training_command(
    old_input: str,
) -> Callable[[Callable[..., TrainReport]], Callable[..., None]]:
    """Register a training command: the options of ``run``, then those of :func:`_tune_options`,
    which ``run`` gets as ``tune`` (the TuneOptions fields); ``--OLD_INPUT`` and ``--out`` still
    read as -i and -o. The command prints the report's summary."""

    def register(run: Callable[..., TrainReport]) -> Callable[..., None]:
        @functools.wraps(run)
        def command(**options: Any) -> None:
            with contextlib.redirect_stdout(sys.stderr):  # the Trainer prints its logs to stdout
                report = run(**options)
            emit(_report_fields(report))

        shared = with_options(tune=_tune_options)(command)
        return commands.command(**{old_input: "input", "out": "output"})(shared)

    return register


@_training_command("data")
def sft(
    data: Annotated[Path, input_option("Training JSONL (`dataset build` output).")],
    mix: Annotated[Path | None, typer.Option(help="General chat data to mix in.")] = None,
    mix_ratio: Annotated[
        float, typer.Option(min=0.0, max=0.99, help="Share of general examples in the mix.")
    ] = 0.5,
    packing: Annotated[bool, typer.Option("--packing/--no-packing")] = True,
    *,
    tune: dict[str, Any],
) -> TrainReport:
    """Supervised fine-tuning; the loss is averaged over all target tokens of each batch."""
    from longwriter.train.sft import SFTOptions, run_sft

    mixed = mix_ratio if mix else 0.0
    return run_sft(SFTOptions(data=data, mix=mix, mix_ratio=mixed, packing=packing, **tune))


@_training_command("pairs")
def dpo(
    pairs: Annotated[Path, input_option("Preference JSONL (`train dpo-pairs` output).")],
    beta: Annotated[float, typer.Option(help="DPO beta (deviation from the reference).")] = 0.1,
    sft_weight: Annotated[
        float, typer.Option(min=0.0, help="Add an NLL loss on the chosen answers.")
    ] = 0.0,
    *,
    tune: dict[str, Any],
) -> TrainReport:
    """DPO on preference pairs (LoRA: the reference is the model with the adapter off)."""
    from longwriter.train.dpo import DPOOptions, run_dpo

    return run_dpo(DPOOptions(pairs=pairs, beta=beta, sft_weight=sft_weight, **tune))


PAIR_TEMPERATURE = 0.8
PAIR_TOP_P = 0.95
"""``dpo-pairs`` samples warmer and wider than the writer: the outputs of one instruction must
differ for a ranking to find a clear pair."""


@commands.command("dpo-pairs", instructions="input", out="output")
@with_options(endpoint=EndpointOptions, judge=JudgeOptions)
def dpo_pairs(
    *,
    instructions: InstructionsFile,
    out: Annotated[Path, output_option("Pairs JSONL to write.")],
    samples: Annotated[int, typer.Option(min=2, help="Outputs sampled per instruction.")] = 4,
    mode: Annotated[
        str, typer.Option(help="direct (one call, the model under training) or agent.")
    ] = "direct",
    margin: Annotated[
        float, typer.Option(min=0.0, help="Minimum score gap (0-100) between chosen and rejected.")
    ] = 10.0,
    endpoint: EndpointOptions,
    temperature: Temperature = PAIR_TEMPERATURE,
    top_p: TopP = PAIR_TOP_P,
    max_tokens: Annotated[
        int | None, typer.Option(help="Direct mode budget; default: the context window.")
    ] = None,
    judge: JudgeOptions,
    concurrency: Annotated[int, typer.Option(min=1, help="Instructions in flight at once.")] = 1,
) -> None:
    """Sample outputs per instruction, rank by S_l (+ S_q with a judge), keep clear pairs.

    The sampled model is the embedded one unless --base-url names one; with --judge-base-url the
    judge's quality S_q joins the ranking."""
    from longwriter.train.pairs import build_pairs

    if mode not in ("direct", "agent"):
        raise ConfigError("--mode must be 'direct' or 'agent'")
    loaded = read_instructions(instructions)
    sample = _sampler(mode, endpoint, temperature, top_p, max_tokens)
    quality = _judged(judge)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=stderr) as bar:
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
    emit(
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


def _task(item: Instruction) -> Task:
    """The eval task of an instruction (its target: the given length, else the prompt's)."""
    from longwriter.eval.rows import Task
    from longwriter.text import parse_target_words

    target = item.length or parse_target_words(item.prompt) or 0
    return Task(item.key, item.prompt, target, None, {})


def _sampler(
    mode: str, endpoint: EndpointOptions, temperature: float, top_p: float, max_tokens: int | None
) -> Any:
    """The sampling function: eval's prediction runner on the endpoint."""
    from longwriter.eval.runner import RunConfig, predict
    from longwriter.llm import check_endpoint, resolve_endpoint
    from longwriter.llm.local_server import EMBEDDED_CONTEXT

    resolved = resolve_endpoint(endpoint.base_url, endpoint.model, endpoint.api_key)
    cfg = RunConfig(
        mode="agent" if mode == "agent" else "direct",
        endpoint=resolved,
        context_window=check_endpoint(resolved) or EMBEDDED_CONTEXT,
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        give_length=True,
    )

    async def sample(item: Instruction, _index: int) -> str:
        return str((await predict(_task(item), cfg))["response"])

    return sample


def _judged(judge: JudgeOptions) -> Any:
    """The quality of a sample by the judge, or None without ``--judge-base-url``."""
    from longwriter.eval.judge import Judge, JudgeConfig
    from longwriter.eval.rows import Prediction
    from longwriter.llm import check_endpoint, resolve_endpoint
    from longwriter.train.pairs import judge_quality

    if not judge.judge_base_url:
        return None
    endpoint = resolve_endpoint(judge.judge_base_url, judge.judge_model, judge.judge_api_key)
    judging = Judge(JudgeConfig(endpoint, context_window=check_endpoint(endpoint)))

    async def quality(item: Instruction, text: str) -> float | None:
        row = await judging.judge(Prediction(_task(item), text, {}))
        return judge_quality(row.get("scores"))

    return quality


@commands.command(folder="out-dir")
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
    emit(summary)
