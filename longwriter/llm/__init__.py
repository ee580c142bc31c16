"""Chat and embedding backends: every chat call goes through the OpenAI-compatible API."""

from longwriter.llm.endpoint import (
    Endpoint,
    chat_model,
    check_endpoint,
    resolve_endpoint,
    served_models,
)

__all__ = ["Endpoint", "chat_model", "check_endpoint", "resolve_endpoint", "served_models"]
