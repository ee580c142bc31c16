"""JSONL reading with line numbers and crash-safe appending."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from longwriter.jsonl import JsonlError, append_jsonl, read_jsonl


def test_read_yields_line_numbers_and_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n\n   \n{"a": 2}\n{"a": 3}', encoding="utf-8")  # no final newline
    assert list(read_jsonl(path)) == [(1, {"a": 1}), (4, {"a": 2}), (5, {"a": 3})]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b'{"a": 1', "invalid JSON"),
        (b"[1, 2]", "expected a JSON object, got list"),
        (b'"text"', "expected a JSON object, got str"),
        (b'{"a": "\xff"}', "not UTF-8"),
    ],
)
def test_malformed_line_names_file_line_and_problem(
    tmp_path: Path, line: bytes, problem: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"ok": true}\n' + line + b'\n{"ok": false}\n')
    with pytest.raises(JsonlError) as info:
        list(read_jsonl(path))
    assert str(info.value).startswith(f"{path}:2: ")
    assert problem in str(info.value)
    assert info.value.lineno == 2
    assert isinstance(info.value, ValueError)


def test_skip_bad_warns_and_continues(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\nnot json\n{"a": 3}\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        rows = list(read_jsonl(path, skip_bad=True))
    assert rows == [(1, {"a": 1}), (3, {"a": 3})]
    assert f"{path}:2" in caplog.text


def test_append_creates_dirs_and_writes_one_utf8_line_per_row(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "out.jsonl"
    append_jsonl(path, {"text": "长文本\nwith newline"})
    append_jsonl(path, {"n": 2})
    raw = path.read_text(encoding="utf-8")
    assert raw.count("\n") == 2
    assert "长文本" in raw  # not \u-escaped
    assert [json.loads(x) for x in raw.splitlines()] == [{"text": "长文本\nwith newline"}, {"n": 2}]


def test_append_after_a_torn_line_keeps_the_new_row_intact(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    append_jsonl(path, {"n": 1})
    with path.open("ab") as fh:  # a writer killed mid-line
        fh.write(b'{"n": 2, "respo')
    append_jsonl(path, {"n": 3})
    assert [row for _, row in read_jsonl(path, skip_bad=True)] == [{"n": 1}, {"n": 3}]
    with pytest.raises(JsonlError, match=":2: invalid JSON"):
        list(read_jsonl(path))


def test_a_torn_last_line_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "out.jsonl"
    append_jsonl(path, {"n": 1})
    append_jsonl(path, {"n": 2})
    with path.open("ab") as fh:  # a writer killed mid-row
        fh.write(b'{"n": 3, "respo')
    with caplog.at_level(logging.WARNING):
        rows = list(read_jsonl(path))
    assert rows == [(1, {"n": 1}), (2, {"n": 2})]
    assert "torn last line" in caplog.text and f"{path}:3" in caplog.text


def test_a_torn_line_in_the_middle_is_still_an_error(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"n": 1}\n{"n": 2, "respo{"n": 3}\n{"n": 4}\n')
    with pytest.raises(JsonlError, match=r"out\.jsonl:2: invalid JSON"):
        list(read_jsonl(path))
