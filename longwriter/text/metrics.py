"""Repetition metrics and the LongBench-Write length score.

Repetition is counted up to numbers: a loop that counts ("The Printing Press: 1450", "The Printing
Press: 1485", ...) repeats like any other, though no two of its lines are equal.
"""

import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet

from longwriter.text.words import tokenize

NGram = tuple[str, ...]


_HAS_DIGIT = re.compile(r"\d")
_DIGITS = re.compile(r"\d+")
_WORD_OF_LETTERS = re.compile(r"[^\W\d_]{3}")


def _repeat_tokens(text: str) -> list[str]:
    """``text``'s tokens with every token that holds a digit ("1450", "3.5", "2nd") as one."""
    return ["0" if _HAS_DIGIT.search(token) else token for token in tokenize(text)]


def numbers_as_one(text: str) -> str:
    """``text`` with every run of digits as "0": how repetition compares sentences and lines."""
    return _DIGITS.sub("0", text)


def _line_key(line: str) -> str:
    """A line as repetition sees it: numbers as one, unless the line has no word to repeat (a row
    of figures)."""
    return numbers_as_one(line) if _WORD_OF_LETTERS.search(line) else line


def _ngrams(tokens: list[str], n: int) -> Iterator[NGram]:
    if n < 1:
        raise ValueError(f"n-gram size must be at least 1, got {n}")
    return zip(*(tokens[i:] for i in range(n)), strict=False)


def ngram_set(text: str, n: int = 8) -> set[NGram]:
    """All n-grams of ``text``'s tokens, e.g. to pass as ``reference`` to :func:`ngram_overlap`."""
    return set(_ngrams(tokenize(text), n))


def repeated_ngram_share(text: str, n: int = 4) -> float:
    """Share of n-gram positions whose n-gram already occurred earlier in ``text`` ("rep4"),
    numbers counted as one token.

    0.0 for texts with fewer than ``n`` tokens.
    """
    seen: set[NGram] = set()
    positions = repeated = 0
    for gram in _ngrams(_repeat_tokens(text), n):
        positions += 1
        if gram in seen:
            repeated += 1
        else:
            seen.add(gram)
    return repeated / positions if positions else 0.0


LOOP_WINDOW = 120
"""Words at the end of a text in generation that :func:`looping` looks at."""
LOOP_SHARE = 0.5
"""Share of repeated 4-grams in that window from which the text counts as looping: far below a loop
that repeats a sentence word for word, far above prose without one (docs/design-notes.md)."""


def looping(text: str) -> bool:
    """Whether a text being generated has fallen into a loop: more than :data:`LOOP_SHARE` of the
    4-grams of its last :data:`LOOP_WINDOW` words already occurred in those words."""
    tokens = _repeat_tokens(text[-LOOP_WINDOW * 16 :])[-LOOP_WINDOW:]
    if len(tokens) < LOOP_WINDOW:
        return False
    seen: set[NGram] = set()
    repeated = 0
    for gram in _ngrams(tokens, 4):
        repeated += gram in seen
        seen.add(gram)
    return repeated > LOOP_SHARE * (len(tokens) - 3)


def duplicated_lines(text: str, min_chars: int = 20) -> list[str]:
    """Stripped non-blank lines of at least ``min_chars`` characters that occur more than once,
    numbers aside (:func:`_line_key`).

    Each duplicate is listed once (as its first repeat reads), in the order of first repeats.
    """
    seen: set[str] = set()
    duplicates: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or len(line) < min_chars:
            continue
        key = _line_key(line)
        if key in seen:
            duplicates.setdefault(key, line)
        else:
            seen.add(key)
    return list(duplicates.values())


def ngram_overlap(text: str, reference: str | AbstractSet[NGram], n: int = 8) -> float:
    """Share of ``text``'s n-gram positions whose n-gram occurs in ``reference``.

    ``reference`` is a text or a precomputed :func:`ngram_set` (with the same ``n``), so a
    growing reference can be kept as a set and extended with ``|=``. 0.0 when ``text`` has
    fewer than ``n`` tokens.
    """
    grams = list(_ngrams(tokenize(text), n))
    if not grams:
        return 0.0
    if isinstance(reference, str):
        reference = ngram_set(reference, n)
    elif reference and len(next(iter(reference))) != n:
        raise ValueError(f"reference holds {len(next(iter(reference)))}-grams, expected {n}-grams")
    return sum(gram in reference for gram in grams) / len(grams)


def length_score(required: int, produced: int) -> float:
    """LongBench-Write length score S_l (0-100) of ``produced`` words against ``required``.

    Over-long output loses a third of the score per 100% excess; short output loses half of
    it per 100% shortfall measured as required/produced - 1.
    """
    if required <= 0:
        raise ValueError(f"required length must be positive, got {required}")
    if produced < 0:
        raise ValueError(f"produced length must not be negative, got {produced}")
    if produced == 0:
        return 0.0
    # Closed forms of 100 * (1 - (p/r - 1) / 3) and 100 * (1 - (r/p - 1) / 2), with a single
    # rounding so that e.g. (1000, 1300) gives exactly 90.0.
    if produced > required:
        return max(0.0, (400 * required - 100 * produced) / (3 * required))
    return max(0.0, (300 * produced - 100 * required) / (2 * produced))
