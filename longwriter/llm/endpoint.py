"""OpenAI-compatible endpoints: resolve (embedded or remote), probe, and build chat models."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai
from langchain_openai import ChatOpenAI

from longwriter.errors import BackendError, ConfigError, shown
from longwriter.llm.local_server import EMBEDDED_CONTEXT, EMBEDDED_SAMPLING, ServerLease, acquire
from longwriter.llm.sampling import DEFAULT_TEMPERATURE, DEFAULT_TOP_P, ServerKind

log = logging.getLogger(__name__)

CONNECT_WAIT = 30.0
"""Seconds to wait for a server that is not up yet (refuses connections or answers 503 while it
loads the model) before giving up."""
POLL_SECONDS = 1.0


def check_base_url(url: str, name: str = "base_url") -> None:
    """ConfigError unless ``url`` is an http(s) URL with a host: a typo must fail at once, not after
    ``connect_wait`` seconds of retries."""
    try:
        parts = urlsplit(url)
        valid = (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and (parts.port is None or parts.port > 0)  # .port raises ValueError if out of range
            and not any(c.isspace() for c in url)
        )
    except ValueError:  # a bad port or IPv6 address
        valid = False
    if not valid:
        raise ConfigError(
            f"{name} must be an http:// or https:// URL such as http://gpu-box:8000/v1, "
            f"got {shown(url)}"
        )


@dataclass(frozen=True)
class Endpoint:
    """Where chat calls go: an OpenAI-compatible base URL and a model name."""

    base_url: str
    model: str
    api_key: str = "EMPTY"
    embedded: bool = False


def resolve_endpoint(
    base_url: str | None,
    model: str | None,
    api_key: str = "EMPTY",
    *,
    gguf: str | Path | None = None,
    wait: float = CONNECT_WAIT,
) -> Endpoint:
    """The configured endpoint, or the embedded llama.cpp server when no URL is set.

    Without a model name, asks the server for its first one (waiting up to ``wait`` s for it to be up).
    For one-shot commands (``eval``, ``dataset``, ``train``): the embedded server's lease is never
    given back, so it runs till the process exits. Runs lease it themselves (``Run``) and give
    it back when they end.
    """
    if base_url:
        return remote_endpoint(base_url, model, api_key, wait)
    return embedded_endpoint(acquire(gguf), api_key)


def remote_endpoint(
    base_url: str, model: str | None, api_key: str = "EMPTY", wait: float = CONNECT_WAIT
) -> Endpoint:
    """The server at ``base_url``; without a model name, the first it serves."""
    check_base_url(base_url)
    if not model:
        model = served_models(Endpoint(base_url.rstrip("/"), "", api_key), wait)[0]
    return Endpoint(base_url.rstrip("/"), model, api_key)


def embedded_endpoint(lease: ServerLease, api_key: str = "EMPTY") -> Endpoint:
    """The embedded server held by ``lease``."""
    return Endpoint(lease.base_url, lease.model, api_key, embedded=True)


def _get_models(endpoint: Endpoint, wait: float = 0.0) -> list[dict[str, Any]]:
    """The server's ``/models`` entries, polling for up to ``wait`` s while it is down or answers 503."""
    url = f"{endpoint.base_url}/models"
    headers = {"Authorization": f"Bearer {endpoint.api_key}"}
    deadline = time.monotonic() + wait
    polls = 0
    while True:
        try:
            resp = httpx.get(url, headers=headers, timeout=10.0)
            if resp.status_code != 503:
                resp.raise_for_status()
                break
            problem = "HTTP 503 (still loading the model?)"
        except httpx.HTTPStatusError as exc:
            raise BackendError(f"{url} answered HTTP {exc.response.status_code}") from None
        except httpx.HTTPError as exc:
            problem = str(exc) or type(exc).__name__
        left = deadline - time.monotonic()
        if left <= 0:
            after = f" after {wait:g} s" if wait > 0 else ""
            raise BackendError(
                f"cannot reach the model server at {endpoint.base_url}{after}: {problem}"
            )
        polls += 1
        log.log(
            logging.WARNING if polls == 1 else logging.INFO,
            "model server at %s not ready (%s); waiting up to %.0f s more",
            endpoint.base_url,
            problem,
            left,
        )
        time.sleep(min(POLL_SECONDS, left))
    try:
        data = resp.json().get("data", [])
    except (ValueError, AttributeError):
        raise BackendError(f"{url} did not answer with an OpenAI model list") from None
    return [m for m in data if isinstance(m, dict)]


def served_models(endpoint: Endpoint, wait: float = CONNECT_WAIT) -> list[str]:
    """Model names the server offers (waiting up to ``wait`` s for it to be up); raises BackendError
    when it stays unreachable or offers none."""
    names = [str(m.get("id")) for m in _get_models(endpoint, wait)]
    if not names:
        raise BackendError(f"the server at {endpoint.base_url} serves no model")
    return names


def check_endpoint(endpoint: Endpoint, wait: float = CONNECT_WAIT) -> int | None:
    """Fail early with a clear message if the server is down or lacks the model; returns its context window.

    A server that is not up yet gets ``wait`` seconds. vLLM reports ``max_model_len``; llama.cpp does
    not (``None``: use the configured window). Each call asks the server; a run asks once (its
    ``Run`` keep the answer).
    """
    models = _get_models(endpoint, wait)
    for entry in models:
        if entry.get("id") == endpoint.model:
            window = entry.get("max_model_len")
            return int(window) if window else (EMBEDDED_CONTEXT if endpoint.embedded else None)
    offered = ", ".join(str(m.get("id")) for m in models) or "none"
    raise BackendError(
        f"model {endpoint.model!r} is not served at {endpoint.base_url} (it offers: {offered})"
    )


_OWNERS: dict[str, ServerKind] = {"vllm": "vllm", "me": "llama.cpp"}


def server_kind(endpoint: Endpoint) -> ServerKind:
    """Which server answers: vLLM (models ``owned_by: "vllm"``), llama-cpp-python (embedded, or
    reached by URL: ``owned_by: "me"``), else an OpenAI-style server that takes only OpenAI's fields."""
    if endpoint.embedded:
        return "llama.cpp"
    owners = [_OWNERS.get(str(m.get("owned_by"))) for m in _get_models(endpoint)]
    return next((kind for kind in owners if kind), "openai")


def sampling_defaults(endpoint: Endpoint) -> dict[str, float]:
    """Sampling extras sent to ``endpoint`` unless the caller's ``extra_body`` overrides them: the
    embedded model's repeat penalty; other servers sample as they are configured (no ``min_p``: it
    made a small model loop more, see docs/design-notes.md)."""
    return dict(EMBEDDED_SAMPLING) if endpoint.embedded else {}


def accepts_min_tokens(kind: ServerKind) -> bool:
    """True for servers known to take ``min_tokens`` (vLLM, llama-cpp-python); OpenAI rejects it."""
    return kind != "openai"


def chat_model(
    endpoint: Endpoint,
    *,
    temperature: float = DEFAULT_TEMPERATURE,
    top_p: float = DEFAULT_TOP_P,
    max_tokens: int | None = None,
    extra_body: dict[str, Any] | None = None,
    timeout: float = 600.0,
    max_retries: int = 2,
    stop: list[str] | None = None,
) -> ChatOpenAI:
    """A ChatOpenAI client for the endpoint (streaming-capable, usage reported, usable from any
    event loop). ``max_tokens`` also goes in the body: llama.cpp's server ignores OpenAI's newer
    ``max_completion_tokens``, which is all langchain-openai sends."""
    body = {**({"max_tokens": max_tokens} if max_tokens is not None else {}), **(extra_body or {})}
    return ChatOpenAI(
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key=endpoint.api_key,  # type: ignore[arg-type]
        temperature=temperature,
        top_p=top_p,
        max_completion_tokens=max_tokens,
        extra_body=body or None,
        timeout=timeout,
        max_retries=max_retries,
        stop_sequences=stop,
        stream_usage=True,
        http_async_client=_PerLoopClient(),
    )


class _PerLoopClient(openai.DefaultAsyncHttpxClient):
    """An async HTTP client that sends through one pool per event loop.

    Pooled connections belong to the loop that opened them; langchain-openai shares one async pool
    per process, so a second ``asyncio.run`` would reuse dead connections ("Event loop is closed").
    """

    def __init__(self) -> None:
        super().__init__()
        self._pools: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, openai.DefaultAsyncHttpxClient
        ] = weakref.WeakKeyDictionary()

    def _pool(self) -> openai.DefaultAsyncHttpxClient:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            pool = self._pools[loop] = openai.DefaultAsyncHttpxClient()
        return pool

    async def send(self, request: Any, **kwargs: Any) -> Any:
        """Send on the running loop's pool."""
        return await self._pool().send(request, **kwargs)

    async def aclose(self) -> None:
        """Close the running loop's pool."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.aclose()
