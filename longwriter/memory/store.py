"""Section memory: paragraphs of accepted sections in a Chroma collection, with explicit embeddings.

Memory is derived state: the checkpoint's accepted sections are the truth, and ``SectionMemory.sync``
makes the collection hold exactly them (see ``longwriter.agent.run.Run.memory``, which syncs
before every use). Entries are keyed by document (one collection each) and section index, and each
chunk carries a digest of its section, so storing a section again replaces it, and a section the
checkpoint does not have, one stored only in part, or one of another text is found and mended. A
collection made with another embedder is rebuilt, since its vectors are not comparable.
Retrieval feeds the writer earlier passages; near-duplicate search lets the critic catch a section
that repeats what is already written. A run opens a document's memory once (its ``Run`` keep
it) and closes its Chroma client when it ends: nothing is kept process-wide.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from longwriter.llm.embeddings import Embedder
from longwriter.text import count_words

_EMBED_CACHE = 512
# Chroma counts the clients of a location and stops its storage with the last one, but opening and
# closing are not atomic: a client opened while the last other one closes gets stopped storage (two
# runs on one location failed so). This module's clients open and close under this lock.
_opening = threading.Lock()


@dataclass(frozen=True)
class Passage:
    """A stored paragraph and how similar it is to the query (cosine similarity, 1 = identical)."""

    section: int
    title: str
    text: str
    similarity: float


def chunk_paragraphs(text: str, max_words: int = 150) -> list[str]:
    """Split a section into paragraph-sized chunks of at most ``max_words`` (long paragraphs by sentence)."""
    chunks: list[str] = []
    for para in (p.strip() for p in re.split(r"\n\s*\n", text)):
        if not para or para.startswith("#"):
            continue
        if count_words(para) <= max_words:
            chunks.append(para)
            continue
        current: list[str] = []
        for sentence in re.split(r"(?<=[.!?。！？])\s*", para):
            if current and count_words(" ".join([*current, sentence])) > max_words:
                chunks.append(" ".join(current))
                current = []
            if sentence:
                current.append(sentence)
        if current:
            chunks.append(" ".join(current))
    return chunks


def chroma_client(location: str) -> Any:
    """A Chroma client of ``location``: ``:memory:``, a folder, or ``http://host:port``; close it
    with :func:`close_client` (clients of one location share Chroma's storage, which stops with the
    last one: an in-memory location is then empty again)."""
    import chromadb

    with _opening:
        if location == ":memory:":
            return chromadb.EphemeralClient()
        if location.startswith(("http://", "https://")):
            match = re.match(r"https?://([^:/]+)(?::(\d+))?", location)
            if not match:
                raise ValueError(f"bad Chroma server URL {location!r}")
            return chromadb.HttpClient(
                host=match.group(1),
                port=int(match.group(2) or 8000),
                ssl=location.startswith("https"),
            )
        Path(location).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=location)


def close_client(client: Any) -> None:
    """Close a client of :func:`chroma_client`."""
    with _opening:
        client.close()


def collection_name(doc_id: str) -> str:
    """A valid Chroma collection name (3-63 chars of [A-Za-z0-9._-]) for a document id; ids that had
    to be cleaned or cut get a hash of the id, so two documents never share a collection."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", doc_id).strip("-._") or "doc"
    if clean == doc_id and len(clean) <= 60:
        return f"lw-{clean}"
    return f"lw-{clean[:40]}-{hashlib.sha1(doc_id.encode()).hexdigest()[:12]}"


def _digest(title: str, text: str) -> str:
    """What a stored section says: chunks of a section with another digest are stale."""
    return hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()[:16]


class SectionMemory:
    """Paragraphs of one document's accepted sections, searchable by meaning."""

    def __init__(self, collection: Any, embedder: Embedder, client: Any = None) -> None:
        self._col = collection
        self._client = client
        self.embedder = embedder
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._held: dict[int, str] | None = None  # section -> digest stored; None: not read yet

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        for text, vec in zip(missing, self.embedder.embed(missing), strict=True):
            self._cache[text] = vec
        vectors = [self._cache[t] for t in texts]
        while len(self._cache) > _EMBED_CACHE:
            self._cache.popitem(last=False)
        return vectors

    def count(self) -> int:
        """Number of stored paragraphs."""
        return int(self._col.count())

    def add_section(self, index: int, title: str, text: str) -> int:
        """Store (or replace) section ``index``; returns the number of paragraphs stored."""
        chunks = chunk_paragraphs(text)
        digest = _digest(title, text)
        self._col.delete(where={"section": index})
        if chunks:
            self._col.upsert(
                ids=[f"s{index:05d}-p{j:04d}" for j in range(len(chunks))],
                documents=chunks,
                embeddings=self._embed(chunks),
                metadatas=[
                    {"section": index, "title": title, "digest": digest, "chunks": len(chunks)}
                    for _ in chunks
                ],
            )
        if self._held is not None:
            self._held[index] = digest
        return len(chunks)

    def sections(self) -> set[int]:
        """Indexes of the sections stored."""
        got = self._col.get(include=["metadatas"])
        return {int(m["section"]) for m in got.get("metadatas") or [] if m}

    def sync(self, accepted: Iterable[tuple[int, str, str]]) -> None:
        """Make memory hold exactly the ``accepted`` sections (index, title, text): delete the
        sections it holds beyond them (stored by a commit whose checkpoint was never saved), store
        the ones it lacks, holds in part or holds with another text. Cheap when nothing changed."""
        wanted = {index: (title, text) for index, title, text in accepted}
        digests = {index: _digest(title, text) for index, (title, text) in wanted.items()}
        held = self._holding()
        if held == digests:
            return
        extra = [index for index in held if index not in wanted]
        if extra:
            self._col.delete(where={"section": {"$in": extra}})
            for index in extra:
                del held[index]
        for index, digest in digests.items():
            if held.get(index) != digest:
                self.add_section(index, *wanted[index])

    def _holding(self) -> dict[int, str]:
        """Digest of each section stored, read once; "" for a section stored in part or mixed."""
        if self._held is None:
            chunks: defaultdict[int, list[Any]] = defaultdict(list)
            for meta in self._col.get(include=["metadatas"]).get("metadatas") or []:
                chunks[int(meta["section"])].append(meta)
            self._held = {
                index: metas[0].get("digest", "")
                if len({m.get("digest") for m in metas}) == 1
                and metas[0].get("chunks") == len(metas)
                else ""
                for index, metas in chunks.items()
            }
        return self._held

    def related(self, query: str, k: int = 4, *, before: int | None = None) -> list[Passage]:
        """The ``k`` stored paragraphs closest to ``query`` (only sections < ``before`` if given)."""
        return self._query([query], k, before)[0] if query.strip() and self.count() else []

    def near_duplicates(
        self, text: str, threshold: float = 0.9, *, before: int | None = None
    ) -> list[tuple[str, Passage]]:
        """Paragraphs of ``text`` that nearly repeat a stored paragraph (similarity ≥ threshold)."""
        chunks = chunk_paragraphs(text)
        if not chunks or not self.count():
            return []
        hits = self._query(chunks, 1, before)
        return [
            (c, h[0])
            for c, h in zip(chunks, hits, strict=True)
            if h and h[0].similarity >= threshold
        ]

    def _query(self, texts: list[str], k: int, before: int | None) -> list[list[Passage]]:
        where = {"section": {"$lt": before}} if before is not None else None
        res = self._col.query(
            query_embeddings=self._embed(texts),
            n_results=min(k, self.count()),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        out = []
        for docs, metas, dists in zip(
            res["documents"] or [], res["metadatas"] or [], res["distances"] or [], strict=True
        ):
            out.append(
                [
                    Passage(int(m["section"]), str(m.get("title", "")), d, 1.0 - float(dist))
                    for d, m, dist in zip(docs, metas, dists, strict=True)
                ]
            )
        return out

    def close(self) -> None:
        """Close the Chroma client it was opened with (a second call does nothing)."""
        if self._client is not None:
            close_client(self._client)
            self._client = None

    def drop(self) -> None:
        """Delete every stored paragraph of this document."""
        ids = self._col.get(include=[])["ids"]
        if ids:
            self._col.delete(ids=ids)
        self._held = {}


def open_collection(client: Any, name: str, embedder: Embedder) -> Any:
    """The collection ``name`` for vectors of ``embedder``; one made by another embedder (other
    vectors, maybe another dimension) is deleted and made anew, empty."""
    metadata = {"hnsw:space": "cosine", "embedder": embedder.signature}
    col = client.get_or_create_collection(name, embedding_function=None, metadata=metadata)
    if (col.metadata or {}).get("embedder") != embedder.signature:
        client.delete_collection(name)
        col = client.create_collection(name, embedding_function=None, metadata=metadata)
    return col


def open_memory(location: str, doc_id: str, embedder: Embedder) -> SectionMemory:
    """The memory of document ``doc_id`` at ``location`` (``:memory:``, a folder, or a Chroma server
    URL), with a Chroma client of its own: close it after use.

    A run opens it once and keeps it (its ``Run``): a ``SectionMemory`` remembers which sections
    it holds, and a new one reads that from the collection again."""
    client, collection = client_and_collection(location, collection_name(doc_id), embedder)
    return SectionMemory(collection, embedder, client)


def client_and_collection(location: str, name: str, embedder: Embedder) -> tuple[Any, Any]:
    """A new Chroma client of ``location`` and its collection ``name`` for ``embedder``'s vectors
    (the client is closed again if the collection cannot be opened)."""
    client = chroma_client(location)
    try:
        return client, open_collection(client, name, embedder)
    except BaseException:
        close_client(client)
        raise


def delete_memory(location: str, doc_id: str) -> None:
    """Delete the collection of document ``doc_id`` at ``location``: memory is derived from the
    checkpoint, so a finished document need not keep it."""
    from chromadb.errors import NotFoundError

    client = chroma_client(location)
    try:
        with suppress(NotFoundError):
            client.delete_collection(collection_name(doc_id))
    finally:
        close_client(client)
