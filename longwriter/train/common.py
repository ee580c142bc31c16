"""Pieces shared by SFT and DPO: model resolution and loading, LoRA, run settings, metrics, and
the run itself (load, fit to length, train, save, report).

torch, transformers and peft are imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import logging
import re
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from longwriter.agent.context import home_dir
from longwriter.errors import ConfigError
from longwriter.files import save_json
from longwriter.train.examples import Example, Message, fit_to_length

if TYPE_CHECKING:
    from peft import LoraConfig
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback

log = logging.getLogger(__name__)

EMBEDDED = "embedded"
_HUB_ID_RE = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
SUMMARY_FILE = "longwriter_train.json"


def embedded_model_dir() -> Path:
    """Where the bundled SmolLM2, converted to Hugging Face format, is cached."""
    return home_dir() / "models" / "smollm2-hf"


def resolve_model(spec: str) -> str:
    """A loadable model reference for ``--model``: a local folder, a Hub id, or ``embedded``.

    ``embedded`` converts the bundled SmolLM2 GGUF once (the same conversion the vLLM path uses). A
    path that does not exist, or a folder with neither ``config.json`` nor ``adapter_config.json``,
    is a :class:`ConfigError`.
    """
    if spec == EMBEDDED:
        from longwriter.llm.convert import bundled_gguf_path, convert_gguf_to_hf

        try:
            return str(convert_gguf_to_hf(bundled_gguf_path(), embedded_model_dir()))
        except (FileNotFoundError, FileExistsError) as exc:
            raise ConfigError(f"cannot prepare the embedded model: {exc}") from None
    path = Path(spec).expanduser()
    if path.exists():
        if not ((path / "config.json").is_file() or (path / "adapter_config.json").is_file()):
            raise ConfigError(
                f"{path} is not a Hugging Face model folder (no config.json or adapter_config.json)"
            )
        return str(path)
    if _HUB_ID_RE.fullmatch(spec) and not spec.startswith("."):
        return spec  # a Hub id; transformers resolves it (or fails offline with its own message)
    raise ConfigError(
        f"model path does not exist: {path} (give a Hugging Face model folder, a Hub id, "
        f"or '{EMBEDDED}' for the bundled SmolLM2)"
    )


def wants_bf16(flag: bool | None) -> bool:
    """bf16 when asked, or by default on a GPU that supports it; float32 on CPU."""
    if flag is not None:
        return flag
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def load_model_and_tokenizer(
    spec: str, *, bf16: bool, attn_implementation: str | None = None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer; a LoRA output folder is loaded onto its base and merged.

    The tokenizer must carry a chat template: training examples are formatted with it.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ref = resolve_model(spec)
    dtype = torch.bfloat16 if bf16 else torch.float32
    kwargs: dict[str, Any] = {"dtype": dtype}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    try:
        if (Path(ref) / "adapter_config.json").is_file():
            from peft import AutoPeftModelForCausalLM

            model = AutoPeftModelForCausalLM.from_pretrained(ref, **kwargs).merge_and_unload()
        else:
            model = AutoModelForCausalLM.from_pretrained(ref, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(ref)
    except OSError as exc:
        raise ConfigError(f"cannot load model {spec!r}: {exc}") from None
    if not tokenizer.chat_template:
        raise ConfigError(f"the tokenizer of {spec!r} has no chat template")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


@dataclass
class TuneOptions:
    """Settings common to SFT and DPO runs (each maps onto a TrainingArguments field or LoRA)."""

    model: str = EMBEDDED
    out: Path = Path("runs/out")
    full: bool = False
    """Full fine-tuning instead of LoRA."""
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    max_length: int = 32768
    too_long: str = "drop"
    """``drop`` or ``truncate`` examples longer than ``max_length`` tokens (counted in the log)."""
    learning_rate: float | None = None
    """None: a default that depends on the method and on LoRA vs full."""
    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 1
    grad_accum: int = 1
    seed: int = 0
    bf16: bool | None = None
    """None: bf16 on a GPU that supports it, float32 elsewhere."""
    gradient_checkpointing: bool | None = None
    """None: on when CUDA is available, off on CPU."""
    attn_implementation: str | None = None
    """e.g. ``flash_attention_2`` or ``sdpa``; None lets transformers choose."""
    deepspeed: str | None = None
    """A DeepSpeed JSON config, passed through to TrainingArguments."""
    logging_steps: int = 1
    save_steps: int = 0
    """Checkpoint every N steps (0: only the final save)."""

    def __post_init__(self) -> None:
        if self.too_long not in ("drop", "truncate"):
            raise ConfigError(f"too_long must be 'drop' or 'truncate', got {self.too_long!r}")
        if self.max_length < 16:
            raise ConfigError(f"max_length must be at least 16 tokens, got {self.max_length}")

    def training_arguments(self, *, lora_lr: float, full_lr: float) -> dict[str, Any]:
        """Keyword arguments for a TRL config (SFTConfig, DPOConfig); the learning rate defaults to
        the method's ``lora_lr`` or ``full_lr``."""
        import torch

        bf16 = wants_bf16(self.bf16)
        checkpointing = self.gradient_checkpointing
        if checkpointing is None:
            checkpointing = torch.cuda.is_available()
        return {
            "output_dir": str(self.out),
            "learning_rate": self.learning_rate or (full_lr if self.full else lora_lr),
            "max_length": self.max_length,
            "num_train_epochs": self.epochs,
            "max_steps": self.max_steps,
            "per_device_train_batch_size": self.batch_size,
            "gradient_accumulation_steps": self.grad_accum,
            "seed": self.seed,
            "bf16": bf16,
            "activation_checkpointing": checkpointing,
            "deepspeed": self.deepspeed,
            "logging_steps": self.logging_steps,
            "save_strategy": "steps" if self.save_steps else "no",
            "save_steps": self.save_steps or 500,
            "report_to": "none",
            "use_cpu": not torch.cuda.is_available(),
            "dataloader_num_workers": 0,
        }

    def lora_config(self) -> LoraConfig | None:
        """The LoRA adapter (all linear layers of the decoder), or None for full fine-tuning."""
        if self.full:
            return None
        from peft import LoraConfig

        return LoraConfig(
            r=self.lora_r,
            lora_alpha=self.lora_alpha,
            lora_dropout=self.lora_dropout,
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


@dataclass
class TrainReport:
    """Figures of a finished run; saved as ``longwriter_train.json`` in the output folder."""

    method: str
    model: str
    out_dir: str
    examples: int
    dropped_too_long: int
    truncated: int
    steps: int = 0
    seconds: float = 0.0
    steps_per_second: float = 0.0
    tokens_per_second: float = 0.0
    peak_rss_mb: float = 0.0
    peak_gpu_mb: float | None = None
    losses: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def save(self) -> Path:
        """Write the report beside the saved weights."""
        return save_json(Path(self.out_dir) / SUMMARY_FILE, asdict(self))


def metrics_callback(report: TrainReport) -> TrainerCallback:
    """A Trainer callback that fills ``report`` with the logged losses, step count and timing."""
    from transformers import TrainerCallback

    class _Metrics(TrainerCallback):
        started = 0.0
        tokens = 0.0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.started = time.perf_counter()

        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any
        ) -> None:
            if logs and "loss" in logs:
                report.losses.append(float(logs["loss"]))
            if logs and "num_tokens" in logs:  # TRL's running count of trained tokens
                self.tokens = float(logs["num_tokens"])

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            report.seconds = time.perf_counter() - self.started
            report.steps = int(state.global_step)
            report.steps_per_second = report.steps / report.seconds if report.seconds else 0.0
            report.tokens_per_second = self.tokens / report.seconds if report.seconds else 0.0

    return _Metrics()


def finish_report(report: TrainReport) -> None:
    """Fill in peak memory figures."""
    import torch

    report.peak_rss_mb = round(peak_rss_mb(), 1)
    if torch.cuda.is_available():
        report.peak_gpu_mb = round(torch.cuda.max_memory_allocated() / 2**20, 1)


def trainer_inputs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: list[Example],
    options: TuneOptions,
    callbacks: list[TrainerCallback] | None,
) -> dict[str, Any]:
    """What TRL's trainers take alike: model, data, tokenizer, LoRA (or none) and callbacks."""
    from datasets import Dataset

    return {
        "model": model,
        "train_dataset": Dataset.from_list(examples),
        "processing_class": tokenizer,
        "peft_config": options.lora_config(),
        "callbacks": callbacks,
    }


def save_trained(trainer: Any, tokenizer: PreTrainedTokenizerBase, out: Path) -> None:
    """Save the adapter (LoRA) or the full model, and the tokenizer with its chat template."""
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))


OptionsT = TypeVar("OptionsT", bound=TuneOptions)


def run_training(
    method: str,
    options: OptionsT,
    examples: list[Example],
    conversations: Callable[[Example], list[list[Message]]],
    build_trainer: Callable[
        [PreTrainedModel, PreTrainedTokenizerBase, list[Example], OptionsT, list[TrainerCallback]],
        Any,
    ],
    extra: dict[str, Any],
    callbacks: list[TrainerCallback] | None = None,
) -> TrainReport:
    """Load the model, fit ``examples`` to ``max_length``, train, and save the adapter (or full
    model), tokenizer and report into ``options.out``.

    ``conversations`` lists an example's full conversations (the longest must fit);
    ``build_trainer`` makes the TRL trainer; ``extra`` joins the report's ``extra`` figures.
    """
    model, tokenizer = load_model_and_tokenizer(
        options.model,
        bf16=wants_bf16(options.bf16),
        attn_implementation=options.attn_implementation,
    )
    fit = fit_to_length(examples, tokenizer, options.max_length, options.too_long, conversations)
    report = TrainReport(
        method=method,
        model=options.model,
        out_dir=str(options.out),
        examples=len(fit.examples),
        dropped_too_long=fit.dropped,
        truncated=fit.truncated,
        extra={"lora": not options.full, **extra, "longest_tokens": fit.longest},
    )
    trainer = build_trainer(
        model, tokenizer, fit.examples, options, [metrics_callback(report), *(callbacks or [])]
    )
    trainer.train()
    save_trained(trainer, tokenizer, options.out)
    finish_report(report)
    report.save()
    return report
