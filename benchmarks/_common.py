"""Helpers shared by the benchmark scripts: instructions, server options, warm-up, report rows.

The scripts run as files (``python benchmarks/bench_x.py``), so this module is imported as ``_common``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from longwriter import DocumentResult, WriterContext
from longwriter.agent.events import Event
from longwriter.agent.run import Run
from longwriter.document import Report
from longwriter.files import save_json, save_text
from longwriter.llm import Endpoint
from longwriter.llm.embeddings import get_embedder

# The first four are bench_agent.py's instructions; the rest give concurrent runs distinct subjects.
TOPICS = [
    "Write a {n}-word history of the printing press and how it changed Europe.",
    "Write a {n}-word guide to keeping bees for beginners.",
    "Write a {n}-word essay on how cities adapt to rising sea levels.",
    "Write a {n}-word article explaining how vaccines train the immune system.",
    "Write a {n}-word history of the bicycle from the draisine to carbon frames.",
    "Write a {n}-word guide to growing vegetables on a small balcony.",
    "Write a {n}-word essay on why some ancient languages survived and others vanished.",
    "Write a {n}-word article explaining how tides are caused by the Moon and the Sun.",
    "Write a {n}-word history of lighthouses and the people who kept them.",
    "Write a {n}-word guide to planning a long-distance hiking trip.",
    "Write a {n}-word essay on how public libraries changed in the twentieth century.",
    "Write a {n}-word article explaining how batteries store and release energy.",
    "Write a {n}-word history of the spice trade between Asia and Europe.",
    "Write a {n}-word guide to baking bread with a sourdough starter.",
    "Write a {n}-word essay on how railways reshaped time and travel.",
    "Write a {n}-word article explaining how the human eye perceives colour.",
]


def instruction(i: int, words: int) -> str:
    """The ``i``-th benchmark instruction (cycling through ``TOPICS``) asking for ``words`` words."""
    return TOPICS[i % len(TOPICS)].format(n=words)


def log(message: str) -> None:
    """Progress on stderr (stdout carries only the JSON figures)."""
    print(message, file=sys.stderr, flush=True)


def print_progress(event: Event) -> None:
    """An ``on_event`` callback for ``write_document``: the plan and each accepted section, on stderr."""
    if event["event"] == "plan":
        log(f"plan: {event['sections']} sections, {event['target_words']} words")
    elif event["event"] == "accepted":
        log(
            f"section {event['index'] + 1}/{event['total']}: {event['words']} words "
            f"({event['verdict']}), document {event['document_words']}/{event['target_words']}"
        )


def machine() -> dict[str, Any]:
    """Where the figures were measured: CPU count and load average (the machine may be shared)."""
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def add_server_args(parser: argparse.ArgumentParser, *, embedding: bool = True) -> None:
    """``--base-url``, ``--model`` and (unless ``embedding`` is false) ``--embedding``."""
    parser.add_argument("--base-url", help="OpenAI-compatible URL (default: embedded llama.cpp)")
    parser.add_argument("--model", help="served model name (default: the first one listed)")
    parser.add_argument(
        "--extra-body",
        type=json.loads,
        default={},
        help="JSON sampling extras, e.g. '{\"repetition_penalty\": 1.1}' (SmolLM2 on vLLM needs it)",
    )
    if embedding:
        parser.add_argument(
            "--embedding", default="minilm", help="minilm (default), hash or openai"
        )


def writer_context(args: argparse.Namespace, **overrides: Any) -> WriterContext:
    """The benchmark context: the server from the options, a fresh in-process Chroma memory."""
    settings: dict[str, Any] = {
        "base_url": args.base_url,
        "model": args.model,
        "memory": ":memory:",
        "embedding": getattr(args, "embedding", "minilm"),
        "extra_body": getattr(args, "extra_body", {}),
    }
    return WriterContext(**{**settings, **overrides})


def warm_up(ctx: WriterContext, *, embedder: bool = True) -> Endpoint:
    """Start or probe the server and (if ``embedder``) import the embedder's libraries, so that timed
    runs exclude one-off start-up. The ``Run`` are left open for the process: their lease keeps
    the embedded server up, so the timed runs lease this same server."""
    deps = Run(ctx)
    endpoint = deps.endpoint()
    deps.window()
    if embedder:
        get_embedder(ctx.embedding, ctx.embedding_base_url, ctx.embedding_model).embed(["warm-up"])
    return endpoint


def document_row(report: Report, seconds: float) -> dict[str, Any]:
    """The per-document figures of a finished run's report (reader columns: see
    ``longwriter.text.reader.reader_figures``)."""
    reader = report["reader"]["document"]
    return {
        "target": report["target_words"],
        "words": report["words"],
        "S_l": report["length_score"],
        "rep4": report["rep4"],
        "duplicated_lines": report["duplicated_lines"],
        "off_subject_share": reader["off_subject_share"],
        "meta_share": reader["meta_share"],
        "junk_paragraphs": reader["junk_paragraphs"],
        "bad_headings": reader["bad_headings"],
        "sections": len(report["sections"]),
        "calls": report["calls"],
        "completion_tokens": report["completion_tokens"],
        "seconds": round(seconds, 1),
    }


def add_out_dir(parser: argparse.ArgumentParser) -> None:
    """``--out-dir``: where to keep each document and its report, to read them afterwards."""
    parser.add_argument("--out-dir", type=Path, help="also save each document and its report here")


def save_result(out_dir: Path | None, name: str, result: DocumentResult) -> None:
    """Save ``result`` as ``out_dir/name.md`` and ``out_dir/name.report.json`` (if ``out_dir``)."""
    if out_dir is None:
        return
    save_text(out_dir / f"{name}.md", result.text)
    save_json(out_dir / f"{name}.report.json", result.report, indent=1)
