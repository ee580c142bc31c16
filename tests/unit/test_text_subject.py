"""The subject phrase of an instruction (en + zh)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longwriter.planning.brief import title_from_subject
from longwriter.text.subject import subject_of


@pytest.mark.parametrize(
    ("instruction", "subject"),
    [
        # an argument's claim is what it is about
        (
            "Write an 800-word opinion column arguing that primary schools should drop homework.",
            "primary schools should drop homework",
        ),
        ("Write an essay arguing for a four-day week.", "a four-day week"),
        (
            "Write an 800-word opinion piece arguing that cities should replace parking lots.",
            "cities should replace parking lots",
        ),
        ("Write a think piece on remote work.", "remote work"),
        ("Write a speech making the case that cities need more trees.", "cities need more trees"),
        (
            "Write a 1500-word illustrated guide to the history of coffee, from its legends in "
            "Ethiopia to modern espresso culture.",
            "the history of coffee, from its legends in Ethiopia to modern espresso culture",
        ),
        ("Write a 10000-word history of the Roman Empire", "the Roman Empire"),
        ("Explain how vaccines work.", "how vaccines work"),
        ("Write a report on email marketing in about 3000 words.", "email marketing"),
        ("Write an essay on rivers.", "rivers"),
        ("Tell me a story about a dragon who learns to fly.", "a dragon who learns to fly"),
        (
            "Write a 2000-word blog post about sourdough baking, in a friendly tone.",
            "sourdough baking",
        ),
        (
            "You are a historian. Write a 5000-word essay about the fall of Constantinople.",
            "the fall of Constantinople",
        ),
        ("Can you write me a poem about the sea", "the sea"),
        (
            "Please write a letter to my landlord asking him to fix the heating.",
            "my landlord asking him to fix the heating",
        ),
        ("Write a 600-word note on ports.", "ports"),
        ("Write a 1200-word speech for a high school graduation about curiosity.", "curiosity"),
        ("Write a letter to my landlord about the broken heating.", "the broken heating"),
        ("Write a report on the debate about taxes.", "the debate about taxes"),
        ("1000 words on bees", "bees"),
        ("What is the capital of France?", "What is the capital of France"),
        ("Bees", "Bees"),
        ("写一篇5000字的关于长城历史的文章", "长城历史"),
        ("以春天为题写一首诗", "春天"),
        ("写一篇不少于3000字的报告，主题是人工智能对就业的影响", "人工智能对就业的影响"),
        ("帮我写一个关于龙的童话故事", "龙"),
        ("介绍一下量子计算", "量子计算"),
        ("给房东写一封信，要求修理暖气", "给房东，要求修理暖气"),
        ("请写一篇关于桥梁历史的文章，不少于600字。", "桥梁历史"),
        ("", ""),
    ],
)
def test_subject_of(instruction: str, subject: str) -> None:
    assert subject_of(instruction) == subject


@settings(deadline=500, max_examples=300)
@given(st.text(max_size=5000))
def test_total_on_any_text(text: str) -> None:
    assert isinstance(subject_of(text), str)


@pytest.mark.parametrize(
    "unit",
    ["1", "1,", "write ", "a guide to ", "写一篇", "字", "以为题", "of about 3 words ", "... "],
)
def test_linear_time(unit: str) -> None:
    start = time.perf_counter()
    subject_of(unit * 10_000)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    ("subject", "title"),
    [
        (
            "the volunteers who restore old steam locomotives",
            "The volunteers who restore old steam locomotives",
        ),
        ("cities need more trees", "Cities need more trees"),
        (
            "the history of coffee, from its legends in Ethiopia to modern espresso culture",
            "The history of coffee",
        ),
    ],
)
def test_titles_made_from_the_subject(subject: str, title: str) -> None:
    assert title_from_subject(subject) == title
