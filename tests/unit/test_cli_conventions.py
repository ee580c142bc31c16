"""CLI conventions: --version, -i/--input and -o/--output in every command (old names still read),
an env var for every endpoint flag, and the plan review in the user's editor."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import click
import pytest
import typer
from typer.testing import CliRunner

import longwriter
from longwriter import llm
from longwriter.cli import app
from longwriter.cli.options import parse_endpoints
from longwriter.cli.review import edit_plan
from longwriter.errors import ConfigError
from longwriter.llm import Endpoint

runner = CliRunner()

ENDPOINT_VARS = (
    "LONGWRITER_BASE_URL",
    "LONGWRITER_MODEL",
    "LONGWRITER_API_KEY",
    "LONGWRITER_ENDPOINTS",
    "LONGWRITER_JUDGE_BASE_URL",
    "LONGWRITER_JUDGE_MODEL",
    "LONGWRITER_JUDGE_API_KEY",
)


@pytest.fixture(autouse=True)
def _no_endpoint_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests set the endpoint variables they read; none leaks in from the shell."""
    for name in ENDPOINT_VARS:
        monkeypatch.delenv(name, raising=False)


def parsed(command: str, args: list[str]) -> dict[str, Any]:
    """The parameters ``longwriter COMMAND ARGS`` would run with (nothing runs)."""
    found: Any = typer.main.get_command(app)
    for name in command.split():
        found = found.commands[name]
    with found.make_context(command, list(args)) as ctx:
        return dict(ctx.params)


def option_names(command: str) -> set[str]:
    """The option names ``longwriter COMMAND --help`` lists."""
    result = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    rows = re.findall(r"^│\s+(?:\*\s+)?(--?[\w-]+)(?:\s+(-\w)\b)?", result.stdout, re.M)
    return {name for row in rows for name in row if name}


# --- --version ----------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_installed_version(flag: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "version", lambda name: {"longwriter": "9.8.7"}[name])
    result = runner.invoke(app, [flag])
    assert result.exit_code == 0, result.output
    assert result.stdout == "longwriter 9.8.7\n"


def test_version_without_package_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    monkeypatch.setattr(longwriter, "__version__", "0.0.checkout")
    result = runner.invoke(app, ["--version", "write"])  # eager: the command does not run
    assert (result.exit_code, result.stdout) == (0, "longwriter 0.0.checkout\n")


# --- -i/--input, -o/--output and the old names --------------------------------------------------

# (command, other required arguments, parameter, every spelling that sets it: new ones first)
SPELLINGS = [
    ("write", ["Write."], "output", ["-o", "--output"]),
    ("plan", ["Write."], "output", ["-o", "--output"]),
    ("export", ["doc.md"], "output", ["-o", "--output"]),
    ("eval run", ["-o", "p.jsonl"], "dataset", ["-i", "--input", "--dataset"]),
    ("eval run", ["-i", "d.jsonl"], "out", ["-o", "--output", "--out"]),
    ("eval length", [], "pred", ["-i", "--input", "--pred"]),
    ("eval quality", ["-i", "p.jsonl"], "out", ["-o", "--output", "--out"]),
    ("eval quality", [], "pred", ["-i", "--input", "--pred"]),
    ("eval nll", ["-i", "p.jsonl"], "out", ["-o", "--output", "--out"]),
    ("eval nll", [], "pred", ["-i", "--input", "--pred"]),
    ("eval reader", ["-i", "p.jsonl"], "out", ["-o", "--output", "--out"]),
    ("eval reader", [], "pred", ["-i", "--input", "--pred"]),
    ("eval report", ["--run", "p.jsonl"], "out", ["-o", "--output", "--out"]),
    ("dataset build", ["-o", "t.jsonl"], "instructions", ["-i", "--input", "--instructions"]),
    ("dataset build", ["-i", "i.jsonl"], "out", ["-o", "--output", "--out"]),
    ("dataset instructions", ["-o", "i.jsonl"], "topics", ["-i", "-t", "--input", "--topics"]),
    ("dataset instructions", ["-i", "t.txt"], "out", ["-o", "--output", "--out"]),
    ("train sft", ["-o", "runs/sft"], "data", ["-i", "--input", "--data"]),
    ("train sft", ["-i", "d.jsonl"], "out", ["-o", "--output", "--out"]),
    ("train dpo", ["-o", "runs/dpo"], "pairs", ["-i", "--input", "--pairs"]),
    ("train dpo", ["-i", "p.jsonl"], "out", ["-o", "--output", "--out"]),
    ("train dpo-pairs", ["-o", "p.jsonl"], "instructions", ["-i", "--input", "--instructions"]),
    ("train dpo-pairs", ["-i", "i.jsonl"], "out", ["-o", "--output", "--out"]),
    ("train smoke", [], "folder", ["--out-dir", "--folder"]),
]


@pytest.mark.parametrize(("command", "required", "param", "spellings"), SPELLINGS)
def test_every_spelling_sets_the_option(
    command: str, required: list[str], param: str, spellings: list[str]
) -> None:
    for spelling in spellings:
        assert parsed(command, [*required, spelling, "x.jsonl"])[param] == Path("x.jsonl")
    old = [spelling for spelling in spellings if spelling.startswith("--")][-1]
    assert parsed(command, [*required, f"{old}=y.jsonl"])[param] == Path("y.jsonl")


@pytest.mark.parametrize(
    ("command", "shown", "old"),
    [
        ("eval run", {"--input", "-i", "--output", "-o"}, {"--dataset", "--out"}),
        ("eval quality", {"--input", "-i", "--output", "-o"}, {"--pred", "--out"}),
        ("dataset instructions", {"--input", "-i", "--output", "-o"}, {"--topics", "-t", "--out"}),
        ("train sft", {"--input", "-i", "--output", "-o"}, {"--data", "--out"}),
        ("train smoke", {"--out-dir"}, {"--folder"}),
    ],
)
def test_help_shows_the_new_names_only(command: str, shown: set[str], old: set[str]) -> None:
    names = option_names(command)
    assert shown <= names and not old & names, names


def test_an_old_name_in_an_error_message_is_the_new_one(tmp_path: Path) -> None:
    rows = tmp_path / "in.jsonl"
    rows.write_text(json.dumps({"prompt": "Write about tea."}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["dataset", "build", "--instructions", str(rows), "--out", "."])
    assert result.exit_code == 2
    assert (
        result.stderr.strip().splitlines()[-1] == "error: --output . is a folder: give a file name"
    )
    missing = runner.invoke(app, ["eval", "run", "--dataset", str(rows)])
    assert missing.exit_code == 2 and "Missing option '--output' / '-o'" in missing.stderr


# --- endpoint flags and their env vars ----------------------------------------------------------

WRITER_ENV = {
    "LONGWRITER_BASE_URL": "http://env-writer:8000/v1",
    "LONGWRITER_MODEL": "env-model",
    "LONGWRITER_API_KEY": "env-key",
}
WRITER = {"base_url": "http://env-writer:8000/v1", "model": "env-model", "api_key": "env-key"}
JUDGE_ENV = {
    "LONGWRITER_JUDGE_BASE_URL": "http://env-judge:8000/v1",
    "LONGWRITER_JUDGE_MODEL": "env-judge-model",
    "LONGWRITER_JUDGE_API_KEY": "env-judge-key",
}
JUDGE = {
    "judge_base_url": "http://env-judge:8000/v1",
    "judge_model": "env-judge-model",
    "judge_api_key": "env-judge-key",
}


@pytest.mark.parametrize(
    ("command", "required", "env", "expected"),
    [
        ("write", ["Write."], WRITER_ENV, WRITER),
        ("plan", ["Write."], WRITER_ENV, WRITER),
        ("eval run", ["-i", "d.jsonl", "-o", "p.jsonl"], WRITER_ENV, WRITER),
        ("eval ruler", [], WRITER_ENV, WRITER),
        ("eval nll", ["-i", "p.jsonl"], WRITER_ENV, WRITER | {"model": None}),  # a path there
        ("eval quality", ["-i", "p.jsonl"], JUDGE_ENV, JUDGE),
        ("dataset build", ["-i", "i.jsonl", "-o", "t.jsonl"], WRITER_ENV, WRITER),
        (
            "train dpo-pairs",
            ["-i", "i.jsonl", "-o", "p.jsonl"],
            WRITER_ENV | JUDGE_ENV,
            WRITER | JUDGE,
        ),
    ],
)
def test_endpoint_flags_read_their_env_vars(
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    required: list[str],
    env: dict[str, str],
    expected: dict[str, Any],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    params = parsed(command, required)
    assert {name: params[name] for name in expected} == expected
    flags = [f"--{name.replace('_', '-')}" for name in expected if expected[name]]
    given = parsed(command, [*required, *(arg for flag in flags for arg in (flag, "given"))])
    assert all(given[name] == "given" for name in expected if expected[name])  # flags win


def test_the_judge_key_defaults_to_the_model_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LONGWRITER_API_KEY", "shared-key")
    assert parsed("eval quality", ["-i", "p.jsonl"])["judge_api_key"] == "shared-key"
    assert parsed("train dpo-pairs", ["-i", "i", "-o", "p"])["judge_api_key"] == "shared-key"
    monkeypatch.setenv("LONGWRITER_JUDGE_API_KEY", "judge-key")
    assert parsed("eval quality", ["-i", "p.jsonl"])["judge_api_key"] == "judge-key"


def test_per_role_endpoints_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LONGWRITER_ENDPOINTS", "plan=http://big:8000/v1,glm write=http://fast/v1")
    endpoints = parsed("write", ["Write."])["endpoint"]
    assert parse_endpoints(endpoints) == {
        "plan": {"base_url": "http://big:8000/v1", "model": "glm"},
        "write": {"base_url": "http://fast/v1"},
    }


class Resolver:
    """Stands in for ``resolve_endpoint``: records the endpoints a command resolves and ends the
    command (exit 2) at the ``stop_after``-th, before any model call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, str | None, str]] = []
        self.stop_after = 1

    def __call__(self, base_url: str | None, model: str | None, api_key: str) -> Endpoint:
        self.calls.append((base_url, model, api_key))
        if len(self.calls) == self.stop_after:
            raise ConfigError("stopped before any model call")
        return Endpoint(base_url or "http://embedded/v1", model or "m", api_key)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    fake = Resolver()
    monkeypatch.setattr(llm, "resolve_endpoint", fake)
    monkeypatch.setattr("longwriter.eval.cli.resolve_endpoint", fake)
    monkeypatch.setattr(llm, "check_endpoint", lambda *a, **k: 8192)
    return fake


def _rows(tmp_path: Path) -> Path:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"prompt": "Write about tea.", "length": 300}) + "\n")
    return rows


@pytest.mark.parametrize("command", ["eval run", "dataset build"])
def test_env_endpoint_reaches_the_command(tmp_path: Path, resolver: Resolver, command: str) -> None:
    args = [*command.split(), "-i", str(_rows(tmp_path)), "-o", str(tmp_path / "out.jsonl")]
    result = runner.invoke(app, args, env=WRITER_ENV)
    assert result.exit_code == 2 and "stopped before any model call" in result.stderr, result.output
    assert resolver.calls == [tuple(WRITER.values())]


def test_env_judge_reaches_dpo_pairs(tmp_path: Path, resolver: Resolver) -> None:
    resolver.stop_after = 2
    args = ["train", "dpo-pairs", "-i", str(_rows(tmp_path)), "-o", str(tmp_path / "p.jsonl")]
    result = runner.invoke(app, args, env=WRITER_ENV | JUDGE_ENV)
    assert result.exit_code == 2 and "stopped before any model call" in result.stderr, result.output
    assert resolver.calls == [tuple(WRITER.values()), tuple(JUDGE.values())]


# --- write --review-plan: the plan in the user's editor -----------------------------------------

PLAN = {
    "title": "Tea",
    "sections": [{"title": "Leaves", "main_point": "where tea grows", "words": 300}],
}
PLANNED = json.dumps(PLAN, ensure_ascii=False, indent=2) + "\n"
EDITED = {
    "title": "Tea",
    "sections": [{"title": "Cups", "main_point": "how tea is served", "words": 400}],
}


@pytest.fixture
def editor(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[Any]]]:
    """A terminal, and an editor and a yes/no prompt that answer from the lists the test fills in
    (``edits``: what the user saves, None = quit without saving; ``again``: the answers)."""
    script: dict[str, list[Any]] = {"edits": [], "again": [], "shown": []}

    def edit(text: str, *, extension: str) -> str | None:
        assert extension == ".json"
        script["shown"].append(text)
        return script["edits"].pop(0)

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(click, "edit", edit)
    monkeypatch.setattr(typer, "confirm", lambda *a, **k: script["again"].pop(0))
    yield script
    assert not script["edits"] and not script["again"], "the editor was opened fewer times"


def test_review_applies_the_edited_plan(editor: dict[str, list[Any]]) -> None:
    editor["edits"] = [json.dumps(EDITED)]
    assert edit_plan(PLAN) == EDITED
    assert editor["shown"] == [PLANNED]


@pytest.mark.parametrize("saved", [None, PLANNED, PLANNED.strip() + "\n\n"])
def test_review_keeps_the_plan_when_nothing_is_saved_or_changed(
    editor: dict[str, list[Any]], saved: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    editor["edits"] = [saved]
    assert edit_plan(PLAN) is None
    assert "plan kept as planned" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"title": "Tea", "sections": [', "error: the edited plan: invalid JSON ("),
        (
            json.dumps({"sections": [{"title": "A", "words": 1_000_000}]}),
            "error: the edited plan: plan section 1: words must be a word count from 0",
        ),
    ],
)
def test_review_reopens_a_bad_edit_until_it_is_fixed(
    editor: dict[str, list[Any]], bad: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    editor["edits"] = [bad, json.dumps(EDITED)]
    editor["again"] = [True]
    assert edit_plan(PLAN) == EDITED
    assert editor["shown"] == [PLANNED, bad]  # the user's text comes back to be fixed
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(message), errors


def test_review_keeps_the_plan_after_a_bad_edit_if_the_user_says_so(
    editor: dict[str, list[Any]],
) -> None:
    editor["edits"] = ["{oops"]
    editor["again"] = [False]
    assert edit_plan(PLAN) is None


def test_review_quit_without_saving_after_a_bad_edit_keeps_the_plan(
    editor: dict[str, list[Any]],
) -> None:
    editor["edits"] = ["{oops", None]
    editor["again"] = [True]
    assert edit_plan(PLAN) is None


def test_review_without_a_working_editor(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise click.UsageError("nano: Editing failed")

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(click, "edit", broken)
    with pytest.raises(
        ConfigError, match=r"cannot edit the plan: nano: Editing failed \(set \$EDITOR\)"
    ):
        edit_plan(PLAN)


def test_review_without_a_terminal_accepts_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    monkeypatch.setattr(click, "edit", lambda *a, **k: pytest.fail("an editor was opened"))
    assert edit_plan(PLAN) is None
