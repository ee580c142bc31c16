"""Citations that check out: every [n] in a section must point at a passage the section was given,
and the cited passage must hold what the sentence says.

The check is deterministic and lexical: a sentence is supported by a passage when every number,
name and quoted phrase of the sentence occurs in the passage and most of its content words do too.
It is stricter than an entailment model (a paraphrase fails it), which is the safe side for
citation precision: a citation it cannot confirm is removed rather than shown. Uncited sentences
that a given passage supports get that passage's number (attribution after writing). Figures follow
ALCE's definitions, with this check standing in for its NLI judge: citation recall is the share of
sentences whose citations support them, citation precision the share of citations that support
their sentence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from longwriter.text import split_sentences, tokenize
from longwriter.text._chars import CJK

MARKER = re.compile(r"\s?\[(\d{1,4}(?:\s*[,，;；]\s*\d{1,4}){0,9})\]")
"""A citation marker: "[2]", "[1, 3]" (and the space before it)."""
_AFTER_STOP = re.compile(r"([.!?。！？])((?:\s?\[\d{1,4}(?:\s*[,，;；]\s*\d{1,4}){0,9}\])+)")
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*")
_QUOTED = re.compile(r"[\"“「]([^\"”」\n]{3,200})[\"”」]")
_CJK_RUN = re.compile(rf"[{CJK}]+")
MIN_OVERLAP = 0.5
"""Share of a sentence's content words (CJK: character pairs) a passage must hold to support it."""
AUTO_OVERLAP = 0.65
"""The higher share at which an uncited sentence without facts gets the supporting passage's number."""
FACT_OVERLAP = 0.6
"""The share at which an uncited sentence whose every fact comes from one passage gets its number."""
MIN_CONTENT = 4
"""Sentences with fewer content words than this (a heading, "In short.") are not claims."""


def content_words(text: str) -> set[str]:
    """What a claim is made of: words of four or more letters and numbers; CJK character pairs."""
    words = {t for t in tokenize(text) if len(t) >= 4 or any(c.isdigit() for c in t)}
    words = {w for w in words if not _CJK_RUN.fullmatch(w)}
    for run in _CJK_RUN.findall(text):
        words.update(run[i : i + 2] for i in range(len(run) - 1))
    return words


def facts(sentence: str) -> tuple[set[str], set[str]]:
    """The checkable facts of a sentence: its numbers and names (capitalised words that do not
    start it) as lower-cased tokens, and its quoted phrases."""
    text = sentence.lstrip()
    tokens = {t for m in _NUMBER.finditer(text) for t in tokenize(m.group(0))}
    tokens.update(t for m in _NAME.finditer(text) if m.start() > 0 for t in tokenize(m.group(0)))
    quoted = {_normalised(m.group(1)) for m in _QUOTED.finditer(text)}
    return tokens, quoted


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class _Passage:
    text: str  # normalised: lower case, single spaces
    tokens: frozenset[str]
    words: frozenset[str]


def _prepared(passage: str) -> _Passage:
    return _Passage(
        _normalised(passage), frozenset(tokenize(passage)), frozenset(content_words(passage))
    )


def support(sentence: str, passage: _Passage) -> float:
    """How well ``passage`` supports ``sentence``: 0 when a fact of the sentence is missing from it,
    else the share of the sentence's content words it holds."""
    words = content_words(sentence)
    if not words:
        return 0.0
    tokens, quoted = facts(sentence)
    if not tokens <= passage.tokens or any(q not in passage.text for q in quoted):
        return 0.0
    return len(words & passage.words) / len(words)


@dataclass
class CitationCheck:
    """A section's text with its citations checked, and what the check found."""

    text: str
    sentences: int = 0  # claims: sentences with enough content words
    supported: int = 0  # claims whose kept citations support them
    auto_cited: int = 0  # of those, cited by the check (the writer had not)
    unsupported: int = 0  # claims whose citations were all removed as unsupported
    dangling: int = 0  # citation numbers that pointed at no given passage (removed)
    removed: int = 0  # citations removed because their passage does not support the sentence
    corrected: int = 0  # claims whose wrong number was replaced by the passage that supports them
    citations: int = 0  # citations kept
    used: set[int] = field(default_factory=set)  # the passage numbers cited

    def as_dict(self) -> dict[str, int]:
        """The counts, for the report."""
        return {
            "sentences": self.sentences,
            "supported": self.supported,
            "auto_cited": self.auto_cited,
            "unsupported": self.unsupported,
            "uncited": self.sentences - self.supported - self.unsupported,
            "dangling": self.dangling,
            "removed": self.removed,
            "corrected": self.corrected,
            "citations": self.citations,
        }


def _second(pair: tuple[int, float]) -> float:
    return pair[1]


def _numbers(marker: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", marker)]


def _marker(numbers: Sequence[int]) -> str:
    return f" [{', '.join(map(str, numbers))}]" if numbers else ""


def _with_marker(sentence: str, numbers: Sequence[int]) -> str:
    """``sentence`` (without markers) with ``numbers`` cited before its final punctuation."""
    body = sentence.rstrip()
    end = len(body)
    while end and body[end - 1] in '.!?。！？"”」)）':
        end -= 1
    return f"{body[:end].rstrip()}{_marker(numbers)}{body[end:]}"


def check_citations(
    text: str, passages: Mapping[int, str], *, attribute: bool = True
) -> CitationCheck:
    """Check every citation of ``text`` against the ``passages`` it was given (by number): drop
    numbers that point nowhere and citations whose passage does not support the sentence, and (with
    ``attribute``) correct a wrong number or cite an uncited sentence when a passage clearly
    supports it."""
    prepared = {n: _prepared(p) for n, p in passages.items()}
    out = CitationCheck(text)
    lines = _AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", text).split("\n")
    for i, line in enumerate(lines):
        pieces, pos = [], 0
        for sentence in split_sentences(line):
            at = line.find(sentence, pos)
            if at < 0:
                continue
            pieces.append(line[pos:at])
            pieces.append(_checked(sentence, prepared, out, attribute))
            pos = at + len(sentence)
        pieces.append(line[pos:])
        lines[i] = "".join(pieces)
    out.text = "\n".join(lines)
    return out


def _checked(
    sentence: str, passages: Mapping[int, _Passage], out: CitationCheck, attribute: bool
) -> str:
    """One sentence with its citations checked; ``out`` counts what was found."""
    cited = [n for m in MARKER.finditer(sentence) for n in _numbers(m.group(1))]
    plain = MARKER.sub("", sentence)
    claim = len(content_words(plain)) >= MIN_CONTENT
    kept: list[int] = []
    for n in dict.fromkeys(cited):
        if n not in passages:
            out.dangling += 1
        elif claim and support(plain, passages[n]) >= MIN_OVERLAP:
            kept.append(n)
        else:
            out.removed += 1
    if not claim:
        return _with_marker(plain, []) if cited else sentence
    out.sentences += 1
    if not kept and passages and attribute:
        # A wrong number is corrected to the passage that does support the sentence; an uncited
        # sentence is cited only when the support is clear.
        best, score = max(((n, support(plain, p)) for n, p in passages.items()), key=_second)
        tokens, quoted = facts(plain)
        needed = MIN_OVERLAP if cited else (FACT_OVERLAP if tokens or quoted else AUTO_OVERLAP)
        if score >= needed:
            kept = [best]
            if cited:
                out.corrected += 1
            else:
                out.auto_cited += 1
    if kept:
        out.supported += 1
    elif cited:
        out.unsupported += 1
    out.citations += len(kept)
    out.used.update(kept)
    return _with_marker(plain, kept) if (kept or cited) else sentence


def renumber(text: str, numbers: Mapping[int, int]) -> str:
    """``text`` with every cited number mapped through ``numbers`` (a section's passage numbers to
    the document's reference numbers); numbers without a mapping are dropped."""

    def mapped(match: re.Match[str]) -> str:
        new = [numbers[n] for n in _numbers(match.group(1)) if n in numbers]
        return _marker(sorted(dict.fromkeys(new)))

    return MARKER.sub(mapped, text)


def facts_used(document: str, passages: Sequence[str]) -> tuple[int, int]:
    """(facts of the ``passages`` that the document states, facts of the passages): numbers and
    names, the share of the material a reader would notice missing."""
    held = {t for p in passages for t in facts(p)[0]}
    stated = set(tokenize(document))
    return len(held & stated), len(held)


def drop_invented(text: str, passages: Sequence[str], known: str) -> tuple[str, int]:
    """``text`` without the sentences that state facts the sources do not hold: a number, name or
    quotation found in no single given passage together with the sentence's other facts (a small
    model mixes the dates of two passages into one sentence, or makes up both). Facts of ``known``
    (the instruction) count as given everywhere. Returns the text and how many sentences went."""
    prepared = [_prepared(p) for p in passages]
    common = set(tokenize(known))
    dropped = 0
    kept_paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = []
        for line in paragraph.split("\n"):
            kept = []
            for sentence in split_sentences(line):
                tokens, quoted = facts(MARKER.sub("", sentence))
                tokens -= common
                if (tokens or quoted) and not any(
                    tokens <= p.tokens and all(q in p.text for q in quoted) for p in prepared
                ):
                    dropped += 1
                    continue
                kept.append(sentence)
            if kept:
                lines.append(" ".join(kept))
        if lines:
            kept_paragraphs.append("\n".join(lines))
    return ("\n\n".join(kept_paragraphs), dropped) if dropped else (text, 0)


def fact_sentences(passages: Mapping[int, str], stated: str, known: str, most: int) -> list[str]:
    """Up to ``most`` sentences of the ``passages`` (one per passage, in order) that carry facts
    the ``stated`` text does not hold yet, each cited by its passage's number: the facts a section
    written by a model too small to copy them is built around. Facts of ``known`` do not count."""
    said = set(tokenize(stated)) | set(tokenize(known))
    out: list[str] = []
    for n, passage in passages.items():
        for sentence in split_sentences(passage):
            new = facts(sentence)[0] - said
            if new and len(content_words(sentence)) >= MIN_CONTENT and not sentence.startswith("#"):
                out.append(_with_marker(sentence, [n]))
                said |= new
                break
        if len(out) >= most:
            break
    return out
