"""Meta-talk: sentences in which a model talks about the writing task instead of writing the document.

Small models echo their instructions ("You will not repeat sentences already written", "Here is the
continuation of your text:", "This is a 1200-word history ..."). A sentence is meta-talk when it
carries a strong marker (a word count, "previous attempt", a "Here is the section" lead-in), or when it
addresses the reader or speaks as the writer *and* uses words about the writing process (one in
English; two in Chinese, where such words are commoner in plain prose).
Process words that occur in the document's own topic (an essay about essay writing) do not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from longwriter.text.words import tokenize


@dataclass(frozen=True)
class _Vocabulary:
    strong: re.Pattern[str]
    person: re.Pattern[str]
    process: re.Pattern[str]
    min_process: int  # process words needed beside a first/second-person word


_EN = _Vocabulary(
    strong=re.compile(
        r"\bprevious (?:attempt|request|response|answer|draft)s?\b|\bword[- ]?counts?\b"
        r"|\b\d[\d,]*[- ]words?\b|\bas an ai\b|\b(?:this|the|my) continuation\b"
        r"|^(?:sure|certainly|okay|ok|here(?:'s| is| are)|below is)\b.{0,120}"
        r"\b(?:section|paragraph|continuation|essay|response|draft|text|part)\b"
        r"|\b(?:sections?|paragraphs?) at a time\b|\b(?:section|paragraph|part) \d+ of\b"
        r"|\bthe (?:first|second|third|fourth|fifth|next|previous|last|final|following)"
        r" (?:sentence|paragraph|section)s?\b",
        re.IGNORECASE,
    ),
    person=re.compile(
        r"\b(?:i|i'm|i'll|i've|i'd|me|my|you|your|you're|you'll|you've|we'll|let's)\b",
        re.IGNORECASE,
    ),
    process=re.compile(
        r"\b(section|paragraph|sentence|essay|page|word|continu|respon|request|attempt|repeat"
        r"|instruction|prompt|answer|question|writ|wrote|text|draft|plan|document|article)\w*",
        re.IGNORECASE,
    ),
    min_process=1,
)
_ZH = _Vocabulary(
    strong=re.compile(
        r"上一次|上次的?(?:回答|请求|尝试)|字数|\d+\s*字|续写|^(?:好的|以下是|下面是)"
        r"|作为(?:一个)?(?:AI|人工智能)",
        re.IGNORECASE,
    ),
    person=re.compile(r"你|您|我(?!们)"),
    process=re.compile(r"(段落|章节|本节|本段|回答|请求|重复|写作|句子|计划|提示|篇幅)"),
    min_process=2,
)
_VOCABULARIES = {"en": _EN, "zh": _ZH}


@lru_cache(maxsize=64)
def _tokens(topic: str) -> frozenset[str]:
    """The topic's tokens (one topic serves every sentence of a section)."""
    return frozenset(tokenize(topic))


def is_meta(sentence: str, language: str, topic: str = "") -> bool:
    """Whether ``sentence`` talks about the writing task rather than the subject (``topic``: the
    instruction and section plan, whose own words are not held against the text)."""
    vocab = _VOCABULARIES.get(language)
    if vocab is None:
        return False
    text = sentence.strip()
    if vocab.strong.search(text):
        return True
    if not vocab.person.search(text):
        return False
    topic_tokens = _tokens(topic)
    stems = {
        m.group(1).lower()
        for m in vocab.process.finditer(text)
        if m.group(0).lower() not in topic_tokens
    }
    return len(stems) >= vocab.min_process
