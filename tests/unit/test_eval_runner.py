"""Prediction runner: direct and agent rows, resume after failures, and `eval run` input errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from langchain_core.messages import AIMessage
from typer.testing import CliRunner

import longwriter.api
import longwriter.batch.store
from longwriter.eval import runner as running
from longwriter.eval.cli import app
from longwriter.eval.cli_helpers import predict
from longwriter.eval.rows import load_predictions, load_tasks
from longwriter.eval.runner import RunConfig, direct_max_tokens, run_predictions
from longwriter.jsonl import read_jsonl
from longwriter.llm import Endpoint
from longwriter.text import estimate_tokens
from tests.fakes import Crashing, ScriptedWriter, write_with

ENDPOINT = Endpoint("http://server/v1", "tiny")


class _FakeChat:
    def __init__(self, log: list[dict[str, Any]], fail: set[str], kwargs: dict[str, Any]) -> None:
        self.log, self.fail, self.kwargs = log, fail, kwargs

    async def ainvoke(self, messages: list[Any]) -> AIMessage:
        prompt = messages[0].content
        self.log.append({"prompt": prompt, **self.kwargs})
        if prompt in self.fail:
            raise TimeoutError("judge timed out")
        return AIMessage(
            "word " * 120,
            usage_metadata={"input_tokens": 11, "output_tokens": 130, "total_tokens": 141},
            response_metadata={"finish_reason": "stop"},
        )


@pytest.fixture
def fake_chat(monkeypatch: pytest.MonkeyPatch) -> tuple[list[dict[str, Any]], set[str]]:
    calls: list[dict[str, Any]] = []
    fail: set[str] = set()
    monkeypatch.setattr(
        running, "chat_model", lambda endpoint, **kwargs: _FakeChat(calls, fail, kwargs)
    )
    return calls, fail


def _dataset(tmp_path: Path) -> Path:
    rows = [
        {"prompt": "Write 100 words on tea.", "length": 100, "type": "Essay", "idx": 1},
        {"prompt": "Write 400 words on rivers.", "length": 400, "idx": 2},
        {"prompt": "写一篇300字的短文。", "length": 300, "idx": 3},
    ]
    path = tmp_path / "data.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_direct_rows_and_resume_after_a_failure(
    tmp_path: Path, fake_chat: tuple[list[dict[str, Any]], set[str]]
) -> None:
    calls, fail = fake_chat
    tasks = load_tasks(_dataset(tmp_path))
    out = tmp_path / "preds.jsonl"
    cfg = RunConfig(mode="direct", endpoint=ENDPOINT, context_window=8192, temperature=0.5)
    fail.add("Write 400 words on rivers.")

    first = asyncio.run(run_predictions(tasks, cfg, out, concurrency=2))
    assert (first.done, first.failed) == (2, 1)
    assert first.errors[0][0] == "2" and "timed out" in first.errors[0][1]
    row = next(r for _, r in read_jsonl(out) if r["key"] == "1")
    assert row["response"].split() == ["word"] * 120
    assert (row["words"], row["prompt_tokens"], row["completion_tokens"]) == (120, 11, 130)
    assert (row["mode"], row["model"], row["type"], row["idx"], row["finish_reason"]) == (
        "direct",
        "tiny",
        "Essay",
        1,
        "stop",
    )
    assert row["seconds"] >= 0
    assert calls[0]["temperature"] == 0.5
    assert calls[0]["max_tokens"] == 8192 - estimate_tokens(tasks[0].prompt) - 64
    assert calls[0]["extra_body"] == {"max_tokens": calls[0]["max_tokens"]}  # llama.cpp reads this

    fail.clear()
    calls.clear()
    second = asyncio.run(run_predictions(tasks, cfg, out))
    assert (second.skipped, second.done, second.failed) == (2, 1, 0)
    assert [c["prompt"] for c in calls] == ["Write 400 words on rivers."]
    assert sorted(p.task.key for p in load_predictions(out)) == ["1", "2", "3"]


def test_both_modes_sample_like_the_agent_on_the_embedded_model(
    tmp_path: Path,
    fake_chat: tuple[list[dict[str, Any]], set[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The embedded server gets its repeat penalty in direct mode too, and the agent treats it as its
    own embedded default (not as a remote URL); --extra-body reaches both modes."""
    calls, _ = fake_chat
    contexts: list[Any] = []

    async def fake_write(instruction: str, *, context: Any, thread_id: str, **_: Any) -> Any:
        contexts.append(context)
        return longwriter.api.DocumentResult(text="Tea.", report={}, thread_id=thread_id)

    monkeypatch.setattr(longwriter.batch.store, "awrite_document", fake_write)
    embedded = Endpoint("http://127.0.0.1:5000/v1", "smollm2", embedded=True)
    tasks = load_tasks(_dataset(tmp_path), limit=1)
    for mode, extra in [("direct", {}), ("agent", {}), ("direct", {"top_k": 5})]:
        cfg = RunConfig(mode=mode, endpoint=embedded, context_window=4096, extra_body=extra)
        predict(tasks, [(cfg, tmp_path / f"{mode}{len(extra)}.jsonl")], 1)
    budget = calls[0]["max_tokens"]
    base = {"repeat_penalty": 1.15, "max_tokens": budget}
    assert calls[0]["extra_body"] == base
    assert calls[1]["extra_body"] == {**base, "top_k": 5}
    assert (contexts[0].base_url, contexts[0].extra_body) == (None, {})


def test_direct_budget_is_the_window_minus_the_prompt_with_a_floor() -> None:
    assert direct_max_tokens("x" * 320, 8192) == 8192 - 100 - 64
    assert direct_max_tokens("x" * 40000, 8192) == 256


def test_agent_rows_carry_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    async def fake_write(instruction: str, *, context: Any, thread_id: str, **_: Any) -> Any:
        seen.append(context)
        report = {"prompt_tokens": 900, "completion_tokens": 450, "words": 3, "sections": []}
        return longwriter.api.DocumentResult(
            text="# T\n\nTea is good, 100%.", report=report, thread_id=thread_id
        )

    monkeypatch.setattr(longwriter.batch.store, "awrite_document", fake_write)
    tasks = load_tasks(_dataset(tmp_path), limit=1)
    cfg = RunConfig(mode="agent", endpoint=ENDPOINT, context_window=4096, give_length=True)
    out = tmp_path / "agent.jsonl"
    assert predict(tasks, [(cfg, out)], 1)[0]["done"] == 1
    row = next(r for _, r in read_jsonl(out))
    # The row counts as S_l does (LongBench-Write: "100" is no word); the report keeps its own count.
    assert (row["words"], row["report"]["words"]) == (4, 3)
    assert (row["completion_tokens"], row["report"]["prompt_tokens"]) == (450, 900)
    ctx = seen[0]
    assert (ctx.base_url, ctx.model, ctx.target_words, ctx.context_window) == (
        "http://server/v1",
        "tiny",
        100,
        4096,
    )
    assert ctx.memory == ":memory:"


def test_run_command_rejects_bad_datasets_before_calling_a_model(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"prompt": "a", "length": 100}\n{"prompt": "b", "length": -3}\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        app, ["run", "--dataset", str(bad), "--out", str(tmp_path / "o.jsonl"), "--mode", "direct"]
    )
    assert result.exit_code == 2
    assert "bad.jsonl:2: 'length' must be a word count from 1 to 200000, got -3" in result.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["run", "--dataset", str(empty), "--out", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 2 and "no usable rows" in result.output


def test_run_command_summary_and_rerun(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_chat: tuple[list[dict[str, Any]], set[str]],
) -> None:
    import longwriter.eval.cli as cli
    import longwriter.eval.cli_helpers as cli_helpers

    monkeypatch.setattr(cli, "resolve_endpoint", lambda base_url, model, api_key: ENDPOINT)
    monkeypatch.setattr(cli_helpers, "check_endpoint", lambda endpoint: 8192)
    out = tmp_path / "preds.jsonl"
    args = ["run", "--dataset", str(_dataset(tmp_path)), "--out", str(out), "--mode", "direct"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert (summary["done"], summary["skipped"], summary["failed"]) == (3, 0, 0)
    # 120 words against 100 / 400 / 300 required: 93.33, 0 (400/120 - 1 > 2), 25
    assert summary["S_l"] == pytest.approx(
        (100 * (1 - 0.2 / 3) + 0 + 100 * (1 - 1.5 / 2)) / 3, abs=0.01
    )
    again = json.loads(CliRunner().invoke(app, args).stdout.strip().splitlines()[-1])
    assert (again["done"], again["skipped"]) == (0, 3)
    assert again["S_l"] == summary["S_l"]


def test_agent_options_are_checked_against_writer_context(tmp_path: Path) -> None:
    base = ["run", "--dataset", str(_dataset(tmp_path)), "--out", str(tmp_path / "o.jsonl")]
    for bad in ("base_url=http://x", "no_such_field=1", "max_revisions"):
        result = CliRunner().invoke(app, [*base, "--agent-option", bad])
        assert result.exit_code == 2, bad
        assert "expected KEY=VALUE" in result.output


def test_agent_option_values_parse_as_json_or_text() -> None:
    from longwriter.eval.cli_helpers import agent_options

    roles = 'endpoints={"plan": {"base_url": "http://x/v1"}}'
    parsed = agent_options(["max_revisions=0", "embedding=hash", roles])
    assert parsed == {
        "max_revisions": 0,
        "embedding": "hash",
        "endpoints": {"plan": {"base_url": "http://x/v1"}},
    }
    with pytest.raises(typer.BadParameter, match="KEY one of"):
        agent_options(['extra_body={"top_k": 5}'])  # --extra-body sets it for both modes


def test_failed_rows_score_zero_until_a_rerun_retries_them(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_chat: tuple[list[dict[str, Any]], set[str]],
) -> None:
    import longwriter.eval.cli as cli
    import longwriter.eval.cli_helpers as cli_helpers

    _calls, fail = fake_chat
    monkeypatch.setattr(cli, "resolve_endpoint", lambda base_url, model, api_key: ENDPOINT)
    monkeypatch.setattr(cli_helpers, "check_endpoint", lambda endpoint: 8192)
    dataset, out = _dataset(tmp_path), tmp_path / "preds.jsonl"
    args = ["run", "--dataset", str(dataset), "--out", str(out), "--mode", "direct"]
    fail.add("Write 100 words on tea.")
    first = json.loads(CliRunner().invoke(app, args).stdout.strip().splitlines()[-1])
    # 120 words: tea (100) fails and scores 0 instead of 93.33, rivers (400) 0, 300 words 25.
    assert (first["done"], first["failed"], first["missing"]) == (2, 1, 1)
    assert first["S_l"] == 8.33  # (0 + 0 + 25) / 3, not (0 + 25) / 2 over the rows that worked
    assert first["buckets"]["[0,500)"] == {"n": 3, "S_l": 8.33}
    assert sorted(r["key"] for _, r in read_jsonl(out)) == ["2", "3"]  # the failure is not kept
    length = ["length", "--pred", str(out), "--dataset", str(dataset)]
    scored = json.loads(CliRunner().invoke(app, length).stdout.strip().splitlines()[-1])
    assert (scored["S_l"], scored["missing"]) == (8.33, 1)

    fail.clear()
    again = json.loads(CliRunner().invoke(app, args).stdout.strip().splitlines()[-1])
    assert (again["done"], again["skipped"], again["failed"], again["missing"]) == (1, 2, 0, 0)
    assert again["S_l"] == 39.44  # (93.33 + 0 + 25) / 3
    scored = json.loads(CliRunner().invoke(app, length).stdout.strip().splitlines()[-1])
    assert (scored["S_l"], scored["missing"]) == (39.44, 0)


def test_an_interrupted_agent_run_resumes_each_document_mid_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent's documents are checkpointed beside the predictions: the rerun continues the
    unfinished one from its last accepted section instead of planning it again."""
    dataset = tmp_path / "long.jsonl"
    dataset.write_text(
        "".join(
            json.dumps({"prompt": f"Write a 2000-word history of {topic}.", "length": 2000}) + "\n"
            for topic in ("bridges", "ports")
        ),
        encoding="utf-8",
    )
    tasks = load_tasks(dataset)
    options = {"embedding": "hash", "structured_plan": False}
    cfg = RunConfig(mode="agent", endpoint=ENDPOINT, context_window=8192, agent_options=options)
    out = tmp_path / "agent.jsonl"
    write_with(monkeypatch, Crashing(crash_after=9))  # 6 calls a document
    first = predict(tasks, [(cfg, out)], 1)[0]
    assert (first["done"], first["failed"]) == (1, 1)
    assert (tmp_path / ".agent.checkpoints.sqlite").is_file()
    model = ScriptedWriter()
    write_with(monkeypatch, model)
    again = predict(tasks, [(cfg, out)], 1)[0]
    assert (again["skipped"], again["done"], again["failed"]) == (1, 1, 0)
    assert not any("Paragraph 1 - Main Point" in c for c in model.calls)  # no planning again
    assert not any(tasks[0].prompt in str(m.content) for r, _ in model.exchanges for m in r)
