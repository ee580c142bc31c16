"""One source for settings and one error path: the CLI options of WriterContext fields take their
defaults and help from the class, WriterContext checks their values (its errors name the flags),
and every command exits 2 for bad input or settings, 1 for a run that failed."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from longwriter import llm
from longwriter.agent.context import WriterContext
from longwriter.cli import app
from longwriter.cli_support import (
    EXIT_FAILED,
    EXIT_INPUT,
    SETTING_DOCS,
    SETTING_FLAGS,
    exit_code,
    setting_help,
    with_options,
)
from longwriter.errors import BackendError, ConfigError, LongWriterError
from longwriter.llm.sampling import DEFAULT_TEMPERATURE, DEFAULT_TOP_P
from tests.fakes import Crashing, write_with
from tests.unit.test_cli_conventions import parsed

runner = CliRunner()
UNREACHABLE = "http://127.0.0.1:9/v1"  # the discard port: the connection is refused at once


def _rows(tmp_path: Path) -> Path:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"prompt": "Write about tea.", "length": 300}) + "\n")
    return rows


# --- defaults and help from WriterContext -------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "required"),
    [
        ("write", ["Write."]),
        ("plan", ["Write."]),
        ("eval run", ["-i", "d.jsonl", "-o", "p.jsonl"]),
        ("eval ruler", []),
        ("dataset build", ["-i", "i.jsonl", "-o", "t.jsonl"]),
    ],
)
def test_option_defaults_are_the_writer_contexts(command: str, required: list[str]) -> None:
    """The writer's options default as WriterContext does; the sampling of the other commands as
    the writer's calls do (llm.sampling)."""
    params = parsed(command, required)
    defaults = {f.name: f.default for f in dataclasses.fields(WriterContext)}
    if command not in ("write", "plan"):
        defaults |= {"temperature": DEFAULT_TEMPERATURE, "top_p": DEFAULT_TOP_P}
    shared = {"temperature", "top_p", "connect_wait", "max_revisions", "section_words"}
    assert shared & set(params)
    for name in shared & set(params):
        assert params[name] == defaults[name], name


def test_help_is_the_fields_docstring() -> None:
    docs = SETTING_DOCS
    assert set(SETTING_FLAGS) <= set(docs)
    assert " ".join(docs["connect_wait"].split()) == setting_help("connect_wait")
    assert setting_help("embedding_api_key").endswith("unset sends --api-key.")  # flags, not fields
    assert "LONGWRITER_BASE_URL" not in setting_help("base_url")  # typer shows the env var
    shown = runner.invoke(app, ["write", "--help"], env={"COLUMNS": "400"})
    assert shown.exit_code == 0
    assert setting_help("connect_wait") in " ".join(shown.stdout.split())


@dataclasses.dataclass
class Twice:
    temperature: float = 0.5


def test_an_option_set_names_each_option_once() -> None:
    def command(*, temperature: float = 0.1, sampling: Twice) -> None:
        pass

    with pytest.raises(TypeError, match="given twice"):
        with_options(sampling=Twice)(command)


# --- WriterContext checks the settings; its errors name the flags -------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["write", "Write.", "--connect-wait", "-1"], "error: --connect-wait must be 0 or more"),
        (["plan", "Write.", "--base-url", "gpu:8000"], "error: --base-url must be an http://"),
        (["write", "Write.", "--words", "0"], "error: --words must be between 1 and 200000"),
    ],
)
def test_settings_are_checked_by_the_context(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_INPUT, result.output
    assert result.stderr.strip().splitlines()[-1].startswith(message), result.stderr


def test_agent_option_values_are_checked_before_any_row(tmp_path: Path) -> None:
    args = ["eval", "run", "-i", str(_rows(tmp_path)), "-o", str(tmp_path / "p.jsonl")]
    result = runner.invoke(app, [*args, "--agent-option", "prompt_layout=wide"])
    assert result.exit_code == EXIT_INPUT, result.output
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("error: --agent-option prompt_layout must be one of auto, history, compact")
    )
    assert not (tmp_path / "p.jsonl").exists()


# --- exit codes: 2 for the user's input or settings, 1 for a run that failed --------------------


def test_exit_code_of_each_error() -> None:
    assert exit_code(ConfigError("bad")) == EXIT_INPUT == 2
    assert exit_code(BackendError("down")) == EXIT_FAILED == 1
    assert exit_code(LongWriterError("pandoc failed")) == EXIT_FAILED


@pytest.mark.parametrize("command", ["write", "plan"])
def test_an_unreachable_server_is_a_failed_run(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same server down exits 1 from both commands, and ``write`` does not offer to resume a
    run that saved nothing."""
    monkeypatch.setenv("LONGWRITER_HOME", str(tmp_path))
    args = [command, "Write about tea.", "--base-url", UNREACHABLE, "--connect-wait", "0"]
    args += [
        "--embedding",
        "hash",
        "-o",
        str(tmp_path / ("out.md" if command == "write" else "p.json")),
    ]
    if command == "write":
        args += ["--memory", ":memory:", "--checkpoints", str(tmp_path / "ck.sqlite")]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_FAILED, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot reach the model server"), result.stderr
    assert "accepted sections are saved" not in result.stderr
    assert "Continue with" not in result.stderr


def test_a_run_that_fails_before_any_section_offers_no_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_with(monkeypatch, Crashing(crash_after=0))  # the plan call already fails
    args = ["write", "Write a 600-word essay on rivers.", "-o", str(tmp_path / "doc.md")]
    args += ["--checkpoints", str(tmp_path / "ck.sqlite"), "--memory", ":memory:"]
    result = runner.invoke(app, [*args, "--embedding", "hash", "--thread-id", "rivers"])
    assert result.exit_code == EXIT_FAILED, result.output
    assert result.stderr.strip().splitlines()[-1] == (
        "error: cannot reach the model server: connection refused"
    )
    assert "accepted sections are saved" not in result.stderr


@pytest.mark.parametrize(
    ("error", "code"), [(BackendError("server down"), 1), (ConfigError("no such model"), 2)]
)
@pytest.mark.parametrize("command", ["eval run", "dataset build"])
def test_sub_commands_use_the_same_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, error: Exception, code: int
) -> None:
    def resolve(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(llm, "resolve_endpoint", resolve)
    monkeypatch.setattr("longwriter.eval.cli.resolve_endpoint", resolve)
    args = [*command.split(), "-i", str(_rows(tmp_path)), "-o", str(tmp_path / "out.jsonl")]
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert result.stderr.strip().splitlines()[-1] == f"error: {error}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["write", "--thread-id", "t", "--resume", "--source", "notes/"],
            "--source does not go with --resume",
        ),
        (["write", "Write a report.", "--source", "https://example.com/a.pdf"], "is a URL"),
        (["write", "Write a report.", "--source", "/no/such/notes.md"], "does not exist"),
    ],
)
def test_bad_sources_are_one_line_before_any_model(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
