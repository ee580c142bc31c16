"""Start, wait for and stop a background vLLM OpenAI-compatible server (stdlib only).

Used by mk/vllm.mk. The server runs in its own session, so stopping it signals its whole process
group (vLLM spawns engine workers). The pid file marks the server as ours: `start` is a no-op when
our server already answers, and refuses when something else holds the port.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVER_MODULE = "vllm.entrypoints.openai.api_server"
POLL_SECONDS = 2.0
LOG_TAIL_LINES = 40


def port_in_use(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """GET url; (status, body), status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, b""
    except (urllib.error.URLError, OSError):
        return 0, b""


def serves_model(base: str, name: str) -> bool:
    """Whether the server at base is healthy and lists the served model name."""
    if http_get(f"{base}/health")[0] != 200:
        return False
    status, body = http_get(f"{base}/v1/models")
    if status != 200:
        return False
    try:
        models = json.loads(body)["data"]
    except (ValueError, KeyError, TypeError):
        return False
    return any(model.get("id") == name for model in models)


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of a live pid from /proc, None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[2])


def group_members(pgid: int) -> list[int]:
    """Non-zombie processes of a process group (zombies are dead, just not reaped yet)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        stat = _proc_stat(int(entry.name))
        if stat is not None and stat[1] == pgid and stat[0] != "Z":
            members.append(int(entry.name))
    return members


def is_our_server(pid: int) -> bool:
    """Whether pid is alive and runs the vLLM API server (guards against pid reuse)."""
    stat = _proc_stat(pid)
    if stat is None or stat[0] == "Z":
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return SERVER_MODULE in cmdline


def read_pid(pidfile: Path) -> int | None:
    """The pid recorded in pidfile, None when missing or malformed."""
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def log_tail(log: Path) -> str:
    """The last lines of the server log, for error messages."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-LOG_TAIL_LINES:])


def stop_group(pgid: int, grace: float) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after grace seconds."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.5)
    if group_members(pgid):
        print(f"vLLM group {pgid} still alive after {grace:.0f} s: SIGKILL", file=sys.stderr)
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            return
        while group_members(pgid):
            time.sleep(0.2)


def start(args: argparse.Namespace) -> int:
    """Start the server in the background and wait until it serves the model."""
    base = f"http://{args.host}:{args.port}"
    pid = read_pid(args.pidfile)
    if pid is not None and is_our_server(pid):
        if serves_model(base, args.served_model_name):
            print(f"vLLM already up at {base}/v1 (pid {pid})")
            return 0
        print(f"vLLM pid {pid} runs but does not serve {base}; run vllm-down", file=sys.stderr)
        return 1
    args.pidfile.unlink(missing_ok=True)
    if port_in_use(args.host, args.port):
        print(
            f"port {args.host}:{args.port} is taken by another process (not our vLLM):"
            " stop it or choose another VLLM_PORT",
            file=sys.stderr,
        )
        return 1

    command = [
        args.python, "-m", SERVER_MODULE,
        "--model", str(args.model_dir),
        "--served-model-name", args.served_model_name,
        "--host", args.host,
        "--port", str(args.port),
        "--max-model-len", str(args.max_model_len),
        "--dtype", "bfloat16",
    ]  # fmt: skip
    command += args.server_args[1:] if args.server_args[:1] == ["--"] else args.server_args
    env = {
        **os.environ,
        "VLLM_CPU_KVCACHE_SPACE": str(args.kv_cache_gb),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    args.log.parent.mkdir(parents=True, exist_ok=True)
    args.pidfile.parent.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    with args.log.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    args.pidfile.write_text(f"{process.pid}\n")
    print(f"vLLM starting (pid {process.pid}), log {args.log}")

    deadline = began + args.timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop_group(process.pid, args.grace)
            args.pidfile.unlink(missing_ok=True)
            print(f"vLLM exited with {process.returncode}:\n{log_tail(args.log)}", file=sys.stderr)
            return 1
        if serves_model(base, args.served_model_name):
            print(f"vLLM up at {base}/v1 in {time.monotonic() - began:.1f} s")
            return 0
        time.sleep(POLL_SECONDS)
    stop_group(process.pid, args.grace)
    args.pidfile.unlink(missing_ok=True)
    print(f"vLLM not ready after {args.timeout:.0f} s:\n{log_tail(args.log)}", file=sys.stderr)
    return 1


def stop(args: argparse.Namespace) -> int:
    """Stop our server if it runs; always safe."""
    pid = read_pid(args.pidfile)
    if pid is None:
        print("vLLM not running (no pid file)")
        return 0
    if is_our_server(pid) or group_members(pid):
        stop_group(pid, args.grace)
        print(f"vLLM stopped (pid {pid})")
    else:
        print(f"vLLM pid {pid} already gone")
    args.pidfile.unlink(missing_ok=True)
    return 0


def wait(args: argparse.Namespace) -> int:
    """Wait until a server (ours or not) serves the model at host:port."""
    base = f"http://{args.host}:{args.port}"
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if serves_model(base, args.served_model_name):
            print(f"vLLM serves {args.served_model_name} at {base}/v1")
            return 0
        time.sleep(POLL_SECONDS)
    print(f"no vLLM serving {args.served_model_name} at {base} after {args.timeout:.0f} s")
    return 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line: common options, then start / stop / wait."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--pidfile", type=Path, default=Path(".longwriter/vllm.pid"))
    parser.add_argument("--grace", type=float, default=30.0, help="seconds before SIGKILL")
    commands = parser.add_subparsers(dest="command", required=True)

    start_cmd = commands.add_parser("start", help="start in the background and wait for health")
    start_cmd.add_argument("--python", default=".venv-vllm/bin/python")
    start_cmd.add_argument("--model-dir", type=Path, required=True)
    start_cmd.add_argument("--served-model-name", default="smollm2")
    start_cmd.add_argument("--max-model-len", type=int, default=8192)
    start_cmd.add_argument("--kv-cache-gb", type=int, default=2)
    start_cmd.add_argument("--log", type=Path, default=Path(".longwriter/vllm.log"))
    start_cmd.add_argument("--timeout", type=float, default=600.0)
    start_cmd.add_argument(
        "server_args", nargs=argparse.REMAINDER, help="extra vLLM server options, after --"
    )
    start_cmd.set_defaults(handler=start)

    stop_cmd = commands.add_parser("stop", help="stop our server (safe when none runs)")
    stop_cmd.set_defaults(handler=stop)

    wait_cmd = commands.add_parser("wait", help="wait until the model is served at host:port")
    wait_cmd.add_argument("--served-model-name", default="smollm2")
    wait_cmd.add_argument("--timeout", type=float, default=600.0)
    wait_cmd.set_defaults(handler=wait)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
