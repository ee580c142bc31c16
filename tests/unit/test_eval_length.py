"""Length score S_l: hand-computed rows, buckets, input validation and the `eval length` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from longwriter.eval.cli import app
from longwriter.eval.length import (
    bucket_of,
    plot_points,
    score_prediction,
    score_rows,
    summarize_length,
)
from longwriter.eval.rows import EvalInputError, load_predictions, load_tasks, parse_prediction

runner = CliRunner()


def _pred(length: Any, response: Any, **extra: Any) -> dict[str, Any]:
    return {"prompt": "Write something.", "length": length, "response": response, **extra}


def _score(length: int, response: str) -> float:
    return score_prediction(parse_prediction(_pred(length, response))).score


@pytest.mark.parametrize(
    ("required", "produced", "expected"),
    [
        (100, 100, 100.0),  # exact
        (100, 150, 100 * (1 - 0.5 / 3)),  # over by half: 83.33
        (100, 250, 50.0),  # over 2.5x: 1 - 1.5/3
        (100, 400, 0.0),  # over 4x: floor at 0
        (100, 1000, 0.0),
        (100, 50, 50.0),  # under by half: 1 - (2 - 1)/2
        (100, 80, 100 * (1 - 0.25 / 2)),  # 87.5
        (100, 33, 0.0),  # under 3x: floor at 0
        (100, 0, 0.0),  # zero output
    ],
)
def test_length_score_matches_hand_computed_values(
    required: int, produced: int, expected: float
) -> None:
    assert _score(required, " ".join(["word"] * produced)) == pytest.approx(expected, abs=1e-6)


def test_chinese_text_counts_each_character_as_a_word() -> None:
    # 300 ideographs (punctuation counts nothing) against 600 required: 1 - (600/300 - 1)/2 = 50.
    text = "，".join(["长文本生成评测长文本"] * 30) + "。"
    row = score_prediction(parse_prediction(_pred(600, text)))
    assert row.produced == 300
    assert row.score == pytest.approx(50.0)


def test_produced_words_are_counted_as_longbench_write_counts_them() -> None:
    # 100 ASCII words and 50 numbers: LongBench-Write counts 100 (S_l 100), count_words 150.
    row = score_prediction(parse_prediction(_pred(100, "word 2024 word " * 50)))
    assert (row.produced, row.score) == (100, 100.0)
    # Accented words count nothing: 50 of 100 against 100 required scores 1 - (100/50 - 1)/2 = 50.
    row = score_prediction(parse_prediction(_pred(100, "café word " * 50)))
    assert (row.produced, row.score) == (50, 50.0)
    tasks = [parse_prediction({**_pred(100, ""), "key": "a"}).task]
    preds = [parse_prediction({**_pred(100, "Ünïcödé word " * 100), "key": "a"})]
    assert score_rows(preds, tasks)[0].produced == 100


def test_empty_and_null_responses_score_zero() -> None:
    assert _score(500, "") == 0.0
    assert _score(500, "   \n ") == 0.0
    assert score_prediction(parse_prediction(_pred(500, None))).score == 0.0


@pytest.mark.parametrize(
    ("required", "bucket"),
    [
        (1, "[0,500)"),
        (499, "[0,500)"),
        (500, "[500,2k)"),
        (1999, "[500,2k)"),
        (2000, "[2k,4k)"),
        (3999, "[2k,4k)"),
        (4000, "[4k,20k]"),
        (20000, "[4k,20k]"),
        (20001, ">20k"),
        (30000, ">20k"),
    ],
)
def test_bucket_boundaries(required: int, bucket: str) -> None:
    assert bucket_of(required) == bucket


def test_bucket_rejects_non_positive_length() -> None:
    with pytest.raises(ValueError):
        bucket_of(0)


def test_summary_means_overall_and_per_bucket() -> None:
    rows = [
        score_prediction(parse_prediction(_pred(100, "w " * 100))),  # 100
        score_prediction(parse_prediction(_pred(400, "w " * 200))),  # 50
        score_prediction(parse_prediction(_pred(3000, ""))),  # 0
    ]
    summary = summarize_length(rows)
    assert summary["S_l"] == 50.0
    assert summary["buckets"] == {
        "[0,500)": {"n": 2, "S_l": 75.0},
        "[500,2k)": {"n": 0, "S_l": None},
        "[2k,4k)": {"n": 1, "S_l": 0.0},
        "[4k,20k]": {"n": 0, "S_l": None},
    }
    assert summary["empty_responses"] == 1
    assert (
        ">20k"
        in summarize_length([score_prediction(parse_prediction(_pred(25000, "w")))])["buckets"]
    )


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({"length": 100, "response": "x"}, "'prompt' is missing"),
        ({"prompt": "  ", "length": 100, "response": "x"}, "'prompt' is missing or empty"),
        ({"prompt": "p", "response": "x"}, "'length' (required words) is missing"),
        (_pred(0, "x"), "word count from 1 to 200000, got 0"),
        (_pred(-5, "x"), "word count from 1 to 200000, got -5"),
        (_pred(10.5, "x"), "word count from 1 to 200000, got 10.5"),
        (_pred("many", "x"), "word count from 1 to 200000, got 'many'"),
        (_pred(True, "x"), "word count from 1 to 200000, got True"),
        ({"prompt": "p", "length": 100}, "'response' is missing"),
        (_pred(100, 42), "'response' must be text"),
    ],
)
def test_bad_rows_are_rejected(row: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_prediction(row)


def test_numeric_strings_and_integral_floats_are_accepted() -> None:
    assert parse_prediction(_pred("1000", "x")).task.length == 1000
    assert parse_prediction(_pred(2000.0, "x")).task.length == 2000


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loading_stops_at_a_bad_row_with_its_line_number_or_skips_it(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "d.jsonl",
        [
            json.dumps({"prompt": "a", "length": 100}),
            "{broken",
            json.dumps({"prompt": "b", "length": 0}),
            json.dumps({"prompt": "c", "length": 300, "type": "Essay"}),
        ],
    )
    with pytest.raises(EvalInputError, match=r"d\.jsonl:2: invalid JSON"):
        load_tasks(path)
    tasks = load_tasks(path, skip_bad=True)
    assert [(t.prompt, t.length, t.type) for t in tasks] == [("a", 100, None), ("c", 300, "Essay")]
    assert load_tasks(path, skip_bad=True, limit=1)[0].prompt == "a"
    path.write_text(json.dumps({"prompt": "b", "length": 0}) + "\n", encoding="utf-8")
    with pytest.raises(EvalInputError, match=r"d\.jsonl:1: 'length'"):
        load_tasks(path)


def test_keys_are_explicit_or_stable_hashes_and_unique(tmp_path: Path) -> None:
    same = {"prompt": "same", "length": 100}
    path = _write(
        tmp_path / "d.jsonl",
        [
            json.dumps(same),
            json.dumps(same),
            json.dumps({"idx": 7, **same}),
            json.dumps({"prompt": "x", "length": 1}),
        ],
    )
    keys = [t.key for t in load_tasks(path)]
    assert keys[0].startswith("h") and keys[1] == keys[0] + "-2"
    assert keys[2] == "7"
    assert keys == [t.key for t in load_tasks(path)]  # stable across reads
    assert len(set(keys)) == 4


def test_prediction_rows_reuse_their_key(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.jsonl", [json.dumps({"key": "k1", **_pred(100, "w")})])
    assert load_predictions(path)[0].task.key == "k1"


def _last_json(output: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def test_length_command_prints_summary_json_and_plots(tmp_path: Path) -> None:
    pred = _write(
        tmp_path / "preds.jsonl",
        [
            json.dumps(_pred(100, "w " * 150)),
            json.dumps(_pred(1000, "")),
            json.dumps(_pred(600, "字" * 300)),
        ],
    )
    plot = tmp_path / "len.png"
    result = runner.invoke(app, ["length", "--pred", str(pred), "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    summary = _last_json(result.stdout)
    assert summary["S_l"] == pytest.approx((100 * (1 - 0.5 / 3) + 0 + 50) / 3, abs=0.01)
    assert summary["buckets"]["[500,2k)"] == {"n": 2, "S_l": 25.0}
    assert plot.stat().st_size > 1000


def test_length_command_reports_bad_lines_and_can_skip_them(tmp_path: Path) -> None:
    pred = _write(
        tmp_path / "preds.jsonl", [json.dumps(_pred(100, "w")), "oops", json.dumps(_pred(-1, "w"))]
    )
    result = runner.invoke(app, ["length", "--pred", str(pred)])
    assert result.exit_code == 2
    assert "preds.jsonl:2: invalid JSON" in result.output
    result = runner.invoke(app, ["length", "--pred", str(pred), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert _last_json(result.stdout)["n"] == 1
    missing = runner.invoke(app, ["length", "--pred", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_required_rows_without_a_prediction_score_zero() -> None:
    tasks = [
        parse_prediction({**_pred(100, ""), "key": "a"}).task,
        parse_prediction({**_pred(400, ""), "key": "b"}).task,
    ]
    preds = [
        parse_prediction({**_pred(999, "w " * 200), "key": "b"}),  # scored against the task: 400
        parse_prediction({**_pred(100, "w " * 100), "key": "other"}),  # not required: left out
    ]
    rows = score_rows(preds, tasks)
    assert [(r.key, r.required, r.produced, r.score, r.missing) for r in rows] == [
        ("a", 100, 0, 0.0, True),
        ("b", 400, 200, 50.0, False),  # 1 - (400/200 - 1)/2
    ]
    assert plot_points(rows) == [(400, 200)]
    assert [r.key for r in score_rows(preds)] == ["b", "other"]  # no tasks: every prediction
    summary = summarize_length(rows)
    assert (summary["n"], summary["S_l"], summary["missing"], summary["empty_responses"]) == (
        2,
        25.0,
        1,
        0,
    )
    assert (summary["mean_required"], summary["mean_produced"]) == (250.0, 200.0)


def _length_files(tmp_path: Path) -> tuple[Path, Path]:
    """Four required rows: one over-long, one short, one empty, one with no prediction (failed)."""
    lengths = {1: 100, 2: 400, 3: 1000, 4: 3000}
    dataset = _write(
        tmp_path / "data.jsonl",
        [json.dumps({"idx": i, "prompt": f"Task {i}.", "length": n}) for i, n in lengths.items()],
    )
    responses = {1: "w " * 150, 2: "w " * 200, 3: ""}
    rows = [
        {"idx": i, "prompt": f"Task {i}.", "length": lengths[i], "response": r}
        for i, r in responses.items()
    ]
    rows.append({"idx": 9, "prompt": "Not in the dataset.", "length": 100, "response": "w " * 100})
    pred = _write(tmp_path / "preds.jsonl", [json.dumps(r) for r in rows])
    return dataset, pred


def test_length_command_scores_missing_dataset_rows_as_zero(tmp_path: Path) -> None:
    dataset, pred = _length_files(tmp_path)
    plot = tmp_path / "len.png"
    args = ["length", "--pred", str(pred), "--dataset", str(dataset), "--plot", str(plot)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = _last_json(result.stdout)
    # 150/100 words: 100 * (1 - 0.5/3) = 83.33; 200/400: 50; empty: 0; missing: 0. Row 9 is ignored.
    assert summary["S_l"] == 33.33
    assert (summary["n"], summary["missing"], summary["empty_responses"]) == (4, 1, 1)
    assert summary["buckets"] == {
        "[0,500)": {"n": 2, "S_l": 66.67},
        "[500,2k)": {"n": 1, "S_l": 0.0},
        "[2k,4k)": {"n": 1, "S_l": 0.0},
        "[4k,20k]": {"n": 0, "S_l": None},
    }
    assert (summary["mean_required"], summary["mean_produced"]) == (1125.0, 116.67)
    assert plot.stat().st_size > 1000
    # Without the dataset only the prediction rows count: (83.33 + 50 + 0 + 100) / 4.
    alone = _last_json(runner.invoke(app, ["length", "--pred", str(pred)]).stdout)
    assert (alone["S_l"], alone["n"], alone["missing"]) == (58.33, 4, 0)
    # --limit takes the dataset's first rows, as `eval run --limit` does.
    first = _last_json(runner.invoke(app, [*args[:5], "--limit", "2"]).stdout)
    assert (first["S_l"], first["n"], first["missing"]) == (66.67, 2, 0)


def test_length_command_with_no_prediction_yet_scores_zero(tmp_path: Path) -> None:
    dataset, _ = _length_files(tmp_path)
    empty = _write(tmp_path / "none.jsonl", [""])
    result = runner.invoke(app, ["length", "--pred", str(empty), "--dataset", str(dataset)])
    assert result.exit_code == 0, result.output
    summary = _last_json(result.stdout)
    assert (summary["S_l"], summary["missing"], summary["mean_produced"]) == (0.0, 4, None)
    bare = runner.invoke(app, ["length", "--pred", str(empty)])
    assert bare.exit_code == 2 and "no usable rows" in bare.output
