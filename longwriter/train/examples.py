"""Training examples: read chat rows, mix in general data, and fit them to the token budget.

SFT rows are ``{"messages": [..., {"role": "assistant", ...}]}`` (what ``longwriter dataset build``
writes) or ``{"prompt": str, "completion"|"response"|"output": str}``. They become TRL's
conversational prompt-completion examples, so the loss covers the final assistant turn only and the
model's own chat template formats them.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from longwriter.data.build import read_rows
from longwriter.errors import ConfigError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)

Message = dict[str, str]
Example = dict[str, Any]
_ROLES = {"system", "user", "assistant"}
_RESPONSE_FIELDS = ("completion", "response", "output")


def message_list(value: Any) -> list[Message]:
    if not isinstance(value, list) or not value:
        raise ValueError("'messages' must be a non-empty list")
    out = []
    for msg in value:
        if not isinstance(msg, dict) or msg.get("role") not in _ROLES:
            raise ValueError(f"bad message {str(msg)[:60]!r} (needs role system/user/assistant)")
        content = msg.get("content")
        if not isinstance(content, str):
            raise ValueError("message 'content' must be text")
        out.append({"role": str(msg["role"]), "content": content})
    return out


def chat_example(row: dict[str, Any]) -> Example:
    """``{"prompt": [messages], "completion": [assistant message]}`` from one input row."""
    if "messages" in row:
        messages = message_list(row["messages"])
    else:
        prompt = row.get("prompt")
        response = next((row[f] for f in _RESPONSE_FIELDS if f in row), None)
        if not isinstance(prompt, str) or not isinstance(response, str):
            raise ValueError("needs 'messages', or 'prompt' and 'completion' (or response/output)")
        messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]
    if messages[-1]["role"] != "assistant" or not messages[-1]["content"].strip():
        raise ValueError("the last message must be a non-empty assistant turn")
    if not any(m["role"] == "user" for m in messages[:-1]):
        raise ValueError("no user turn before the assistant turn")
    return {"prompt": messages[:-1], "completion": messages[-1:]}


@dataclass
class LoadedRows:
    """Usable examples of one file and the line numbers of skipped ones."""

    examples: list[Example]
    skipped: list[tuple[int, str]] = field(default_factory=list)


def read_examples(path: Path, convert: Callable[[dict[str, Any]], Example]) -> LoadedRows:
    """Read a JSONL file into examples with ``convert``; bad lines and invalid rows are skipped and
    logged with their line numbers. A missing file or one without a usable row is a ConfigError."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"training data not found: {path}")
    rows, bad_lines = read_rows(path)
    loaded = LoadedRows([])
    for lineno, row in rows:
        try:
            loaded.examples.append(convert(row))
        except ValueError as exc:
            log.warning("%s:%d: %s, skipped", path, lineno, exc)
            loaded.skipped.append((lineno, str(exc)))
    if bad_lines:
        log.warning("%s: %d lines are not JSON objects, skipped", path, bad_lines)
    if not loaded.examples:
        raise ConfigError(
            f"{path}: no usable training example ({len(loaded.skipped)} invalid rows)"
        )
    return loaded


def mix_examples(
    long: Sequence[Example], general: Sequence[Example], ratio: float, seed: int = 0
) -> list[Example]:
    """All long-output examples plus general ones so that general data make up ``ratio`` of the mix.

    LongWriter trained on LongWriter-6k mixed with general chat data (about 180k); with too few
    general rows the mix uses all of them and logs the ratio reached. The result is shuffled.
    """
    if not 0.0 <= ratio < 1.0:
        raise ConfigError(f"mix ratio must be in [0, 1), got {ratio}")
    rng = random.Random(seed)
    wanted = round(len(long) * ratio / (1.0 - ratio))
    if wanted > len(general):
        reached = len(general) / (len(general) + len(long))
        log.warning(
            "only %d general examples (wanted %d): ratio %.2f", len(general), wanted, reached
        )
        wanted = len(general)
    mixed = list(long) + rng.sample(list(general), wanted)
    rng.shuffle(mixed)
    return mixed


@dataclass
class LengthFit:
    """Outcome of :func:`fit_to_length`."""

    examples: list[Example]
    dropped: int = 0
    truncated: int = 0
    longest: int = 0


def example_tokens(tokenizer: PreTrainedTokenizerBase, messages: list[Message]) -> int:
    """Token count of a conversation rendered with the tokenizer's chat template."""
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    return len(tokenizer(str(text), add_special_tokens=False)["input_ids"])


def fit_to_length(
    examples: Sequence[Example],
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    policy: str,
    conversations: Callable[[Example], list[list[Message]]],
) -> LengthFit:
    """Drop, or keep for truncation by the trainer, the examples longer than ``max_length`` tokens.

    ``conversations`` lists the full conversations of an example (one for SFT; prompt+chosen and
    prompt+rejected for DPO); the longest one counts. The counts are logged.
    """
    fit = LengthFit([])
    for ex in examples:
        n = max(example_tokens(tokenizer, conv) for conv in conversations(ex))
        fit.longest = max(fit.longest, n)
        if n <= max_length:
            fit.examples.append(ex)
        elif policy == "truncate":
            fit.truncated += 1
            fit.examples.append(ex)
        else:
            fit.dropped += 1
    if fit.dropped:
        log.warning("dropped %d examples longer than %d tokens", fit.dropped, max_length)
    if fit.truncated:
        log.warning(
            "%d examples longer than %d tokens will be truncated", fit.truncated, max_length
        )
    if not fit.examples:
        raise ConfigError(
            f"every example is longer than max_length={max_length} tokens (longest {fit.longest}): "
            "raise --max-length or use --too-long truncate"
        )
    return fit


def sft_conversations(ex: Example) -> list[list[Message]]:
    """The one conversation of an SFT example."""
    return [ex["prompt"] + ex["completion"]]
