"""Judge parsing of malformed outputs, bounded retries, schema fallback, S_q and S arithmetic."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage

from longwriter.eval import judge as judging
from longwriter.eval.judge import DIMENSIONS, Judge, JudgeConfig, JudgeParseError, parse_judgement
from longwriter.eval.rows import parse_prediction
from longwriter.llm import Endpoint

GOOD = {"analysis": "Solid.", **dict(zip(DIMENSIONS, [5, 4, 3, 4, 2, 1], strict=True))}
GOOD_SCORES = dict(zip(DIMENSIONS, [5, 4, 3, 4, 2, 1], strict=True))


def test_plain_json() -> None:
    verdict = parse_judgement(json.dumps(GOOD))
    assert verdict.scores == GOOD_SCORES
    assert verdict.analysis == "Solid."


def test_fenced_json_with_prose_around_and_think_block() -> None:
    text = (
        '<think>maybe {"relevance": 1}</think>Here is my verdict:\n```json\n'
        + json.dumps(GOOD, indent=2)
        + "\n```\nHope this helps {not json}."
    )
    assert parse_judgement(text).scores == GOOD_SCORES


def test_human_style_keys_nested_scores_and_string_ratings() -> None:
    text = json.dumps(
        {
            "Analysis": "ok",
            "scores": {
                "Relevance": "5",
                "Accuracy": "4/5",
                "Coherence": 3.0,
                "Clarity": {"score": 4},
                "Breadth and Depth": 2,
                "Reading Experience": " 1 ",
            },
        }
    )
    assert parse_judgement(text).scores == GOOD_SCORES


def test_picks_the_complete_object_among_several() -> None:
    text = 'Example: {"relevance": 5}\nAnswer: ' + json.dumps(GOOD)
    assert parse_judgement(text).scores == GOOD_SCORES


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("I think it is quite good, maybe a 4.", "no JSON object"),
        ('{"relevance": 5, "accuracy": 4', "no JSON object"),  # truncated
        (json.dumps({k: v for k, v in GOOD.items() if k != "clarity"}), "missing clarity"),
        (json.dumps({"analysis": "x"}), "missing relevance, accuracy"),
        (json.dumps({**GOOD, "coherence": 6}), "coherence=6 is not an integer from 1 to 5"),
        (json.dumps({**GOOD, "coherence": 0}), "coherence=0"),
        (json.dumps({**GOOD, "accuracy": 3.5}), "accuracy=3.5"),
        (json.dumps({**GOOD, "accuracy": "good"}), "accuracy='good'"),
        (json.dumps({**GOOD, "accuracy": None}), "accuracy=None"),
        (json.dumps({**GOOD, "accuracy": True}), "accuracy=True"),
    ],
)
def test_malformed_answers_raise_and_never_default(text: str, problem: str) -> None:
    with pytest.raises(JudgeParseError) as info:
        parse_judgement(text)
    assert problem in str(info.value)


class _FakeChat:
    """Stands in for ChatOpenAI: replays answers, records the request body."""

    def __init__(self, answers: list[Any], bodies: list[Any], extra_body: Any) -> None:
        self.answers = answers
        self.bodies = bodies
        self.extra_body = extra_body

    async def ainvoke(self, messages: list[Any]) -> AIMessage:
        self.bodies.append(self.extra_body)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return AIMessage(answer)


@pytest.fixture
def fake_chat(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    answers: list[Any] = []
    bodies: list[Any] = []

    def factory(endpoint: Endpoint, **kwargs: Any) -> _FakeChat:
        return _FakeChat(answers, bodies, kwargs.get("extra_body"))

    monkeypatch.setattr(judging, "chat_model", factory)
    return answers, bodies


def _judge(**kwargs: Any) -> Judge:
    return Judge(JudgeConfig(endpoint=Endpoint("http://judge/v1", "m"), **kwargs))


PRED = parse_prediction(
    {"key": "k", "prompt": "Write about tea.", "length": 300, "response": "Tea is..."}
)


def test_bad_answers_are_retried_then_scored(fake_chat: tuple[list[Any], list[Any]]) -> None:
    answers, bodies = fake_chat
    answers += ["no json", json.dumps({**GOOD, "clarity": 9}), json.dumps(GOOD)]
    row = asyncio.run(_judge(attempts=3).judge(PRED))
    assert row["scores"] == GOOD_SCORES
    assert row["attempts"] == 3 and row["error"] is None
    assert len(bodies) == 3
    assert bodies[0]["response_format"]["json_schema"]["schema"] == judging.JUDGE_SCHEMA


def test_failure_is_recorded_after_bounded_attempts(fake_chat: tuple[list[Any], list[Any]]) -> None:
    answers, bodies = fake_chat
    answers += ["nothing", json.dumps({"relevance": 3}), "still nothing", json.dumps(GOOD)]
    row = asyncio.run(_judge(attempts=3).judge(PRED))
    assert row["scores"] is None
    assert "no JSON object" in row["error"] and "missing accuracy" in row["error"]
    assert len(bodies) == 3  # the fourth (good) answer is never asked for


def test_absurd_answers_are_recorded_as_judge_failures(
    fake_chat: tuple[list[Any], list[Any]],
) -> None:
    answers, _bodies = fake_chat
    answers += [json.dumps({**GOOD, "clarity": 10**400}), "[" * 100_000, '{"relevance": 1e999}']
    row = asyncio.run(_judge(attempts=3).judge(PRED))
    assert row["scores"] is None and row["attempts"] == 3
    assert "clarity=" in row["error"] and "no JSON object" in row["error"]
    assert "relevance=inf" in row["error"]


def test_empty_response_gets_lowest_ratings_without_a_call(
    fake_chat: tuple[list[Any], list[Any]],
) -> None:
    _answers, bodies = fake_chat
    empty = parse_prediction({"prompt": "Write.", "length": 300, "response": ""})
    row = asyncio.run(_judge().judge(empty))
    assert row["scores"] == dict.fromkeys(DIMENSIONS, 1)
    assert bodies == []


def _status_error(status: int, message: str) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://judge/v1/chat/completions")
    response = httpx.Response(status, request=request)
    return openai.APIStatusError(message, response=response, body=None)


def test_refused_response_formats_fall_back_in_order(
    fake_chat: tuple[list[Any], list[Any]],
) -> None:
    answers, bodies = fake_chat
    # vLLM-style schema refused with 400, llama-cpp-python's form refused with its 500 validation error
    answers += [
        _status_error(400, "unsupported"),
        _status_error(500, "response_format.type: Input should be 'text'"),
        json.dumps(GOOD),
        json.dumps(GOOD),
    ]
    judge = _judge()
    assert asyncio.run(judge.judge(PRED))["scores"] == GOOD_SCORES
    assert asyncio.run(judge.judge(PRED))["scores"] == GOOD_SCORES
    kinds = [b["response_format"]["type"] if "response_format" in b else None for b in bodies]
    assert all(b["max_tokens"] == 1024 for b in bodies)
    assert kinds == ["json_schema", "json_object", None, None]
    assert bodies[1]["response_format"]["schema"] == judging.JUDGE_SCHEMA


def test_llama_cpp_schema_form_is_kept_once_accepted(
    fake_chat: tuple[list[Any], list[Any]],
) -> None:
    answers, bodies = fake_chat
    answers += [_status_error(422, "no json_schema"), json.dumps(GOOD), json.dumps(GOOD)]
    judge = _judge()
    asyncio.run(judge.judge(PRED))
    asyncio.run(judge.judge(PRED))
    assert [b["response_format"]["type"] for b in bodies] == [
        "json_schema",
        "json_object",
        "json_object",
    ]


def test_other_server_errors_are_not_mistaken_for_refusals(
    fake_chat: tuple[list[Any], list[Any]],
) -> None:
    answers, _bodies = fake_chat
    answers.append(_status_error(503, "overloaded"))
    with pytest.raises(openai.APIStatusError):
        asyncio.run(_judge().judge(PRED))


def test_long_response_is_cut_to_the_judge_window(fake_chat: tuple[list[Any], list[Any]]) -> None:
    answers, _bodies = fake_chat
    answers.append(json.dumps(GOOD))
    long = parse_prediction({"prompt": "Write.", "length": 9000, "response": "word " * 9000})
    judge = _judge(context_window=4096, max_tokens=512)
    prompt, truncated = judge._fit(long, "en")
    assert truncated
    assert judging.estimate_tokens(prompt) <= 4096 - 512
    assert asyncio.run(judge.judge(long))["truncated"] is True
    assert _judge()._fit(long, "en")[1] is False  # no window: never cut


def test_quality_arithmetic() -> None:
    rows = [
        {"scores": dict.fromkeys(DIMENSIONS, 5)},
        {"scores": dict.fromkeys(DIMENSIONS, 3)},
        {"scores": None, "error": "unparseable"},
    ]
    summary = judging.summarize_quality(rows, s_l=50.0)
    assert summary["dimensions"] == dict.fromkeys(DIMENSIONS, 75.0)  # mean 4 -> (4 - 1) * 25
    assert summary["S_q"] == 75.0
    assert summary["S"] == 62.5
    assert (summary["n"], summary["judged"], summary["failed"]) == (3, 2, 1)
    mixed = [{"scores": {**dict.fromkeys(DIMENSIONS, 1), "relevance": 5}}]
    assert judging.summarize_quality(mixed)["S_q"] == pytest.approx(100 / 6, abs=0.01)
    nothing = judging.summarize_quality([{"scores": None}], s_l=80.0)
    assert nothing["S_q"] is None and nothing["S"] is None
