"""Language of a text, and the language of the document.

:func:`detect_language` reads the script first: within the languages we support every non-Latin
script belongs to one language (Han with kana is Japanese), so counting characters settles those
for free. Latin text goes to lingua, a statistical detector restricted to our Latin languages and
built once per process. :func:`document_language` prefers the language the instruction asks for
(:func:`~longwriter.text.lang_request.requested_language`). Everything here is a linear scan, and
total: any string gives an answer.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from typing import TYPE_CHECKING

from longwriter.text._chars import HAN, HANGUL, KANA, LATIN
from longwriter.text.lang_request import requested_language

if TYPE_CHECKING:
    from lingua import LanguageDetector

CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
"""Chinese, Japanese and Korean: written without spaces, a character about a word, in fonts of
their own."""

_SAMPLE_CHARS = 10_000
# A CJK character carries about a word, an alphabetic word about five letters: weigh accordingly,
# so that a Chinese sentence naming "Machine Learning" stays Chinese and an English one quoting
# two Han characters stays English.
_CJK_WEIGHT = 5
# Scripts that identify one language among ours. Greek, Hebrew, Thai and Devanagari are not
# languages we write prompts for, but they cost one regex each here (no lingua model), and naming
# them lets the critic see that a draft is in neither the expected language nor English.
_SCRIPTS: dict[str, tuple[re.Pattern[str], int]] = {
    "han": (re.compile(f"[{HAN}]"), _CJK_WEIGHT),
    "kana": (re.compile(f"[{KANA}]"), _CJK_WEIGHT),
    "ko": (re.compile(f"[{HANGUL}\u1100-\u11ff\u3131-\u318e]"), _CJK_WEIGHT),
    "ru": (re.compile("[\u0400-\u04ff]"), 1),
    "ar": (re.compile("[\u0620-\u064a\u066e-\u06d3\u0750-\u077f]"), 1),
    "el": (re.compile("[\u0370-\u03ff\u1f00-\u1fff]"), 1),
    "he": (re.compile("[\u05d0-\u05ea]"), 1),
    "th": (re.compile("[\u0e01-\u0e5b]"), 1),
    "hi": (re.compile("[\u0900-\u097f]"), 1),
    "latin": (re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]"), 1),
}
_KANA_SHARE_FOR_JA = 0.1
_LATIN_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl")

# Latin text is read as a stream of tokens: URLs and numbers are dropped, and so is the unit after
# a number ("10000-word", "3000 mots"), which says nothing about the language of the sentence.
_LATIN_TOKEN = re.compile(
    r"(?P<url>(?:https?://|www\.)\S++)"
    rf"|(?P<number>\d[\d,.]*+[{LATIN}]*+)"  # 19th, 3k, 10x
    rf"|(?P<word>[{LATIN}]++(?:['’][{LATIN}]++)*+)"
    r"|(?P<stop>\n|[^\s\w])",
)
_COUNT_UNIT = re.compile(
    r"(?:word|mot|wort|wörter|worte|palabra|parol[ae]|palavra|woord(?:en)?|char(?:acter)?|page)s?",
    re.IGNORECASE,
)
_LINGUA_WORDS = 200  # accuracy has saturated long before; this bounds the time per draft
_MIN_WORDS = 2  # fewer Latin words than this is no evidence: "en"
# lingua's confidences are relative (they sum to 1 over our seven languages) and flat on short text
# ("Écris un roman": French 0.35), so their level means little; the question is whether the text is
# clearly not English: a language other than English must be this factor ahead of English.
_MIN_LEAD_OVER_EN = 1.5


@functools.cache
def _build_detector() -> LanguageDetector:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in _LATIN_LANGUAGES]
    return (
        LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        .with_preloaded_language_models()
        .build()
    )


_DETECTOR_LOCK = threading.Lock()


def _detector() -> LanguageDetector:
    """The process-wide lingua detector: immutable, about 1 s and 230 MB to build, so built once."""
    with _DETECTOR_LOCK:
        return _build_detector()


def _latin_words(text: str) -> tuple[list[str], list[str]]:
    """Latin words of ``text`` without URLs, numbers and counted units; all, and without names.

    Capitalized words inside a sentence are mostly names ("Rio de Janeiro", "Bundesliga"), which
    belong to no language, or English adjectives of nationality ("Spanish"); the second list
    leaves them out.
    """
    words: list[str] = []
    unnamed: list[str] = []
    sentence_start, after_number = True, False
    for match in _LATIN_TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind == "word":
            if not (after_number and _COUNT_UNIT.fullmatch(token)):
                words.append(token)
                if sentence_start or not token[0].isupper():
                    unnamed.append(token)
            sentence_start = after_number = False
        elif kind == "number":
            after_number = True
        elif kind == "url" or token in ".!?:;\n":
            sentence_start, after_number = True, False
    return words, unnamed


def _clear_winner(words: list[str]) -> str:
    """lingua's language for ``words`` when it is clearly ahead of English, else "en"."""
    if len(words) < _MIN_WORDS:
        return "en"
    values = _detector().compute_language_confidence_values(" ".join(words[:_LINGUA_WORDS]))
    confidence = {value.language.iso_code_639_1.name.lower(): value.value for value in values}
    best = max(confidence, key=confidence.__getitem__)
    return best if confidence[best] >= _MIN_LEAD_OVER_EN * confidence.get("en", 0.0) else "en"


def _detect_latin(text: str) -> str:
    """A language other than English only if it also wins without the names (when words remain)."""
    words, unnamed = _latin_words(text)
    best = _clear_winner(words)
    if best == "en" or unnamed == words or len(unnamed) < _MIN_WORDS:
        return best
    return best if _clear_winner(unnamed) == best else "en"


def detect_language(text: str) -> str:
    """Guess the ISO-639-1 code of ``text`` (an instruction or a draft) from its first 10,000 characters.

    The dominant script decides zh/ja/ko/ru/ar/el/he/th/hi (Han text with at least 10% kana is
    "ja", pure Han "zh"); Latin text is told apart among en/fr/de/es/it/pt/nl by lingua. Weak
    evidence (no letters, a single word, English not clearly behind) gives "en".
    """
    sample = unicodedata.normalize("NFC", text[:_SAMPLE_CHARS])
    counts = {name: len(pattern.findall(sample)) for name, (pattern, _) in _SCRIPTS.items()}
    scores = {name: counts[name] * weight for name, (_, weight) in _SCRIPTS.items()}
    scores["han"] += scores.pop("kana")
    best = max(scores, key=scores.__getitem__)
    if scores[best] == 0:
        return "en"
    if best == "han":
        kana_share = counts["kana"] / (counts["han"] + counts["kana"])
        return "ja" if kana_share >= _KANA_SHARE_FOR_JA else "zh"
    return best if best != "latin" else _detect_latin(sample)


def document_language(instruction: str) -> str:
    """The language to write the document in: the one requested, else the instruction's own."""
    return requested_language(instruction) or detect_language(instruction)
