"""kill -9 at random moments of real runs (a few trials of benchmarks/bench_kill.py): every resume
finishes with each planned section exactly once, the document and Chroma agree with the checkpoint,
and no server outlives its run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FAULTS = (
    "lost_sections",
    "duplicated_sections",
    "document_mismatch",
    "chroma_mismatch",
    "leftover_servers",
    "stale",
)


def kill_trials(*args: str) -> list[dict[str, Any]]:
    """The benchmark's JSON lines (calibration, trials, summary), on this checkout's code."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_kill.py"), "--words", "200", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.parametrize(
    "args", [("--trials", "1", "--seed", "11"), ("--trials", "1", "--batch", "--seed", "12")]
)
def test_every_killed_run_resumes_whole(args: tuple[str, ...]) -> None:
    *rows, summary = kill_trials(*args)
    assert summary["trials"] == int(args[1])
    for row in rows:  # the calibration run too
        assert row["completed"] and not any(row[k] for k in FAULTS), row
