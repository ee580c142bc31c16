"""What a reader reads: paragraphs off the subject, meta-talk, junk and bad headings, per section.

Pure: no model code is imported, the embedding function is passed in. An absolute cosine threshold
belongs to one embedder and language, so :class:`SubjectScorer` calibrates itself per run against a
null bank shipped in ``data/null_{en,zh}.txt``: 64 unrelated paragraphs per language, each with a
one-line subject.

- Score 0: the median cosine of the bank paragraphs to the run's subject (unrelated text).
- Score 1: the positive level: each bank subject against its own paragraph, in units of that
  subject's null spread (90th percentile minus median), median over the bank; i.e. as close as
  text about a subject typically is, under this embedder.

Drift in generated documents is mostly to neighbouring subjects (goats in a history of coffee, the
Sufi order instead of Sufi coffee drinking), which sit above unrelated text, so a paragraph is off
the subject below a fraction of the positive level rather than below unrelated text. Incoherent
paragraphs that keep naming the subject read as on the subject to an embedding; meta-talk
(:mod:`longwriter.text.meta`) catches most of those. The thresholds were measured with
``benchmarks/calibrate_reader.py`` on tests/data/reader; the figures: docs/design-notes.md, "Reader".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from longwriter.text.headings import duplicate_headings, heading_problems
from longwriter.text.junk import junk_reasons
from longwriter.text.meta import is_meta
from longwriter.text.sentences import split_sentences

Embed = Callable[[Sequence[str]], list[list[float]]]
"""Texts to unit vectors (``Embedder.embed`` of :mod:`longwriter.llm.embeddings`)."""

NULL_QUANTILE = 0.9
"""The null spread of a reference is this quantile of its bank cosines minus their median."""
OFF_SUBJECT_BELOW = 0.35
"""A text scoring below this fraction of the positive level is off the subject (the best F1 of the
calibration sweep, for MiniLM on English and hashing on Chinese alike)."""
MIN_POSITIVE_LEVEL = 2.0
"""An embedder that places text about a subject less than this many null spreads above unrelated text
cannot tell subjects apart well enough to act on: its scorer flags nothing, since its threshold falls
inside the null distribution, among on-subject paragraphs that do not repeat the subject's words."""
MIN_SPREAD = 0.01
"""Floor of a null spread, in cosine: sparse embedders give most unrelated pairs exactly 0 (a floor
well below the spreads of the banks)."""
_BANKS = {"zh": "null_zh.txt"}
_DEFAULT_BANK = "null_en.txt"
_BLOCKS = re.compile(r"\n[ \t]*\n")
_CACHED_CALIBRATIONS = 16


@cache
def null_bank(language: str) -> tuple[tuple[str, str], ...]:
    """(subject, paragraph) pairs of unrelated text for ``language`` (English for languages
    without a bank of their own)."""
    name = _BANKS.get(language[:2], _DEFAULT_BANK)
    text = resources.files("longwriter.text").joinpath("data", name).read_text(encoding="utf-8")
    pairs = []
    for block in _BLOCKS.split(text):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#")]
        if lines:
            if not lines[0].startswith("= ") or len(lines) < 2:
                raise ValueError(f"{name}: expected '= subject' and a paragraph, got {lines[0]!r}")
            pairs.append((lines[0][2:].strip(), " ".join(lines[1:])))
    return tuple(pairs)


def _matrix(embed: Embed, texts: Sequence[str]) -> np.ndarray:
    return np.asarray(embed(list(texts)), dtype=np.float64).reshape(len(texts), -1)


def _null_stats(cosines: np.ndarray) -> tuple[float, float]:
    """Median and null spread of a reference's cosines to unrelated text."""
    centre = float(np.median(cosines))
    return centre, max(float(np.quantile(cosines, NULL_QUANTILE)) - centre, MIN_SPREAD)


@dataclass(frozen=True)
class _Calibration:
    """The null bank under one embedder: paragraph vectors and the positive level."""

    paragraphs: np.ndarray
    positive_level: float


def _calibrate(embed: Embed, language: str) -> _Calibration:
    subjects, paragraphs = zip(*null_bank(language), strict=True)
    subject_vectors, paragraph_vectors = _matrix(embed, subjects), _matrix(embed, paragraphs)
    cosines = subject_vectors @ paragraph_vectors.T
    levels = []
    for i, row in enumerate(cosines):
        centre, spread = _null_stats(np.delete(row, i))
        levels.append((row[i] - centre) / spread)
    return _Calibration(paragraph_vectors, float(np.median(levels)))


_calibrations: dict[tuple[Embed | str, str], _Calibration] = {}


def _calibration(embed: Embed, language: str) -> _Calibration:
    """The bank calibration of ``embed``, shared by every scorer of the process that uses the same
    vectors (MiniLM embeds the 128 bank texts in about a second). An embedder's method is known by
    its ``signature`` (which vectors it makes), so runs, each with embedders of its own, share one
    calibration and the cache holds no embedder."""
    signature = getattr(getattr(embed, "__self__", None), "signature", None)
    key = (signature or embed, _BANKS.get(language[:2], _DEFAULT_BANK))
    try:
        found = _calibrations.get(key)
    except TypeError:  # an unhashable callable: calibrate every time
        return _calibrate(embed, language)
    if found is None:
        found = _calibrate(embed, language)
        if len(_calibrations) >= _CACHED_CALIBRATIONS:
            _calibrations.clear()
        _calibrations[key] = found
    return found


@dataclass(frozen=True)
class _Reference:
    """A text others are compared with: its vector, null median and unit (null spread times the
    positive level), and for a main point how far it may lift a text (its own relevance to the
    subject, at least 1)."""

    vector: np.ndarray
    centre: float
    unit: float
    cap: float = np.inf

    def score(self, vectors: np.ndarray) -> np.ndarray:
        return np.minimum((vectors @ self.vector - self.centre) / self.unit, self.cap)


SENTENCE_OFF_BELOW = 0.25
"""A sentence scoring below this is away from the subject: between the on-subject sentences of a
drifting paragraph and the rambling ones that a paragraph-level score lets through (it is carried by
one or two sentences that name the subject)."""
DRIFT_SHARE = 0.5
"""A paragraph of at least :data:`MIN_DRIFT_SENTENCES` sentences with this share of its words in
sentences away from the subject has drifted off it, whatever it scores as a whole."""
MIN_DRIFT_SENTENCES = 3


def drift(scored: Sequence[tuple[str, float]]) -> float:
    """Share of the words of a text (its sentences with their scores) in sentences away from the
    subject; 0 for texts too short to drift."""
    if len(scored) < MIN_DRIFT_SENTENCES:
        return 0.0
    words = [max(1, len(sentence.split())) for sentence, _ in scored]
    away = sum(w for w, (_, score) in zip(words, scored, strict=True) if score < SENTENCE_OFF_BELOW)
    return away / sum(words)


@dataclass(frozen=True)
class Relevance:
    """How much a text is about the subject: its score as a whole, the share of its words that
    drift away (:func:`drift`), and the verdict."""

    score: float
    drift: float
    off: bool


class SubjectScorer:
    """How much each text is about ``subject`` (and its section's main point), calibrated for the
    embedder against unrelated text. ``subject`` is best the subject phrase of the instruction
    (:func:`longwriter.text.subject.subject_of`). Subject, bank and point vectors are kept.

    ``fallback`` (a lexical embedder: the hashing one) is used instead of ``embed`` when it tells
    the bank's subjects apart better in this language: MiniLM is an English model, and on Chinese
    hashing does better.

    A section's main point counts differently by the kind of embedder (``lexical``): a lexical one
    sees a paragraph on Yemen's Sufi monks as unrelated to "the history of coffee" unless the
    point's words are there, so the point lifts (the mean of both relevances); a semantic one
    relates them itself, and a point restating the subject in general words ("the craft traditions
    of glassmaking") lifted paragraphs on pottery and woodworking, so there the point can only
    lower (the lower of the subject's and the mean). The labelled set's figures for each choice:
    docs/design-notes.md.
    """

    def __init__(
        self,
        embed: Embed,
        subject: str,
        language: str,
        *,
        fallback: Embed | None = None,
        lexical: bool = False,
    ) -> None:
        calibration = _calibration(embed, language)
        if fallback is not None:
            other = _calibration(fallback, language)
            if other.positive_level > calibration.positive_level:
                embed, calibration, lexical = fallback, other, True
        self.lexical = lexical
        self._embed = embed
        self._bank = calibration.paragraphs
        self.positive_level = calibration.positive_level
        self.informative = self.positive_level >= MIN_POSITIVE_LEVEL
        self._points: dict[str, _Reference] = {}
        self._subject = self._reference(subject)

    def _reference(self, text: str, cap: float = np.inf) -> _Reference:
        vector = _matrix(self._embed, [text])[0]
        centre, spread = _null_stats(self._bank @ vector)
        unit = spread * max(self.positive_level, MIN_POSITIVE_LEVEL)
        return _Reference(vector, centre, unit, cap)

    def _point(self, text: str) -> _Reference:
        """A main point's reference: an off-subject point ("To Kill a Mockingbird" in a history of
        coffee) must not carry the paragraphs written to it."""
        if text not in self._points:
            point = self._reference(text)
            own = float(self._subject.score(point.vector[None, :])[0])
            self._points[text] = _Reference(point.vector, point.centre, point.unit, max(own, 1.0))
        return self._points[text]

    def scores(self, texts: Sequence[str], points: Sequence[str] | None = None) -> list[float]:
        """Relevance of each text: 0 as close as unrelated text, 1 as close as text about the
        subject typically is. With ``points`` (one per text; "" for none) the mean of the relevance
        to the subject and to the section's main point (the latter at most the point's own
        relevance, or 1) when the embedder is lexical, else the lower of that mean and the
        subject's relevance (see the class)."""
        if points is not None and len(points) != len(texts):
            raise ValueError(f"{len(points)} points for {len(texts)} texts")
        if not texts:
            return []
        vectors = _matrix(self._embed, texts)
        relevance = self._subject.score(vectors)
        for i, point in enumerate(points or ()):
            if point.strip():
                by_point = self._point(point).score(vectors[i : i + 1])[0]
                mean = (relevance[i] + by_point) / 2
                relevance[i] = mean if self.lexical else min(relevance[i], mean)
        return [round(float(r), 4) for r in relevance]

    def sentence_scores(
        self, texts: Sequence[str], points: Sequence[str] | None = None
    ) -> list[list[tuple[str, float]]]:
        """Each text's sentences with their :meth:`scores` (one embedding batch for all)."""
        split = [split_sentences(text) for text in texts]
        flat = [sentence for sentences in split for sentence in sentences]
        flat_points = None
        if points is not None:
            flat_points = [p for ss, p in zip(split, points, strict=True) for _ in ss]
        scores = iter(self.scores(flat, flat_points))
        return [[(sentence, next(scores)) for sentence in sentences] for sentences in split]

    def judge(self, texts: Sequence[str], points: Sequence[str] | None = None) -> list[Relevance]:
        """Score, drift and verdict of each text: off the subject when the text as a whole scores
        low, or when it has drifted (see :data:`DRIFT_SHARE`)."""
        whole = self.scores(texts, points)
        sentences = self.sentence_scores(texts, points)
        out = []
        for score, scored in zip(whole, sentences, strict=True):
            shift = drift(scored)
            off = self.informative and (score < OFF_SUBJECT_BELOW or shift >= DRIFT_SHARE)
            out.append(Relevance(score, shift, off))
        return out

    def off_subject(self, texts: Sequence[str], points: Sequence[str] | None = None) -> list[bool]:
        """Whether each text is off the subject (never, when the embedder is not informative)."""
        return [r.off for r in self.judge(texts, points)]

    def is_off(self, score: float) -> bool:
        """Whether a score of :meth:`scores` means off the subject."""
        return self.informative and score < OFF_SUBJECT_BELOW


# ---------------------------------------------------------------------------------------------
# Documents

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"[ \t]+#+$")
_MAX_REASONS = 10
MAX_HEADINGS = 300
"""Headings checked per document (duplicates are found pairwise; real documents have far fewer)."""


@dataclass
class Section:
    """A heading ("" for text before the first heading) and the paragraphs under it; ``points``:
    the planned main point of each paragraph, when the plan is known."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    points: list[str] = field(default_factory=list)

    def paragraph_points(self) -> list[str]:
        """One main point per paragraph ("" where unknown)."""
        known = self.points[: len(self.paragraphs)]
        return known + [""] * (len(self.paragraphs) - len(known))


def split_paragraphs(text: str) -> list[str]:
    """Blank-line-separated blocks of ``text`` that are not headings (a heading line inside a block
    ends it)."""
    return [p for section in parse_markdown(text)[1] for p in section.paragraphs]


def parse_markdown(document: str) -> tuple[str, list[Section]]:
    """The title and the sections of a Markdown document.

    A level-1 heading before any text is the title; every other heading starts a section, and text
    before the first one forms a section without heading.
    """
    title = ""
    sections: list[Section] = []
    block: list[str] = []

    def close_block() -> None:
        text = "\n".join(block).strip()
        block.clear()
        if text:
            if not sections:
                sections.append(Section(""))
            sections[-1].paragraphs.append(text)

    for line in document.splitlines():
        heading = _HEADING.match(line)
        if heading is None:
            if line.strip():
                block.append(line)
            else:
                close_block()
            continue
        close_block()
        text = _CLOSING_HASHES.sub("", heading.group(2) or "").strip()
        if len(heading.group(1)) == 1 and not title and not sections:
            title = text
        else:
            sections.append(Section(text))
    close_block()
    return title, sections


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _section_figures(
    section: Section,
    off: Sequence[bool] | None,
    relevance: Sequence[float] | None,
    problems: list[str],
    *,
    instruction: str,
    language: str,
) -> dict[str, Any]:
    topic = "\n".join([instruction, section.heading, *dict.fromkeys(section.points)])
    sentences = [s for p in section.paragraphs for s in split_sentences(p)]
    meta = sum(is_meta(s, language, topic) for s in sentences)
    junk = [junk_reasons(p, instruction) for p in section.paragraphs]
    n = len(section.paragraphs)
    return {
        "heading": section.heading,
        "paragraphs": n,
        "off_subject": None if off is None else sum(off),
        "off_subject_share": None if off is None else _share(sum(off), n),
        "relevance": None if relevance is None else [round(r, 2) for r in relevance],
        "sentences": len(sentences),
        "meta_sentences": meta,
        "meta_share": _share(meta, len(sentences)),
        "junk_paragraphs": sum(bool(j) for j in junk),
        "junk": list(dict.fromkeys(r for reasons in junk for r in reasons))[:_MAX_REASONS],
        "heading_problems": problems,
    }


def reader_figures(
    sections: Sequence[Section],
    *,
    instruction: str,
    language: str,
    title: str = "",
    scorer: SubjectScorer | None = None,
) -> dict[str, Any]:
    """Reader figures of a document, ``{"document": {...}, "sections": [{...}, ...]}`` with one
    entry per given section: paragraphs off the subject (None without an informative scorer), meta-talk
    sentences, paragraphs with junk, and heading problems (``duplicate`` added to those of
    :func:`~longwriter.text.headings.heading_problems`)."""
    paragraphs = [p for s in sections for p in s.paragraphs]
    points = [p for s in sections for p in s.paragraph_points()]
    judged = scorer.judge(paragraphs, points) if scorer else None
    relevance = None if judged is None else [r.score for r in judged]
    off: list[bool] | None = None  # an embedder that cannot tell subjects apart measures nothing
    if scorer is not None and scorer.informative and judged is not None:
        off = [r.off for r in judged]
    headed = [i for i, s in enumerate(sections) if s.heading.strip()][:MAX_HEADINGS]
    checked = set(headed)
    repeated = {headed[j] for j in duplicate_headings([sections[i].heading for i in headed], title)}
    out = []
    start = 0
    for i, section in enumerate(sections):
        problems = (
            heading_problems(section.heading, language=language, instruction=instruction)
            if i in checked
            else []
        )
        end = start + len(section.paragraphs)
        out.append(
            _section_figures(
                section,
                None if off is None else off[start:end],
                None if relevance is None else relevance[start:end],
                [*problems, "duplicate"] if i in repeated else problems,
                instruction=instruction,
                language=language,
            )
        )
        start = end
    n = len(paragraphs)
    sentences = sum(s["sentences"] for s in out)
    meta = sum(s["meta_sentences"] for s in out)
    junk = sum(s["junk_paragraphs"] for s in out)
    bad = [
        {"heading": s["heading"], "problems": s["heading_problems"]}
        for s in out
        if s["heading_problems"]
    ]
    document = {
        "paragraphs": n,
        "off_subject": None if off is None else sum(off),
        "off_subject_share": None if off is None else _share(sum(off), n),
        "sentences": sentences,
        "meta_sentences": meta,
        "meta_share": _share(meta, sentences),
        "junk_paragraphs": junk,
        "junk_share": _share(junk, n),
        "headings": sum(bool(s.heading.strip()) for s in sections),
        "bad_headings": len(bad),
        "heading_problems": bad,
    }
    return {"document": document, "sections": out}


def document_figures(
    document: str, *, instruction: str, language: str, scorer: SubjectScorer | None = None
) -> dict[str, Any]:
    """:func:`reader_figures` of a finished Markdown document, without its plan."""
    title, sections = parse_markdown(document)
    return reader_figures(
        sections, instruction=instruction, language=language, title=title, scorer=scorer
    )
