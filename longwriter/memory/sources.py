"""The source index: the chunks of a run's own material in a Chroma collection of their own.

Chunks are keyed by their content hash, so indexing the same material again (a resumed run, a
second document from the same files) embeds only what is not there yet, and identical passages in
two files are stored once. Like section memory the index is derived: the files are the truth, and
a run whose collection went missing (an in-memory location, another machine) builds it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from longwriter.llm.embeddings import Embedder
from longwriter.memory.store import client_and_collection, close_client, collection_name
from longwriter.sources.chunk import Chunk

EMBED_BATCH = 64
"""Chunks embedded and stored per step: memory stays bounded however large the material is."""


@dataclass(frozen=True)
class SourcePassage:
    """A chunk of the sources found for a query (cosine similarity, 1 = identical)."""

    id: str
    document: str
    locator: str
    text: str
    similarity: float


def source_collection(doc_id: str) -> str:
    """The collection name of document ``doc_id``'s sources (beside its section memory)."""
    return collection_name(f"{doc_id}.sources")


class SourceIndex:
    """One document's source chunks, searchable by meaning."""

    def __init__(self, collection: Any, embedder: Embedder, client: Any = None) -> None:
        self._col = collection
        self._client = client
        self.embedder = embedder

    def count(self) -> int:
        """Number of chunks stored."""
        return int(self._col.count())

    def add(
        self, chunks: Sequence[Chunk], progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Store the ``chunks`` not stored yet; returns how many were embedded. ``progress(done,
        total)`` after every batch."""
        embedded = 0
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = list({c.id: c for c in chunks[start : start + EMBED_BATCH]}.values())
            held = set(self._col.get(ids=[c.id for c in batch], include=[])["ids"])
            new = [c for c in batch if c.id not in held]
            if new:
                self._col.upsert(
                    ids=[c.id for c in new],
                    documents=[c.text for c in new],
                    embeddings=self.embedder.embed([c.text for c in new]),
                    metadatas=[
                        {
                            "document": c.document,
                            "locator": c.locator,
                            "start": c.start,
                            "end": c.end,
                        }
                        for c in new
                    ],
                )
                embedded += len(new)
            if progress is not None:
                progress(min(start + EMBED_BATCH, len(chunks)), len(chunks))
        return embedded

    def search(
        self, query: str, k: int, documents: Sequence[str] | None = None
    ) -> list[SourcePassage]:
        """The ``k`` chunks closest to ``query``, from ``documents`` only when given."""
        count = self.count()
        if not query.strip() or not count or k <= 0:
            return []
        where: Any = None
        if documents:
            names = sorted(set(documents))
            where = {"document": names[0]} if len(names) == 1 else {"document": {"$in": names}}
        res = self._col.query(
            query_embeddings=self.embedder.embed([query]),
            n_results=min(k, count),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        ids, docs = (res["ids"] or [[]])[0], (res["documents"] or [[]])[0]
        metas, dists = (res["metadatas"] or [[]])[0], (res["distances"] or [[]])[0]
        return [
            SourcePassage(i, str(m["document"]), str(m.get("locator", "")), d, 1.0 - float(dist))
            for i, d, m, dist in zip(ids, docs, metas, dists, strict=True)
        ]

    def close(self) -> None:
        """Close the Chroma client it was opened with (a second call does nothing)."""
        if self._client is not None:
            close_client(self._client)
            self._client = None


def open_source_index(location: str, doc_id: str, embedder: Embedder) -> SourceIndex:
    """The source index of document ``doc_id`` at ``location`` (as :func:`open_memory`); close
    it after use."""
    client, collection = client_and_collection(location, source_collection(doc_id), embedder)
    return SourceIndex(collection, embedder, client)
