"""The form a reader expects from an instruction: an email has no section headings, a report does.

The genre word that heads the request decides ("a report on email marketing" is a report, "a letter to
my landlord" a letter). English puts the head first ("a guide to writing letters"), Chinese last
("一篇关于电子邮件营销的报告"), so English takes the first genre word (the last of a compound such
as "email newsletter") and Chinese the last one of the first clause that has one. The target length
settles the rest: a short story has no chapters, a novel has; a few-hundred-word answer is a reply,
not a report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

Kind = Literal["email", "letter", "speech", "poem", "story", "answer", "document"]

SCAN_CHARS = 4000
"""Instructions are read up to this many characters (the request is at their start)."""
_SPACE_RUN = re.compile(r"\s+")


def scan(text: str, limit: int = SCAN_CHARS) -> str:
    """The first ``limit`` characters with each whitespace run squeezed to one newline or space:
    after this no pattern of ours can backtrack over a long run of blanks (linear time)."""
    return _SPACE_RUN.sub(lambda m: "\n" if "\n" in m.group(0) else " ", text[:limit])


_EN_GENRES: dict[Kind, str] = {
    "email": r"e-?mails?|memo|(?:text )?message(?= (?:to|for)\b)|(?:mail|reply)(?= to\b)",
    "letter": r"letters?|note to|(?:thank[- ]you|condolence|sympathy) notes?|postcard"
    r"|(?:greeting|birthday|wedding) card",
    "speech": r"speech(?:es)?|toast|eulogy|sermon|lecture|presentation|(?:ted )?talk(?= (?:on|about))"
    r"|(?:keynote|commencement|graduation|inaugural|welcome) address",
    "poem": r"poems?|poetry|sonnets?|haikus?|limericks?|ballads?|odes?|verses?|lyrics|song|rap",
    "story": r"(?:short )?stor(?:y|ies)|tales?|fables?|parables?|fairy tales?|novellas?|fiction"
    r"|novels?(?! (?:approach|idea|method|way|solution|technique|perspective|take|concept))"
    r"|screenplay|script|narrative|anecdote",
    "answer": r"answer|response",
    "document": r"(?:opinion|think|feature|magazine|news) pieces?|reports?|guides?|guidebook"
    r"|handbook|manual|tutorial|articles?|essays?"
    r"|(?:white ?|research |term |position )?papers?|e-?books?|books?|textbook|thesis|dissertation"
    r"|proposal|review|analysis|overview|summary|study|blog(?: post)?|post|newsletter|brochure"
    r"|press release|biography|memoir|documentation|description|explainer|primer|briefing"
    r"|commentary|critique|editorial|op-ed|column|feature|profile|curriculum|lesson plan|plan"
    r"|outline|whitepaper|faq|encyclopedia entry|wiki(?:pedia)? (?:article|entry)|history"
    r"|notes?(?= (?:on|about))",
}
_ZH_GENRES: dict[Kind, str] = {
    "email": r"电子邮件|邮件|电邮|短信|消息",
    "letter": r"书信|信件|信函|便条|贺卡|明信片|(?<![相自诚通微确坚迷短])信(?![息心任用号念仰誉托贷赖箱徒条])",
    "speech": r"演讲稿|演讲|演说|致辞|讲话稿|讲话|发言稿|发言|讲稿|祝酒词|悼词|贺词|开幕词|闭幕词",
    "poem": r"诗歌|诗词|歌词|绝句|律诗|诗(?![人意])",
    "story": r"短篇小说|长篇小说|小说|故事|童话|寓言|剧本",
    "answer": r"回答|解答|答案",
    "document": r"文章|报告|指南|攻略|手册|教程|论文|综述|白皮书|专著|著作|读物|博客|博文|随笔"
    r"|散文|评论|社论|时评|书评|影评|分析|说明书|方案|计划书|策划书|提案|新闻稿|简报|传记|总结|概述"
    r"|教案|讲义|文案|百科|一本书",
}


def _table(genres: dict[Kind, str], english: bool) -> re.Pattern[str]:
    alternation = "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in genres.items())
    return re.compile(rf"\b(?:{alternation})\b(?!-)" if english else alternation, re.IGNORECASE)


_EN = _table(_EN_GENRES, english=True)
_ZH = _table(_ZH_GENRES, english=False)
_COMPOUND_GAP = re.compile(r"[\s-]*")  # "email newsletter", "e-mail-newsletter"
_EN_TOPIC = re.compile(r"\b(?:about|regarding|concerning)\b", re.IGNORECASE)
_ZH_CLAUSE = re.compile(r"[^，。；！？,;!?\n]+")

_EN_QUESTION = re.compile(
    r"(?:what|why|how|when|where|who|which|is|are|was|were|can|could|does|do|did|should|would"
    r"|will|(?:please\s+)?(?:explain|describe|define|compare|tell me|list|summari[sz]e|answer))\b",
    re.IGNORECASE,
)
_ZH_QUESTION = re.compile(
    r"什么|为什么|为何|怎么|怎样|如何|是否|吗|哪|^(?:请)?(?:解释|说明|简述|谈谈|讲讲|请问)"
)

# Lengths in English words; Chinese targets count characters, about 1.6 per English word.
_SCALE = {"zh": 1.6, "ja": 1.6, "ko": 1.6}
ANSWER_MAX_WORDS = 800
"""A question asked for at most this many words is answered as a reply, not as a report."""
SHORT_STORY_MAX_WORDS = 3000
"""Stories shorter than this have no chapter headings."""
SHORT_DOCUMENT_WORDS = 500
"""Documents shorter than this are one block of prose under a title: no section headings."""
SHORT_OPINION_MAX_WORDS = 2000
"""Opinion pieces (columns, op-eds, editorials) shorter than this argue in unbroken prose, as papers
print them: no section headings."""


class FormFields(TypedDict):
    """A :class:`DocumentForm` as plain data (graph state, JSON reports)."""

    kind: str
    headings: bool
    title: bool


@dataclass(frozen=True)
class DocumentForm:
    """What a document looks like: its genre, whether it has section headings and a ``# Title`` line."""

    kind: Kind
    headings: bool
    title: bool

    def fields(self) -> FormFields:
        """Plain-data copy for the graph state."""
        return {"kind": self.kind, "headings": self.headings, "title": self.title}


def genre_match(instruction: str, language: str) -> re.Match[str] | None:
    """The genre word heading the request ("guide" in "a 1500-word guide to coffee"), if any;
    ``match.lastgroup`` is its :data:`Kind`, positions are in ``scan(instruction)``. A genre word
    after the topic has begun is part of the topic ("Write about the Sermon on the Mount")."""
    text = scan(instruction)
    if language.startswith("zh"):
        for clause in _ZH_CLAUSE.finditer(text):
            found = list(_ZH.finditer(text, clause.start(), clause.end()))
            if found:
                return found[-1]
        return None
    matches = _EN.finditer(text)
    head = next(matches, None)
    for following in matches:  # the last noun of a compound heads it: "email newsletter"
        if head is None or not _COMPOUND_GAP.fullmatch(text, head.end(), following.start()):
            break
        head = following
    topic = _EN_TOPIC.search(text)
    return None if head is None or (topic and topic.start() < head.start()) else head


Family = Literal["guide", "report", "opinion", "history", "document"]
_EN_FAMILIES: dict[str, re.Pattern[str]] = {
    "opinion": re.compile(r"(?:opinion|think) pieces?|op-ed|column|editorial|commentary", re.I),
    "guide": re.compile(r"guide|guidebook|handbook|manual|tutorial|primer", re.I),
    "report": re.compile(
        r"reports?|(?:white ?|position |policy )?papers?|whitepaper|proposal|briefing|study"
        r"|analysis",
        re.I,
    ),
    "history": re.compile(r"history", re.I),
}
_ZH_FAMILIES: dict[str, re.Pattern[str]] = {
    "opinion": re.compile(r"评论|社论|时评"),
    "guide": re.compile(r"指南|攻略|手册|教程|说明书"),
    "report": re.compile(r"报告|白皮书|方案|提案|计划书|策划书|简报|分析"),
}
_HISTORY_SUBJECT = re.compile(r"^(?:the\s+)?(?:early\s+|brief\s+)?history\b|历史|史话", re.I)


def document_family(instruction: str, subject: str, language: str) -> Family:
    """Which kind of non-fiction a document is, for plans that need no model: a guide teaches how to
    do something, a report or white paper argues a case to decision-makers, a history follows its
    subject through time (a subject that is a history decides, else the genre word: "a guide to the
    history of coffee" is a history)."""
    if _HISTORY_SUBJECT.search(subject.strip()):
        return "history"
    return _genre_family(genre_match(instruction, language), language)


def _genre_family(match: re.Match[str] | None, language: str) -> Family:
    if match is None or match.lastgroup != "document":
        return "document"
    table = _ZH_FAMILIES if language.startswith("zh") else _EN_FAMILIES
    family = next((f for f, pattern in table.items() if pattern.fullmatch(match.group(0))), None)
    return family or "document"  # type: ignore[return-value]


def _is_question(instruction: str, language: str) -> bool:
    """Whether the instruction asks a question (or asks for an explanation) rather than a text."""
    text = scan(instruction).strip()
    question = _ZH_QUESTION.search(text) if language.startswith("zh") else _EN_QUESTION.match(text)
    return text.endswith(("?", "？")) or question is not None


def document_form(instruction: str, target_words: int, language: str) -> DocumentForm:
    """The form of the document asked for by ``instruction`` at ``target_words`` words."""
    scale = _SCALE.get(language[:2], 1.0)
    words = target_words / scale
    match = genre_match(instruction, language)
    kind: Kind = match.lastgroup if match and match.lastgroup else "document"  # type: ignore[assignment]
    if match is None and words <= ANSWER_MAX_WORDS and _is_question(instruction, language):
        kind = "answer"
    if kind == "answer" and words > ANSWER_MAX_WORDS:
        kind = "document"
    if kind in ("email", "letter", "answer"):
        return DocumentForm(kind, headings=False, title=False)
    if kind in ("speech", "poem"):
        return DocumentForm(kind, headings=False, title=True)
    if kind == "story":
        return DocumentForm(kind, headings=words >= SHORT_STORY_MAX_WORDS, title=True)
    if _genre_family(match, language) == "opinion":
        return DocumentForm(kind, headings=words >= SHORT_OPINION_MAX_WORDS, title=True)
    return DocumentForm(kind, headings=words >= SHORT_DOCUMENT_WORDS, title=True)
