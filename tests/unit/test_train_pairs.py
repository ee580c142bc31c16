"""DPO pair selection: ranking by length score (and quality), margin, degenerate samples, resume."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from longwriter.batch.resumable import prompt_key
from longwriter.data.build import Instruction
from longwriter.jsonl import read_jsonl
from longwriter.train.pairs import (
    build_pairs,
    judge_quality,
    pair_paths,
    score_candidate,
    select_pair,
    split_samples,
)
from tests.fakes import letter_code


def prose(n: int, tag: str = "w") -> str:
    return " ".join(f"{tag}{letter_code(i)}" for i in range(n))


def test_candidate_scores_follow_length_score_and_quality() -> None:
    on_target = score_candidate(prose(1000), 1000)
    assert on_target.length_score == 100.0 and on_target.score == 100.0
    assert score_candidate(prose(500), 1000).score == pytest.approx(50.0)
    with_judge = score_candidate(prose(1000), 1000, quality=60.0)
    assert with_judge.score == pytest.approx(80.0)


def test_degenerate_sample_ranks_last_even_when_long() -> None:
    looping = " ".join(["the same words again"] * 300)
    cand = score_candidate(looping, 1000)
    assert cand.degenerate and cand.score == 0.0 and cand.length_score > 90


def test_pair_is_best_against_worst_with_a_clear_margin() -> None:
    best, mid, worst = (
        score_candidate(prose(n, t), 1000) for n, t in ((990, "a"), (700, "b"), (300, "c"))
    )
    chosen, rejected = select_pair([mid, worst, best], margin=10) or (None, None)
    assert chosen is best and rejected is worst


def test_no_pair_without_margin_or_distinct_texts() -> None:
    a, b = score_candidate(prose(1000, "a"), 1000), score_candidate(prose(980, "b"), 1000)
    assert b.score > 95 and select_pair([a, b], margin=10) is None
    assert select_pair([a, a], margin=0) is None
    looping = score_candidate(" ".join(["loop loop loop loop"] * 300), 1000)
    assert select_pair([looping, looping], margin=0) is None


def test_quality_can_reverse_the_length_ranking() -> None:
    long_bad = score_candidate(prose(1000, "a"), 1000, quality=0.0)  # (100 + 0) / 2 = 50
    short_good = score_candidate(prose(800, "b"), 1000, quality=100.0)  # (87.5 + 100) / 2
    chosen, rejected = select_pair([long_bad, short_good], margin=10) or (None, None)
    assert chosen is short_good and rejected is long_bad


def test_judge_quality_maps_ratings_to_0_100() -> None:
    assert judge_quality({"relevance": 5, "accuracy": 1}) == 50.0
    assert judge_quality(None) is None


def test_build_pairs_resumes_and_reselects_with_a_new_margin(tmp_path: Path) -> None:
    instr = [
        Instruction(prompt_key(p), p, 400, i + 1)
        for i, p in enumerate(["Write about tea", "Write about salt", "Write about rain"])
    ]
    lengths = {"Write about tea": [400, 100], "Write about salt": [400, 380]}
    calls: list[str] = []

    async def sample(item: Instruction, index: int) -> str:
        calls.append(item.prompt)
        if item.prompt == "Write about rain":
            raise ConnectionError("server went away")
        return "Paragraph 1 - " + prose(lengths[item.prompt][index], f"s{letter_code(index)}x")

    out = tmp_path / "pairs.jsonl"
    summary, counts = asyncio.run(build_pairs(instr, out, sample=sample, samples=2, margin=10))
    assert (summary.done, summary.failed) == (2, 1)
    assert (counts.instructions, counts.pairs, counts.no_margin) == (2, 1, 1)
    [row] = [r for _, r in read_jsonl(out)]
    assert row["prompt"] == [{"role": "user", "content": "Write about tea"}]
    assert row["chosen"][0]["content"] == prose(400, "sax")  # label stripped
    assert row["rejected"][0]["content"] == prose(100, "sbx")
    assert row["score_chosen"] == 100.0 and row["score_rejected"] == 0.0

    lengths["Write about rain"] = [400, 200]
    calls.clear()

    async def healthy(item: Instruction, index: int) -> str:
        calls.append(item.prompt)
        return prose(lengths[item.prompt][index], f"s{letter_code(index)}x")

    summary, counts = asyncio.run(build_pairs(instr, out, sample=healthy, samples=2, margin=10))
    assert calls == ["Write about rain", "Write about rain"]  # only the failed one
    assert (summary.skipped, counts.pairs) == (2, 2)
    counts = split_samples(pair_paths(out), out, margin=0.5)
    assert counts.pairs == 3
    first = json.loads(out.read_text().splitlines()[0])
    assert set(first) >= {"prompt", "chosen", "rejected", "target"}


def test_needs_a_target_and_two_samples(tmp_path: Path) -> None:
    async def sample(item: Instruction, index: int) -> str:
        return prose(10)

    no_target = [Instruction("k", "Write about tea", None, 1)]
    summary, _ = asyncio.run(build_pairs(no_target, tmp_path / "p.jsonl", sample=sample))
    assert summary.failed == 1 and "no target length" in summary.errors[0][1]
    with pytest.raises(ValueError, match="at least 2"):
        asyncio.run(build_pairs(no_target, tmp_path / "p.jsonl", sample=sample, samples=1))
