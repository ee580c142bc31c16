"""Bad input on the command line: exit 2 with one line ``error: ...`` before any model starts.

The ``no_model`` fixture makes every way of starting a model (the graph, the embedded server, a
server probe) fail the test, so these tests need no server at all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from longwriter.cli import app
from longwriter.cli.inputs import read_instruction
from tests.fakes import ScriptedWriter, write_with

runner = CliRunner()


def _forbidden(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a model was started")


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("longwriter.api.DocumentRun.values", _forbidden)
    monkeypatch.setattr("longwriter.api.make_plan", _forbidden)
    monkeypatch.setattr("longwriter.llm.local_server.LocalServer.start", _forbidden)
    monkeypatch.setattr("longwriter.llm.endpoint._get_models", _forbidden)


def _one_error_line(result: Any, message: str) -> None:
    """Exit 2, and the error is one line (progress lines may come before it)."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "Traceback" not in result.output, result.stderr
    assert message in lines[-1]


def _file(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- instruction: text or file ------------------------------------------------------------------

LONG_EN = "Write a 10000-word report on input/output and client/server design. " * 60
LONG_ZH = "写一篇一万字的文章，讨论输入/输出与客户端/服务器的设计" * 20


@pytest.mark.parametrize(
    "instruction",
    [
        LONG_EN,
        LONG_ZH,
        "写一篇关于输入/输出的文章",
        "a" * 300 + "/" + "b" * 300,
        "Write about C:\\Users and /etc/passwd in 800 words.",
        "x" * 5000,
    ],
)
def test_instruction_text_of_any_length_and_script_stays_text(instruction: str) -> None:
    assert read_instruction(instruction) == instruction.strip()


def test_an_existing_prompt_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _file(tmp_path / "prompt", "\ufeffWrite about tea.\n")
    _file(tmp_path / "my prompt.txt", "Write about rivers.")
    assert read_instruction("prompt") == "Write about tea."
    assert read_instruction("my prompt.txt") == "Write about rivers."
    assert read_instruction(str(tmp_path / "prompt")) == "Write about tea."


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize(
    ("argument", "content", "message"),
    [
        ("missing.txt", None, "prompt file missing.txt does not exist"),
        ("notes/rome", None, "prompt file notes/rome does not exist"),
        ("prompt.text", None, "prompt file prompt.text does not exist"),
        ("/no/such/prompt", None, "prompt file /no/such/prompt does not exist"),
        ("./rome", None, "prompt file rome does not exist"),
        ("folder", "DIR", "prompt file folder is a folder, not a file"),
        ("empty.md", "", "prompt file empty.md is empty"),
        ("blank.txt", " \n\t\n", "prompt file blank.txt is empty"),
        ("nul.txt", b"\0" * 64, "prompt file nul.txt is binary (it holds NUL bytes)"),
        ("binary", b"Write\0about tea", "prompt file binary is binary"),
        ("latin1.txt", "Write about café".encode("latin-1"), "is not UTF-8 text"),
    ],
)
@pytest.mark.parametrize("command", ["write", "plan"])
def test_bad_prompt_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    argument: str,
    content: str | bytes | None,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    if content == "DIR":
        (tmp_path / argument).mkdir()
    elif content is not None:
        _file(tmp_path / argument, content)
    _one_error_line(runner.invoke(app, [command, argument]), message)


@pytest.mark.usefixtures("no_model")
def test_empty_instruction_text() -> None:
    _one_error_line(runner.invoke(app, ["write", "   "]), "the instruction is empty")


def test_an_absurd_target_exits_2_before_any_model_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = ScriptedWriter()
    write_with(monkeypatch, fake)
    args = ["write", "Write a 1" + "0" * 309 + "-word essay", "-o", str(tmp_path / "out.md")]
    args += ["--checkpoints", str(tmp_path / "ck.sqlite"), "--memory", ":memory:"]
    result = runner.invoke(app, [*args, "--embedding", "hash"])
    _one_error_line(result, "the instruction asks for more than 200000 words, the limit")
    assert fake.calls == []


# --- --plan -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "a plan needs a non-empty list of sections"),
        ('{"title": "T"}', "a plan needs a non-empty list of sections"),
        ('{"sections": "intro, body"}', "a plan needs a non-empty list of sections"),
        ("[3]", "plan section 1 must be an object or a string, got 3"),
        ('[{"words": 5}]', "plan section 1 has neither a title nor a main_point"),
        ('[{"title": "A", "words": 1e999}]', "words must be a word count from 0 to 200000"),
        ('[{"title": "A", "words": 1000000}]', "words must be a word count from 0 to 200000"),
        ('[{"title": "A", "part": 3, "parts": 2}]', "plan section 1: part 3 of 2: need 1 <= part"),
        ('[{"title": "A", "part": "1"}]', "part and parts must both be whole numbers"),
        (
            json.dumps([{"title": f"S{i}", "words": 150_000} for i in range(2)]),
            "add up to 300000 words, above the limit of 200000",
        ),
        ("{not json", "invalid JSON (Expecting property name"),
        ("[" * 100_000, "invalid JSON (nested too deeply)"),
        ("", "plan file"),
    ],
)
def test_bad_plan_files(tmp_path: Path, content: str, message: str) -> None:
    plan = _file(tmp_path / "plan.json", content)
    result = runner.invoke(app, ["write", "Write about tea.", "--plan", str(plan)])
    _one_error_line(result, message)


@pytest.mark.usefixtures("no_model")
def test_plan_file_that_is_a_folder_or_missing(tmp_path: Path) -> None:
    for plan, message in ((tmp_path, "is a folder"), (tmp_path / "nope.json", "does not exist")):
        result = runner.invoke(app, ["write", "Write about tea.", "--plan", str(plan)])
        _one_error_line(result, message)


# --- endpoints ----------------------------------------------------------------------------------

BAD_URL = "must be an http:// or https:// URL such as http://gpu-box:8000/v1, got 'not-a-url'"


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize(
    "args",
    [
        ["write", "Write about tea.", "--base-url", "not-a-url"],
        ["plan", "Write about tea.", "--base-url", "not-a-url"],
        ["write", "Write about tea.", "--endpoint", "plan=not-a-url"],
    ],
)
def test_bad_urls_fail_at_once(args: list[str]) -> None:
    _one_error_line(runner.invoke(app, args), BAD_URL)


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--embedding", "bert"], {}, "--embedding must be one of auto, minilm, onnx"),
        (["--embedding-url", "gpu:8001"], {}, "--embedding-url must be an http://"),
        ([], {"LONGWRITER_EMBEDDING_URL": "gpu:8001"}, "--embedding-url must be an http://"),
        ([], {"LONGWRITER_EMBEDDING": "bert"}, "--embedding must be one of"),
        (
            ["--embedding", "openai"],
            {},
            "needs an embeddings URL (--embedding-url) or a --base-url",
        ),
    ],
)
@pytest.mark.parametrize("command", ["write", "plan"])
def test_bad_embedder_options_fail_at_once(
    command: str, args: list[str], env: dict[str, str], message: str
) -> None:
    result = runner.invoke(app, [command, "Write about tea.", *args], env=env)
    _one_error_line(result, message)


@pytest.mark.usefixtures("no_model")
def test_bad_urls_fail_at_once_in_dataset_build(tmp_path: Path) -> None:
    rows = _file(tmp_path / "in.jsonl", json.dumps({"prompt": "Write about tea."}))
    args = ["dataset", "build", "-i", str(rows), "-o", str(tmp_path / "out.jsonl")]
    _one_error_line(runner.invoke(app, [*args, "--base-url", "not-a-url"]), BAD_URL)


@pytest.mark.usefixtures("no_model")
def test_agent_only_options_in_direct_mode(tmp_path: Path) -> None:
    rows = _file(tmp_path / "in.jsonl", json.dumps({"prompt": "Write about tea.", "length": 100}))
    out = str(tmp_path / "p.jsonl")
    args = ["eval", "run", "--dataset", str(rows), "--out", out, "--mode", "direct"]
    result = runner.invoke(app, [*args, "--fresh", "--checkpoints", str(tmp_path / "c.sqlite")])
    _one_error_line(result, "--checkpoints, --fresh: only with --mode agent")


# --- outputs ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize(
    ("option", "target", "message"),
    [
        ("-o", "folder", "--output {tmp}/folder is a folder: give a file name"),
        ("--report", "folder", "--report {tmp}/folder is a folder: give a file name"),
        ("-o", "afile/out.md", "--output: {tmp}/afile is a file, not a folder"),
        ("-o", "afile/deeper/out.md", "--output: cannot write in {tmp}/afile/deeper: Not a dir"),
        ("--checkpoints", "folder", "--checkpoints {tmp}/folder is a folder"),
    ],
)
def test_unwritable_outputs_fail_before_writing(
    tmp_path: Path, option: str, target: str, message: str
) -> None:
    (tmp_path / "folder").mkdir()
    _file(tmp_path / "afile", "x")
    result = runner.invoke(app, ["write", "Write about tea.", option, str(tmp_path / target)])
    _one_error_line(result, message.format(tmp=tmp_path))


@pytest.mark.usefixtures("no_model")
def test_plan_output_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "Write about tea.", "-o", str(tmp_path)])
    _one_error_line(result, f"--output {tmp_path} is a folder")


@pytest.mark.usefixtures("no_model")
def test_batch_out_dir_that_is_a_file(tmp_path: Path) -> None:
    batch = _file(tmp_path / "in.jsonl", json.dumps({"prompt": "Write about tea."}))
    out = _file(tmp_path / "out", "x")
    result = runner.invoke(app, ["write", "--batch", str(batch), "--out-dir", str(out)])
    _one_error_line(result, f"--out-dir: {out} is a file, not a folder")


# --- dataset build and dataset instructions -----------------------------------------------------


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize(
    "rows",
    [
        "",
        "\0" * 100,
        json.dumps({"prompt": "Write about tea.", "length": int("1" + "0" * 400)}),
        json.dumps({"prompt": "   "}),
    ],
)
def test_dataset_build_without_a_usable_instruction_keeps_the_output(
    tmp_path: Path, rows: str
) -> None:
    instructions = _file(tmp_path / "in.jsonl", rows)
    out = _file(tmp_path / "train.jsonl", '{"kept": "from an earlier build"}\n')
    result = runner.invoke(app, ["dataset", "build", "-i", str(instructions), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "error: no usable instruction in" in result.stderr
    assert out.read_text() == '{"kept": "from an earlier build"}\n'


@pytest.mark.usefixtures("no_model")
def test_dataset_build_output_that_is_a_folder(tmp_path: Path) -> None:
    instructions = _file(tmp_path / "in.jsonl", json.dumps({"prompt": "Write about tea."}))
    result = runner.invoke(app, ["dataset", "build", "-i", str(instructions), "-o", str(tmp_path)])
    _one_error_line(result, f"--output {tmp_path} is a folder")


def test_dataset_build_into_a_missing_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from longwriter import llm
    from longwriter.llm import Endpoint

    class Document:
        text = "Tea is a drink. " * 50
        report: ClassVar = {"target_words": 200, "words": 200, "sections": []}
        plan: ClassVar = []

    async def write(*args: Any, **kwargs: Any) -> Document:
        return Document()

    monkeypatch.setattr(llm, "resolve_endpoint", lambda *a, **k: Endpoint("http://x/v1", "m"))
    monkeypatch.setattr(llm, "check_endpoint", lambda *a, **k: 8192)
    monkeypatch.setattr("longwriter.batch.store.awrite_document", write)
    instructions = _file(tmp_path / "in.jsonl", json.dumps({"prompt": "Write about tea."}))
    out = tmp_path / "new" / "deeper" / "train.jsonl"
    result = runner.invoke(app, ["dataset", "build", "-i", str(instructions), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and out.with_name("train.build.jsonl").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\0\0\0", "topic file {path} is binary"),
        (b"\xff\xfe tea", "topic file {path} is not UTF-8 text"),
        (b"", "topic file {path} is empty"),
    ],
)
def test_bad_topic_files(tmp_path: Path, content: bytes, message: str) -> None:
    topics = _file(tmp_path / "topics.txt", content)
    args = ["dataset", "instructions", "-t", str(topics), "-o", str(tmp_path / "out.jsonl")]
    _one_error_line(runner.invoke(app, args), message.format(path=topics))


# --- eval rows ----------------------------------------------------------------------------------


def test_eval_length_row_of_absurd_length(tmp_path: Path) -> None:
    row = {"prompt": "Write about tea.", "length": int("1" + "0" * 400), "response": "Tea."}
    pred = _file(tmp_path / "pred.jsonl", json.dumps(row) + "\n")
    result = runner.invoke(app, ["eval", "length", "--pred", str(pred)])
    _one_error_line(result, "pred.jsonl:1: 'length' must be a word count from 1 to 200000")
