"""Section memory as derived state: real Chroma in a temporary folder, hashed embeddings."""

from __future__ import annotations

from pathlib import Path

import pytest

from longwriter.llm.embeddings import HashEmbedder
from longwriter.memory.store import collection_name, open_memory

ACCEPTED = [
    (0, "Origins", "Stone arches carried the first roads over rivers.\n\nRomans added concrete."),
    (1, "Iron", "Cast iron spans appeared with the railways of the north."),
    (2, "Steel", "Suspension cables of drawn steel let towers stand far apart."),
]


def test_empty_memory_is_rebuilt_from_the_accepted_sections(tmp_path: Path) -> None:
    memory = open_memory(str(tmp_path / "chroma"), "doc", HashEmbedder())
    memory.sync(ACCEPTED)
    assert memory.sections() == {0, 1, 2}
    passage = memory.related("suspension cables of steel", 1)[0]
    assert passage.section == 2 and passage.title == "Steel"


def test_a_section_beyond_the_checkpoint_is_deleted(tmp_path: Path) -> None:
    """kill -9 after ``commit`` stored section 2 but before its checkpoint was saved."""
    location = str(tmp_path / "chroma")
    ahead = open_memory(location, "doc", HashEmbedder())
    for section in ACCEPTED:
        ahead.add_section(*section)
    memory = open_memory(location, "doc", HashEmbedder())
    memory.sync(ACCEPTED[:2])
    assert memory.sections() == {0, 1}
    assert all(p.section < 2 for p in memory.related("suspension cables of steel", 5))


def test_a_section_stored_in_part_or_with_another_text_is_stored_again(tmp_path: Path) -> None:
    location = str(tmp_path / "chroma")
    old = open_memory(location, "doc", HashEmbedder())
    for section in ACCEPTED:
        old.add_section(*section)
    full = old.count()
    old._col.delete(ids=["s00000-p0001"])  # section 0 lost its second paragraph
    rewritten = [*ACCEPTED[:2], (2, "Steel", "Cable-stayed decks hang from a single pylon.")]
    memory = open_memory(location, "doc", HashEmbedder())
    memory.sync(rewritten)
    assert memory.count() == full
    assert memory.related("cable-stayed decks and a pylon", 1)[0].text.startswith("Cable-stayed")
    assert memory.related("Romans added concrete", 1)[0].text == "Romans added concrete."


def test_memory_made_by_another_embedder_is_rebuilt(tmp_path: Path) -> None:
    location = str(tmp_path / "chroma")
    small = open_memory(location, "doc", HashEmbedder(dim=64))
    small.sync(ACCEPTED)
    memory = open_memory(location, "doc", HashEmbedder())  # 512 dimensions: Chroma would refuse
    memory.sync(ACCEPTED)
    assert memory.sections() == {0, 1, 2}
    assert memory.related("cast iron railways", 1)[0].section == 1


def test_memory_made_by_another_embedder_is_rebuilt_in_a_new_process(tmp_path: Path) -> None:
    location = str(tmp_path / "chroma")
    open_memory(location, "doc", HashEmbedder(dim=64)).sync(ACCEPTED)
    memory = open_memory(location, "doc", HashEmbedder())
    memory.sync(ACCEPTED)
    assert memory.near_duplicates(ACCEPTED[1][2], 0.9)


def test_sync_changes_nothing_when_memory_agrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = open_memory(str(tmp_path / "chroma"), "doc", HashEmbedder())
    memory.sync(ACCEPTED)
    monkeypatch.setattr(memory, "add_section", lambda *_: pytest.fail("stored again"))
    memory.sync(ACCEPTED)


def test_documents_never_share_a_collection() -> None:
    names = {collection_name(d) for d in ["a b", "a-b", "a/b", "a" * 70, "a" * 71]}
    assert len(names) == 5
    assert collection_name("rome") == "lw-rome"
    assert all(3 <= len(n) <= 63 for n in names)
