"""Whether a section heading is one a reader would accept, and how to clean one that is not.

Headings seen from SmolLM2-135M plans: sentences ("The History of Coffee from Ethiopia, with a main
point that it has been used in many ways throughout history."), plan debris ("{{#1}}, #2",
"section #150+words/paragraph#36987.txt"), requests ("Please Provide the Details") and repeats of the
document title. A token the instruction itself uses is never debris (a guide to C# or to .txt files).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from functools import lru_cache

from longwriter.text._chars import CJK
from longwriter.text.form import scan
from longwriter.text.subject import LENGTH_PHRASE, subject_of
from longwriter.text.words import count_words, tokenize


class HeadingProblem(StrEnum):
    """Why a heading would not be accepted by a reader (values are stable codes)."""

    EMPTY = "empty"  # no letters at all
    TOO_LONG = "too_long"  # more than MAX_WORDS words / MAX_CJK characters
    SENTENCE = "sentence"  # a sentence or description, not a heading
    MARKUP = "markup"  # markup, JSON, paths, file names
    PLAN_LABEL = "plan_label"  # "Main Point", "Word Count", "300 words", "Paragraph 3"
    META = "meta"  # a request or talk about the document ("Please provide the details")
    NUMBERING = (
        "numbering"  # "2.", "Section 3:", "Tools: 2", "第三部分：" (the document numbers nothing)
    )
    TRUNCATED = "truncated"  # cut off mid-phrase: "The History of Coffee from Ethiopia, with a"


MAX_WORDS = 10
MAX_CJK = 24
HEAD_WORDS = 8
"""A sentence-like heading is cut to at most this many words (its head noun phrase)."""
SCAN_HEADING = 600
"""Headings are read up to this many characters (anything longer is too long anyway)."""
SCAN_TEXT = 2000
"""Plan texts (main points) are cleaned up to this many characters."""

LEADING_NUMBER = re.compile(
    r"^\s*(?:[-*•]\s*)*(?:#+\s*)?(?:\*\*)?(?:"
    r"(?:section|part|chapter|paragraph|step)\s*#?\s*(?:\d+|[ivx]+)\s*[:.)\-–—]"
    r"|第\s*[\d一二三四五六七八九十百]+\s*(?:部分|章|节|段|步)\s*[:：、.]?"
    r"|\(?\d{1,2}(?:\.\d{1,2})*[.)、:：]|[一二三四五六七八九十]+[、.．]|(?:[ivx]{1,4}|[a-h])[.)](?=\s)"
    r")\s*(?:\*\*)?\s*",
    re.IGNORECASE,
)
"""Numbering at the start of a heading or plan line: "2. ", "Section 3:", "IV. ", "第三部分："."""

TRAILING_NUMBER = re.compile(r"(?<=[^\W\d_])\s*[:#]\s*\d{1,3}\s*$|\s[-–—]\s*\d{1,3}\s*$")
"""An enumerator after a heading ("Printing Press: 1", "Origins - 2"): plan debris. A number that is
part of a name ("World War 2", "Apollo 11") or a time or verse ("10:30", "John 3:16") is not."""

PLAN_WORDS = re.compile(
    r"\bmain\s*points?\b\s*[:：]?|主要内容[:：]?"
    r"|(?:\bword\s*counts?\b|字数(?:要求)?)\s*[:：]?(?:\s*(?:about|约)?\s*\d[\d,]*(?:\s*words?\b|\s*字)?)?|"
    + LENGTH_PHRASE.pattern,
    re.IGNORECASE,
)
"""Words of the plan format leaked into any plan text ("Main Point:", "Word Count", "300 words")."""
STEP_LABEL = re.compile(
    r"\b(?:paragraph|section|part|step)\s*#?\s*\d+\b|第\s*[\d一二三四五六七八九十百]+\s*段",
    re.IGNORECASE,
)
"""Step labels ("Paragraph 3", "section #150", "第3段"): debris in a heading, ordinary in prose."""

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,40}>")
_FILE_OR_URL = re.compile(
    r"https?:|www\.|\.(?:txt|md|json|csv|pdf|docx?|py|html?|xml|ya?ml|log)\b", re.IGNORECASE
)
_MARKUP = re.compile(r"[{}\[\]|#\\/_*~`<>=]|" + _FILE_OR_URL.pattern, re.IGNORECASE)
_PROSE_MARKUP = re.compile(r"[{}|#\\`<>]|_{2,}|\*{2,}|" + _FILE_OR_URL.pattern, re.IGNORECASE)
"""Markup that is debris in a main point (prose may use brackets, slashes and single stars)."""
_PLAN_WORDS = frozenset((
    "main", "point", "points", "word", "words", "count", "paragraph", "paragraphs", "section",
    "sections", "part", "step", "title", "heading", "chapter", "段", "字", "数",
))  # fmt: skip
_SLASHED_WORDS = re.compile(r"[^\W\d_]+/[^\W\d_]+")  # "TCP/IP", "and/or": words, not paths
_TOKEN = re.compile(r"\S+")
_EDGE = "\"'“”‘’()（）,.;:!?，。；：！？"
_LETTER = re.compile(rf"[^\W\d_]|[{CJK}]")
_CJK_CHAR = re.compile(f"[{CJK}]")
_CJK_GAP = re.compile(f"(?<=[{CJK}]) (?=[{CJK}])")  # left where debris was cut out of Chinese text

_EN_REQUEST = re.compile(
    r"^(?:please|kindly|here(?:'s| is| are)|below (?:is|are)|sure|certainly|okay|ok|note|thanks?"
    r"|thank you|i (?:will|would|can|am|have)|let me|let's|as requested|insert|tbd|todo"
    r"|placeholder|untitled|heading|title)\b"
    r"|\b(?:provide|give|send|share|fill in|add) (?:me |us )?(?:the |more |your |some )?"
    r"(?:details|information|specifics|content|text)\b|\blorem ipsum\b",
    re.IGNORECASE,
)
_EN_SELF = re.compile(
    r"\b(?:this|my|your|our|the following|the above|the present|the next|the previous)\s+"
    r"(?P<word>essays?|articles?|documents?|papers?|reports?|plans?|outlines?|sections?|paragraphs?"
    r"|chapters?|posts?|texts?|pieces?|responses?|answers?|drafts?|requests?|prompts?"
    r"|instructions?|assignments?|tasks?|writing)\b",
    re.IGNORECASE,
)
_ZH_REQUEST = re.compile(
    r"^(?:请|以下是|下面是|好的|当然|注意|帮我|写一|撰写)|(?:提供|补充|给出)(?:更多|具体)?的?(?:细节|信息|详情|内容)"
)
_ZH_SELF = re.compile(
    r"本(?:文|节|段|章|篇|部分)|这篇(?:文章|文档|报告)|(?:这|下)一?(?:部分|段|节)|中有一章|要点是"
)
# Making the document: "Creating a Beekeeping Guide" (the genre word is fine when it is the subject).
_EN_IMPERATIVE = re.compile(r"^(?:write|compose|draft|describe|explain|discuss)\b", re.IGNORECASE)
"""A heading that gives an order ("Write a 1200-word Speech") is the request, copied."""
_EN_MAKING = re.compile(
    r"\b(?:creat(?:e|ing)|writ(?:e|ing)|plan(?:ning)?|draft(?:ing)?|mak(?:e|ing)|prepar(?:e|ing)"
    r"|structur(?:e|ing))\s+(?:(?:a|an|the|your|my|this)\s+)?"
    r"(?:[\w'-]+\s+){0,3}?(?P<word>guide|essay|report|article|document|paper|plan|outline|post"
    r"|speech|story|letter|email|piece)s?\b",
    re.IGNORECASE,
)

_EN_SENTENCE = re.compile(
    r"\bwith (?:a|the) main point\b|\b(?:this|the) (?:section|paragraph|chapter) (?:will|should|is)\b"
    r"|\bmain point (?:is|that)\b",
    re.IGNORECASE,
)
_EN_CLAUSE = re.compile(
    r"\S,?\s+(?:which|who|whom|whose)\s|,\s*(?:that|and it|where)\s"
    r"|\b(?:it|they|he|she|we|this|these|there) (?:is|are|was|were|has|have|had|will|can|should)\b",
    re.IGNORECASE,
)
# A relative clause or "it has been" makes a heading of this many words a sentence.
_CLAUSE_MIN_WORDS = 7
_FINITE = re.compile(r"\s(?:is|are|was|were|has|have|had|will|can|could|should|would|must)\s", re.I)
_WH_START = re.compile(r"(?:what|why|how|when|where|who|which|whose)\b", re.IGNORECASE)
_ZH_SENTENCE = re.compile(r"。|本节将|这一部分将|主要讲|主要介绍|将会?(?:介绍|讲述|描述|探讨)")
_ZH_COMMA_CHARS = 14  # a comma in a Chinese heading of this many characters makes it a sentence
_SENTENCE_END = re.compile(r"(?<!\.)[.!。！]\s*$")

_CUT = re.compile(
    r",?\s+(?:with (?:a|the) main point|which|who|that|where|because|as it|so that)\b"
    r"|[,;:，；：。.!?！？(（]|\s[-–—]\s",
    re.IGNORECASE,
)
_CONNECTORS = "and|or|of|in|on|to|for|with|from|by|at|the|a|an|its|their"
_DANGLING = re.compile(rf"(?:,|\s(?:{_CONNECTORS}))\s*$", re.IGNORECASE)
_EN_CONNECTOR_TAIL = re.compile(rf"(?:\s+(?:{_CONNECTORS}|as|that|is|are|was))+$", re.IGNORECASE)
_STOPWORDS = frozenset((
    "the", "a", "an", "of", "to", "and", "in", "on", "for", "with", "its", "their", "about", "from",
    "by", "at", "as", "or", "的", "与", "和", "及", "之",
))  # fmt: skip
_COUNTER = re.compile(r"\s*\(\d+(?:/\d+)?\)\s*$")
NEAR_DUPLICATE = 0.8
"""Jaccard similarity of content words at which two headings count as the same heading."""


@lru_cache(maxsize=64)
def _vocabulary(instruction: str) -> tuple[frozenset[str], str]:
    """The instruction's tokens (edges stripped, lowercase) and its lowercase text (one instruction
    serves every heading of a document)."""
    text = scan(instruction).lower()
    return frozenset(m.group(0).strip(_EDGE) for m in _TOKEN.finditer(text)), text


@lru_cache(maxsize=64)
def _subject_tokens(instruction: str) -> frozenset[str]:
    """The tokens of the instruction's subject, plural "s" dropped."""
    return frozenset(t.rstrip("s") for t in tokenize(subject_of(instruction)))


def _debris_tokens(
    text: str, allowed: frozenset[str], markup: re.Pattern[str] = _MARKUP
) -> list[re.Match[str]]:
    """Whitespace tokens of ``text`` that carry markup and do not occur in the instruction."""
    return [
        m
        for m in _TOKEN.finditer(text)
        if markup.search(m.group(0))
        and not _SLASHED_WORDS.fullmatch(m.group(0).strip(_EDGE))
        and m.group(0).lower().strip(_EDGE) not in allowed
    ]


def _is_long(heading: str) -> bool:
    cjk = len(_CJK_CHAR.findall(heading))
    words = count_words(heading)
    return cjk > MAX_CJK if cjk > words - cjk else words > MAX_WORDS


def _is_sentence(heading: str, chinese: bool) -> bool:
    if _SENTENCE_END.search(heading):
        return True
    if chinese:
        text = heading.replace(" ", "")
        return bool(_ZH_SENTENCE.search(text)) or ("，" in text and len(text) >= _ZH_COMMA_CHARS)
    if _EN_SENTENCE.search(heading):
        return True
    long = count_words(heading) >= _CLAUSE_MIN_WORDS
    return long and bool(_EN_CLAUSE.search(heading) or _predicate(heading))


def _predicate(text: str) -> re.Match[str] | None:
    """The finite verb of a statement ("Urban heat islands *are* a growing concern"), after a
    subject of two words or more; None for questions ("What Is Coffee") and noun phrases."""
    if _WH_START.match(text):
        return None
    verb = _FINITE.search(text)
    return verb if verb and len(text[: verb.start()].split()) >= 2 else None


def talks_about_document(text: str, *, language: str, instruction: str = "") -> bool:
    """Whether ``text`` (a heading or a main point) makes a request or talks about the document and
    its making instead of the subject: "Please provide the details", "Introduction to this essay",
    "Create a Beekeeping Guide", "本节将介绍". Genre words that are the subject do not count
    ("Writing a Cover Letter" in a guide to writing cover letters)."""
    text = scan(text, SCAN_TEXT)
    if language.startswith("zh") or len(_CJK_CHAR.findall(text)) * 2 > len(text):
        return bool(_ZH_REQUEST.search(text) or _ZH_SELF.search(text))
    if _EN_REQUEST.search(text):
        return True
    subject = _subject_tokens(instruction)
    return any(
        m.group("word").lower().rstrip("s") not in subject
        for m in [*_EN_SELF.finditer(text), *_EN_MAKING.finditer(text)]
    )


def heading_problems(heading: str, *, language: str, instruction: str = "") -> list[str]:
    """Why ``heading`` is not a heading a reader would accept (:class:`HeadingProblem` codes);
    empty when it is fine. Debris tokens and plan words that the instruction uses are allowed."""
    text = scan(heading, SCAN_HEADING).strip()
    allowed, lowered = _vocabulary(instruction)
    chinese = language.startswith("zh") or len(_CJK_CHAR.findall(text)) * 2 > len(text)
    problems: list[HeadingProblem] = []
    if not _LETTER.search(text):
        problems.append(HeadingProblem.EMPTY)
    if LEADING_NUMBER.match(text) or TRAILING_NUMBER.search(text):
        problems.append(HeadingProblem.NUMBERING)
    if _debris_tokens(text, allowed):
        problems.append(HeadingProblem.MARKUP)
    labels = [*PLAN_WORDS.finditer(text), *STEP_LABEL.finditer(text)]
    if (
        _plan_words_only(text)
        or LENGTH_PHRASE.search(text)  # a length copied from the instruction is still debris
        or any(m.group(0).lower() not in lowered for m in labels)
    ):
        problems.append(HeadingProblem.PLAN_LABEL)
    if talks_about_document(text, language=language, instruction=instruction) or (
        not chinese and _EN_IMPERATIVE.match(text)
    ):
        problems.append(HeadingProblem.META)
    if len(heading) > SCAN_HEADING or _is_long(text):
        problems.append(HeadingProblem.TOO_LONG)
    if _is_sentence(text, chinese):
        problems.append(HeadingProblem.SENTENCE)
    if _DANGLING.search(text):
        problems.append(HeadingProblem.TRUNCATED)
    return [str(p) for p in problems]


def _plan_words_only(text: str) -> bool:
    """Whether ``text`` has words and all of them belong to the plan format ("words paragraph")."""
    tokens = tokenize(text)
    return any(t in _PLAN_WORDS for t in tokens) and all(
        t in _PLAN_WORDS or t.isdigit() for t in tokens
    )


def has_debris(text: str, instruction: str = "") -> bool:
    """Whether prose (a main point) carries tags, markup tokens or plan words the instruction does not
    use: what :func:`strip_debris` with ``heading=False`` would remove."""
    allowed, lowered = _vocabulary(instruction)
    text = scan(text, SCAN_TEXT)
    return (
        _TAG.search(text) is not None
        or bool(_debris_tokens(text, allowed, _PROSE_MARKUP))
        or LENGTH_PHRASE.search(text) is not None
        or any(m.group(0).lower() not in lowered for m in PLAN_WORDS.finditer(text))
    )


def strip_debris(text: str, instruction: str = "", *, heading: bool = True) -> str:
    """``text`` without tags, markup tokens, file names and plan words (those the instruction uses
    are kept), and for a heading without numbering and step labels; whitespace collapsed. Empty
    when nothing but debris was left."""
    allowed, lowered = _vocabulary(instruction)
    text = _TAG.sub(" ", scan(text, SCAN_TEXT))
    number = LEADING_NUMBER.match(text) if heading else None
    rest = text[number.end() :] if number else text
    markup = _MARKUP if heading else _PROSE_MARKUP
    debris = {m.start() for m in _debris_tokens(rest, allowed, markup)}
    kept: list[str] = []
    for m in _TOKEN.finditer(rest):
        token = m.group(0)
        if m.start() not in debris:
            kept.append(token)
        elif not _FILE_OR_URL.search(token):  # "**Origins**" -> "Origins"; "x.txt" goes whole
            kept += [p for p in markup.sub(" ", token).split() if _LETTER.search(p)]
    out = LENGTH_PHRASE.sub(" ", " ".join(kept))
    for label in (PLAN_WORDS, STEP_LABEL) if heading else (PLAN_WORDS,):
        out = label.sub(lambda m: m.group(0) if m.group(0).lower() in lowered else " ", out)
    out = _CJK_GAP.sub("", " ".join(out.split()))
    out = TRAILING_NUMBER.sub("", out) if heading else out
    out = out.strip(_EDGE + " -–—+") if heading else out.strip(" -–—+").lstrip(",;:，；：")
    return "" if _plan_words_only(out) or not _LETTER.search(out) else out


def head_phrase(text: str) -> str:
    """The head of a sentence-like heading: the text before its first clause break or its verb, at
    most :data:`HEAD_WORDS` words (Chinese: :data:`MAX_CJK` characters), without a dangling
    connector."""
    text = scan(text, SCAN_HEADING).strip()
    number = LEADING_NUMBER.match(text)
    start = number.end() if number else 0
    cut = _CUT.search(text, start + 1)
    head = text[start : cut.start()] if cut else text[start:]
    verb = _predicate(head)
    head = head[: verb.start()] if verb else head
    if len(_CJK_CHAR.findall(head)) * 2 > len(head):
        return head[:MAX_CJK].strip(_EDGE + " ")
    words = head.split()[:HEAD_WORDS]
    return _EN_CONNECTOR_TAIL.sub("", " ".join(words)).strip(_EDGE + " ")


def capitalised(text: str) -> str:
    """``text`` with its first character in upper case (a heading made from a phrase)."""
    return text[:1].upper() + text[1:]


def _key(heading: str) -> frozenset[str]:
    """Content words of a heading, for comparing headings: stopwords dropped, and the "(2)" or
    "(2/3)" that numbers a repeated or split heading and a trailing enumerator ("Tools: 2")."""
    text = TRAILING_NUMBER.sub("", _COUNTER.sub("", heading))
    return frozenset(t for t in tokenize(text) if t not in _STOPWORDS)


def _same(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= NEAR_DUPLICATE


def duplicate_headings(headings: Sequence[str], title: str = "") -> list[int]:
    """Indexes of headings that repeat the title or an earlier heading (near-identical counts).

    Each heading is compared only with the distinct earlier headings that share one of its
    ``len // 4 + 1`` least common words: a near-identical heading (Jaccard >= 0.8) lacks at most a
    fifth of them. Thousands of headings take near-linear time."""
    postings: dict[str, list[frozenset[str]]] = {}
    seen: set[frozenset[str]] = set()

    def remember(key: frozenset[str]) -> None:
        if key not in seen:
            seen.add(key)
            for token in key:
                postings.setdefault(token, []).append(key)

    def repeats(key: frozenset[str]) -> bool:
        if not key:
            return False
        if key in seen:
            return True
        rarest = sorted(key, key=lambda t: len(postings.get(t, ())))[: len(key) // 4 + 1]
        candidates = {earlier for token in rarest for earlier in postings.get(token, ())}
        return any(_same(key, earlier) for earlier in candidates)

    remember(_key(scan(title, SCAN_HEADING)))
    out: list[int] = []
    for i, heading in enumerate(headings):
        key = _key(scan(heading, SCAN_HEADING))
        if repeats(key):
            out.append(i)
        remember(key)
    return out
