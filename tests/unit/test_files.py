"""Atomic writes: a failed write leaves the old file as it was and no temporary file behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from longwriter.files import replacing, save_json, save_text
from longwriter.jsonl import read_jsonl, save_jsonl


class Unwritable:
    """A row whose serialisation fails, as a bug or a bad value would midway through a file."""

    def __repr__(self) -> str:
        return "Unwritable()"


def test_a_write_that_fails_midway_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    save_jsonl(path, [{"n": 1}])
    with pytest.raises(TypeError, match="not JSON serializable"):
        save_jsonl(path, [{"n": 2}, {"n": 3, "bad": Unwritable()}])
    assert [row for _, row in read_jsonl(path)] == [{"n": 1}]
    assert os.listdir(tmp_path) == ["out.jsonl"]


def test_an_exception_inside_the_block_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "report.md"
    save_text(path, "old")
    with pytest.raises(RuntimeError), replacing(path) as fh:
        fh.write("new, half written")
        raise RuntimeError("disk full")
    assert path.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["report.md"]


def test_a_value_json_cannot_hold_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "report.json"
    with pytest.raises(TypeError):
        save_json(path, {"x": Unwritable()})
    assert os.listdir(tmp_path) == []  # serialised before anything is written


def test_saves_create_folders_replace_files_and_keep_permissions(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "plan.json"
    save_json(path, {"title": "长文"})
    path.chmod(0o600)
    save_json(path, {"title": "new"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"title": "new"}
    assert path.stat().st_mode & 0o777 == 0o600
    assert "长文" in save_text(tmp_path / "t.md", "长文").read_text(encoding="utf-8")
