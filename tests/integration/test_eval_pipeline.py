"""The evaluation pipeline against the embedded llama.cpp server, through the `longwriter eval` CLI:
`run` (direct and agent, with resume), `length`, `quality` judged by the same small model, `nll`,
and a side-by-side report."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

from longwriter.eval.nll import LlamaCppScorer
from longwriter.jsonl import read_jsonl
from longwriter.llm.local_server import LocalServer
from longwriter.text import count_words_longbench

pytestmark = pytest.mark.integration

ROWS = [
    {
        "idx": 1,
        "prompt": "Write a 300-word blog post about the benefits of walking.",
        "length": 300,
    },
    {"idx": 2, "prompt": "写一篇300字的短文，介绍春节的传统习俗。", "length": 300},
]
N = len(ROWS)  # an English and a Chinese row: the longest test of the suite, kept to two


def _eval(*args: str) -> dict[str, Any]:
    """Run ``longwriter eval ARGS`` as the user would (own process) and parse its summary line."""
    cmd = [sys.executable, "-c", "from longwriter.cli import main; main()", "eval", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


@pytest.mark.timeout(2400)
def test_run_score_judge_nll_and_report(local_server: LocalServer, tmp_path: Path) -> None:
    dataset = tmp_path / "data.jsonl"
    dataset.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), "utf-8")
    server = ["--base-url", local_server.base_url, "--model", local_server.model]
    preds = {mode: tmp_path / f"{mode}.jsonl" for mode in ("direct", "agent")}

    # direct: one plain call per row (max_tokens capped only to bound the test's runtime)
    direct = ["run", "--dataset", str(dataset), "--out", str(preds["direct"]), "--mode", "direct"]
    summary = _eval(*direct, *server, "--max-tokens", "500")
    assert (summary["done"], summary["failed"]) == (N, 0), summary["errors"]
    rows = [row for _, row in read_jsonl(preds["direct"])]
    assert sorted(r["key"] for r in rows) == [str(r["idx"]) for r in ROWS]
    for row in rows:
        assert row["words"] == count_words_longbench(row["response"])
        assert row["completion_tokens"] > 0 and row["seconds"] > 0
    again = _eval(*direct, *server)  # resume: everything is already there
    assert (again["skipped"], again["done"]) == (N, 0)
    assert again["S_l"] == summary["S_l"]

    agent = ["run", "--dataset", str(dataset), "--out", str(preds["agent"]), "--mode", "agent"]
    summary = _eval(*agent, *server, "--agent-option", "max_revisions=0")
    # The 135M model sometimes cannot produce a plan: such rows are recorded, not written.
    assert summary["done"] >= 1 and summary["done"] + summary["failed"] == N, summary["errors"]
    assert all(e["error"] for e in summary["errors"])
    for _, row in read_jsonl(preds["agent"]):
        assert row["mode"] == "agent" and row["report"]["sections"]
        assert row["words"] == count_words_longbench(row["response"]) > 0
    rows_of = {"direct": N, "agent": summary["done"]}

    for mode, pred in preds.items():
        plot = tmp_path / f"{mode}.length.png"
        length = _eval("length", "--pred", str(pred), "--plot", str(plot))
        assert 0 <= length["S_l"] <= 100
        assert sum(b["n"] for b in length["buckets"].values()) == rows_of[mode]
        assert plot.stat().st_size > 1000

        quality = _eval("quality", "--pred", str(pred), "--judge-base-url", local_server.base_url)
        assert quality["batch"]["failed"] == 0
        # schema-constrained decoding: every answer parses
        assert quality["judged"] == rows_of[mode], quality["judge_errors"]
        assert 0 <= quality["S_q"] <= 100
        assert quality["S"] == pytest.approx((quality["S_l"] + quality["S_q"]) / 2, abs=0.01)

        nll = _eval("nll", "--pred", str(pred))
        assert nll["n"] == rows_of[mode] and nll["tokens"] > 0 and 0 < nll["mean_nll"] < 10
        series = json.loads(Path(nll["series"]).read_text("utf-8"))
        assert series["positions"][0] == 1
        assert len(series["positions"]) == len(series["mean_cum_nll"])

    out = tmp_path / "report" / "report.md"
    report = _eval(
        "report",
        "--run",
        f"agent={preds['agent']}",
        "--run",
        f"direct={preds['direct']}",
        "--out",
        str(out),
    )
    assert set(report["runs"]) == {"agent", "direct"}
    assert all(r["S_q"] is not None and r["mean_nll"] is not None for r in report["runs"].values())
    text = out.read_text("utf-8")
    assert "| metric | agent | direct |" in text and "Reading Experience" in text
    for png in ("report.length.png", "report.nll.png"):
        assert f"]({png})" in text and (out.parent / png).stat().st_size > 1000


def test_llamacpp_scorer_prefers_ordered_text() -> None:
    words = [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
    ]
    shuffled = words[:]
    random.Random(0).shuffle(shuffled)
    scorer = LlamaCppScorer(window=512)
    ordered, _ = scorer.score("Count from one to fourteen.\n\n", " ".join(words))
    scrambled, _ = scorer.score("Count from one to fourteen.\n\n", " ".join(shuffled))
    assert mean(ordered) > mean(scrambled) + 1.0  # log-probs: higher is likelier
    assert len(ordered) == len(scrambled) == len(scorer._tokens(" ".join(words), special=False))
