"""A tiny OpenAI-compatible HTTP server for unit tests: ``/models``, chat completions (streamed
or not) and, when asked to, ``/embeddings``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class StubState:
    """What the stub serves and what it received; ``unavailable`` answers that many requests with 503."""

    models: list[str] = field(default_factory=lambda: ["stub-model"])
    owned_by: str = "stub"  # vLLM lists "vllm", llama-cpp-python "me"
    max_model_len: int | None = None
    reply: str = "Hello from the stub."
    unavailable: int = 0
    embeddings: bool = False  # serve /embeddings (a 404 otherwise, as a chat-only vLLM answers)
    requests: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the Authorization headers received
    base_url: str = ""


def _handler(state: StubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _busy(self) -> bool:
            if state.unavailable <= 0:
                return False
            state.unavailable -= 1
            self._send(503, {"error": {"message": "Loading model"}})
            return True

        def do_GET(self) -> None:
            if self._busy():
                return
            if self.path.endswith("/models"):
                data = [
                    {
                        "id": m,
                        "object": "model",
                        "owned_by": state.owned_by,
                        "max_model_len": state.max_model_len,
                    }
                    for m in state.models
                ]
                self._send(200, {"object": "list", "data": data})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            state.keys.append(self.headers.get("Authorization", ""))
            if self._busy():
                return
            if self.path.endswith("/embeddings"):
                self._embeddings(body)
                return
            usage = {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}
            head = {"id": "chatcmpl-stub", "created": 0, "model": body.get("model", "")}
            if body.get("stream"):
                self._stream(head, usage)
                return
            choice = {
                "index": 0,
                "message": {"role": "assistant", "content": state.reply},
                "finish_reason": "stop",
            }
            self._send(
                200, {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
            )

        def _embeddings(self, body: dict[str, Any]) -> None:
            """A 3-dimensional vector per input text (its length in one of them), or a 404."""
            if not state.embeddings:
                self._send(404, {"error": {"message": "this model does not embed"}})
                return
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = [
                {"index": i, "embedding": [1.0, float(len(t)), 0.5]} for i, t in enumerate(texts)
            ]
            self._send(200, {"object": "list", "data": data, "model": body.get("model", "")})

        def _stream(self, head: dict[str, Any], usage: dict[str, int]) -> None:
            """Server-sent events as OpenAI sends them: content, finish, usage, [DONE]."""
            chunk = {**head, "object": "chat.completion.chunk"}
            events = [
                {
                    **chunk,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": state.reply},
                            "finish_reason": None,
                        }
                    ],
                },
                {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                {**chunk, "choices": [], "usage": usage},
            ]
            data = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)
            data += b"data: [DONE]\n\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def openai_stub(state: StubState | None = None, port: int = 0) -> Iterator[StubState]:
    """Serve ``state`` on localhost (a free port by default) for the block; ``state.base_url`` ends
    in ``/v1``."""
    state = state or StubState()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
