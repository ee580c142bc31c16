"""Length fidelity and repetition of the agent: one JSON line per document, then a summary line.

.venv/bin/python benchmarks/bench_agent.py --words 1200 2500 5000            # embedded model
.venv/bin/python benchmarks/bench_agent.py --words 3000 --base-url http://127.0.0.1:8000/v1 --model smollm2
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from _common import (
    add_server_args,
    document_row,
    instruction,
    machine,
    print_progress,
    warm_up,
    writer_context,
)

from longwriter import write_document


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--words", type=int, nargs="+", default=[1200, 2500, 5000])
    add_server_args(parser)
    args = parser.parse_args()
    ctx = writer_context(args)
    warm_up(ctx)
    rows = []
    for i, words in enumerate(args.words):
        started = time.monotonic()
        report = write_document(instruction(i, words), context=ctx, on_event=print_progress).report
        row = document_row(report, time.monotonic() - started)
        rows.append(row)
        print(json.dumps(row), flush=True)
    summary = {
        "documents": len(rows),
        "mean_S_l": round(statistics.mean(r["S_l"] for r in rows), 1),
        "within_15pct": sum(abs(r["words"] - r["target"]) <= 0.15 * r["target"] for r in rows),
        "mean_rep4": round(statistics.mean(r["rep4"] for r in rows), 3),
        "duplicated_lines": sum(r["duplicated_lines"] for r in rows),
    }
    print(json.dumps({**summary, **machine()}), flush=True)


if __name__ == "__main__":
    main()
