"""Which embedder a run uses (``embedding="auto"`` and the explicit kinds), the keys it sends, and
the core install's ONNX MiniLM (the CLI's embedder options: ``test_cli_inputs``).

Endpoints are the OpenAI stub on 127.0.0.1, with or without ``/embeddings``, so the probe and the
OpenAI embedder are tested over the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from longwriter import WriterContext, write_document
from longwriter.errors import ConfigError
from longwriter.llm import embeddings
from longwriter.llm.embeddings import EmbeddingChoice, choose_embedding, get_embedder
from longwriter.llm.endpoint import Endpoint
from tests.fakes import ScriptedWriter
from tests.openai_stub import StubState, openai_stub


@pytest.fixture
def stub() -> Iterator[StubState]:
    """A vLLM-like server that serves an embedding model."""
    with openai_stub(StubState(models=["served-model"], embeddings=True)) as state:
        yield state


@pytest.fixture
def chat_only() -> Iterator[StubState]:
    """A vLLM-like server with a chat model only."""
    with openai_stub(StubState(models=["served-model"])) as state:
        yield state


def _choose(
    kind: str, chat_base_url: str | None = None, chat_model: str = "", **kw: Any
) -> EmbeddingChoice:
    chat = (
        (lambda: Endpoint(chat_base_url, chat_model or "served-model")) if chat_base_url else None
    )
    args: dict[str, Any] = {"base_url": None, "model": None, "api_key": "EMPTY", "chat": chat}
    return choose_embedding(kind, **{**args, **kw})


@pytest.fixture
def no_local(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the core install: the ``local`` extra is not there."""
    monkeypatch.setattr(embeddings, "local_minilm_installed", lambda: False)


def test_auto_takes_minilm_when_the_local_extra_is_there(
    monkeypatch: pytest.MonkeyPatch, stub: StubState
) -> None:
    monkeypatch.setattr(embeddings, "local_minilm_installed", lambda: True)
    assert _choose("auto", chat_base_url=stub.base_url).kind == "minilm"
    assert not stub.requests  # no probe
    assert _choose("auto", chat=_forbidden).kind == "minilm"  # nor a wait for the chat server


def _forbidden() -> Endpoint:
    raise AssertionError("the chat endpoint was resolved")


@pytest.mark.usefixtures("no_local")
def test_auto_takes_the_endpoints_embeddings_when_served(stub: StubState) -> None:
    choice = _choose("auto", chat_base_url=stub.base_url, api_key="sk-chat")
    assert (choice.kind, choice.base_url, choice.model) == ("openai", stub.base_url, "served-model")
    assert "serves them" in choice.describe()
    assert len(stub.requests) == 1 and stub.keys == ["Bearer sk-chat"]


@pytest.mark.usefixtures("no_local")
def test_auto_falls_back_to_onnx_when_the_endpoint_serves_none(chat_only: StubState) -> None:
    choice = _choose("auto", chat_base_url=chat_only.base_url, chat_model="served-model")
    assert choice.kind == "onnx"
    assert f"{chat_only.base_url}/embeddings: HTTP 404" in choice.why


@pytest.mark.usefixtures("no_local")
def test_auto_without_endpoint_is_onnx() -> None:
    assert _choose("auto").kind == "onnx"
    assert _choose("onnx", chat=_forbidden).kind == "onnx"
    assert get_embedder("auto").name == "onnx"


def test_an_embeddings_url_wins(stub: StubState) -> None:
    url = stub.base_url
    choice = _choose("auto", base_url=url, chat_base_url="http://chat:8000/v1")
    assert (choice.kind, choice.base_url, choice.model) == ("openai", url, "served-model")
    assert _choose("openai", chat_base_url=url, model="m").base_url == url
    assert _choose("hash", base_url=url).kind == "hash"


def test_openai_without_any_url_and_unknown_kinds_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="needs an embeddings URL"):
        _choose("openai")
    with pytest.raises(ConfigError, match="unknown embedding"):
        _choose("bert")
    with pytest.raises(ConfigError, match="embedding must be one of"):
        WriterContext(embedding="bert")
    with pytest.raises(ConfigError, match="--embedding-url"):
        WriterContext(embedding="openai", base_url=None)


def test_the_key_sent_is_the_embedding_key_else_the_chat_key(
    stub: StubState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LONGWRITER_EMBEDDING_KEY", raising=False)
    assert WriterContext(api_key="sk-chat").embedding_key == "sk-chat"
    ctx = WriterContext(api_key="sk-chat", embedding_api_key="sk-embed")
    assert ctx.embedding_key == "sk-embed"
    monkeypatch.setenv("LONGWRITER_EMBEDDING_KEY", "sk-env")
    assert WriterContext(api_key="sk-chat").embedding_key == "sk-env"
    embedder = get_embedder("openai", stub.base_url, "served-model", ctx.embedding_key)
    vectors = embedder.embed(["ab", "c"])
    assert len(vectors) == 2 and abs(sum(x * x for x in vectors[0]) - 1) < 1e-9
    assert stub.keys and set(stub.keys) == {"Bearer sk-embed"}


def test_onnx_minilm_embeds_by_meaning() -> None:
    onnx = get_embedder("onnx")
    texts = [
        "Coffee beans are roasted before they are ground and brewed.",
        "Roasting brings out the flavour of the coffee bean.",
        "The lighthouse keeper climbed the tower to light the lamp.",
    ]
    a, b, c = onnx.embed(texts)
    assert len(a) == 384 and abs(sum(x * x for x in a) - 1) < 1e-5
    cos = lambda u, v: sum(x * y for x, y in zip(u, v, strict=True))  # noqa: E731
    assert cos(a, b) > cos(a, c) + 0.3
    # Order and batching do not change a text's vector.
    assert onnx.embed([texts[2], texts[0]])[1] == pytest.approx(a, abs=1e-5)


def test_the_run_chooses_once_and_reports_its_embedder() -> None:
    events: list[dict[str, Any]] = []
    result = write_document(
        "Write a 400-word essay on maps.",
        context=WriterContext(memory=":memory:", embedding="hash", structured_plan=False),
        chat_model=ScriptedWriter(),
        on_event=events.append,
    )
    assert result.report["embedder"]["kind"] == "hash"
    chosen = [e for e in events if e["event"] == "embedder"]
    assert len(chosen) == 1 and chosen[0]["text"] == "lexical hashing (asked for)"


@pytest.mark.usefixtures("no_local")
def test_a_run_on_a_loading_server_waits_then_embeds_through_it() -> None:
    """The probe runs after the chat endpoint is up: a server still loading (503) is not taken for
    one without embeddings; memory and relevance then use its /embeddings with the run's key."""
    with openai_stub(StubState(models=["served-model"], embeddings=True, unavailable=2)) as stub:
        context = WriterContext(
            base_url=stub.base_url,
            api_key="sk-chat",
            memory=":memory:",
            structured_plan=False,
            max_revisions=0,
            connect_wait=10,
        )
        result = write_document("Write a 300-word essay on maps.", context=context)
    embedder = result.report["embedder"]
    assert (embedder["kind"], embedder["base_url"]) == ("openai", stub.base_url)
    assert embedder["model"] == "served-model"
    embedded = [r for r in stub.requests if "input" in r]
    assert len(embedded) > 1  # the probe, then the run's own texts
    assert set(stub.keys) == {"Bearer sk-chat"}
