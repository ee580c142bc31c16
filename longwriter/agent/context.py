"""Run settings (the graph's ``context_schema``): backend, lengths, critic and memory knobs."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import ConfigDict

from longwriter.errors import ConfigError
from longwriter.llm.embeddings import KINDS as EMBEDDINGS
from longwriter.llm.endpoint import check_base_url
from longwriter.llm.sampling import DEFAULT_TEMPERATURE, DEFAULT_TOP_P
from longwriter.text.target import MAX_TARGET_WORDS

ROLES = ("plan", "write")
"""Kinds of model call that may go to their own endpoint: planning, and writing/revising sections.
(Section summaries are extractive: no model call.)"""
_ENDPOINT_KEYS = ("base_url", "model", "api_key")
PROMPT_LAYOUTS = ("auto", "history", "compact")


def home_dir() -> Path:
    """Where longwriter keeps checkpoints, memory and converted models (``$LONGWRITER_HOME``)."""
    return Path(os.environ.get("LONGWRITER_HOME") or Path.home() / ".longwriter")


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


@dataclass(frozen=True)
class RoleEndpoint:
    """Where one role's calls go; None base URL = the embedded server, None model = the first served."""

    base_url: str | None
    model: str | None
    api_key: str


def check_role(role: str) -> None:
    """Raise ConfigError unless ``role`` is one of ``ROLES``."""
    if role not in ROLES:
        raise ConfigError(f"unknown endpoint role {role!r} (roles: {', '.join(ROLES)})")


def _check_endpoints(endpoints: dict[str, dict[str, str]]) -> None:
    """Raise ConfigError naming the problem in a per-role endpoint table."""
    for role, spec in endpoints.items():
        check_role(role)
        where = f"endpoints[{role!r}]"
        if not isinstance(spec, dict):
            raise ConfigError(f"{where} must be a mapping with base_url (and model, api_key)")
        unknown = sorted(set(spec) - set(_ENDPOINT_KEYS))
        if unknown:
            raise ConfigError(
                f"{where} has unknown keys {unknown} (known: {', '.join(_ENDPOINT_KEYS)})"
            )
        url = spec.get("base_url")
        if not url:
            raise ConfigError(f"{where} needs a base_url")
        check_base_url(str(url), f"{where} base_url")


SETTINGS_KEY = "longwriter"
"""Where a parent graph puts this graph's settings: its context's attribute or key, or its config's
``configurable`` key."""


def _settings_in(value: Any, where: str) -> dict[str, Any]:
    """The settings mapping found under ``SETTINGS_KEY`` (empty when there is none); raises
    ConfigError naming the place of a value that is no mapping or of an unknown setting."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}[{SETTINGS_KEY!r}] must be a mapping of settings")
    unknown = sorted(set(value) - {f.name for f in dataclasses.fields(WriterContext)})
    if unknown:
        raise ConfigError(f"{where}[{SETTINGS_KEY!r}] has unknown settings {unknown}")
    return dict(value)


@dataclass
class WriterContext:
    """Settings for one run; pass as ``context=`` to ``graph.invoke``. Every field has a sane default.

    Each field's docstring is its description in the context schema (Studio's settings panel)."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(use_attribute_docstrings=True)

    base_url: str | None = field(default_factory=lambda: _env("LONGWRITER_BASE_URL"))
    """OpenAI-compatible URL (e.g. vLLM ``http://host:8000/v1``); None starts the embedded llama.cpp model.
    Defaults to ``$LONGWRITER_BASE_URL``."""
    model: str | None = field(default_factory=lambda: _env("LONGWRITER_MODEL"))
    """Served model name; None takes the first model the server lists. Defaults to ``$LONGWRITER_MODEL``."""
    api_key: str = field(default_factory=lambda: _env("LONGWRITER_API_KEY") or "EMPTY")
    """API key sent to the endpoint (vLLM and llama.cpp accept any). Defaults to
    ``$LONGWRITER_API_KEY``, else ``EMPTY``."""
    endpoints: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per-role endpoints, e.g. ``{"plan": {"base_url": "http://big:8000/v1", "model": "glm4-9b"}}``;
    roles are ``plan`` and ``write``. Each entry needs ``base_url`` (``model`` defaults to the first
    served, ``api_key`` to ``api_key``); roles not listed use ``base_url``/``model``."""
    connect_wait: float = 30.0
    """Seconds to wait for a server that is not up yet (vLLM loading) before failing."""
    gguf: str | None = None
    """GGUF file for the embedded server instead of the bundled SmolLM2."""
    target_words: int | None = None
    """Document length; None reads it from the instruction, else ``default_words``."""
    default_words: int = 2000
    """Document length when neither the input, ``target_words`` nor the instruction gives one."""
    language: str | None = None
    """Document language (``en``, ``zh``, ...); None detects it from the instruction."""
    temperature: float = DEFAULT_TEMPERATURE
    """Sampling temperature of writing calls (anti-loop levels leave it: warmer text drifts)."""
    top_p: float = DEFAULT_TOP_P
    """Nucleus sampling: the probability mass sampled from."""
    extra_body: dict[str, Any] = field(default_factory=dict)
    """Server-specific sampling sent as is, e.g. ``{"repeat_penalty": 1.1}`` (llama.cpp) or
    ``{"repetition_penalty": 1.05, "top_k": 40}`` (vLLM)."""
    context_window: int | None = None
    """Model context in tokens; None asks the server (vLLM) or uses 8192 (embedded)."""
    prompt_layout: str = "auto"
    """How the writer asks for text: ``history`` (every accepted section replayed as earlier turns: a
    growing prefix that vLLM's prefix cache reuses), ``compact`` (per section, a short conversation
    that opens with the instruction, the end of the previous section and the step: small models stay
    closer to the subject), or ``auto`` (compact for a context window of 8,192 tokens or less, which
    the embedded model has, else history)."""
    step_words: int = 200
    """Compact layout: words asked for per call; longer sections take several calls."""
    compact_chain_words: int | None = None
    """Compact layout: a section continues the conversation of the sections before it while their
    exchanges hold at most this many words, so a prefix cache serves them; 0 opens a new conversation
    per section; None: 800 on vLLM (whose prefix cache is shared by all requests), else 0."""
    section_words: int = 400
    """Preferred section length when planning (AgentWrite uses 200-1000)."""
    min_section_words: int = 150
    """Smallest section budget a plan keeps; smaller sections are merged with a neighbour."""
    max_section_words: int = 1000
    """Longest section budget; longer planned sections are split into parts."""
    min_tokens_ratio: float = 0.5
    """Ask servers that support it (llama.cpp, vLLM) not to stop before this share of a section's
    budget; 0 disables. Weak models otherwise end sections far too early."""
    max_revisions: int = 2
    """Revision attempts per section after the first draft."""
    length_tolerance: float = 0.2
    """A section shorter than (1 - tolerance) x budget is expanded."""
    max_repeat_share: float = 0.3
    """Highest repeated-4-gram share accepted inside a section."""
    max_overlap: float = 0.2
    """Highest share of a section's 8-grams that may already occur earlier in the document."""
    content_filter: bool = True
    """Drop junk (URLs, ids, markup debris) and paragraphs off the subject from every draft; the
    length loop then refills the section with text on the subject."""
    structured_plan: bool = True
    """Ask for the plan as JSON schema output first (falls back to the AgentWrite line format)."""
    review_plan: bool = False
    """Pause after planning (``interrupt``) so a human can edit the plan."""
    memory: str | None = None
    """Chroma location: a folder, ``:memory:``, or ``http://host:port``; None = ``$LONGWRITER_HOME/chroma``."""
    embedding: str = field(default_factory=lambda: _env("LONGWRITER_EMBEDDING") or "auto")
    """Embedder of memory and relevance: ``auto`` (an embeddings URL if set, else MiniLM with the
    ``local`` extra, else the chat endpoint's ``/embeddings`` if it serves them, else ``onnx``),
    ``minilm`` (``local`` extra), ``onnx`` (MiniLM int8, core install), ``openai`` (an embeddings
    endpoint: ``embedding_base_url``, else ``base_url``) or ``hash`` (lexical only).
    Defaults to ``$LONGWRITER_EMBEDDING``."""
    embedding_base_url: str | None = field(default_factory=lambda: _env("LONGWRITER_EMBEDDING_URL"))
    """OpenAI-compatible URL serving ``/embeddings`` (vLLM, TEI, OpenAI). Defaults to
    ``$LONGWRITER_EMBEDDING_URL``."""
    embedding_model: str | None = field(default_factory=lambda: _env("LONGWRITER_EMBEDDING_MODEL"))
    """Embedding model name there; None takes the first the server lists. Defaults to
    ``$LONGWRITER_EMBEDDING_MODEL``."""
    embedding_api_key: str | None = field(default_factory=lambda: _env("LONGWRITER_EMBEDDING_KEY"))
    """API key of the embeddings server; None sends ``api_key``. Defaults to
    ``$LONGWRITER_EMBEDDING_KEY``."""
    retrieve_k: int = 3
    """Earlier passages retrieved from memory for a section when the text before it no longer fits
    the prompt; 0 retrieves none."""
    duplicate_similarity: float = 0.92
    """Embedding similarity at which a paragraph counts as a near-duplicate of an earlier one."""
    request_timeout: float = 600.0
    """Seconds one model call may take before it fails."""
    max_retries: int = 2
    """Times a failed model call is retried by the client."""

    def __post_init__(self) -> None:
        _check_endpoints(self.endpoints)
        for name in ("base_url", "embedding_base_url"):
            url = getattr(self, name)
            if url is not None:
                check_base_url(url, name)
        if self.embedding not in EMBEDDINGS:
            raise ConfigError(
                f"embedding must be one of {', '.join(EMBEDDINGS)}, got {self.embedding!r}"
            )
        if self.embedding == "openai" and not (self.embedding_base_url or self.base_url):
            raise ConfigError(
                "embedding 'openai' needs an embeddings URL (--embedding-url) or a --base-url"
            )
        if self.prompt_layout not in PROMPT_LAYOUTS:
            raise ConfigError(
                f"prompt_layout must be one of {', '.join(PROMPT_LAYOUTS)}, got {self.prompt_layout!r}"
            )
        for name in ("target_words", "default_words"):
            words = getattr(self, name)
            if words is not None and not 0 < words <= MAX_TARGET_WORDS:
                raise ConfigError(f"{name} must be between 1 and {MAX_TARGET_WORDS}, got {words}")
        if self.connect_wait < 0:
            raise ConfigError(f"connect_wait must be 0 or more seconds, got {self.connect_wait}")
        if self.compact_chain_words is not None and self.compact_chain_words < 0:
            raise ConfigError(
                f"compact_chain_words must be 0 or more words, got {self.compact_chain_words}"
            )

    @classmethod
    def of_run(
        cls, context: Any, configurable: Mapping[str, Any] | None, default: WriterContext | None
    ) -> WriterContext:
        """The settings of a run whose runtime context may not be ours: inside a parent graph with
        its own ``context_schema`` the context is the parent's. A ``WriterContext`` is taken as is,
        also as the parent context's ``longwriter`` attribute or key. Otherwise ``default`` (or the
        defaults) with the settings under ``longwriter`` in the context (a dict) or in the config's
        ``configurable``. Namespaced: a parent's own ``model`` or ``temperature`` is not ours."""
        if isinstance(context, cls):
            return context
        nested = (
            context.get(SETTINGS_KEY)
            if isinstance(context, Mapping)
            else getattr(context, SETTINGS_KEY, None)
        )
        if isinstance(nested, cls):
            return nested
        given = {
            **_settings_in((configurable or {}).get(SETTINGS_KEY), "configurable"),
            **_settings_in(nested, "context"),
        }
        base = default or cls()
        return dataclasses.replace(base, **given) if given else base

    def role_endpoint(self, role: str) -> RoleEndpoint:
        """Where ``role``'s calls go: its ``endpoints`` entry, else the main endpoint."""
        check_role(role)
        spec = self.endpoints.get(role)
        if spec is None:
            return RoleEndpoint(self.base_url, self.model, self.api_key)
        return RoleEndpoint(
            spec["base_url"], spec.get("model") or None, spec.get("api_key") or self.api_key
        )

    @property
    def embedding_key(self) -> str:
        """The key sent to the embeddings server: its own, else the chat endpoint's."""
        return self.embedding_api_key or self.api_key

    def memory_location(self) -> str:
        """The Chroma location to use."""
        return self.memory or str(home_dir() / "chroma")
