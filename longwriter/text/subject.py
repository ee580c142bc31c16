"""The subject of an instruction: what a reader would say the document is about.

"Write a 1500-word illustrated guide to the history of coffee, from ..." is about "the history of
coffee, from ..."; "写一篇5000字的关于长城历史的文章" is about "长城历史". Imperatives, lengths and the
genre word are request, not subject. Plans are checked against it (headings must bear on it) and
skeleton plans are built from it.
"""

from __future__ import annotations

import re

from longwriter.text._chars import CJK, HAN
from longwriter.text.form import genre_match, scan
from longwriter.text.sentences import split_sentences

LENGTH_PHRASE = re.compile(
    r"(?:\b(?:of|in|with|about|around|approximately|roughly|at least|no (?:more|less|fewer) than"
    r"|under|over|up to)\s+){0,2}(?:\ba\s+)?(?:不少于|不低于|不超过|至少|大约|约)?"
    r"(?<![\d,.])\d[\d,.]*(?:(?:\s*-\s*|\s+to\s+)\d[\d,.]*)?"
    r"(?:[- ]words?\b|\s*(?:个)?字)(?:\s*(?:long|左右|以上|以内))?",
    re.IGNORECASE,
)
"""A stated length: "1500-word", "of about 2,000 words", "5000字左右" (the number itself is read by
:func:`longwriter.text.parse_target_words`)."""

_EN_LEAD = re.compile(
    r"^(?:(?:please|kindly|now|also|then|and)\s*,?\s+"
    r"|(?:can|could|would|will) you\s+(?:please\s+)?"
    r"|i(?:'d| would)? (?:need|want|like)(?: you)?(?: to)?\s+|help me(?: to)?\s+|let's\s+)*"
    r"(?:write|compose|draft|create|produce|prepare|generate|craft|pen|make|give|tell|explain"
    r"|describe|discuss|summari[sz]e|outline)\b(?:\s+(?:me|us|up))?\s*",
    re.IGNORECASE,
)
_EN_DETERMINER = re.compile(r"^(?:(?:a|an|the|one|some|short|long|brief|detailed)\b\s*)+", re.I)
_EN_TOPIC_LEAD = re.compile(
    r"\s*(?:(?:on|about|regarding|concerning|covering|exploring|discussing|explaining|describing"
    r"|examining|introducing|on the (?:topic|subject) of|titled|called|entitled|to|of|for)\b"
    r"|(?:that|which) (?:explains|describes|explores|covers|discusses|examines|introduces)\b"
    # an argument's claim is its subject: "a column arguing that schools should drop homework"
    r"|(?:(?:that|which) )?(?:argu(?:ing|es)|making the case|claiming|showing|proving)"
    r"(?: (?:that|for|against|why|how))?\b|on why\b)\s*",
    re.IGNORECASE,
)
_EN_FOR_TO = re.compile(r"\s*(?:for|to)\b", re.IGNORECASE)  # an audience or a recipient ...
_EN_ABOUT = re.compile(r"\b(?:about|regarding|concerning)\s+", re.IGNORECASE)  # ... then the topic
_EN_TAIL = re.compile(
    r"(?:,?\s+(?:in|with|using) (?:a|an) [\w -]{1,30}(?:tone|style|voice|register)"
    r"|,?\s+(?:for|aimed at) (?:a |an )?(?:general|lay|wide|young) [\w -]{0,20}audience)\s*$",
    re.IGNORECASE,
)
_ZH_POLITE = re.compile(r"^(?:请你?|麻烦你?|帮我|帮忙|给我|为我|你能|能否|可以)+")
_ZH_VERB = re.compile(
    r"(?:撰写|创作|编写|起草|写作|写|生成|介绍|讲讲|谈谈|说说|解释|描述)(?:一下)?"
)
_ZH_MEASURE = re.compile(r"^(?:[一两几]?\s*[篇份封首部个段本则]|一些)")
_ZH_ABOUT = re.compile(r"^(?:关于|有关|围绕|针对|以)")
_ZH_TOPIC = re.compile(
    r"以(.{1,40}?)为(?:题|主题|话题)|(?:主题|题目|话题)(?:是|为)[:：]?([^，。；！？\n]+)"
)
_ZH_JOIN = re.compile(r"^的|的$")
_ZH_STOP = re.compile(r"[，。；！？,;!?\n]")
_ZH_GENRE_STACK = 3
_HAN = re.compile(f"[{HAN}]")
_CJK_SPACE = re.compile(f"(?<=[{CJK}]) | (?=[{CJK}])")  # "关于 AI 的文章": spacing, not words
_TRIM = " \t\n,.;:!?，。；：！？、\"'“”‘’《》()（）"


def _clean(text: str) -> str:
    """Whitespace collapsed, lengths removed, outer punctuation stripped."""
    return " ".join(LENGTH_PHRASE.sub(" ", text).split()).strip(_TRIM)


def _request_sentence(text: str) -> str:
    """The sentence that makes the request (it has the imperative or the genre word), else the first."""
    sentences = split_sentences(text)
    for sentence in sentences:
        if _EN_LEAD.match(sentence) or genre_match(sentence, "en"):
            return sentence
    return sentences[0] if sentences else ""


def _subject_en(text: str) -> str:
    sentence = _clean(_request_sentence(text))
    lead = _EN_LEAD.match(sentence)
    rest = sentence[lead.end() :] if lead else sentence
    genre = genre_match(rest, "en")
    after = _EN_TOPIC_LEAD.match(rest, genre.end()) if genre and genre.start() <= 40 else None
    if after is not None:
        rest = rest[after.end() :]
        about = _EN_ABOUT.search(rest) if _EN_FOR_TO.match(after.group(0)) else None
        rest = rest[about.end() :] if about else rest  # "a speech for a graduation about curiosity"
    else:
        rest = _EN_DETERMINER.sub("", rest)
        topic = _EN_TOPIC_LEAD.match(rest)
        rest = rest[topic.end() :] if topic else rest
    return _EN_TAIL.sub("", rest).strip(_TRIM)


def _subject_zh(text: str) -> str:
    text = _CJK_SPACE.sub("", _clean(text))
    topic = _ZH_TOPIC.search(text)
    if topic is not None:
        return (topic.group(1) or topic.group(2)).strip(_TRIM)
    stop = _ZH_STOP.search(text)
    clause, others = (text[: stop.start()], text[stop.end() :]) if stop else (text, "")
    verb = _ZH_VERB.search(clause)
    before, rest = (clause[: verb.start()], clause[verb.end() :]) if verb else ("", clause)
    rest = _ZH_MEASURE.sub("", rest, count=1)
    for _ in range(_ZH_GENRE_STACK):  # "童话故事": both words are the genre
        genre = genre_match(rest, "zh")
        if genre is None or genre.end() < len(rest) - 1:
            break
        rest = _ZH_JOIN.sub("", rest[: genre.start()])
    rest = _ZH_JOIN.sub("", _ZH_ABOUT.sub("", _ZH_JOIN.sub("", rest.strip(_TRIM)))).strip(_TRIM)
    if rest:
        return rest
    # "给房东写一封信，要求修理暖气": the recipient and what follows the request.
    return "，".join(p for p in (_ZH_POLITE.sub("", before).strip(_TRIM), others.strip(_TRIM)) if p)


def subject_of(instruction: str) -> str:
    """The subject phrase of ``instruction``; the cleaned instruction when none stands out."""
    text = scan(instruction).strip()
    subject = _subject_zh(text) if _HAN.search(text) else _subject_en(text)
    return subject or _clean(text)
