"""Report building (tables, plots, side-by-side runs) and the ruler's stress set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from longwriter.eval.cli import app
from longwriter.eval.judge import DIMENSIONS
from longwriter.eval.length import LengthRow
from longwriter.eval.report import artifact, build_report, load_run
from longwriter.eval.rows import load_tasks
from longwriter.eval.ruler import ruler_tasks, summarize_ruler
from longwriter.jsonl import append_jsonl
from longwriter.text import count_words, parse_target_words


def _run_files(
    folder: Path, name: str, words: list[int], rating: int | None, nll: float | None
) -> Path:
    pred = folder / f"{name}.jsonl"
    for i, n in enumerate(words):
        row = {"key": f"k{i}", "prompt": "Write.", "length": 100 * (i + 1), "response": "w " * n}
        append_jsonl(
            pred, {**row, "mode": name, "model": "tiny", "seconds": 2.0, "completion_tokens": 10}
        )
        if rating is not None:
            append_jsonl(
                artifact(pred, "judge.jsonl"),
                {"key": f"k{i}", "scores": dict.fromkeys(DIMENSIONS, rating)},
            )
        if nll is not None:
            append_jsonl(artifact(pred, "nll.jsonl"), {"key": f"k{i}", "nll": [nll] * 150})
    append_jsonl(
        artifact(pred, "judge.jsonl"), {"key": "other-run", "scores": dict.fromkeys(DIMENSIONS, 1)}
    )
    return pred


def test_report_puts_runs_side_by_side_with_plots(tmp_path: Path) -> None:
    agent = _run_files(tmp_path, "agent", [100, 200], rating=5, nll=2.0)
    direct = _run_files(tmp_path, "direct", [50, 0], rating=None, nll=None)
    runs = [load_run("agent", agent), load_run("direct", direct)]
    assert runs[0].length["S_l"] == 100.0 and runs[1].length["S_l"] == 25.0
    assert (
        runs[0].quality is not None and runs[0].quality["S_q"] == 100.0
    )  # the foreign key is ignored
    assert runs[0].quality["S"] == 100.0
    assert runs[1].nll is None and runs[1].quality is None  # its judge file has only a foreign row
    out = build_report(runs, tmp_path / "rep" / "report.md", title="T")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# T")
    assert "| S_l (length) | 100.00 | 25.00 |" in text
    assert "| S_q (quality) | 100.00 | – |" in text
    assert "| [0,500) | 100.00 (2) | 25.00 (2) |" in text
    assert "| Coherence | 100.00 | – |" in text
    assert "| 100 | 2.00 | – |" in text  # cumulative NLL at position 100
    assert "| k1 | 200 | 200 (100) | 0 (0) |" in text
    for png in ("report.length.png", "report.nll.png"):
        assert f"]({png})" in text
        assert (out.parent / png).stat().st_size > 1000


def test_report_command(tmp_path: Path) -> None:
    pred = _run_files(tmp_path, "p", [100], rating=3, nll=None)
    out = tmp_path / "r.md"
    result = CliRunner().invoke(app, ["report", "--run", str(pred), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["runs"] == {
        "p": {"S_l": 100.0, "missing": 0, "S_q": 50.0, "S": 75.0, "mean_nll": None}
    }
    dup = CliRunner().invoke(app, ["report", "--run", f"a={pred}", "--run", f"a={pred}"])
    assert dup.exit_code == 2 and "labels must differ" in dup.output


def test_ruler_set_covers_topics_lengths_and_languages() -> None:
    tasks = ruler_tasks([1000, 30000], ["en", "zh"], topics_per_language=2)
    assert len(tasks) == 8
    assert len({t.key for t in tasks}) == 8
    for task in tasks:
        assert parse_target_words(task.prompt) == task.length  # the agent reads the same target
        assert task.fields["length"] == task.length and task.fields["key"] == task.key
    zh = [t for t in tasks if t.type == "ruler-zh"]
    assert zh and all(count_words(t.prompt) > 10 and "字" in t.prompt for t in zh)
    assert len(ruler_tasks([500], ["en"])) >= 3
    with pytest.raises(ValueError):
        ruler_tasks([0], ["en"])


def test_ruler_summary_per_length() -> None:
    rows = [
        LengthRow("a", 1000, 500, 50.0, "[500,2k)"),
        LengthRow("b", 1000, 1000, 100.0, "[500,2k)"),
        LengthRow("c", 5000, 1000, 0.0, "[4k,20k]"),
    ]
    assert summarize_ruler(rows) == {
        "1000": {"n": 2, "missing": 0, "produced_mean": 750.0, "ratio": 0.75, "S_l": 75.0},
        "5000": {"n": 1, "missing": 0, "produced_mean": 1000.0, "ratio": 0.2, "S_l": 0.0},
    }


def test_ruler_command_writes_the_stress_set(tmp_path: Path) -> None:
    args = [
        "ruler",
        "--out-dir",
        str(tmp_path),
        "--dataset-only",
        "--lengths",
        "1000,2000",
        "--topics",
        "1",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["rows"] == 4
    rows: list[dict[str, Any]] = [
        json.loads(x) for x in (tmp_path / "ruler.jsonl").read_text().splitlines()
    ]
    assert [r["length"] for r in rows] == [1000, 2000, 1000, 2000]
    bad = CliRunner().invoke(app, ["ruler", "--dataset-only", "--lengths", "1000,-5"])
    assert bad.exit_code == 2
    bad = CliRunner().invoke(app, ["ruler", "--dataset-only", "--language", "fr"])
    assert bad.exit_code == 2 and "unknown language" in bad.output


def _dataset(folder: Path, lengths: list[int]) -> Path:
    path = folder / "data.jsonl"
    for i, n in enumerate(lengths):
        append_jsonl(path, {"key": f"k{i}", "prompt": "Write.", "length": n})
    return path


def test_report_scores_missing_dataset_rows_as_zero(tmp_path: Path) -> None:
    agent = _run_files(tmp_path, "agent", [100, 200], rating=5, nll=None)  # k0, k1: S_l 100 each
    direct = _run_files(tmp_path, "direct", [100], rating=None, nll=None)  # k0 only
    required = load_tasks(_dataset(tmp_path, [100, 200, 300]))
    runs = [load_run(label, p, required=required) for label, p in (("a", agent), ("d", direct))]
    assert [r.length["S_l"] for r in runs] == [66.67, 33.33]  # 200/3 and 100/3
    assert [r.length["missing"] for r in runs] == [1, 2]
    assert runs[0].quality is not None and runs[0].quality["S_q"] == 100.0
    assert runs[0].quality["S"] == pytest.approx((200 / 3 + 100) / 2, abs=0.01)
    text = build_report(runs, tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| missing predictions (S_l 0) | 1 | 2 |" in text
    assert "| [0,500) | 66.67 (3) | 33.33 (3) |" in text
    assert "| k1 | 200 | 200 (100) | missing (0) |" in text
    assert "| k2 | 300 | missing (0) | missing (0) |" in text


def test_report_command_with_dataset_and_limit(tmp_path: Path) -> None:
    pred = _run_files(tmp_path, "p", [100], rating=None, nll=None)
    dataset = _dataset(tmp_path, [100, 200, 300])
    base = ["report", "--run", str(pred), "--out", str(tmp_path / "r.md")]
    for extra, s_l, missing in (([], 33.33, 2), (["--limit", "2"], 50.0, 1)):
        result = CliRunner().invoke(app, [*base, "--dataset", str(dataset), *extra])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout.strip().splitlines()[-1])["runs"]["p"]
        assert (summary["S_l"], summary["missing"]) == (s_l, missing)
    bad = CliRunner().invoke(app, [*base, "--limit", "2"])
    assert bad.exit_code == 2 and "--limit needs --dataset" in bad.output


def test_quality_command_counts_missing_rows_in_s_l(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import longwriter.eval.cli as cli
    from longwriter.eval import judge as judging
    from longwriter.llm import Endpoint

    class TopJudge:
        def __init__(self, config: Any) -> None:
            pass

        async def judge(self, pred: Any) -> dict[str, Any]:
            return {"scores": dict.fromkeys(DIMENSIONS, 5)}

    monkeypatch.setattr(judging, "Judge", TopJudge)
    monkeypatch.setattr(cli, "resolve_endpoint", lambda *a: Endpoint("http://judge/v1", "j"))
    pred = _run_files(tmp_path, "p", [100, 100], rating=None, nll=None)  # k1 wants 200: S_l 50
    dataset = _dataset(tmp_path, [100, 200, 300])
    base = ["quality", "--pred", str(pred), "--judge-context-window", "4096"]
    with_set = CliRunner().invoke(app, [*base, "--dataset", str(dataset)])
    assert with_set.exit_code == 0, with_set.output
    summary = json.loads(with_set.stdout.strip().splitlines()[-1])
    # S_l = (100 + 50 + 0) / 3 = 50, S_q = 100, S = 75; without the dataset S_l = 75, S = 87.5.
    assert (summary["S_l"], summary["S_q"], summary["S"], summary["missing"]) == (50.0, 100, 75, 1)
    assert summary["judged"] == 2
    alone = json.loads(CliRunner().invoke(app, base).stdout.strip().splitlines()[-1])
    assert (alone["S_l"], alone["S"], alone["missing"]) == (75.0, 87.5, 0)


def test_ruler_summary_counts_missing_rows_as_zero() -> None:
    rows = [
        LengthRow("a", 1000, 500, 50.0, "[500,2k)"),
        LengthRow("b", 1000, 0, 0.0, "[500,2k)", missing=True),
        LengthRow("c", 5000, 0, 0.0, "[4k,20k]", missing=True),
    ]
    assert summarize_ruler(rows) == {
        "1000": {"n": 2, "missing": 1, "produced_mean": 500.0, "ratio": 0.5, "S_l": 25.0},
        "5000": {"n": 1, "missing": 1, "produced_mean": None, "ratio": None, "S_l": 0.0},
    }
