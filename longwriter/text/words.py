"""Word counting (LongBench-Write convention), tokenization and LLM token estimates."""

import re

from longwriter.text._chars import CJK, MARKS

_ALNUM = rf"[^\W_{CJK}]"
_RUN = rf"{_ALNUM}+(?:[{MARKS}]+{_ALNUM}*)*"
# Joiners kept inside one word: well-known, don't, 3.5, e.g, snake_case, 10,000.
_JOIN = r"(?:['’_.\-\u2010\u2011]|(?<=\d),(?=\d))"
_TOKEN = re.compile(rf"[{CJK}]|{_RUN}(?:{_JOIN}{_RUN})*")
_CJK_CHAR = re.compile(rf"[{CJK}]")


def count_words(text: str) -> int:
    """Count words: one per CJK ideograph/kana/Hangul syllable plus one per other word run.

    Runs of letters and digits joined by ``-``, ``'``, ``.``, ``_`` (and ``,`` between digits)
    are one word each ("well-known", "don't", "3.5", "10,000"); punctuation and markdown
    symbols count nothing.
    """
    return len(_TOKEN.findall(text))


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lowercased tokens: each CJK character, and each word run."""
    return _TOKEN.findall(text.lower().replace("’", "'"))


def estimate_tokens(text: str) -> int:
    """Conservatively estimate LLM tokens: 1 per 3.2 non-CJK characters, 1.3 per CJK character.

    Returns 0 only for the empty string.
    """
    if not text:
        return 0
    cjk = len(_CJK_CHAR.findall(text))
    other = len(text) - cjk
    # other / 3.2 + cjk * 1.3 == (25 * other + 104 * cjk) / 80, rounded up in integers.
    return max(1, -(-(25 * other + 104 * cjk) // 80))
