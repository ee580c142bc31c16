"""The caller's own material for grounded writing: files read with provenance (page, section, row),
cut into citable chunks with exact offsets. Pure code: the PDF, Word and HTML libraries load only
when such a file is read."""

from longwriter.sources.chunk import (
    CHUNK_WORDS,
    Chunk,
    chunk_document,
    chunk_id,
    document_text,
    unique_chunks,
)
from longwriter.sources.read import (
    MAX_FILE_BYTES,
    MAX_FILES,
    SUFFIXES,
    SourceDocument,
    SourceError,
    SourcePart,
    SourceReport,
    read_source,
    read_sources,
    source_paths,
)

__all__ = [
    "CHUNK_WORDS",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "SUFFIXES",
    "Chunk",
    "SourceDocument",
    "SourceError",
    "SourcePart",
    "SourceReport",
    "chunk_document",
    "chunk_id",
    "document_text",
    "read_source",
    "read_sources",
    "source_paths",
    "unique_chunks",
]
