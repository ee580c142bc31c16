"""`longwriter write --batch`: reading the JSONL, writing documents resumably, CLI options."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from longwriter import ConfigError, WriterContext
from longwriter.batch import store as api_module
from longwriter.batch.documents import BatchItem, read_batch, write_batch
from longwriter.batch.store import BatchCheckpoints
from longwriter.cli import app
from longwriter.cli.options import parse_endpoints
from longwriter.jsonl import read_jsonl
from tests.fakes import ScriptedWriter

runner = CliRunner()


def _jsonl(path: Path, *rows: Any) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_read_batch_names_documents(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "in.jsonl",
        {"prompt": "Write about rivers.", "length": 900, "id": "rivers"},
        "",
        {"prompt": "  Write about maps.  ", "id": 7, "topic": "extra fields are fine"},
        {"prompt": "Write about ships."},
    )
    items = read_batch(path)
    assert items[:2] == [
        BatchItem("rivers", "Write about rivers.", 900),
        BatchItem("7", "Write about maps.", None),
    ]
    assert items[2].id.startswith("doc-") and items[2].id == read_batch(path)[2].id


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"in.jsonl:2: invalid JSON"),
        ({"length": 500}, r"in.jsonl:2: 'prompt' must be a non-empty string"),
        ({"prompt": "x", "length": "long"}, r"in.jsonl:2: 'length' must be a word count"),
        ({"prompt": "x", "length": 0}, r"in.jsonl:2: 'length' must be a word count"),
        ({"prompt": "x", "id": "../etc"}, r"in.jsonl:2: 'id' must be a file name"),
        ({"prompt": "y", "id": "a"}, r"in.jsonl:2: id 'a' is already used on line 1"),
    ],
)
def test_bad_batch_line_is_a_config_error_with_its_line(
    tmp_path: Path, line: Any, message: str
) -> None:
    path = _jsonl(tmp_path / "in.jsonl", {"prompt": "Write.", "id": "a"}, line)
    with pytest.raises(ConfigError, match=message):
        read_batch(path)


def test_empty_or_missing_batch_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="batch file not found"):
        read_batch(tmp_path / "nope.jsonl")
    with pytest.raises(ConfigError, match="no documents"):
        read_batch(_jsonl(tmp_path / "empty.jsonl", ""))


def _ctx() -> WriterContext:
    return WriterContext(memory=":memory:", embedding="hash", structured_plan=False)


def test_write_batch_writes_each_document_once(tmp_path: Path) -> None:
    items = [
        BatchItem("a", "Write a history of bridges.", 600),
        BatchItem("b", "Write a 900-word essay on maps.", None),
    ]
    fake = ScriptedWriter()

    async def run() -> Any:
        async with BatchCheckpoints().open(tmp_path / "results.jsonl") as documents:
            return await write_batch(
                items, tmp_path, documents=documents, context=_ctx(), concurrency=2, chat_model=fake
            )

    summary = asyncio.run(run())
    assert (summary.done, summary.failed) == (2, 0)
    rows = {row["key"]: row for _, row in read_jsonl(tmp_path / "results.jsonl")}
    assert rows["a"]["target_words"] == 600 and rows["b"]["target_words"] == 900
    for key in "ab":
        assert Path(rows[key]["output"]).read_text(encoding="utf-8").startswith("# ")
        report = json.loads(Path(rows[key]["report"]).read_text(encoding="utf-8"))
        assert report["words"] == rows[key]["words"]
    calls = len(fake.calls)
    again = asyncio.run(run())
    assert (again.skipped, again.done, len(fake.calls)) == (2, 0, calls)


def test_cli_batch_reports_failures_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = {"Write about FAIL."}
    original = api_module.awrite_document

    async def fake_write(prompt: str, **kwargs: Any) -> Any:
        if prompt in failing:
            raise ConfigError("boom")
        kwargs["chat_model"] = ScriptedWriter()
        return await original(prompt, **kwargs)

    monkeypatch.setattr(api_module, "awrite_document", fake_write)
    path = _jsonl(
        tmp_path / "in.jsonl",
        {"prompt": "Write about rivers.", "length": 500, "id": "rivers"},
        {"prompt": "Write about FAIL.", "length": 500, "id": "bad"},
    )
    out = tmp_path / "docs"
    args = ["write", "--batch", str(path), "--out-dir", str(out), "--concurrency", "2"]
    args += ["--memory", ":memory:", "--embedding", "hash"]
    first = runner.invoke(app, args)
    assert first.exit_code == 1, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert (summary["done"], summary["failed"]) == (1, 1)
    assert summary["errors"] == [{"id": "bad", "error": "ConfigError: boom"}]
    assert (out / "rivers.md").is_file() and (out / "rivers.report.json").is_file()
    assert (out / ".results.checkpoints.sqlite").is_file()

    failing.clear()
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    summary = json.loads(second.stdout.strip().splitlines()[-1])
    assert (summary["skipped"], summary["done"], summary["failed"]) == (1, 1, 0)
    assert (out / "bad.md").is_file()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--batch", "{batch}"], "--batch needs --out-dir"),
        (
            ["--batch", "{batch}", "--out-dir", "d", "Write x"],
            "cannot be combined with an instruction",
        ),
        (
            ["--batch", "{batch}", "--out-dir", "d", "--thread-id", "t"],
            "cannot be combined with --thread-id",
        ),
        (["Write x", "--out-dir", "d"], "--out-dir only applies with --batch"),
        (["--batch", "{bad}", "--out-dir", "d"], "bad.jsonl:1: 'prompt' must be"),
        (["Write x", "--endpoint", "plan"], "--endpoint takes ROLE=URL"),
        (["Write x", "--endpoint", "judge=http://x/v1"], "unknown endpoint role 'judge'"),
    ],
)
def test_cli_write_option_errors(tmp_path: Path, extra: list[str], message: str) -> None:
    batch = _jsonl(tmp_path / "in.jsonl", {"prompt": "Write about rivers."})
    bad = _jsonl(tmp_path / "bad.jsonl", {"length": 5})
    args = [a.format(batch=batch, bad=bad) for a in extra]
    result = runner.invoke(app, ["write", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())


def test_parse_endpoints() -> None:
    assert parse_endpoints(["plan=http://big:8000/v1,glm4", "write = http://fast/v1"]) == {
        "plan": {"base_url": "http://big:8000/v1", "model": "glm4"},
        "write": {"base_url": "http://fast/v1"},
    }
    with pytest.raises(ConfigError, match="given twice"):
        parse_endpoints(["plan=http://a/v1", "plan=http://b/v1"])


def test_extra_body_option_must_be_a_json_object() -> None:
    from longwriter.cli_support import parse_extra_body
    from longwriter.errors import ConfigError

    assert parse_extra_body('{"repetition_penalty": 1.1}') == {"repetition_penalty": 1.1}
    with pytest.raises(ConfigError, match="invalid JSON"):
        parse_extra_body("{repetition_penalty: 1.1}")
    with pytest.raises(ConfigError, match="expected a JSON object, got list"):
        parse_extra_body("[1, 2]")
