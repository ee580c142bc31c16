"""Writing from sources: planted-fact recall, citation figures, length and what a reader reads, on
the shipped corpus with invented facts (benchmarks/data/grounded, en and zh); and the time and
peak memory of indexing a large synthetic corpus.

.venv/bin/python benchmarks/bench_grounded.py write --language en zh          # embedded model
.venv/bin/python benchmarks/bench_grounded.py write --base-url http://127.0.0.1:8000/v1 --model smollm2
.venv/bin/python benchmarks/bench_grounded.py index --words 100000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from _common import add_out_dir, add_server_args, document_row, save_result, warm_up, writer_context

from longwriter import write_document
from longwriter.llm.embeddings import get_embedder
from longwriter.memory.sources import open_source_index
from longwriter.sources.material import gather

DATA = Path(__file__).resolve().parent / "data" / "grounded"


def planted_recall(document: str, facts: list[str]) -> float:
    """Share of the planted facts the document states (case-insensitive)."""
    body = document.partition("## References")[0].partition("## 参考文献")[0].lower()
    return round(sum(1 for f in facts if f.lower() in body) / len(facts), 3)


def write(args: argparse.Namespace) -> None:
    planted = json.loads((DATA / "facts.json").read_text(encoding="utf-8"))
    ctx = writer_context(args)
    warm_up(ctx)
    for language in args.language:
        case = planted[language]
        started = time.monotonic()
        result = write_document(case["instruction"], context=ctx, sources=[str(DATA / language)])
        seconds = time.monotonic() - started
        save_result(args.out_dir, f"grounded-{language}", result)
        figures = result.report.get("citations", {})
        row = {
            "language": language,
            **document_row(result.report, seconds),
            "planted_recall": planted_recall(result.text, case["facts"]),
            **{
                k: figures.get(k)
                for k in (
                    "citation_recall",
                    "citation_precision",
                    "references",
                    "supported",
                    "unsupported",
                    "uncited",
                    "dangling",
                    "facts_used",
                )
            },
        }
        print(json.dumps(row, ensure_ascii=False), flush=True)


def index(args: argparse.Namespace) -> None:
    """A synthetic corpus of ``--words`` words in 200-word paragraphs over many files, read,
    chunked and embedded into a persistent Chroma collection."""
    rng = random.Random(7)
    vocabulary = [f"w{rng.randrange(20000)}" for _ in range(5000)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        folder.mkdir()
        per_file, written = 2000, 0
        while written < args.words:
            paragraphs = [
                " ".join(rng.choices(vocabulary, k=20)) + "." for _ in range(per_file // 20)
            ]
            (folder / f"doc{written // per_file:04d}.md").write_text(
                "# Notes\n\n"
                + "\n\n".join(
                    " ".join(paragraphs[i : i + 10]) for i in range(0, len(paragraphs), 10)
                )
            )
            written += per_file
        started = time.monotonic()
        material = gather([folder])
        read_seconds = time.monotonic() - started
        embedder = get_embedder(args.embedding)
        store = open_source_index(str(Path(tmp) / "chroma"), "bench", embedder)
        try:
            started = time.monotonic()
            embedded = store.add(material.chunks)
            index_seconds = time.monotonic() - started
            started = time.monotonic()
            again = store.add(material.chunks)
            again_seconds = time.monotonic() - started
        finally:
            store.close()
    print(
        json.dumps(
            {
                "words": material.words,
                "files": len(material.documents),
                "chunks": len(material.chunks),
                "embedding": args.embedding,
                "read_seconds": round(read_seconds, 1),
                "index_seconds": round(index_seconds, 1),
                "embedded": embedded,
                "reindex_seconds": round(again_seconds, 1),
                "reindexed": again,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    writing = commands.add_parser("write", help="documents from the shipped corpus")
    writing.add_argument("--language", nargs="+", default=["en", "zh"], choices=["en", "zh"])
    add_out_dir(writing)
    add_server_args(writing)
    indexing = commands.add_parser("index", help="index a large synthetic corpus")
    indexing.add_argument("--words", type=int, default=100_000)
    indexing.add_argument("--embedding", default="minilm")
    args = parser.parse_args()
    write(args) if args.command == "write" else index(args)


if __name__ == "__main__":
    main()
