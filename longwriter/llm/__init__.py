"""Chat and embedding backends: every chat call goes through the OpenAI-compatible API."""

from longwriter.llm.endpoint import (
    Endpoint,
    accepts_min_tokens,
    chat_model,
    check_base_url,
    check_endpoint,
    embedded_endpoint,
    remote_endpoint,
    resolve_endpoint,
    sampling_defaults,
    served_models,
    server_kind,
)

__all__ = [
    "Endpoint",
    "accepts_min_tokens",
    "chat_model",
    "check_base_url",
    "check_endpoint",
    "embedded_endpoint",
    "remote_endpoint",
    "resolve_endpoint",
    "sampling_defaults",
    "served_models",
    "server_kind",
]
