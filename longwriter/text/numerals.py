"""A small parser for Chinese numerals, optionally mixed with Arabic digits ("1万2千")."""

import re

CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "兩": 2, "贰": 2, "貳": 2,
    "三": 3, "叁": 3, "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6,
    "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
CN_SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG_UNITS: dict[str, int] = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
CN_NUMERAL_CHARS = "".join([*CN_DIGITS, *CN_SMALL_UNITS, *CN_BIG_UNITS])

_PIECE = re.compile(rf"[0-9]+(?:\.[0-9]+)?|[{CN_NUMERAL_CHARS}]")


def parse_chinese_number(text: str) -> float | None:
    """Parse a Chinese numeral such as "三千五百", "两千五", "一万二", "1.5万" or "1万2千".

    Colloquial shortenings are expanded ("两千五" = 2500, "一万二" = 12000), a bare digit
    string is read positionally ("二〇二四" = 2024). Returns None if ``text`` is not a
    well-formed numeral (including "三四千"-style approximate ranges); an absurd one ("一万亿亿…")
    may come back as ``inf``, never as an error.
    """
    pieces = _PIECE.findall(text)
    if not pieces or "".join(pieces) != text:
        return None
    if all(p in CN_DIGITS for p in pieces):
        return float("".join(str(CN_DIGITS[p]) for p in pieces))
    total = 0.0  # everything before the last 万/亿
    section = 0.0  # the part below 万 being built
    number: float | None = None  # a digit waiting for its unit
    last_unit = 0  # unit just applied, for "两千五" = 2000 + 5 * 100
    for piece in pieces:
        if piece in CN_SMALL_UNITS:
            unit = CN_SMALL_UNITS[piece]
            section += (1 if number is None else number) * unit
        elif piece in CN_BIG_UNITS:
            unit = CN_BIG_UNITS[piece]
            section += number or 0
            if unit > 10**4:  # 亿 multiplies everything before it: 一万亿
                total = (total + section or 1.0) * unit
            else:
                total += (section or 1.0) * unit
            section = 0
        elif number is not None:  # two digits in a row, e.g. "三四千"
            return None
        else:
            number = CN_DIGITS[piece] if piece in CN_DIGITS else float(piece)
            if number == 0:  # 零 only marks a gap: "一千零五" is not "一千五"
                number, last_unit = None, 0
            continue
        number, last_unit = None, unit
    if number is not None:
        shortened = last_unit >= 100 and number < 10 and number == int(number)
        section += number * (last_unit // 10 if shortened else 1)
    return total + section
