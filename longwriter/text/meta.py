"""Meta-talk: sentences about the writing itself instead of the subject.

Small models echo their instructions ("You will not repeat sentences already written", "Here is the
continuation of your text:") and describe the document instead of writing it ("This guide is
designed for a 4-sectioned document.", "This chapter includes information about how coffee was
made", "It goes into detail covering the different parts of the story.", "本文将介绍…"). A sentence
is meta-talk when

- it carries a strong marker: a word count, "previous attempt", a "Here is the section" lead-in;
- the document refers to itself: "this/these/the next" + a document noun (guide, chapter, section,
  part, essay, story, 本文, 本节, 这一部分 …) followed by a verb of writing (is designed, aims,
  covers, includes, explores, will discuss, added, 将介绍 …), "In this section, …", "The following
  paragraphs …", "It goes into detail …", "we will now discuss …", "接下来我们将…", "在这一部分中…",
  "以上就是…", or it promises the reader something ("provide readers with", "帮助读者");
- it addresses the reader or speaks as the writer *and* uses words about the writing process (one
  in English; two in Chinese, where such words are commoner in plain prose).

A document noun must be followed by a writing verb, not by "of" or a noun: "This part of the city
was rebuilt", "The guide led us up the ridge", "this essay structure", "本节车厢" stay prose.

The topic (the instruction, then the section's heading and main point, one per line) is read as
its subject (:func:`~longwriter.text.subject.subject_of`: "guide" and "write" in "Write a guide to
coffee" are the request, not the subject). A document noun of the subject is not self-reference (an
essay on the novel *Moby-Dick*: "this novel explores"), and when the subject is writing itself (a
guide to persuasive essays) paragraphs, sentences, readers and word counts are subject matter.

Agreement with the hand-labelled sentences of tests/data/reader (benchmarks/calibrate_reader.py):
English precision 0.99, recall 0.84 (579 sentences, 90 meta); Chinese 0.97 and 1.0 (283, 33). On
the embedded model's own English paragraphs alone: 0.97 and 0.74 (124, 38); what it misses there is
incoherent talk about "the document" without a fixed phrase ("a separate paragraph within a longer
piece of content").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from longwriter.text._chars import APOSTROPHES
from longwriter.text.subject import subject_of
from longwriter.text.words import tokenize


class _Exempt(Enum):
    """When a rule's match is not meta-talk."""

    NEVER = 0
    SUBJECT_NOUN = 1  # its group ``noun`` is a word of the subject
    WRITING = 2  # ... or the subject is about writing


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    exempt: _Exempt = _Exempt.NEVER


@dataclass(frozen=True)
class _Vocabulary:
    rules: tuple[_Rule, ...]
    person: re.Pattern[str]
    process: re.Pattern[str]
    min_process: int  # process words needed beside a first/second-person word
    writing: re.Pattern[str]  # a subject about writing itself


def _en(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Nouns a text uses for itself ("text", "piece" and "report" included: models call their output so).
_EN_DOC = (
    r"(?:guide|chapter|section|part|essay|article|document|paper|report|piece|post|blog|text"
    r"|paragraph|passage|write-?up|overview|tutorial|composition|discussion|introduction"
    r"|conclusion|outline|page|handbook|primer|series|entry|story)s?"
)
_EN_ADJ = r"(?:[\w-]+\s+){0,2}?"  # "this short guide", "this 4-sectioned document"
_EN_OWNER = r"(?:the|this|our|my|your)"
# "this part of the guide" is the document; "this part of the city", "this essay structure" not.
_EN_SELF_NOUN = (
    rf"(?P<noun>{_EN_DOC})\b(?:\s+of\s+{_EN_OWNER}\s+{_EN_ADJ}{_EN_DOC}\b)?"
    r"(?!\s+(?:of|in|on|at|from|near|for|with|was built|is built|structure|format|type|style|form"
    r"|prompt|topic|question|example|template|genre|writing)\b)"
)
_EN_HELPERS = (
    r"(?:(?:will|shall|would|can|could|should|may|must|also|further|then|now|here|briefly|mainly"
    r"|primarily|first|next|finally|therefore|thus|only|simply|just|already|not|has|have|had"
    r"|is going to|are going to"
    r"|(?:aims?|seeks?|tries|try|attempts?|is meant|are meant|is designed|are designed|hopes?"
    r"|intends?|wants?) to|,)\s+)*"
)
_EN_WRITING_VERB = (
    r"(?:(?:is|are|was|were|will be|has been|have been|had been)\s+(?:(?:\w+ly|all|mainly|also)\s+)?"
    r"(?:designed|intended|meant|written|dedicated|devoted|organi[sz]ed|structured|divided|split"
    r"|broken|aimed|focused|concerned|about|going to|here to|a (?:brief|short|quick)\b"
    r"|(?:based|drawn) (?:on|from)|adapted from|inspired by)"
    r"|(?:aim|seek|cover|includ|explor|discuss|examin|describ|provid|present|introduc|focus|delv"
    r"|outlin|highlight|offer|summari[sz]|explain|deal|detail|address|review|conclud|expand"
    r"|featur|analy[sz]|investigat|illustrat|compar|teach|walk|consider|continu|contain|argu"
    r"|elaborat|touch(?:es|ed)? (?:on|upon)|talk|shar|shed|show|tell|giv|add|went|goes"
    r"|go (?:into|over|through|on)|look|tak(?:e|es) (?:a|you|the reader)|dive|build(?:s)? on"
    r"|begin|start|end|trac|sketch|surve|revisit|recap|turn)\w*)\b"
)
_EN_THIS = r"(?:this|these|the present)"
# "Another part discusses ...", "The rest is about ...": seen in the embedded model's compact drafts.
_EN_OTHER = r"(?:another|the other|each|every|the rest of the)"
# "the next paragraph should ..." is advice in a guide to writing, self-reference elsewhere.
_EN_NEXT = (
    r"(?:the (?:following|next|previous|preceding|above|current|remaining|final|last|first|second"
    r"|third|fourth|fifth|earlier|later|upcoming|coming))"
)


def _self_reference(deixis: str, exempt: _Exempt) -> tuple[_Rule, ...]:
    """ "This guide aims to ...", "These sections will discuss ...", "This part added new facts",
    "In this section, ...", "Throughout this guide", "In the following chapters"."""
    return (
        _Rule(
            _en(rf"\b{deixis}\s+{_EN_ADJ}{_EN_SELF_NOUN}\s*,?\s*{_EN_HELPERS}{_EN_WRITING_VERB}"),
            exempt,
        ),
        _Rule(
            _en(
                rf"\b(?:in|within|throughout|by the end of|at the end of)\s+{deixis}\s+{_EN_ADJ}"
                rf"{_EN_SELF_NOUN}"
            ),
            exempt,
        ),
    )


_EN = _Vocabulary(
    rules=(
        _Rule(
            _en(
                r"\bprevious (?:attempt|request|response|answer|draft|post)s?\b|\bas an ai\b"
                r"|\b(?:this|the|my) continuation\b"
                r"|^(?:sure|certainly|okay|ok|here(?:'s| is| are)|below is)\b.{0,120}"
                r"\b(?:section|paragraph|continuation|essay|response|draft|text|part|piece|article"
                r"|passage|version)\b"
                # a lead-in to more of the answer ("Here's more details about ...", "Here is my
                # summary:"); "Here are more tips" and "Here is the workshop" stay
                r"|^here(?:'s| is| are) (?:some )?more (?:on|about|details?|information)\b"
                r"|^here(?:'s| is) (?:my|the) (?:summary|recap|end|rest|conclusion)\b"
                # a chat transcript's labels ("Question: What is ...", "User:")
                r"|^(?:question|user|assistant|instruction|prompt)\s*\d*\s*:"
                r"|\b(?:sections?|paragraphs?) at a time\b|\b(?:section|paragraph|part) \d+ of\b"
                r"|\b(?:thank you|thanks) for reading\b|\bhope (?:you|this|that you|readers?)"
                r"(?:\s+[\w-]+){0,4}\s+(?:useful|helpful|informative|interesting|enjoy\w*)\b"
                # what a chat assistant says around its answer
                r"|^(?:(?:but|so|and|ok(?:ay)?),?\s+)?(?:(?:i'm|i am) sorry|sorry,|i apologi[sz]e"
                r"|let me (?:try|rewrite|continue|start|know)|here goes|go ahead|hope this helps"
                r"|feel free to|what do you mean|could you (?:please )?clarify)\b"
                # agreeing with the user ("Yes, you're right, ..."); dialogue in quotes stays
                r"|^(?!.*[\"“”]).*?\byou(?:'re| are) (?:absolutely |quite |totally |so )?right\b"
                # a byline, "This is a story that ...", "This adds new details", the format itself
                r"|^(?:by|authors?|written by|posted by|published by)\s*:"
                r"|\badd(?:s|ed|ing)? (?:more |new |further |additional |some )?(?:details|facts"
                r"|information|examples|sentences|paragraphs)\b"
                r"|\bthe (?:goal|aim|purpose|objective|intention) (?:of this \w+ )?is to (?:showcase"
                r"|explain|explore|highlight|discuss|describe|present|introduce|outline|inform)\b"
            )
        ),
        _Rule(
            _en(
                r"^(?:\d+[.)]\s*)?(?:this|it) is (?:a|an|another|the|my|our) (?:[\w-]+\s+){0,3}?"
                r"(?P<noun>guide|essay|article|story|piece|document|chapter|section|post|text|report"
                r"|note)\b(?! of\b)"
                r"|\b(?:sections?|paragraphs?|chapters?|parts?|(?:main )?(?:idea|point|argument|theme)s?)"
                r" of (?:the|this) (?P<noun2>document|essay|article|guide|story|text|report|paper)\b"
                r"|\b(?P<noun3>json|newline|backtick|markdown)\b"
                # "The book highlights ...", "The chapter will explore ..."
                r"|\bthe (?P<noun4>chapter|section|book|article|essay|guide|passage|document|piece"
                r"|report|paper|text)"
                r"\s+(?:(?:will|also|further|then|now|briefly|mainly|first)\s+)*"
                r"(?:(?:explor|discuss|examin|highlight|delv|cover|focus|outlin|describ|introduc"
                r"|summari[sz]|continu)\w*|(?:begin|start|open|end|close|conclude)s? with)"
                # a narrator: "This time around it's a story about how she ..."; dialogue stays
                r"|^(?!.*[\"“”]).*?\b(?:this|it)(?:'s| is) (?:a|an|another|the) (?:[\w-]+\s+){0,3}?"
                r"(?P<noun5>story|tale) about\b"
            ),
            _Exempt.SUBJECT_NOUN,
        ),
        _Rule(_en(r"\bmain points?\b"), _Exempt.WRITING),
        # Word counts are subject matter in a guide to writing ("a 500-word essay").
        _Rule(_en(r"\bword[- ]?counts?\b|(?<![\d,])\d[\d,]*[- ]words?\b"), _Exempt.WRITING),
        # "The first sentence is a historical fact."
        _Rule(
            _en(
                r"\bthe (?:first|second|third|fourth|fifth|next|previous|last|final|following)"
                r" (?P<noun>sentence|paragraph|section)s?\b"
            ),
            _Exempt.WRITING,
        ),
        # "This guide aims to ...", "These sections will discuss ...", "This part added new facts",
        # "In this section, ...", "Throughout this guide", "In the following chapters".
        *_self_reference(_EN_THIS, _Exempt.SUBJECT_NOUN),
        *_self_reference(_EN_NEXT, _Exempt.WRITING),
        *_self_reference(_EN_OTHER, _Exempt.SUBJECT_NOUN),
        _Rule(_en(r"^\W*the rest\s+(?:is|will be|was)\s+(?:about|on|devoted)\b")),
        # "The story is about a young girl named Lena ..." (the opening of a story that describes it)
        _Rule(
            _en(
                r"^\W*the (?:story|tale|essay|article|text|piece|document|guide|report|paper"
                r"|narrative|chapter|section)\s+(?:is|will be)\s+(?:all\s+)?about\b"
            ),
            _Exempt.SUBJECT_NOUN,
        ),
        # "The conclusion reinforces ...", "As you read through this report", "The story begins in ..."
        _Rule(
            _en(
                r"^\W*the (?:conclusion|introduction|opening|ending) (?:reinforces|restates|summari[sz]es"
                r"|wraps up|ties (?:together|up)|sums up)\b"
                rf"|\bas (?:you|the reader|readers) (?:read|go|work|continue)(?: through| on)?"
                rf" (?:this|these|the following|the rest of (?:this|the)) {_EN_ADJ}{_EN_DOC}\b"
                r"|^\W*(?:\d+[.)]\s*)?the (?P<noun>story|tale|narrative) (?:begins|opens|starts|ends"
                r"|takes place|is set)\b"
                # "In fact this essay takes place after a chapter dedicated to ..."
                rf"|\bthis {_EN_ADJ}(?P<noun2>{_EN_DOC}) (?:takes place|is set|picks up|comes after)\b"
            ),
            _Exempt.SUBJECT_NOUN,
        ),
        # "The story continues.", "The story of the Lost Hope continues," (a narrator's stage note)
        _Rule(
            _en(
                r"^\W*the (?:story|tale|narrative|text)(?: of [^.!?]{0,80})? (?:continues|goes on)\W*$"
            )
        ),
        _Rule(_en(rf"^\W*the following\s+{_EN_ADJ}{_EN_SELF_NOUN}"), _Exempt.WRITING),
        # "The text is divided into two paragraphs, one on ...", "The essay consists of three parts"
        _Rule(
            _en(
                r"^\W*the (?:text|essay|article|piece|document|passage|section|chapter|answer"
                r"|response)\s+(?:(?:is|are|was|has been)\s+(?:divided|split|broken|organi[sz]ed"
                r"|structured)\s+(?:up\s+)?into|consists? of|contains?|has)\s+(?:\w+\s+){0,2}?"
                r"(?:paragraphs|sections|parts)\b"
            ),
            _Exempt.SUBJECT_NOUN,
        ),
        # "It goes into detail covering ...", "as we will see", "we will now discuss ...".
        _Rule(
            _en(
                r"\b(?:go(?:es)?|went|going)\s+into\s+(?:(?:more|great|greater|further|much|some"
                r"|full|lots? of|a lot of)\s+)?detail\b"
                r"|\bin (?:more|greater|further) detail (?:below|later|in the (?:next|following))"
                r"|\bas (?:we|i) (?:will|shall) (?:see|discuss|explain|explore)\b"
                r"|\b(?:we|let's|let us)(?:\s+will|\s+shall|\s+should|\s+must|\s+need to"
                r"|\s+are going to|'re going to|'ll)?\s+"
                r"(?:(?:now|then|next|also|briefly|first|further|finally)\s+)*"
                r"(?:discuss|explore|examine|delve|dive into|take a (?:closer |brief |quick )?look"
                r"|look (?:at|into|closer)|turn (?:to|our attention)|focus on|summari[sz]e|outline"
                r"|cover|go over|walk through|learn about|review|mention|talk (?:a bit |more )?about)\b"
                # A narrator announcing the telling: "I'll start telling you about ...".
                r"|\b(?:i(?:'ll| will|'m going to| am going to| want to| would like to)|let me"
                r"|allow me to)\s+(?:(?:now|first|briefly|quickly|start|begin|try to)\s+(?:by\s+)?)*"
                r"(?:tell(?:ing)?|talk(?:ing)?|explain(?:ing)?|describ(?:e|ing)|shar(?:e|ing)"
                r"|introduc(?:e|ing)|walk(?:ing)? you|tak(?:e|ing) you|show(?:ing)? you"
                r"|giv(?:e|ing) you)\b"
            )
        ),
        # "This guide aims to provide readers with ...", "Readers will learn ..."
        _Rule(
            _en(
                r"\b(?:provid|giv|help|offer|allow|enabl|introduc|walk|tak|guid|equip|teach|inform"
                r"|show)\w*\s+(?:the\s+|our\s+|its\s+|all\s+|every\s+|you,?\s+the\s+)?"
                r"(?P<noun>readers?)\b"
                r"|\breaders?\s+(?:will|can|may|should|are going to)\s+(?:\w+\s+)?"
                r"(?:learn|find|discover|see|understand|gain|get|come away|be able)\b"
            ),
            _Exempt.WRITING,
        ),
    ),
    person=_en(r"\b(?:i|i'm|i'll|i've|i'd|me|my|you|your|you're|you'll|you've|we'll|let's)\b"),
    process=_en(
        r"\b(section|paragraph|sentence|essay|page|word|continu|respon|request|attempt|repeat"
        r"|instruction|prompt|answer|question|writ|wrote|text|draft|plan|document|article|topic)"
        r"(?:s|e|es|ed|d|ing|ation|se|ses|ition|ten)?\b"
    ),
    min_process=1,
    writing=_en(
        r"\b(?:writ(?:e|es|ing|ten)|wrote|essays?|paragraphs?|sentences?|composition|grammar|prose"
        r"|rhetoric|storytelling|journalism|copywriting|editing|proofreading|word counts?|thes[ie]s)\b"
    ),
)

_ZH_DOC = (
    r"(?P<noun>本文|本章|本节|本篇(?:文章)?|本部分|本段|本指南|本报告|本教程|本手册|本故事"
    r"|这篇(?:文章|报告|指南|短文|论文|文字|内容|小说|故事)?|这个故事|这(?:一)?(?:章|节|部分|段(?!时))"
    r"|以[上下](?:内容|部分|章节|段落)|下文|下面的(?:内容|部分|章节|段落)"
    r"|接下来的(?:内容|部分|章节|段落))"
)
_ZH_HELPERS = (
    r"(?:中|里|内|中的内容)?[，,、]?\s*(?:(?:我们|笔者|作者|将|会|要|来|就|也|还|则|先|再|主要"
    r"|首先|重点|简要|简单|详细|进一步|具体|旨在|试图|希望|能够|能|可以|专门|着重|集中|继续"
    r"|已经|一起|地|为(?:大家|读者|您|你))[，,]?)*"
    # "本文将从起源、制作和茶俗几个方面展开论述": a short prepositional phrase before the verb.
    r"(?:(?:从|就|对|通过|围绕|结合|按照|以)[^。！？，,]{1,20}?)?"
)
_ZH_WRITING_VERB = (
    r"(?:介绍|讨论|探讨|阐述|描述|描写|刻画|叙述|记述|分析|概述|总结|涵盖|包括|包含|聚焦|围绕"
    r"|讲述|讲解|梳理|回顾|说明|展开|论述|解释|探索|考察|列举|呈现|提供|带领|带你|帮助|关注"
    r"|研究|解析|谈谈|讲讲|聊聊|看看|了解|补充|增加|添加|涉及|讲|谈|是关于|分为|旨在)"
)
_ZH = _Vocabulary(
    rules=(
        _Rule(
            re.compile(
                r"上一次|上次的?(?:回答|请求|尝试)|续写|^(?:好的|以下是|下面是)"
                r"|作为(?:一个)?(?:AI|人工智能)|^(?:以上|上述)(?:就是|便是|内容|所述|介绍)",
                re.IGNORECASE,
            )
        ),
        _Rule(re.compile(r"字数|(?<!\d)\d+\s*字"), _Exempt.WRITING),
        # "本文将介绍…", "这一部分主要讨论…", "本段的论点是…" (not "本节车厢", "这部分资金").
        _Rule(
            re.compile(
                rf"{_ZH_DOC}(?:{_ZH_HELPERS}{_ZH_WRITING_VERB}"
                r"|的(?:主题|论点|目的|内容|重点|主要内容|核心|写作|结构))"
            ),
            _Exempt.SUBJECT_NOUN,
        ),
        # "在这一部分中…", "在本节里…".
        _Rule(re.compile(rf"在{_ZH_DOC}(?:中|里|内|当中)"), _Exempt.SUBJECT_NOUN),
        # "接下来，我们将…", "下面我们来看看…", "让我们一起回顾…".
        _Rule(
            re.compile(
                r"(?:^|[，,：:])\s*(?:接下来|下面|随后|现在|最后|首先|以下)[，,]?\s*(?:就)?(?:让)?"
                r"(?:我们|我)?(?:将|会|要|来|一起|再|先|就)+"
                rf"|^(?:就)?让我(?:们)?(?:一起)?(?:来)?(?:给(?:大家|你|您))?(?:简单)?(?:地)?"
                rf"{_ZH_WRITING_VERB}"
            )
        ),
        # "帮助读者了解…", "读者将了解到…".
        _Rule(
            re.compile(
                r"(?:帮助|让|使|带领|引导|为|向)读者"
                r"|读者(?:将|会|可以|能够|能)(?:了解|学到|掌握|认识|理解|看到)"
            ),
            _Exempt.WRITING,
        ),
    ),
    person=re.compile(r"你|您|我(?!们)"),
    process=re.compile(r"(段落|章节|本节|本段|回答|请求|重复|写作|句子|计划|提示|篇幅|作文|文章)"),
    min_process=2,
    writing=re.compile(r"写作|写好|写出|作文|议论文|论文|记叙文|说明文|段落|句子|修辞"),
)
_VOCABULARIES = {"en": _EN, "zh": _ZH}


@dataclass(frozen=True)
class _Topic:
    words: frozenset[str]  # tokens of the subject phrase and of the section's heading and point
    text: str  # the same, lowercase (Chinese nouns are looked up as substrings)
    writing: bool  # the subject is writing itself
    # The subject phrase alone: only the request can make a document noun part of the subject (a
    # model's point "with a chapter dedicated to ..." let "The next chapter is about ..." through).
    nouns: frozenset[str]
    nouns_text: str


@lru_cache(maxsize=64)
def _topic(topic: str, language: str) -> _Topic:
    """The subject words of a topic (one topic serves every sentence of a section)."""
    request, _, plan = topic.partition("\n")
    subject = subject_of(request) if request.strip() else ""
    text = f"{subject}\n{plan}".lower()
    # Only the request says whether writing is the subject: a model's plan line ("Each line is one
    # short sentence ...") must not switch the writer's-talk rule off for its section.
    writing = _VOCABULARIES[language].writing.search(subject or plan)
    nouns_text = subject.lower()
    return _Topic(
        frozenset(tokenize(text)), text, bool(writing), frozenset(tokenize(nouns_text)), nouns_text
    )


def _in_subject(word: str, topic: _Topic, *, request_only: bool = False) -> bool:
    """Whether the subject uses ``word`` (singular or plural; Chinese by substring); with
    ``request_only``, the request's subject phrase without the section's heading and point."""
    word = word.lower()
    words, text = (topic.nouns, topic.nouns_text) if request_only else (topic.words, topic.text)
    if not word.isascii():
        return word in text
    stem = word.removesuffix("s")
    return stem in words or stem + "s" in words


def _fires(rule: _Rule, text: str, topic: _Topic) -> bool:
    for match in rule.pattern.finditer(text):
        if rule.exempt is _Exempt.NEVER:
            return True
        if rule.exempt is _Exempt.WRITING and topic.writing:
            return False
        noun = next((v for k, v in match.groupdict().items() if k.startswith("noun") and v), "")
        if not noun or not _in_subject(noun, topic, request_only=True):
            return True
    return False


def is_meta(sentence: str, language: str, topic: str = "") -> bool:
    """Whether ``sentence`` talks about the writing rather than the subject (``topic``: the
    instruction, then the section's heading and main point, one per line)."""
    vocab = _VOCABULARIES.get(language)
    if vocab is None:
        return False
    text = sentence.strip().translate(APOSTROPHES)
    subject = _topic(topic, language)
    if any(_fires(rule, text, subject) for rule in vocab.rules):
        return True
    if subject.writing or not vocab.person.search(text):
        return False
    stems = {
        m.group(1).lower()
        for m in vocab.process.finditer(text)
        if not _in_subject(m.group(0), subject)
    }
    return len(stems) >= vocab.min_process
