"""Learning tokens per word from the server's counts, without letting junk or loops teach it."""

from __future__ import annotations

import pytest

from longwriter.drafting.calibration import (
    FLOOR_TOKENS_PER_WORD,
    MAX_TOKENS_PER_WORD,
    floor_tokens,
    learn,
    output_tokens,
)
from longwriter.llm.chat import LOOP_FINISH, Reply


def reply(tokens: int, finish: str | None = "stop") -> Reply:
    return Reply("x", finish, prompt_tokens=100, completion_tokens=tokens, seconds=1.0)


def test_plain_prose_moves_the_ratio_toward_what_the_server_counted() -> None:
    learned = learn({"tokens_per_word": 1.4}, reply(260), 100, 200)
    assert 1.3 < learned["tokens_per_word"] < 1.4


def test_junk_replies_teach_at_most_the_bound() -> None:
    calibration = {"tokens_per_word": 1.4}
    for _ in range(30):  # ids and symbols: 10 tokens per counted word
        calibration = learn(calibration, reply(1000), 100, 100)
    assert calibration["tokens_per_word"] == MAX_TOKENS_PER_WORD


def test_a_looping_reply_teaches_nothing() -> None:
    assert learn({"tokens_per_word": 1.4}, reply(1000, LOOP_FINISH), 100, 100)[
        "tokens_per_word"
    ] == pytest.approx(1.4)


@pytest.mark.parametrize("per_word", [0.8, 1.4, 3.0])
def test_min_tokens_counts_prose_tokens_per_word_whatever_was_learned(per_word: float) -> None:
    calibration = {"tokens_per_word": per_word}
    floor = floor_tokens(output_tokens(200, calibration), calibration, 0.5)
    assert 200 * FLOOR_TOKENS_PER_WORD * 0.5 - 2 <= floor <= 200 * FLOOR_TOKENS_PER_WORD * 0.5 + 1
