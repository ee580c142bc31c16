"""Chroma-backed memory of accepted sections, one collection per document."""

from longwriter.memory.store import Passage, SectionMemory, delete_memory, open_memory

__all__ = ["Passage", "SectionMemory", "delete_memory", "open_memory"]
