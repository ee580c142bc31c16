"""Agent vs direct generation on a small LongBench-Write-style set, through the `longwriter eval` CLI.

.venv/bin/python benchmarks/bench_eval.py                      # embedded model, benchmarks/data/eval_mini.jsonl
.venv/bin/python benchmarks/bench_eval.py --base-url http://127.0.0.1:8000/v1 --extra-body '{"repetition_penalty": 1.1}'

For each mode it runs `eval run` (resumable: rerun to continue), `eval length` and `eval quality`
(judged by the same server unless --judge-base-url is given), then `eval report` puts both runs side
by side in OUT_DIR/report.md. Prints one JSON line per mode, then a summary line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import log, machine

HERE = Path(__file__).resolve().parent
CLI = str(Path(sys.executable).with_name("longwriter"))


def eval_cli(*args: str) -> dict[str, Any]:
    """Run ``longwriter eval ARGS`` (progress to our stderr) and return its JSON summary line."""
    log("longwriter eval " + " ".join(args))
    done = subprocess.run([CLI, "eval", *args], stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode:
        sys.exit(f"`longwriter eval {args[0]}` failed with exit code {done.returncode}")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def server_args(args: argparse.Namespace) -> list[str]:
    """The server options given to `eval run`."""
    out = []
    for flag, value in [
        ("--base-url", args.base_url),
        ("--model", args.model),
        ("--extra-body", args.extra_body),
    ]:
        if value:
            out += [flag, value]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", type=Path, default=HERE / "data" / "eval_mini.jsonl")
    parser.add_argument("--out-dir", type=Path, default=Path("bench-eval"))
    parser.add_argument("--base-url", help="OpenAI-compatible URL (default: embedded llama.cpp)")
    parser.add_argument("--model", help="served model name (default: the first one listed)")
    parser.add_argument("--extra-body", help="JSON sampling extras for both modes")
    parser.add_argument("--judge-base-url", help="judge server (default: the same as --base-url)")
    parser.add_argument("--judge-model", help="judge model name")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    judge_url = args.judge_base_url or args.base_url
    judge = (["--judge-base-url", judge_url] if judge_url else []) + (
        ["--judge-model", args.judge_model or args.model]
        if (args.judge_model or args.model)
        else []
    )
    rows = []
    for mode in ("agent", "direct"):
        pred = args.out_dir / f"{mode}.jsonl"
        run = eval_cli(
            "run", "--dataset", str(args.dataset), "--out", str(pred), "--mode", mode,
            *server_args(args),
        )  # fmt: skip
        length = eval_cli("length", "--pred", str(pred), "--dataset", str(args.dataset))
        quality = eval_cli(
            "quality", "--pred", str(pred), "--dataset", str(args.dataset), *judge
        )  # fmt: skip
        preds = [json.loads(line) for line in pred.read_text(encoding="utf-8").splitlines()]
        row = {
            "mode": mode,
            "model": run.get("model"),
            "rows": length.get("n"),
            "missing": length.get("missing"),
            "S_l": length.get("S_l"),
            "buckets": length.get("buckets"),
            "S_q": quality.get("S_q"),
            "judge_failed": quality.get("failed"),
            "S": quality.get("S"),
            "mean_words_ratio": round(
                sum(p["words"] / p["length"] for p in preds) / max(1, len(preds)), 3
            ),
            "seconds": round(sum(p["seconds"] for p in preds), 1),
        }
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    report = eval_cli(
        "report", "--run", f"agent={args.out_dir / 'agent.jsonl'}",
        "--run", f"direct={args.out_dir / 'direct.jsonl'}",
        "--dataset", str(args.dataset), "--out", str(args.out_dir / "report.md"),
    )  # fmt: skip
    summary = {
        "benchmark": "eval",
        "dataset": str(args.dataset),
        "report": report.get("report"),
        **{f"{r['mode']}_{k}": r[k] for r in rows for k in ("S_l", "S_q", "S")},
        **machine(),
    }
    print(json.dumps(summary, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
