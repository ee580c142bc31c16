"""Heading problems, debris stripping and duplicate headings (en + zh)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longwriter.text.headings import (
    HeadingProblem as P,
)
from longwriter.text.headings import (
    duplicate_headings,
    head_phrase,
    heading_problems,
    strip_debris,
)

COFFEE = "Write a 1500-word illustrated guide to the history of coffee."


@pytest.mark.parametrize(
    ("heading", "instruction", "problems"),
    [
        # the headings SmolLM2-135M produced
        (
            "The History of Coffee from Ethiopia, with a main point that it has been used in many "
            "ways throughout history.",
            COFFEE,
            {P.PLAN_LABEL, P.TOO_LONG, P.SENTENCE},
        ),
        ("{{#1}}, #2", COFFEE, {P.EMPTY, P.MARKUP}),
        ("section #150+words/paragraph#36987.txt", COFFEE, {P.MARKUP, P.PLAN_LABEL}),
        ("Please Provide the Details", "Write a 100-word thank-you email to Sam.", {P.META}),
        # plan-format debris
        ("Main Point", COFFEE, {P.PLAN_LABEL}),
        ("Word Count", COFFEE, {P.PLAN_LABEL}),
        ("300 words", COFFEE, {P.PLAN_LABEL}),
        ("Paragraph 3", COFFEE, {P.PLAN_LABEL}),
        ("words paragraph", COFFEE, {P.PLAN_LABEL}),
        ("Section 2: The Spread", COFFEE, {P.NUMBERING, P.PLAN_LABEL}),
        ("2. Origins", COFFEE, {P.NUMBERING}),
        ("Printing Press: 1", COFFEE, {P.NUMBERING}),  # SmolLM2's subtopic list on vLLM
        ("Roasting - 3", COFFEE, {P.NUMBERING}),
        ("World War 2 and Rationing", COFFEE, set()),
        ("Apollo 11", COFFEE, set()),
        ("John 3:16 in Coffee Lore", COFFEE, set()),
        ("第3段：长城的修建", "写一篇关于长城的文章", {P.NUMBERING, P.PLAN_LABEL}),
        ("第三部分：影响", "写一篇关于长城的文章", {P.NUMBERING}),
        # markup
        ("## Origins", COFFEE, {P.MARKUP}),
        ("**Origins**", COFFEE, {P.MARKUP}),
        ("<b>Origins</b>", COFFEE, {P.MARKUP}),
        ("json_output", COFFEE, {P.MARKUP}),
        ("Origins | Spread", COFFEE, {P.MARKUP}),
        ("Origins \\ Spread", COFFEE, {P.MARKUP}),
        ("Notes in draft.txt", COFFEE, {P.MARKUP}),
        ("C# Generics", COFFEE, {P.MARKUP}),
        # tokens the instruction uses are not debris
        ("C# Generics", "Write a guide to C# generics.", set()),
        ("Reading .txt files", "Write a guide to handling .txt files.", set()),
        ("Counting Words: Word Count in Practice", "Write an essay on word count limits.", set()),
        ("TCP/IP Basics", "Write a guide to networking.", set()),
        # requests and meta
        ("Here is the plan", COFFEE, {P.META}),
        ("Introduction to this essay", "Write an essay on rivers.", {P.META}),
        ("Structuring Your Essay", "Write a guide to writing essays.", set()),
        ("本节将介绍长城的修建过程。", "写一篇关于长城的文章", {P.META, P.SENTENCE}),
        ("请提供更多细节", "写一封感谢信", {P.META}),
        (
            "写一篇3000字的关于人工智能对就业影响的报告",
            "写一篇3000字的关于人工智能对就业影响的报告",
            {P.META, P.PLAN_LABEL},
        ),
        (
            "Write a 1200-word Speech",
            "Write a 1200-word speech about curiosity.",
            {P.META, P.PLAN_LABEL},
        ),
        ("Creating a Beekeeping Guide", "Write a guide to keeping bees.", {P.META}),
        ("Writing a Cover Letter", "Write a guide to writing cover letters.", set()),
        # sentences and length
        (
            "Coffee spread to Yemen, where Sufi monks drank it to stay awake at night",
            COFFEE,
            {P.TOO_LONG, P.SENTENCE},
        ),
        ("The beans which traders carried across the Red Sea", COFFEE, {P.SENTENCE}),
        ("Coffee reached Europe.", COFFEE, {P.SENTENCE}),
        ("Urban heat islands are a growing concern", COFFEE, {P.SENTENCE}),
        ("How the Printing Press Was Invented in Mainz", COFFEE, set()),
        (
            "长城是中国古代最伟大的防御工程之一，它的修建历经两千多年的时间",
            "写一篇关于长城的文章",
            {P.TOO_LONG, P.SENTENCE},
        ),
        ("", COFFEE, {P.EMPTY}),
        ("1984", COFFEE, {P.EMPTY}),
        # fine headings
        ("Origins in Ethiopia", COFFEE, set()),
        ("Coffee in the Ottoman Empire", COFFEE, set()),
        ("Espresso and the Modern Café", COFFEE, set()),
        ("Why It Matters", COFFEE, set()),
        ("Where to Place the Hive", "Write a guide to keeping bees.", set()),
        ("1990s: The Rise of Chains", COFFEE, set()),
        ("长城的历史", "写一篇关于长城的文章", set()),
    ],
)
def test_heading_problems(heading: str, instruction: str, problems: set[str]) -> None:
    language = "zh" if "写" in instruction else "en"
    assert set(heading_problems(heading, language=language, instruction=instruction)) == problems


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("section #150+words/paragraph#36987.txt", ""),
        ("{{#1}}, #2", ""),
        ("2. Origins", "Origins"),
        ("## Origins", "Origins"),
        ("**Origins**", "Origins"),
        ("<b>Origins</b>", "Origins"),
        ("Section 2: The Spread", "The Spread"),
        ("A 1200-word History of the Printing Press", "History of the Printing Press"),
        ("The Science of Vaccines'}, {", "The Science of Vaccines"),
        ("第二部分：影响", "影响"),
        ("Main Point: Word Count", ""),
    ],
)
def test_strip_debris(text: str, clean: str) -> None:
    assert strip_debris(text, COFFEE) == clean


def test_strip_debris_in_prose_keeps_brackets_and_step_words() -> None:
    assert strip_debris("How [it] works in section 2 - Word Count: 300", heading=False) == (
        "How [it] works in section 2"
    )
    assert strip_debris("写一篇5000字的文章", heading=False) == "写一篇的文章"


@pytest.mark.parametrize(
    ("text", "head"),
    [
        (
            "The History of Coffee from Ethiopia, with a main point that it has been used.",
            "The History of Coffee from Ethiopia",
        ),
        ("Coffee spread to Yemen, where monks drank it", "Coffee spread to Yemen"),
        (
            "The long and winding road of the coffee trade across the world and back",
            "The long and winding road of the coffee",
        ),
        ("2. Origins: the legend of Kaldi", "Origins"),
        ("长城的修建，历经两千多年", "长城的修建"),
        ("The human body has a natural tendency to retain heat", "The human body"),
        ("What Is Coffee", "What Is Coffee"),  # a question keeps its verb
    ],
)
def test_head_phrase(text: str, head: str) -> None:
    assert head_phrase(text) == head


def test_duplicate_headings() -> None:
    headings = [
        "Guide to the History of Coffee",
        "Origins",
        "Guide to the History of Coffee",
        "The origins",
        "Introduction",
        "Introduction (2)",
        "Topic 1",
        "Topic 2",
        "咖啡的起源",
        "咖啡起源",
        "Roasting: 1",
        "Roasting: 2",
    ]
    assert duplicate_headings(headings, "Guide to the History of Coffee") == [0, 2, 3, 5, 9, 11]
    assert duplicate_headings(["A", "B"]) == []
    ten = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    assert duplicate_headings([ten.rsplit(" ", 2)[0], ten]) == [1]  # 8 of 10 words: near-identical


def test_many_headings_take_near_linear_time() -> None:
    start = time.perf_counter()
    duplicate_headings(["h"] * 50_000 + [f"h{i} x" for i in range(20_000)])
    assert time.perf_counter() - start < 3.0


@settings(deadline=500, max_examples=300)
@given(st.text(max_size=3000), st.text(max_size=500), st.sampled_from(["en", "zh"]))
def test_total_on_any_text(heading: str, instruction: str, language: str) -> None:
    problems = heading_problems(heading, language=language, instruction=instruction)
    assert set(problems) <= set(P)
    assert isinstance(strip_debris(heading, instruction), str)
    assert isinstance(head_phrase(heading), str)
    assert all(0 <= i < 2 for i in duplicate_headings([heading, instruction], heading))


@pytest.mark.parametrize(
    "unit", ["#", "a ", "{", "section 1 ", "1. ", "x.txt ", "which ", "的", "/a"]
)
def test_linear_time(unit: str) -> None:
    start = time.perf_counter()
    text = unit * 20_000
    heading_problems(text, language="en", instruction=text)
    strip_debris(text, text)
    head_phrase(text)
    assert time.perf_counter() - start < 1.0
