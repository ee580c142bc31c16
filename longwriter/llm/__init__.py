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
from longwriter.llm.sampling import DEFAULT_TEMPERATURE, DEFAULT_TOP_P

__all__ = [
    "DEFAULT_TEMPERATURE",
    "DEFAULT_TOP_P",
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
