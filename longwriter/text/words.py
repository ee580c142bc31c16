"""Word counting, tokenization and LLM token estimates.

Two counters: :func:`count_words` is ours, Unicode-aware (every CJK character, every word of any
script), and drives budgets, the critic and agent reports; :func:`count_words_longbench` is the
published LongBench-Write counter, kept bug for bug, and is used only to compute S_l in ``eval`` so
our scores compare with published tables.
"""

import re

from longwriter.text._chars import APOSTROPHES, CJK, MARKS

_ALNUM = rf"[^\W_{CJK}]"
_RUN = rf"{_ALNUM}+(?:[{MARKS}]+{_ALNUM}*)*"
# Joiners kept inside one word: well-known, don't, 3.5, e.g, snake_case, 10,000.
_JOIN = r"(?:['’_.\-\u2010\u2011]|(?<=\d),(?=\d))"
_TOKEN = re.compile(rf"[{CJK}]|{_RUN}(?:{_JOIN}{_RUN})*")
_CJK_CHAR = re.compile(rf"[{CJK}]")
# The two regexes of LongBench-Write's length evaluation, verbatim.
_LONGBENCH_HAN = re.compile(r"[\u4e00-\u9fff]")
_LONGBENCH_WORD = re.compile(r"\b[a-zA-Z]+\b")


def count_words(text: str) -> int:
    """Count words for budgets, the critic and agent reports (S_l uses :func:`count_words_longbench`).

    One per CJK ideograph/kana/Hangul syllable plus one per word run in any script. Runs of letters
    and digits joined by ``-``, ``'``, ``.``, ``_`` (and ``,`` between digits) are one word each
    ("well-known", "don't", "3.5", "10,000"); punctuation and markdown symbols count nothing.
    """
    return len(_TOKEN.findall(text))


def count_words_longbench(text: str) -> int:
    """Count words exactly as LongBench-Write's S_l does; for evaluation only, not for budgets.

    One per character in U+4E00-U+9FFF plus one per ASCII letter run between word boundaries. So
    digits, kana, Hangul and non-ASCII words count nothing ("café", "naïve", "Привет": 0), and
    neither does a Latin word glued to a Han character, digit or underscore ("用Python写": 2,
    "GPT4": 0); "well-known" and "don't" are two words each.
    """
    return len(_LONGBENCH_HAN.findall(text)) + len(_LONGBENCH_WORD.findall(text))


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lowercased tokens: each CJK character, and each word run."""
    return _TOKEN.findall(text.lower().translate(APOSTROPHES))


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
