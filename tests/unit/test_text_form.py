"""The form of the requested document: genre, section headings, title line (en + zh)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longwriter.text.form import DocumentForm, document_form

EMAIL = DocumentForm("email", headings=False, title=False)
LETTER = DocumentForm("letter", headings=False, title=False)
ANSWER = DocumentForm("answer", headings=False, title=False)
SPEECH = DocumentForm("speech", headings=False, title=True)
POEM = DocumentForm("poem", headings=False, title=True)
SHORT_STORY = DocumentForm("story", headings=False, title=True)
NOVEL = DocumentForm("story", headings=True, title=True)
DOC = DocumentForm("document", headings=True, title=True)
SHORT_DOC = DocumentForm("document", headings=False, title=True)


@pytest.mark.parametrize(
    ("instruction", "words", "form"),
    [
        # English: the genre word heading the request decides
        ("Write a 100-word thank-you email to my colleague Sam.", 100, EMAIL),
        ("Draft an e-mail to the team announcing the new office hours.", 200, EMAIL),
        ("Write a memo to all staff about the parking changes.", 300, EMAIL),
        ("Write a short message to my team about Friday's outage.", 150, EMAIL),
        ("Write about the message of the Sermon on the Mount.", 2000, DOC),
        ("Write a letter to my landlord asking him to fix the heating.", 300, LETTER),
        ("Please write a cover letter for a junior data analyst job.", 400, LETTER),
        ("Write a 5000-word open letter to the mayor about housing.", 5000, LETTER),
        ("Write a thank-you note to my grandmother.", 120, LETTER),
        ("Write a wedding toast for my brother.", 600, SPEECH),
        ("Write a 2000-word commencement address for a nursing school.", 2000, SPEECH),
        ("Write a eulogy for my grandfather, a fisherman.", 800, SPEECH),
        ("Write a speech about climate change for a school assembly.", 1200, SPEECH),
        ("Write a poem about the sea at night.", 150, POEM),
        ("Compose a sonnet on lost time.", 120, POEM),
        ("Write song lyrics about a summer road trip.", 250, POEM),
        ("Write a short story about a dragon who learns to fly.", 1500, SHORT_STORY),
        ("Tell me a bedtime story about a sleepy owl.", 600, SHORT_STORY),
        ("Write a 20000-word novel about a lighthouse keeper.", 20000, NOVEL),
        ("Write a 10000-word story set on Mars.", 10000, NOVEL),
        ("Write a 3000-word report on email marketing.", 3000, DOC),
        ("Write a guide to writing letters of recommendation.", 2000, DOC),
        ("Write an essay about a poem by Keats.", 1500, DOC),
        ("Write a 10000-word history of the Roman Empire.", 10000, DOC),
        ("Write a white paper on speech recognition in hospitals.", 4000, DOC),
        ("Write a blog post about the stories our grandparents told.", 1200, DOC),
        ("Write an email newsletter for a bakery.", 800, DOC),  # the last noun of a compound
        ("Write an analysis of Shakespeare's sonnets.", 2500, DOC),
        ("Write about the causes of the First World War.", 3000, DOC),
        ("Write a 300-word product description for a kettle.", 300, SHORT_DOC),
        ("Why is the sky blue?", 300, ANSWER),
        ("Explain how vaccines work.", 500, ANSWER),
        ("What were the causes of the French Revolution? Answer in 5000 words.", 5000, DOC),
        ("Write a novel approach to teaching algebra.", 2000, DOC),  # "novel" the adjective
        # an opinion piece argues in unbroken prose unless it is long
        (
            "Write an 800-word opinion column arguing that schools should drop homework.",
            800,
            SHORT_DOC,
        ),
        ("Write an op-ed on rent control.", 1200, SHORT_DOC),
        ("Write an editorial about the new stadium.", 1500, SHORT_DOC),
        ("Write a 3000-word opinion piece on nuclear power.", 3000, DOC),
        ("写一篇1500字的时评，谈谈外卖骑手的困境", 1500, SHORT_DOC),
        # Chinese: the genre word ending the request's first clause decides
        ("给房东写一封信，要求修理暖气。", 300, LETTER),
        ("写一封感谢信给我的老师。", 400, LETTER),
        ("写一封邮件给经理，汇报项目报告的进度。", 300, EMAIL),
        ("写一篇关于电子邮件营销的报告，不少于3000字。", 3000, DOC),
        ("写一份写信指南。", 3000, DOC),
        ("写一篇5000字的关于长城历史的文章", 5000, DOC),
        ("写一篇关于李白诗歌的论文", 6000, DOC),
        ("以春天为题写一首诗。", 200, POEM),
        ("帮我写一个关于龙的童话故事。", 1500, SHORT_STORY),
        ("写一部三万字的长篇小说，讲述一个灯塔看守人的故事。", 30000, NOVEL),
        ("写一篇毕业典礼上的演讲稿。", 1500, SPEECH),
        ("为婚礼写一段致辞。", 500, SPEECH),
        ("为什么天空是蓝色的？", 400, ANSWER),
        ("如何提高睡眠质量？请详细回答，不少于8000字。", 8000, DOC),
        ("写一篇关于信息安全的博客文章。", 3000, DOC),  # 信 of 信息 is not a letter
        ("写一篇200字的产品介绍文案。", 200, SHORT_DOC),
    ],
)
def test_document_form(instruction: str, words: int, form: DocumentForm) -> None:
    language = "zh" if any("\u4e00" <= c <= "\u9fff" for c in instruction) else "en"
    assert document_form(instruction, words, language) == form


def test_fields_are_plain_data() -> None:
    assert EMAIL.fields() == {"kind": "email", "headings": False, "title": False}


@settings(deadline=500, max_examples=200)
@given(st.text(max_size=3000), st.integers(1, 200_000), st.sampled_from(["en", "zh", "fr"]))
def test_total_on_any_text(text: str, words: int, language: str) -> None:
    form = document_form(text, words, language)
    assert form.kind in ("email", "letter", "speech", "poem", "story", "answer", "document")


@pytest.mark.parametrize("unit", ["a", "letter ", "信", "？", "e-mail-", "novel "])
def test_linear_time(unit: str) -> None:
    small, large = unit * 2_000, unit * 20_000
    start = time.perf_counter()
    document_form(small, 500, "zh")
    document_form(small, 500, "en")
    mid = time.perf_counter()
    document_form(large, 500, "zh")
    document_form(large, 500, "en")
    end = time.perf_counter()
    assert end - mid < 0.5 + 20 * (mid - start)
