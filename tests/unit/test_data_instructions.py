"""`dataset instructions` (topics to instructions) and `dataset stats` (length distribution)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from longwriter.data.instructions import make_instructions, read_topics, spread_targets
from longwriter.data.stats import load_length_stats, plot_lengths
from longwriter.errors import ConfigError
from longwriter.text import parse_target_words


def test_topics_skip_blanks_comments_and_repeats(tmp_path: Path) -> None:
    path = tmp_path / "topics.txt"
    path.write_text("# history\nthe Roman roads\n\nthe Roman roads\n  tea in China  \n")
    assert read_topics(path) == ["the Roman roads", "tea in China"]
    (tmp_path / "empty.txt").write_text("# nothing\n\n")
    with pytest.raises(ConfigError, match="no topics"):
        read_topics(tmp_path / "empty.txt")


def test_targets_cover_the_range_evenly_on_a_log_scale() -> None:
    targets = spread_targets(12, 2000, 20000, seed=3)
    assert min(targets) == 2000 and max(targets) == 20000
    ordered = sorted(targets)
    logs = [math.log(b / a) for a, b in itertools.pairwise(ordered)]
    assert max(logs) - min(logs) < 0.1  # evenly spaced ratios, up to rounding
    assert targets != ordered  # shuffled, so topic order does not decide length
    assert all(t % 100 == 0 for t in targets) and all(t % 500 == 0 for t in targets if t >= 5000)
    assert spread_targets(1, 2000, 8000) == [4000]
    with pytest.raises(ConfigError):
        spread_targets(3, 5000, 1000)


def test_instructions_state_their_target_in_the_topic_language() -> None:
    rows = make_instructions(
        ["the Roman roads", "茶的历史", "clocks"], min_words=1000, max_words=9000
    )
    assert [r["topic"] for r in rows] == ["the Roman roads", "茶的历史", "clocks"]
    for row in rows:
        assert row["topic"] in row["prompt"]
        assert parse_target_words(row["prompt"]) == row["length"]
    assert "字" in rows[1]["prompt"] and "word" in rows[0]["prompt"]
    assert make_instructions(["clocks"], language="zh")[0]["prompt"].endswith("。")


def test_stats_buckets_and_plot(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    rows = [
        {"messages": [], "words": 300, "target": 500, "S_l": 60.0, "rep4": 0.01},
        {"messages": [], "words": 2500, "target": 2000, "S_l": 91.7, "rep4": 0.02},
        {"messages": [], "words": 12000, "target": 12000, "S_l": 100.0, "rep4": 0.03},
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a b c"}]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{bad\n")
    stats = load_length_stats(path)
    summary = stats.summary()
    assert (summary["rows"], summary["min"], summary["max"]) == (4, 3, 12000)
    assert summary["mean_S_l"] == pytest.approx(83.9)
    assert summary["mean_words_per_target"] == pytest.approx((0.6 + 1.25 + 1.0) / 3, abs=1e-3)
    assert stats.buckets() == {
        "0-500": 2,
        "500-2k": 0,
        "2k-5k": 1,
        "5k-10k": 0,
        "10k-20k": 1,
        "20k+": 0,
    }
    pytest.importorskip("matplotlib")
    png = plot_lengths(stats, tmp_path / "lengths.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
