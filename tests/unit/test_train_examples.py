"""Training inputs: row formats, bad lines, mixing, too-long examples, model paths."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from longwriter.errors import ConfigError
from longwriter.train.common import TuneOptions, resolve_model
from longwriter.train.dpo import dpo_conversations, preference_example
from longwriter.train.examples import (
    chat_example,
    fit_to_length,
    mix_examples,
    read_examples,
    sft_conversations,
)


class WordTokenizer:
    """Duck-typed tokenizer: one token per whitespace-separated word, plus 2 per message."""

    def apply_chat_template(self, messages: list[dict[str, str]], tokenize: bool = False) -> str:
        return " ".join(f"<s> {m['content']} </s>" for m in messages)

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        return {"input_ids": list(range(len(text.split())))}


def chat(user: str, answer: str) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    }


def test_row_formats_become_prompt_completion() -> None:
    expected = {
        "prompt": [{"role": "user", "content": "q"}],
        "completion": [{"role": "assistant", "content": "a"}],
    }
    assert chat_example(chat("q", "a")) == expected
    assert chat_example({"prompt": "q", "completion": "a"}) == expected
    assert chat_example({"prompt": "q", "response": "a"}) == expected
    multi = chat_example(
        {
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "q1"},
                {"role": "assistant", "content": "a1"},
                {"role": "user", "content": "q2"},
                {"role": "assistant", "content": "a2"},
            ]
        }
    )
    assert len(multi["prompt"]) == 4 and multi["completion"][0]["content"] == "a2"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({"messages": []}, "non-empty list"),
        ({"messages": [{"role": "bot", "content": "x"}]}, "role"),
        ({"messages": [{"role": "user", "content": "q"}]}, "last message"),
        (chat("q", "   "), "last message"),
        ({"messages": [{"role": "assistant", "content": "a"}]}, "no user turn"),
        ({"text": "x"}, "needs 'messages'"),
    ],
)
def test_invalid_rows_say_why(row: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        chat_example(row)


def test_bad_lines_and_invalid_rows_are_skipped_with_line_numbers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "d.jsonl"
    lines = [
        json.dumps(chat("q", "a")),
        "{broken",
        json.dumps({"text": "x"}),
        json.dumps(chat("q2", "b")),
    ]
    path.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING):
        loaded = read_examples(path, chat_example)
    assert len(loaded.examples) == 2
    assert [line for line, _ in loaded.skipped] == [3]
    assert "d.jsonl:3" in caplog.text and "1 lines are not JSON" in caplog.text


def test_missing_or_useless_data_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        read_examples(tmp_path / "none.jsonl", chat_example)
    empty = tmp_path / "e.jsonl"
    empty.write_text('{"text": "x"}\n')
    with pytest.raises(ConfigError, match="no usable training example"):
        read_examples(empty, chat_example)


def test_mix_ratio_sets_the_share_of_general_examples() -> None:
    long = [chat_example(chat(f"l{i}", "a")) for i in range(30)]
    general = [chat_example(chat(f"g{i}", "b")) for i in range(100)]
    mixed = mix_examples(long, general, 0.75, seed=1)
    n_general = sum(ex["prompt"][0]["content"].startswith("g") for ex in mixed)
    assert (len(mixed), n_general) == (120, 90)
    assert mixed != sorted(mixed, key=lambda ex: ex["prompt"][0]["content"])  # shuffled
    assert len(mix_examples(long, general[:10], 0.9)) == 40  # all there is
    with pytest.raises(ConfigError):
        mix_examples(long, general, 1.0)


def test_too_long_examples_are_dropped_or_kept_for_truncation_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    examples = [chat_example(chat("q", " ".join(["w"] * n))) for n in (5, 50, 8)]
    with caplog.at_level(logging.WARNING):
        dropped = fit_to_length(examples, WordTokenizer(), 20, "drop", sft_conversations)  # type: ignore[arg-type]
    assert (len(dropped.examples), dropped.dropped, dropped.longest) == (2, 1, 55)
    assert "dropped 1 examples longer than 20 tokens" in caplog.text
    kept = fit_to_length(examples, WordTokenizer(), 20, "truncate", sft_conversations)  # type: ignore[arg-type]
    assert (len(kept.examples), kept.truncated) == (3, 1)
    with pytest.raises(ConfigError, match="every example is longer"):
        fit_to_length(examples, WordTokenizer(), 4, "drop", sft_conversations)  # type: ignore[arg-type]


def test_pairs_count_their_longer_side() -> None:
    long_chosen = preference_example({"prompt": "q", "chosen": "a b c d e f", "rejected": "a"})
    short = preference_example({"prompt": "q", "chosen": "a", "rejected": "b"})
    fit = fit_to_length([long_chosen, short], WordTokenizer(), 10, "drop", dpo_conversations)  # type: ignore[arg-type]
    assert fit.examples == [short] and fit.dropped == 1 and fit.longest == 11
    with pytest.raises(ValueError, match="same"):
        preference_example({"prompt": "q", "chosen": "a", "rejected": "a"})
    with pytest.raises(ValueError, match="missing rejected"):
        preference_example({"prompt": "q", "chosen": "a"})


def test_model_paths_that_do_not_exist_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model path does not exist"):
        resolve_model(str(tmp_path / "no-such-model"))
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_model("./models/nothing")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ConfigError, match="not a Hugging Face model folder"):
        resolve_model(str(tmp_path / "folder"))
    (tmp_path / "folder" / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path / "folder")) == str(tmp_path / "folder")
    assert (
        resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
        == "HuggingFaceTB/SmolLM2-135M-Instruct"
    )


def test_options_reject_bad_values() -> None:
    with pytest.raises(ConfigError, match="too_long"):
        TuneOptions(too_long="cut")
    with pytest.raises(ConfigError, match="max_length"):
        TuneOptions(max_length=4)
