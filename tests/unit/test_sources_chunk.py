"""Chunking sources: passages of about the asked size at paragraph, then sentence, boundaries,
never across parts, with offsets that point exactly at their text, and repeats kept once."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from longwriter.sources.chunk import (
    CHUNK_WORDS,
    Chunk,
    chunk_document,
    chunk_id,
    document_text,
    unique_chunks,
)
from longwriter.sources.read import SourceDocument, SourcePart, read_source
from longwriter.text import count_words
from tests.sources_corpus import write_pdf, write_text


def _doc(*texts: str, name: str = "d.txt") -> SourceDocument:
    parts, start = [], 0
    for n, text in enumerate(texts, 1):
        parts.append(SourcePart(f"part {n}", text, start))
        start += len(text) + 2
    return SourceDocument(Path(name), name, "txt", tuple(parts))


def _exact(doc: SourceDocument, chunks: list[Chunk]) -> None:
    whole = document_text(doc)
    for chunk in chunks:
        assert whole[chunk.start : chunk.end] == chunk.text


def _paragraph(n: int, words: int) -> str:
    return " ".join(f"p{n}w{i}" for i in range(words - 1)) + " end."


def test_short_paragraphs_are_packed_and_end_at_a_paragraph_break() -> None:
    doc = _doc("\n\n".join(_paragraph(n, 50) for n in range(6)))
    chunks = chunk_document(doc)
    _exact(doc, chunks)
    assert [c.words for c in chunks] == [100, 100, 100]
    assert all(c.text.endswith("end.") and c.text.count("\n\n") == 1 for c in chunks)


def test_a_long_paragraph_is_cut_at_sentences() -> None:
    sentence = "The quay was rebuilt in stone after the storm of that year."  # 12 words
    doc = _doc(" ".join([sentence] * 40))
    chunks = chunk_document(doc, words=50)
    _exact(doc, chunks)
    assert all(c.text.startswith("The quay") and c.text.endswith("year.") for c in chunks)
    assert all(c.words <= 50 for c in chunks) and sum(c.words for c in chunks) == 480


def test_a_sentence_longer_than_twice_the_size_is_cut_at_words() -> None:
    doc = _doc(" ".join(f"word{i}" for i in range(1000)))
    chunks = chunk_document(doc, words=100)
    _exact(doc, chunks)
    assert [c.words for c in chunks] == [100] * 10


def test_cjk_text_counts_characters_as_words() -> None:
    doc = _doc("港口在一八四四年疏浚。" * 40 + "\n\n" + "无标点的长句子" * 100)
    chunks = chunk_document(doc, words=30)
    _exact(doc, chunks)
    assert chunks and all(c.words <= 60 for c in chunks)
    assert chunks[0].text.endswith("。")
    assert sum(c.words for c in chunks) == count_words(document_text(doc))


def test_chunks_never_span_parts_and_keep_their_locators(tmp_path: Path) -> None:
    body = " ".join(f"Fact {i} is here." for i in range(60))
    md = write_text(tmp_path / "a.md", f"# One\n\n{body}\n\n# Two\n\nShort part.\n")
    pdf = write_pdf(tmp_path / "b.pdf", ["First page.", "Second page."])
    for doc in (read_source(md, "a.md"), read_source(pdf, "b.pdf")):
        chunks = chunk_document(doc, words=40)
        _exact(doc, chunks)
        for chunk in chunks:
            part = next(p for p in doc.parts if p.locator == chunk.locator)
            assert part.start <= chunk.start < chunk.end <= part.start + len(part.text)
            assert chunk.document == doc.name
    assert [c.locator for c in chunk_document(read_source(pdf, "b.pdf"))] == ["p. 1", "p. 2"]


def test_a_small_remainder_joins_the_chunk_before_it() -> None:
    doc = _doc(_paragraph(1, 100) + "\n\n" + _paragraph(2, 10))
    assert [c.words for c in chunk_document(doc)] == [110]
    doc = _doc(_paragraph(1, 100) + "\n\n" + _paragraph(2, 60))
    assert [c.words for c in chunk_document(doc)] == [100, 60]


def test_passages_without_words_are_left_out() -> None:
    assert chunk_document(_doc("---", "", "Real text.")) == [
        Chunk(chunk_id("Real text."), "d.txt", "part 3", 7, 17, "Real text.")
    ]


def test_the_id_is_the_content_hash_and_repeats_go_once() -> None:
    assert chunk_id("The  Quay\nwas built.") == chunk_id("the quay was built.")
    assert chunk_id("The quay was built.") != chunk_id("The quay was rebuilt.")
    assert len(chunk_id("x")) == 16 and int(chunk_id("x"), 16) >= 0
    first = chunk_document(_doc("Shared passage.", "Own text.", name="a.txt"))
    second = chunk_document(_doc("Shared  passage.", name="b.txt"))
    kept, dropped = unique_chunks([*first, *second, first[1]])
    assert kept == first and dropped == 2
    assert CHUNK_WORDS == 120


_TEXT = st.lists(
    st.sampled_from(
        [*"ab .!?\n中。'-,1é\u0301\u3000\t", "Dr. ", "e.g. ", "U.S. ", "\n\n", "...", "   "]
    )
    | st.text(max_size=4),
    max_size=120,
).map("".join)


@settings(deadline=2000, max_examples=200)
@given(st.lists(_TEXT, min_size=1, max_size=4), st.integers(1, 12))
def test_chunking_is_total_and_its_offsets_hold(texts: list[str], words: int) -> None:
    doc = _doc(*texts)
    chunks = chunk_document(doc, words=words)
    _exact(doc, chunks)
    whole = document_text(doc)
    covered = set()
    end = 0
    for chunk in chunks:
        assert chunk.start >= end and chunk.text == chunk.text.strip() and chunk.words > 0
        assert chunk.words <= 2 * words
        covered.update(range(chunk.start, chunk.end))
        end = chunk.end
    assert all(i in covered for i, char in enumerate(whole) if char.isalnum())
