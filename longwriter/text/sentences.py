"""Sentence splitting and trimming of texts cut off mid-sentence."""

import re
from collections.abc import Iterator

from longwriter.text._chars import CJK

_CJK_STOPS = "。！？｡"
_CLOSERS = "\"'”’»)\\]）」』》〉】"
_END = re.compile(rf"(?P<stop>[.!?…‼⁇⁈⁉{_CJK_STOPS}]+)[{_CLOSERS}]*")
_NEXT_VISIBLE = re.compile(r"\s*(\S)")
_CJK_CHAR = re.compile(f"[{CJK}]")
_PREV_TOKEN = re.compile(r"[^\s\"'“‘(\[（]+$")
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "approx", "dept", "fig",
    "figs", "eq", "eqs", "vol", "vols", "pp", "ch", "sec", "inc", "ltd", "corp", "jan", "feb",
    "aug", "sept", "oct", "nov", "dec", "gen", "gov", "sen", "rep", "rev", "capt", "col",
    "lt", "sgt", "cf", "al",
})  # fmt: skip
_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")  # e.g, U.S, Ph.D, z.B
_LIST_MARKER = re.compile(r"\s*(?:[-*+>#]+\s*)*(?:\d{1,3}(?:\.\d{1,3})*|[A-Za-z]|[ivxIVX]{1,5})")
_COMPLETE_TAIL = re.compile(rf"(?:[.!?…‼⁇⁈⁉{_CJK_STOPS}][{_CLOSERS}]*|```|\|)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the "." at ``dot`` ends an abbreviation, an initial or a list marker."""
    token_match = _PREV_TOKEN.search(text, max(0, dot - 24), dot)
    token = token_match[0] if token_match else ""
    if token.lower() in _ABBREVIATIONS or _DOTTED.fullmatch(token):
        return True
    if len(token) == 1 and token.isupper():
        return True
    line_start = text.rfind("\n", 0, dot) + 1
    return dot - line_start <= 12 and bool(_LIST_MARKER.fullmatch(text, line_start, dot))


def _sentence_ends(text: str) -> Iterator[int]:
    """Offsets just after each sentence-final punctuation run (and closing quotes) in ``text``."""
    for m in _END.finditer(text):
        end = m.end()
        stop = m["stop"]
        if end == len(text) or any(c in _CJK_STOPS for c in stop):
            yield end
            continue
        after = text[end]
        if not after.isspace() and not (_CJK_CHAR.match(after) and set(stop) != {"…"}):
            continue  # "3.5", "U.S.A", "example.com"
        following = _NEXT_VISIBLE.match(text, end)
        if following and following[1].islower():
            continue  # "Wait... and then", '"Really?" she asked'
        if stop == "." and following and _is_abbreviation(text, m.start()):
            continue
        yield end


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into stripped sentences.

    Sentences end at . ! ? … 。！？ (plus closing quotes/brackets) unless the period belongs to an
    abbreviation ("e.g.", "Dr.", "U.S."), an initial, a number or a list marker, or the next
    word starts in lowercase. Line breaks always end a sentence, so markdown headings and list
    items come out as sentences of their own.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        start = 0
        for end in [*_sentence_ends(line), len(line)]:
            sentence = line[start:end].strip()
            if sentence:
                sentences.append(sentence)
            start = end
    return sentences


def trim_to_sentence(text: str) -> str:
    """Cut a text truncated mid-sentence back to the end of its last complete sentence.

    Texts ending with sentence punctuation (or a code fence / table row) are returned
    unchanged, and so are texts without any sentence end.
    """
    body = text.rstrip()
    if not body or _COMPLETE_TAIL.search(body[-8:]):
        return text
    last_end = max(_sentence_ends(body), default=None)
    return text if last_end is None else body[:last_end]
