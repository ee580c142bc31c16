"""The required length: read from a writing instruction ("10,000-word", "不少于3000字", ...) or
checked in a data row, within one limit (:data:`MAX_TARGET_WORDS`)."""

import re
from dataclasses import dataclass

from longwriter.errors import shown
from longwriter.text.numerals import (
    CN_BIG_UNITS,
    CN_DIGITS,
    CN_NUMERAL_CHARS,
    CN_SMALL_UNITS,
    parse_chinese_number,
)

MAX_TARGET_WORDS = 200_000
"""The longest document longwriter writes, in words: longer requests are refused, not shortened."""

_EN_VALUES: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_EN_SCALES: dict[str, int] = {"hundred": 100, "thousand": 1000, "million": 10**6}
_EN_WORD = "|".join(sorted([*_EN_VALUES, *_EN_SCALES], key=len, reverse=True))
_SCALES = "|".join(_EN_SCALES)
_SPACES = "\u00a0\u2009\u202f "
_CN_UNITS = {**CN_SMALL_UNITS, **CN_BIG_UNITS}

_NUMBER = re.compile(
    # digits and Chinese numerals; "," "." and space only between digits ("10,000", "10 000")
    rf"(?<![A-Za-z])(?P<digits>(?:[0-9{CN_NUMERAL_CHARS}]|(?<=[0-9])[.,](?=[0-9])"
    rf"|(?<=[0-9])[{_SPACES}](?=[0-9]{{3}}(?![0-9])))+)"
    r"(?P<mult>\s?[kK](?![A-Za-z])|\s+thousand\b|[wW](?![A-Za-z]))?"
    # English number words: "two thousand five hundred", "a thousand"
    rf"|(?i:\b(?P<words>(?:an?[\s-]++(?={_SCALES}))?(?:{_EN_WORD})"
    rf"(?:[\s-]++(?:and[\s-]++)?(?:{_EN_WORD}))*)\b)"
)
# "三千", "5千", "1.5万": a coefficient times one unit, which a range's lower bound may share.
_SCALED = re.compile(rf"(?:[0-9.]+|[{''.join(CN_DIGITS)}])([{''.join(_CN_UNITS)}])")
_UNIT = (
    r"(?:words?\b|mots?\b|w[öo]rtern?\b|worte\b|palabras?\b|parole\b|palavras?\b|woorden\b"
    r"|слов|字|文字|单词|單詞|词|詞)"
)
# Possessive blanks (``\s*+``): what follows each is not a blank, so giving blanks back never helps,
# and four optional items between blanks cannot backtrack in O(n^4) on a run of spaces.
_UNIT_AFTER = re.compile(
    rf"\s*+[+多余餘来來]?\s*+[-\u2010\u2011\u2013]?\s*+[个個]?\s*+{_UNIT}", re.I
)
_RANGE_GAP = re.compile(rf"\s*+{_UNIT}?\s*+(?:[-\u2010\u2011\u2013\u2014~～〜]|to|至|到)\s*+", re.I)
_AND_GAP = re.compile(rf"(?:\s*+{_UNIT})?\s++and\s++", re.I)
_BETWEEN = re.compile(r"\bbetween\s+$", re.I)
_LENGTH_KEYWORD = re.compile(
    r"(?:word\s*count|word\s*limit|length|字数|字數|篇幅|长度|長度|文字数)[^.。!?！？;；\n0-9]{0,20}$",
    re.I,
)
# What may follow a number introduced by a length keyword ("字数不少于8000。").
_KEYWORD_FOLLOW = re.compile(r"\s*(?:$|[^\w\s]|左右|以上|以内|以下|上下|多|余)")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass(frozen=True)
class _Quantity:
    value: float
    scale: int  # 1000 for "3k" or "三千" (a coefficient times a unit), else 1
    start: int
    end: int


def _digits_value(digits: str) -> float | None:
    """Value of a digit/Chinese-numeral run such as "10,000", "10.000", "1.5", "1万2千"."""
    digits = re.sub(f"[{_SPACES}]", "", digits)
    groups = digits.split(",")
    if len(groups) > 1:
        european_decimal = len(groups) == 2 and len(groups[1]) != 3
        digits = ".".join(groups) if european_decimal else "".join(groups)
    if re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{3})+", digits):  # "10.000" or "1.500"
        digits = digits.replace(".", "")
    return parse_chinese_number(digits)


def _words_value(words: str) -> tuple[float, int]:
    """Value and scale of English number words ("two thousand five hundred" -> 2500, 1).

    Floats, not ints: "hundred hundred hundred ..." must not grow an integer of a million digits.
    """
    total = current = 0.0
    last_scale = 1
    for word in re.split(r"[\s-]+", words.lower()):
        if word in ("a", "an"):
            current = 1.0
        elif word in _EN_SCALES:
            last_scale = _EN_SCALES[word]
            if last_scale == 100:
                current = (current or 1.0) * 100
            else:
                total, current = total + (current or 1.0) * last_scale, 0.0
        elif word != "and":
            current += _EN_VALUES[word]
    value = total + current
    return value, last_scale if value % last_scale == 0 else 1


def _quantities(text: str) -> list[_Quantity]:
    """Every number in ``text`` with its position."""
    found = []
    for m in _NUMBER.finditer(text):
        if m["words"]:
            value, scale = _words_value(m["words"])
        else:
            base = _digits_value(m["digits"])
            if base is None:
                continue
            if m["mult"]:
                scale = 10_000 if m["mult"] in "wW" else 1000
                value = base * scale
            else:
                scaled = _SCALED.fullmatch(m["digits"])
                value, scale = base, _CN_UNITS[scaled[1]] if scaled else 1
        found.append(_Quantity(value, scale, m.start(), m.end()))
    return found


def _is_range(text: str, low: _Quantity, high: _Quantity) -> bool:
    gap = text[low.end : high.start]
    if _RANGE_GAP.fullmatch(gap):
        return True
    before = text[max(0, low.start - 12) : low.start]
    return bool(_AND_GAP.fullmatch(gap) and _BETWEEN.search(before))


def _merge_ranges(text: str, quantities: list[_Quantity]) -> list[_Quantity]:
    """Replace "2000-3000", "between 2000 and 3000", "2-3k", "两到三千" by their midpoint."""
    merged: list[_Quantity] = []
    i = 0
    while i < len(quantities):
        low = quantities[i]
        if i + 1 < len(quantities) and _is_range(text, low, quantities[i + 1]):
            high = quantities[i + 1]
            low_value = low.value
            if low.scale == 1 and high.scale > 1 and low.value <= high.value / high.scale:
                low_value *= high.scale  # the bound shares the scale: "2-3k", "两到三千"
            merged.append(_Quantity((low_value + high.value) / 2, 1, low.start, high.end))
            i += 2
        else:
            merged.append(low)
            i += 1
    return merged


def parse_target_words(instruction: str) -> int | None:
    """Return the required length stated in ``instruction`` (English or Chinese), else None.

    Numbers count only when tied to words/字 ("5000-word", "不少于3000字", "1.5k words") or
    introduced by a length keyword ("字数不少于8000", "word count: 3000"); ranges give their
    midpoint. With several lengths, the largest word-tied one wins (the whole document
    rather than a part of it). A length above :data:`MAX_TARGET_WORDS`, however absurd ("1e309
    words", "一万亿亿…字"), comes back as ``MAX_TARGET_WORDS + 1``: too long, without overflowing.
    """
    text = instruction.translate(_FULLWIDTH_DIGITS)
    tied: list[float] = []
    keyed: list[float] = []
    for quantity in _merge_ranges(text, _quantities(text)):
        if _UNIT_AFTER.match(text, quantity.end):
            tied.append(quantity.value)
        elif _LENGTH_KEYWORD.search(
            text[max(0, quantity.start - 40) : quantity.start]
        ) and _KEYWORD_FOLLOW.match(text, quantity.end):
            keyed.append(quantity.value)
    candidates = [value for value in (tied or keyed) if value >= 1]  # NaN and 0 are no lengths
    return round(min(max(candidates), MAX_TARGET_WORDS + 1)) if candidates else None


def whole_words(value: object) -> int | None:
    """``value`` (a JSON number or a numeric string) as a whole number of words from 0 to
    :data:`MAX_TARGET_WORDS`, else None. Compared before any conversion, so that no value (1e999,
    a 5,000-digit integer, NaN) can overflow."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():  # also inf and NaN
        return None
    return int(value) if 0 <= value <= MAX_TARGET_WORDS else None


def required_length(value: object) -> int:
    """A data row's ``length`` (required words), 1 to :data:`MAX_TARGET_WORDS`; raises ValueError
    naming the bad value."""
    words = whole_words(value)
    if not words:
        raise ValueError(
            f"'length' must be a word count from 1 to {MAX_TARGET_WORDS}, got {shown(value)}"
        )
    return words


def capped_count(digits: str) -> int:
    """A word count a model wrote in digits ("1,200"), at most :data:`MAX_TARGET_WORDS`: a larger
    one is noise that budget repair evens out anyway, and must not overflow its float arithmetic."""
    plain = digits.replace(",", "").lstrip("0")
    if len(plain) > len(str(MAX_TARGET_WORDS)):
        return MAX_TARGET_WORDS
    return min(int(plain or 0), MAX_TARGET_WORDS)
