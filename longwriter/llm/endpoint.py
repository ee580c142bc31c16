"""OpenAI-compatible endpoints: resolve (embedded or remote), probe, and build chat models."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from langchain_openai import ChatOpenAI

from longwriter.errors import BackendError
from longwriter.llm.local_server import EMBEDDED_CONTEXT, shared_server


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
) -> Endpoint:
    """The configured endpoint, or the embedded llama.cpp server (started on first use) when no URL is set."""
    if base_url:
        if not model:
            model = served_models(Endpoint(base_url.rstrip("/"), "", api_key))[0]
        return Endpoint(base_url.rstrip("/"), model, api_key)
    server = shared_server(Path(gguf) if gguf else None)
    return Endpoint(server.base_url, server.model, api_key, embedded=True)


def _get_models(endpoint: Endpoint) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {endpoint.api_key}"}
    try:
        resp = httpx.get(f"{endpoint.base_url}/models", headers=headers, timeout=10.0)
        resp.raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise BackendError(
            f"{endpoint.base_url}/models answered HTTP {exc.response.status_code}"
        ) from None
    except httpx.HTTPError as exc:
        raise BackendError(f"cannot reach the model server at {endpoint.base_url}: {exc}") from None
    data = resp.json().get("data", [])
    return [m for m in data if isinstance(m, dict)]


def served_models(endpoint: Endpoint) -> list[str]:
    """Model names the server offers; raises BackendError when it is unreachable or offers none."""
    names = [str(m.get("id")) for m in _get_models(endpoint)]
    if not names:
        raise BackendError(f"the server at {endpoint.base_url} serves no model")
    return names


@cache
def check_endpoint(endpoint: Endpoint) -> int | None:
    """Fail early with a clear message if the server is down or lacks the model; returns its context window.

    vLLM reports ``max_model_len``; llama.cpp does not (``None``: use the configured window).
    """
    models = _get_models(endpoint)
    for entry in models:
        if entry.get("id") == endpoint.model:
            window = entry.get("max_model_len")
            return int(window) if window else (EMBEDDED_CONTEXT if endpoint.embedded else None)
    offered = ", ".join(str(m.get("id")) for m in models) or "none"
    raise BackendError(
        f"model {endpoint.model!r} is not served at {endpoint.base_url} (it offers: {offered})"
    )


@cache
def accepts_min_tokens(endpoint: Endpoint) -> bool:
    """True for servers known to take ``min_tokens`` (llama.cpp's, vLLM); OpenAI itself rejects it."""
    if endpoint.embedded:
        return True
    return any(m.get("owned_by") == "vllm" for m in _get_models(endpoint))


def chat_model(
    endpoint: Endpoint,
    *,
    temperature: float = 0.7,
    top_p: float = 0.95,
    max_tokens: int | None = None,
    extra_body: dict[str, Any] | None = None,
    timeout: float = 600.0,
    max_retries: int = 2,
    stop: list[str] | None = None,
) -> ChatOpenAI:
    """A ChatOpenAI client for the endpoint (streaming-capable, usage reported)."""
    return ChatOpenAI(
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key=endpoint.api_key,  # type: ignore[arg-type]
        temperature=temperature,
        top_p=top_p,
        max_completion_tokens=max_tokens,
        extra_body=extra_body or None,
        timeout=timeout,
        max_retries=max_retries,
        stop_sequences=stop,
        stream_usage=True,
    )
