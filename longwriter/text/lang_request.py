"""The language an instruction asks the document to be written in (:func:`requested_language`).

An explicit request is a language name inside a grammatical frame of the instruction's language:
"in French", "en français", "auf Deutsch", "用英文写", "日本語で", "영어로", "на русском",
"باللغة العربية"; mere mentions ("the French Revolution", "英文写作") are not requests. Names are
listed per frame language (code: space-separated names, any case). Every frame is a linear scan with
a bounded look-behind window, and total: any string gives an answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from longwriter.text._chars import LATIN


def _names(table: dict[str, str]) -> dict[str, str]:
    return {name.lower(): code for code, names in table.items() for name in names.split()}


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first (so "chinesische" wins over "chinesisch")."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class _Frame:
    """One way of asking for a language: ``pattern`` has a ``name`` group, one of ``which``'s
    alternatives, whose code is in ``codes``; a match is void when the text just before it matches
    ``veto`` (a negation, "how to", ...)."""

    pattern: re.Pattern[str]
    which: re.Pattern[str]
    codes: tuple[str, ...]
    veto: re.Pattern[str] | None

    def code(self, name: str) -> str:
        """The code of a matched ``name``, resolved by the same case-insensitive regex that
        matched it ("ENGLİSH", "Engliſh": ``str.lower`` disagrees with ``re.IGNORECASE``)."""
        match = self.which.fullmatch(name)
        assert match is not None and match.lastindex, "the name group matches one of these names"
        return self.codes[match.lastindex - 1]


def _frame(template: str, table: dict[str, str], veto: str | None = None, **parts: str) -> _Frame:
    names = _names(table)
    ordered = sorted(names, key=len, reverse=True)
    return _Frame(
        re.compile(template.format(names=_alternation(ordered), **parts), re.IGNORECASE),
        re.compile("|".join(f"({re.escape(name)})" for name in ordered), re.IGNORECASE),
        tuple(names[name] for name in ordered),
        re.compile(f"(?:{veto})$", re.IGNORECASE) if veto else None,
    )


_EN_NAMES = {
    "en": "English",
    "zh": "Chinese Mandarin Cantonese",
    "ja": "Japanese",
    "ko": "Korean",
    "fr": "French",
    "de": "German",
    "es": "Spanish Castilian",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch Flemish",
    "ru": "Russian",
    "ar": "Arabic",
}
_EN_MODIFIERS = (
    "plain simple simplified traditional formal informal fluent standard modern british american "
    "brazilian european mexican academic proper good natural idiomatic colloquial native polished "
    "correct clear perfect classical contemporary literary"
)
# After "in French" comes the end, punctuation, a number or one of these words; a noun ("in French
# cities", "in Chinese style") makes the name an adjective instead.
_EN_FOLLOW = (
    "about on for with without to that which please only so but then as by from using describing "
    "discussing covering explaining telling titled entitled called named the a an this these my our "
    "your its his her their not rather instead throughout too including focusing following based "
    "below here now entirely fully exclusively if when where while is are be should must it"
)
# "the subjunctive in French", "taught in French", "how to write in French", "not in French".
_EN_TOPICS = (
    "grammar subjunctive tense tenses verb verbs noun nouns adjectives adverbs pronouns articles "
    "prepositions loanwords idiom idioms expressions slang pronunciation spelling vocabulary syntax "
    "dialect dialects accent accents proverbs puns honorifics politeness gender conjugation "
    "conjugations diacritics punctuation metaphors literature influence borrowings phonology "
    "morphology alphabet published spoken taught teaching learning studying speaking dubbed "
    "subtitled subtitles sung singing available fluent proficiency skills classes courses lessons "
    "lectures education degree speak speaks talk talks talking think thinks thinking dream dreams "
    "dreaming sing sings"
)
_EN_WORKS = "book novel work poem text song play film movie document source manuscript"
_EN_DOCS = (
    "essay article story novel report letter poem text document guide post speech review summary "
    "version response answer piece book biography blog paper introduction"
)
_NEGATION = (
    r"(?:\b(?:not|never|no|non|ne|pas|jamais|nunca|não|nao|nicht|kein\w*|niet|geen|nooit|sin|"
    r"sem|senza|sans|zonder|ohne|without|rather\s+than|instead\s+of)|n't)\s+(?:\w+\s+)?"
)
_HOW_TO = r"\bhow\s+(?:to|do\s+you|does\s+one|can\s+i)\s+\w+\s+"
_EN_VETO = "|".join(
    [
        _NEGATION,
        _HOW_TO,
        rf"\b(?:{_alternation(_EN_TOPICS.split())}|{_alternation(_names(_EN_NAMES))})\s+",
        rf"\b(?:{_alternation(_EN_WORKS.split())})s?\s+(?:originally\s+)?\w+\s+",
    ]
)
_LATIN_VETO = f"{_NEGATION}|{_HOW_TO}"
_NAME_END = r"\b(?![-'’])"

_FR_ES_NAMES = {
    "fr": "français francais française francaise francés frances",
    "en": "anglais anglaise inglés ingles",
    "zh": "chinois chinoise mandarin chino mandarín",
    "ja": "japonais japonaise japonés japones",
    "ko": "coréen coreen coréenne coreano",
    "de": "allemand allemande alemán aleman",
    "es": "espagnol espagnole español espanol castellano",
    "it": "italien italienne italiano",
    "pt": "portugais portugaise portugués portugues",
    "nl": "néerlandais néerlandaise neerlandais hollandais neerlandés neerlandes holandés holandes",
    "ru": "russe ruso",
    "ar": "arabe árabe",
}
_PT_NAMES = {
    "pt": "português portugues portuguesa",
    "en": "inglês ingles inglesa",
    "zh": "chinês chines chinesa mandarim",
    "ja": "japonês japones japonesa",
    "ko": "coreano coreana",
    "fr": "francês frances francesa",
    "de": "alemão alemao alemã alema",
    "es": "espanhol espanhola castelhano",
    "it": "italiano italiana",
    "nl": "holandês holandes holandesa neerlandês neerlandes",
    "ru": "russo russa",
    "ar": "árabe arabe",
}
_IT_NAMES = {
    "it": "italiano italiana",
    "en": "inglese",
    "zh": "cinese mandarino",
    "ja": "giapponese",
    "ko": "coreano coreana",
    "fr": "francese",
    "de": "tedesco tedesca",
    "es": "spagnolo spagnola",
    "pt": "portoghese",
    "nl": "olandese neerlandese",
    "ru": "russo russa",
    "ar": "arabo araba",
}
_NL_NAMES = {
    "nl": "Nederlands Vlaams",
    "en": "Engels",
    "zh": "Chinees Mandarijn",
    "ja": "Japans",
    "ko": "Koreaans",
    "fr": "Frans",
    "de": "Duits",
    "es": "Spaans",
    "it": "Italiaans",
    "pt": "Portugees",
    "ru": "Russisch",
    "ar": "Arabisch",
}
_DE_STEMS = {
    "de": "deutsch",
    "en": "englisch",
    "zh": "chinesisch",
    "ja": "japanisch",
    "ko": "koreanisch",
    "fr": "französisch franzoesisch",
    "es": "spanisch",
    "it": "italienisch",
    "pt": "portugiesisch",
    "nl": "niederländisch holländisch",
    "ru": "russisch",
    "ar": "arabisch",
}
_RU_STEMS = {
    "en": "английск",
    "zh": "китайск",
    "ja": "японск",
    "ko": "корейск",
    "fr": "французск",
    "de": "немецк",
    "es": "испанск",
    "it": "итальянск",
    "pt": "португальск",
    "nl": "нидерландск голландск",
    "ru": "русск",
    "ar": "арабск",
}
_RU_FOLLOW = (
    "о об обо про и для без с со пожалуйста в по из от объемом объёмом размером длиной примерно "
    "около не"
)
_AR_NAMES = {
    "ar": "عربية",
    "en": "إنجليزية انجليزية إنكليزية انكليزية",
    "zh": "صينية",
    "ja": "يابانية",
    "ko": "كورية",
    "fr": "فرنسية",
    "de": "ألمانية المانية",
    "es": "إسبانية اسبانية",
    "it": "إيطالية ايطالية",
    "pt": "برتغالية",
    "nl": "هولندية",
    "ru": "روسية",
}
_ZH_NAMES = {
    "en": "英文 英语 英語",
    "zh": "中文 汉语 漢語 华文 華文 普通话 普通話 国语 國語 粤语 粵語",
    "ja": "日文 日语 日語",
    "ko": "韩文 韩语 韓文 韓語 朝鲜语 朝鮮語",
    "fr": "法文 法语 法語",
    "de": "德文 德语 德語",
    "es": "西班牙文 西班牙语 西班牙語 西语 西語",
    "it": "意大利文 意大利语 意大利語 义大利语 義大利文 義大利語",
    "pt": "葡萄牙文 葡萄牙语 葡萄牙語 葡文",
    "nl": "荷兰文 荷兰语 荷蘭文 荷蘭語",
    "ru": "俄文 俄语 俄語",
    "ar": "阿拉伯文 阿拉伯语 阿拉伯語",
}
# "用" and "以" only as the verb: not in 应用 (apply), 作用, 费用, 所以 (so), 可以 (can), ...
_ZH_PREFIX = (
    "(?<![应應作费費信通实實使采採改])用|(?<![可所难難足予加得])以|使用|采用|採用|改用|翻译成|翻譯成|"
    "翻译为|翻譯為|译成|譯成|译为|譯為|写成|寫成|换成|換成|转成|轉成|转为|轉為|全|纯|純"
)
_ZH_MODIFIER = "简体|簡體|繁体|繁體|标准|標準|地道的?|流利的?|正式的?|纯|純|全"
# After "用英文" comes a verb of writing or saying ("写", "回答"), punctuation or the end; anything
# else makes it a noun phrase ("使用中文的国家", "用英文字母").
_ZH_FOLLOW = (
    "$|[^\u4e00-\u9fff]|写|寫|撰|书写|書寫|回答|回复|回覆|作答|答复|答覆|输出|輸出|表达|表達|完成|来|來|"
    "进行|進行|描|叙|敘|讲|講|介绍|介紹|说|說|编|編|创作|創作|生成|重写|重寫|给|給|帮|幫|一|的方式|"
    "的形式|回应|回應|起草|记录|記錄|翻译|翻譯|改写|改寫|续写|續寫|呈现|呈現|阐述|闡述|论述|論述|解释|"
    "解釋|总结|總結|概括|制作|製作|拟|擬|作(?![为為])"
)
_ZH_SUFFIX = "写(?!作)|寫(?!作)|撰写|撰寫|书写|書寫|回答|回复|回覆|作答|输出|輸出"
_ZH_DOCS = (
    "文章 论文 論文 作文 小说 小說 故事 报告 報告 信 邮件 郵件 诗 詩 诗歌 詩歌 演讲稿 演講稿 讲稿 講稿 "
    "短文 随笔 隨筆 博客 博文 散文 剧本 劇本 简介 簡介 指南 摘要 稿 日记 日記 游记 遊記 评论 評論 综述 "
    "綜述 教程 简历 簡歷 书信 書信 攻略 文案 段落"
)
_ZH_VETO = (
    "(?:不要|不用|不能|不可|不必|不|别|別|勿|莫|无需|無需|避免|禁止|非|如何|怎么|怎麼|怎样|怎樣|学会|學會|"
    f"学习|學習|教你|练习|練習|提高)(?:{_ZH_PREFIX})?(?:{_ZH_MODIFIER})?"
)
_JA_NAMES = {
    "en": "英語",
    "zh": "中国語 中文 広東語 北京語",
    "ja": "日本語",
    "ko": "韓国語 朝鮮語",
    "fr": "フランス語 仏語",
    "de": "ドイツ語 独語",
    "es": "スペイン語",
    "it": "イタリア語",
    "pt": "ポルトガル語",
    "nl": "オランダ語",
    "ru": "ロシア語",
    "ar": "アラビア語",
}
_KO_NAMES = {
    "en": "영어",
    "zh": "중국어 중문",
    "ja": "일본어",
    "ko": "한국어 한글 한국말",
    "fr": "프랑스어 불어",
    "de": "독일어",
    "es": "스페인어",
    "it": "이탈리아어",
    "pt": "포르투갈어",
    "nl": "네덜란드어",
    "ru": "러시아어",
    "ar": "아랍어",
}

_FRAMES: tuple[_Frame, ...] = (
    # English: "in French", "into Chinese", "written in the English language", "using Spanish".
    _frame(
        r"\b(?:in|into|using)\s++(?:the\s++)?(?:(?:{modifiers})\s++)?(?P<name>{names})\b"
        r"(?:\s+language\b|(?![-'’])(?=\s*(?:$|[^\s{letters}]|(?:{follow})\b"
        r"|(?:and|or)\b(?!\s+(?:the\s+)?(?:{names})\b))))",
        _EN_NAMES,
        _EN_VETO,
        modifiers=_alternation(_EN_MODIFIERS.split()),
        letters=LATIN,
        follow=_alternation(_EN_FOLLOW.split()),
    ),
    # "an Arabic-language essay" (but not "English-language newspapers").
    _frame(
        r"\b(?:a|an)\s++(?:\S++\s++)?(?P<name>{names})-language\s++(?:{docs})\b",
        _EN_NAMES,
        docs=_alternation(_EN_DOCS.split()),
    ),
    _frame(r"\blanguage\s*[:：=]\s*(?P<name>{names})\b", _EN_NAMES),
    _frame(
        r"\b(?:en|al)\s+(?:(?:langue|idioma|lengua|bon|buen)\s+)?(?P<name>{names})" + _NAME_END,
        _FR_ES_NAMES,
        _LATIN_VETO,
    ),
    _frame(
        r"\b(?:em|para\s+o|para\s+a)\s+(?:(?:língua|lingua|idioma)\s+)?(?P<name>{names})"
        + _NAME_END,
        _PT_NAMES,
        _LATIN_VETO,
    ),
    _frame(r"\bin\s+(?:lingua\s+)?(?P<name>{names})" + _NAME_END, _IT_NAMES, _LATIN_VETO),
    _frame(r"\b(?:in|naar)\s+het\s+(?P<name>{names})" + _NAME_END, _NL_NAMES, _LATIN_VETO),
    # "auf Deutsch", "ins Englische", "in deutscher Sprache".
    _frame(
        r"\b(?:auf|ins)\s+(?P<name>{names})" + _NAME_END,
        {code: " ".join(f"{s} {s}e" for s in stems.split()) for code, stems in _DE_STEMS.items()},
        _LATIN_VETO,
    ),
    _frame(
        r"\bin\s+(?P<name>{names})\s+sprache\b",
        {code: " ".join(f"{s}er" for s in stems.split()) for code, stems in _DE_STEMS.items()},
        _LATIN_VETO,
    ),
    # "на английском (языке)", "перевести на английский", "по-английски".
    _frame(
        r"\bна\s+(?P<name>{names})\b(?:\s+язык\w*|(?=\s*(?:$|[^\s\w]|\d|(?:{follow})\b)))",
        {
            code: " ".join(f"{s}ом {s}ий" for s in stems.split())
            for code, stems in _RU_STEMS.items()
        },
        r"\bне\s+(?:\w+\s+)?|\bкак\s+\w+\s+",
        follow=_alternation(_RU_FOLLOW.split()),
    ),
    _frame(
        r"\bпо-(?P<name>{names})\b",
        {code: " ".join(f"{s}и" for s in stems.split()) for code, stems in _RU_STEMS.items()},
        r"\bне\s+",
    ),
    # "باللغة العربية", "بالعربية", "إلى الإنجليزية".
    _frame(
        r"(?:\bباللغة\s+ال|\bبال|\b(?:إلى|الى)\s+(?:اللغة\s+)?ال)(?P<name>{names})\b",
        _AR_NAMES,
        r"(?:\bلا|\bبدون|\bدون|\bليس)\s+(?:\S+\s+)?",
    ),
    # "用英文写", "翻译成英文", "请用中文。"; "中文回答", "英文写"; "一篇英文文章", "的英文论文"; "语言：中文".
    _frame(
        "(?:{prefix})(?:{modifier})?(?P<name>{names})(?={follow})",
        _ZH_NAMES,
        _ZH_VETO,
        prefix=_ZH_PREFIX,
        modifier=_ZH_MODIFIER,
        follow=_ZH_FOLLOW,
    ),
    _frame("(?P<name>{names})(?:{suffix})", _ZH_NAMES, _ZH_VETO, suffix=_ZH_SUFFIX),
    _frame(
        "(?<=[篇份封首部段本的写寫])(?P<name>{names})[\u4e00-\u9fff]{{0,2}}?(?:{docs})(?![的之])",
        _ZH_NAMES,
        _ZH_VETO,
        docs=_alternation(_ZH_DOCS.split()),
    ),
    _frame("(?:语言|語言)\\s*[:：]\\s*(?P<name>{names})", _ZH_NAMES),
    # "日本語で", "英語に翻訳" (not "英語では", "英語の", "英語です", "英語でなく").
    _frame("(?P<name>{names})(?:で(?![はのもすきな])|に(?:翻訳|訳|直))", _JA_NAMES),
    # "한국어로", "영어로" (not "영어 교육").
    _frame("(?<![\uac00-\ud7a3])(?P<name>{names})(?:으로|로)(?![는도])", _KO_NAMES),
)
_VETO_WINDOW = 80


def _first_request(frame: _Frame, text: str) -> tuple[int, str] | None:
    for match in frame.pattern.finditer(text):
        before = text[max(0, match.start() - _VETO_WINDOW) : match.start()]
        if frame.veto is None or not frame.veto.search(before):
            return match.start(), frame.code(match.group("name"))
    return None


def requested_language(instruction: str) -> str | None:
    """The language ``instruction`` explicitly asks the document to be written in, or None.

    Requests are phrases like "in French", "written in the English language", "Language: German",
    "en français", "auf Deutsch", "in het Nederlands", "用英文写", "中文回答", "日本語で", "한국어로",
    "на русском", "بالعربية"; translating "into English" / "翻译成英文" asks for English output too.
    Mentions are not requests: "English literature", "the French Revolution", "English-language
    newspapers", "the subjunctive in French", "how to write in German", "not in French", "英文写作".
    The earliest request wins; codes are those of ``prompts/en/language_names.txt``.
    """
    text = unicodedata.normalize("NFC", instruction)
    found = [hit for hit in (_first_request(frame, text) for frame in _FRAMES) if hit]
    return min(found)[1] if found else None
