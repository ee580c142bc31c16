"""Fault injection: kill -9 a real ``longwriter write`` at random moments, resume it, and check that
the finished document holds every planned section exactly once, and that Chroma agrees with it.

A trial runs the CLI (embedded llama.cpp server, Chroma in a temp folder, SQLite checkpoints in a
temp file) in its own process group, SIGKILLs the whole group at a moment drawn uniformly over the
expected run time (one uncut calibration run, times the number of documents), then continues it
(`--resume`; with --batch the same command again) and kills that too, up to --max-kills times,
until a run ends by itself. A run killed before its first checkpoint saved nothing: it starts over.

Per trial: `completed` = the last run exited 0, or 1 for the documented short document (written,
with its report; with --batch a failed document is retried by rerunning, as the CLI says);
`lost_sections` = planned sections missing; `duplicated_sections` = a section index or a paragraph
present twice, or sections out of plan order; `document_mismatch` = the output file is not the
checkpoint's accepted sections rendered (single runs: a finished batch document's checkpoint is
deleted); `chroma_mismatch` = the document's collection does not hold exactly the document's
paragraphs, section by section; `leftover_servers` = processes of a run's group alive after it
ended; with --batch `stale` = checkpoints or Chroma collections left that no document owns.

.venv/bin/python benchmarks/bench_kill.py --trials 20
.venv/bin/python benchmarks/bench_kill.py --trials 5 --batch
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import instruction, log, machine

from longwriter.agent.graph import build_graph
from longwriter.agent.report import render_document
from longwriter.api import sqlite_checkpointer
from longwriter.memory.store import chunk_paragraphs, collection_name
from longwriter.text import count_words

THREAD = "kill"
BATCH_DOCUMENTS = 3
BATCH_RETRIES = 2  # reruns of a batch whose documents failed (ended short), as the CLI advises
LINGER = 5.0  # seconds a killed process group may take to vanish
HUNG = 1800.0  # an uncut run that takes longer has hung
MIN_REPEAT_WORDS = 8  # shorter paragraphs ("Conclusion") may legitimately recur


@dataclass
class Run:
    """One CLI process, from start until it exited or was killed."""

    code: int | None  # None: killed (by the trial, or because it hung)
    seconds: float
    stdout: str
    stderr: str
    leftover: int


@dataclass
class Written:
    """A finished document as the checks see it."""

    document: str  # the output file
    plan: list[str]  # planned section titles
    sections: list[tuple[int, str]]  # (index, title) of the accepted sections, in order
    thread_id: str  # names its Chroma collection
    rendered: str | None = None  # the checkpoint's sections rendered; None when it is gone


def survivors(pid: int) -> int:
    """Live processes of run ``pid``'s group, or embedded servers it started wherever they went
    (their command line names ``pid``), after giving them LINGER s to go."""
    guard = f"serve_guard\0{pid}\0".encode()
    deadline = time.monotonic() + LINGER
    while True:
        alive = 0
        for proc in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError, ValueError):
                state, _, pgrp = (proc / "stat").read_text().rsplit(")", 1)[1].split()[:3]
                mine = int(pgrp) == pid or guard in (proc / "cmdline").read_bytes()
                alive += mine and state != "Z"
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def run_cli(args: list[str], env: dict[str, str], kill_after: float | None) -> Run:
    """``longwriter write ARGS`` in a process group of its own, SIGKILLed after ``kill_after`` s."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "longwriter.cli", "write", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            code: int | None = proc.wait(timeout=kill_after or HUNG)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
        seconds = time.monotonic() - started
        leftover = survivors(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever was left must not disturb the next run
        out.seek(0)
        err.seek(0)
        return Run(code, seconds, out.read().decode(), err.read().decode(), leftover)


def saved_values(db: Path, thread_id: str) -> dict[str, Any]:
    """The state of ``thread_id`` in checkpoint file ``db`` (empty if none)."""
    with sqlite_checkpointer(db) as saver:
        config: Any = {"configurable": {"thread_id": thread_id}}
        return dict(build_graph(saver).get_state(config).values)


def stored_chunks(chroma: Path, thread_id: str) -> list[str]:
    """The paragraphs in ``thread_id``'s Chroma collection, ordered by section and position, read
    with Chroma itself (not through longwriter's memory, whose agreement is under test)."""
    import chromadb
    from chromadb.errors import NotFoundError

    try:
        col = chromadb.PersistentClient(path=str(chroma)).get_collection(collection_name(thread_id))
    except NotFoundError:
        return []
    got = col.get(include=["documents", "metadatas"])
    rows = zip(got["metadatas"] or [], got["ids"], got["documents"] or [], strict=True)
    return [text for _, _, text in sorted(rows, key=lambda r: (int(str(r[0]["section"])), r[1]))]


def check(doc: Written, chroma: Path) -> dict[str, int]:
    """Lost and duplicated sections, and whether the output and Chroma agree with the sections."""
    indexes = [index for index, _ in doc.sections]
    in_order = indexes == sorted(set(indexes)) and all(
        index < len(doc.plan) and doc.plan[index] == title for index, title in doc.sections
    )
    paragraphs = chunk_paragraphs(doc.document)
    repeated = sum(
        n - 1 for p, n in Counter(paragraphs).items() if count_words(p) >= MIN_REPEAT_WORDS
    )
    return {
        "lost_sections": len(set(range(len(doc.plan))) - set(indexes)),
        "duplicated_sections": len(indexes) - len(set(indexes)) + repeated + (not in_order),
        "document_mismatch": int(doc.rendered is not None and doc.rendered != doc.document),
        "chroma_mismatch": int(stored_chunks(chroma, doc.thread_id) != paragraphs),
    }


class Scenario:
    """One trial's files and commands: a single ``write --thread-id``, resumed after each kill."""

    documents = 1

    def __init__(self, folder: Path, args: argparse.Namespace, trial: int) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.db = folder / "checkpoints.sqlite"
        self.chroma = folder / "chroma"
        self.env = {**os.environ, "LONGWRITER_HOME": str(folder)}
        self.prompt = instruction(trial, args.words)
        self.options = [
            "--checkpoints", str(self.db), "--memory", str(self.chroma),
            "--embedding", args.embedding, "--section-words", str(args.section_words),
            "--max-revisions", str(args.max_revisions),
        ]  # fmt: skip

    def command(self) -> list[str]:
        """Continue the saved run, or start one (first run, or killed before its first checkpoint)."""
        output = ["--thread-id", THREAD, "-o", str(self.folder / "doc.md"), *self.options]
        resume = saved_values(self.db, THREAD) if self.db.exists() else {}
        return [*output, "--resume"] if resume else [self.prompt, *output]

    def retry(self, run: Run) -> bool:
        """Whether a run that ended by itself is to be rerun (only a failed batch is)."""
        return False

    def completed(self, run: Run) -> bool:
        """Exit 0, or 1 for a document written but short (its summary line says ``failed``)."""
        if run.code == 1 and run.stdout.strip():
            with contextlib.suppress(ValueError):
                return "failed" in json.loads(run.stdout.strip().splitlines()[-1])
        return run.code == 0

    def written(self) -> list[Written]:
        """The finished document, with the accepted sections of its final checkpoint."""
        values = saved_values(self.db, THREAD)
        sections = values.get("sections", [])
        output = self.folder / "doc.md"
        return [
            Written(
                document=output.read_text() if output.exists() else "",
                plan=[s["title"] for s in values.get("sections_plan", [])],
                sections=[(s["index"], s["title"]) for s in sections],
                thread_id=THREAD,
                rendered=render_document(values.get("title", ""), sections, values.get("form")),
            )
        ]

    def stale(self) -> int:
        """What the trial left behind that nobody owns (single runs keep their checkpoint)."""
        return 0


class BatchScenario(Scenario):
    """``write --batch`` of BATCH_DOCUMENTS documents, rerun after each kill; Chroma kept to check."""

    documents = BATCH_DOCUMENTS

    def __init__(self, folder: Path, args: argparse.Namespace, trial: int) -> None:
        super().__init__(folder, args, trial)
        self.out = folder / "out"
        self.batch = folder / "batch.jsonl"
        rows = [
            {"id": f"d{j}", "prompt": instruction(trial * BATCH_DOCUMENTS + j, args.words)}
            for j in range(BATCH_DOCUMENTS)
        ]
        self.batch.write_text("".join(json.dumps(row) + "\n" for row in rows))
        self.concurrency = args.concurrency

    def command(self) -> list[str]:
        """The same command every time: a rerun continues every unfinished document."""
        return [
            "--batch", str(self.batch), "--out-dir", str(self.out),
            "--concurrency", str(self.concurrency), "--keep-memory", *self.options,
        ]  # fmt: skip

    def retry(self, run: Run) -> bool:
        return run.code == 1

    def completed(self, run: Run) -> bool:
        return run.code == 0

    def _finished(self) -> list[dict[str, Any]]:
        results = self.out / "results.jsonl"
        if not results.exists():
            return []
        return [json.loads(line) for line in results.read_text().splitlines() if line.strip()]

    def written(self) -> list[Written]:
        """Each finished document with its report's sections (the checkpoint is deleted)."""
        docs = []
        for row in self._finished():
            report = json.loads(Path(row["report"]).read_text())
            docs.append(
                Written(
                    document=Path(row["output"]).read_text(),
                    plan=[s["title"] for s in report["plan"]],
                    sections=[(i, s["title"]) for i, s in enumerate(report["sections"])],
                    thread_id=row["thread_id"],
                )
            )
        return docs

    def stale(self) -> int:
        """Threads left in the checkpoint file, and collections of no finished document."""
        with contextlib.closing(sqlite3.connect(self.db)) as conn:
            threads = conn.execute("SELECT COUNT(DISTINCT thread_id) FROM checkpoints").fetchone()
        import chromadb

        owned = {collection_name(row["thread_id"]) for row in self._finished()}
        names = {
            c.name for c in chromadb.PersistentClient(path=str(self.chroma)).list_collections()
        }
        return int(threads[0]) + len(names - owned)


def trial(
    scenario: Scenario, rng: random.Random, expected: float, max_kills: int
) -> dict[str, Any]:
    """Kill and continue ``scenario`` until a run ends by itself, then check what it wrote."""
    runs: list[Run] = []
    kills = retries = 0
    while True:
        kill_at = rng.uniform(0, expected) if kills < max_kills else None
        run = run_cli(scenario.command(), scenario.env, kill_at)
        runs.append(run)
        if run.code is None and kill_at is not None:
            kills += 1
            continue
        if scenario.retry(run) and retries < BATCH_RETRIES:
            retries += 1
            continue
        break
    last = runs[-1]
    documents = scenario.written()
    figures = Counter[str]()
    for doc in documents:
        figures.update(check(doc, scenario.chroma))
    completed = scenario.completed(last) and len(documents) == scenario.documents
    return {
        "completed": completed,
        "kills": kills,
        "kill_moments": [round(r.seconds, 1) for r in runs if r.code is None],
        "runs": len(runs),
        "exit": last.code,
        "lost_sections": figures["lost_sections"],
        "duplicated_sections": figures["duplicated_sections"],
        "document_mismatch": figures["document_mismatch"],
        "chroma_mismatch": figures["chroma_mismatch"],
        "leftover_servers": sum(r.leftover for r in runs),
        "stale": scenario.stale(),
        "sections": sum(len(d.sections) for d in documents),
        "seconds": round(sum(r.seconds for r in runs), 1),
        **({} if completed else {"stderr": last.stderr[-800:]}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--words", type=int, default=400, help="target words per document")
    parser.add_argument("--seed", type=int, default=0, help="seeds the kill moments")
    parser.add_argument("--batch", action="store_true", help=f"write --batch of {BATCH_DOCUMENTS}")
    parser.add_argument("--concurrency", type=int, default=1, help="with --batch")
    parser.add_argument("--max-kills", type=int, default=3, help="kills per trial at most")
    parser.add_argument(
        "--expected-seconds",
        type=float,
        help="run time of one uncut document (default: measured by a calibration run)",
    )
    parser.add_argument("--section-words", type=int, default=150)
    parser.add_argument("--max-revisions", type=int, default=1)
    parser.add_argument("--embedding", default="hash", help="hash (default), minilm or openai")
    parser.add_argument(
        "--work-dir", type=Path, help="keep every trial's files here (default: a temp folder)"
    )
    args = parser.parse_args()
    kind = BatchScenario if args.batch else Scenario
    rng = random.Random(args.seed)
    rows = []
    with contextlib.ExitStack() as stack:
        tmp = args.work_dir or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="bench-kill-")
        )
        expected = args.expected_seconds
        if expected is None:  # an uncut single run, checked like a trial
            row = trial(Scenario(Path(tmp) / "calibration", args, 0), rng, 0.0, 0)
            expected = row["seconds"]
            print(json.dumps({"calibration": True, **row}), flush=True)
        expected *= kind.documents
        for i in range(1, args.trials + 1):
            log(f"trial {i}/{args.trials}: kills uniform over 0-{expected:.0f} s")
            row = {
                "trial": i,
                **trial(kind(Path(tmp) / str(i), args, i), rng, expected, args.max_kills),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    keys = ["lost_sections", "duplicated_sections", "document_mismatch", "chroma_mismatch"]
    summary = {
        "benchmark": "kill",
        "batch": args.batch,
        "trials": len(rows),
        "completed": sum(r["completed"] for r in rows),
        **{k: sum(r[k] for r in rows) for k in [*keys, "leftover_servers", "stale", "kills"]},
        "expected_seconds": round(expected, 1),
        "seconds": round(sum(r["seconds"] for r in rows), 1),
        **machine(),
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
