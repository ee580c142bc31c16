"""Length fidelity and repetition of the agent: one JSON line per document, then a summary line.

.venv/bin/python benchmarks/bench_agent.py --words 1200 2500 5000            # embedded model
.venv/bin/python benchmarks/bench_agent.py --words 3000 --base-url http://127.0.0.1:8000/v1 --model smollm2
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from longwriter import WriterContext, write_document

TOPICS = [
    "Write a {n}-word history of the printing press and how it changed Europe.",
    "Write a {n}-word guide to keeping bees for beginners.",
    "Write a {n}-word essay on how cities adapt to rising sea levels.",
    "Write a {n}-word article explaining how vaccines train the immune system.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--words", type=int, nargs="+", default=[1200, 2500, 5000])
    parser.add_argument("--base-url")
    parser.add_argument("--model")
    parser.add_argument("--embedding", default="minilm")
    args = parser.parse_args()
    rows = []
    for i, words in enumerate(args.words):
        instruction = TOPICS[i % len(TOPICS)].format(n=words)
        ctx = WriterContext(
            base_url=args.base_url, model=args.model, memory=":memory:", embedding=args.embedding
        )
        started = time.monotonic()
        report = write_document(instruction, context=ctx).report
        row = {
            "target": words,
            "words": report["words"],
            "S_l": report["length_score"],
            "rep4": report["rep4"],
            "duplicated_lines": report["duplicated_lines"],
            "sections": len(report["sections"]),
            "calls": report["calls"],
            "completion_tokens": report["completion_tokens"],
            "seconds": round(time.monotonic() - started, 1),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(
        json.dumps(
            {
                "documents": len(rows),
                "mean_S_l": round(statistics.mean(r["S_l"] for r in rows), 1),
                "within_15pct": sum(
                    abs(r["words"] - r["target"]) <= 0.15 * r["target"] for r in rows
                ),
                "mean_rep4": round(statistics.mean(r["rep4"] for r in rows), 3),
                "duplicated_lines": sum(r["duplicated_lines"] for r in rows),
            }
        )
    )


if __name__ == "__main__":
    main()
