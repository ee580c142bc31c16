"""Cheap script + stopword based language detection."""

import re
from collections import Counter

from longwriter.text._chars import HAN, HANGUL, KANA

# Scripts that identify a language by themselves (weight: CJK characters carry about a word).
_SCRIPTS: dict[str, tuple[re.Pattern[str], int]] = {
    "han": (re.compile(f"[{HAN}]"), 3),
    "kana": (re.compile(f"[{KANA}]"), 3),
    "ko": (re.compile(f"[{HANGUL}\u1100-\u11ff\u3131-\u318e]"), 3),
    "ru": (re.compile("[\u0400-\u04ff]"), 1),
    "ar": (re.compile("[\u0620-\u064a\u066e-\u06d3\u0750-\u077f]"), 1),
    "el": (re.compile("[\u0370-\u03ff\u1f00-\u1fff]"), 1),
    "he": (re.compile("[\u05d0-\u05ea]"), 1),
    "th": (re.compile("[\u0e01-\u0e5b]"), 1),
    "hi": (re.compile("[\u0900-\u097f]"), 1),
    "latin": (re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]"), 1),
}
_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and of to is that it with for as was on are this be by from have not which "
        "or an they you were has but their can will",
        "fr": "le la les des est et un une du que qui dans pour pas sur au avec ce sont il elle "
        "nous vous mais ou plus été aux cette",
        "de": "der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch "
        "es sie ich wir wird werden sind oder aber wie bei",
        "es": "el la los las de que y en un una es por con para del se no su al lo como más "
        "pero sus le ya o este fue está",
        "it": "il lo la di che e un una per non sono è del della con da nel gli le si anche "
        "come più ma questo alla dei delle essere ha",
        "pt": "o a os as de que e do da em um uma para com não no na por se dos das mais ao "
        "como mas foi ele ela é são está",
        "nl": "de het een en van is dat op te in zijn voor niet met die er maar ook aan als "
        "bij nog wordt door kan dit om naar worden hij",
    }.items()
}
_LETTERS = re.compile(r"[^\W\d_]+")
_SAMPLE_CHARS = 10_000
_KANA_SHARE_FOR_JA = 0.1


def detect_language(text: str) -> str:
    """Guess the ISO-639-1 code of ``text`` from its first 10 000 characters.

    The dominant script decides zh/ja/ko/ru/ar/el/he/th/hi (Han text with at least 10% kana
    is "ja"); Latin text is told apart among en/fr/de/es/it/pt/nl by stopword counts.
    Defaults to "en" (also for empty text or text without letters).
    """
    sample = text[:_SAMPLE_CHARS]
    counts = {name: len(pattern.findall(sample)) for name, (pattern, _) in _SCRIPTS.items()}
    scores = {name: counts[name] * weight for name, (_, weight) in _SCRIPTS.items()}
    scores["han"] += scores.pop("kana")
    best = max(scores, key=scores.__getitem__)
    if scores[best] == 0:
        return "en"
    if best == "han":
        kana_share = counts["kana"] / (counts["han"] + counts["kana"])
        return "ja" if kana_share >= _KANA_SHARE_FOR_JA else "zh"
    if best != "latin":
        return best
    words = Counter(_LETTERS.findall(sample.lower()))
    votes = {lang: sum(words[word] for word in stopwords) for lang, stopwords in _STOPWORDS.items()}
    best_lang = max(votes, key=votes.__getitem__)  # ties go to the first, "en"
    return best_lang if votes[best_lang] > 0 else "en"
