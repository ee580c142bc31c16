"""Length fidelity, repetition and what a reader reads (paragraphs off the subject, meta-talk, junk,
bad headings) of the agent: one JSON line per document, then a summary line.

.venv/bin/python benchmarks/bench_agent.py --words 1200 2500 5000            # embedded model
.venv/bin/python benchmarks/bench_agent.py --prompts benchmarks/data/reader_en.jsonl --out-dir out/reader
.venv/bin/python benchmarks/bench_agent.py --words 3000 --base-url http://127.0.0.1:8000/v1 --model smollm2
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from _common import (
    add_out_dir,
    add_server_args,
    document_row,
    instruction,
    machine,
    print_progress,
    save_result,
    warm_up,
    writer_context,
)

from longwriter import write_document
from longwriter.eval.reader import summarize_reader
from longwriter.jsonl import read_jsonl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--words", type=int, nargs="+", default=[1200, 2500, 5000])
    parser.add_argument(
        "--prompts",
        type=Path,
        help="JSONL of {id, prompt} to write instead of the --words topics "
        "(e.g. benchmarks/data/reader_en.jsonl)",
    )
    add_out_dir(parser)
    add_server_args(parser)
    args = parser.parse_args()
    ctx = writer_context(args)
    warm_up(ctx)
    if args.prompts:
        jobs = [(str(row["id"]), str(row["prompt"])) for _, row in read_jsonl(args.prompts)]
    else:
        jobs = [(f"topic{i}-{n}", instruction(i, n)) for i, n in enumerate(args.words)]
    rows = []
    for name, prompt in jobs:
        started = time.monotonic()
        result = write_document(prompt, context=ctx, on_event=print_progress)
        row = {"id": name, **document_row(result.report, time.monotonic() - started)}
        save_result(args.out_dir, name, result)
        rows.append(row)
        print(json.dumps(row), flush=True)
    summary = {
        "documents": len(rows),
        "mean_S_l": round(statistics.mean(r["S_l"] for r in rows), 1),
        "within_15pct": sum(abs(r["words"] - r["target"]) <= 0.15 * r["target"] for r in rows),
        "mean_rep4": round(statistics.mean(r["rep4"] for r in rows), 3),
        "duplicated_lines": sum(r["duplicated_lines"] for r in rows),
        **summarize_reader(rows),
    }
    print(json.dumps({**summary, **machine()}), flush=True)


if __name__ == "__main__":
    main()
