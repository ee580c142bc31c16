"""Plan sanity in the graph, with replayed model replies: repair, re-ask, fallbacks, the document form."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest

from longwriter import WriterContext, write_document
from longwriter.agent.steps.plan import PLAN_ATTEMPTS, SUBTOPIC_ATTEMPTS
from longwriter.api import make_plan
from longwriter.text.headings import duplicate_headings, heading_problems
from tests.fakes import ReplayWriter

COFFEE = (
    "Write a 1500-word illustrated guide to the history of coffee, from its legends in Ethiopia "
    "to modern espresso culture."
)
# Headings as SmolLM2-135M wrote them, on main points that are fine.
DEBRIS_PLAN = """Title: Guide to the History of Coffee
Paragraph 1 - Main Point: The History of Coffee from Ethiopia, with a main point that it has been used in many ways throughout history. - Word Count: 400 words
Paragraph 2 - Main Point: Guide to the History of Coffee: Coffee spreads to Yemen, where Sufi monks drink it at night - Word Count: 400 words
Paragraph 3 - Main Point: {{#1}}, #2: Coffeehouses open in London and Vienna - Word Count: 400 words
Paragraph 4 - Main Point: section #150+words/paragraph#36987.txt: Espresso machines change the coffee bar - Word Count: 300 words"""
# A reply no repair can save: requests, not a plan.
UNUSABLE_PLAN = """Title: Please Provide the Details
Paragraph 1 - Main Point: Please provide the details - Word Count: 100 words"""
SUBTOPICS = (
    "1. Ethiopian legends\n2. Yemen's Sufi monks\n3. European coffeehouses\n4. Espresso culture"
)


def ctx(**kw: Any) -> WriterContext:
    """Planning is under test: the writer's content filter stays out of the way."""
    return WriterContext(
        memory=":memory:", embedding="hash", structured_plan=False, content_filter=False, **kw
    )


def run(
    instruction: str, replies: list[str], topic: str = "coffee", **kw: Any
) -> tuple[Any, ReplayWriter, dict[str, Any]]:
    fake = ReplayWriter(replies=list(replies), topic=topic)  # its prose is about the topic
    events: list[dict[str, Any]] = []
    result = write_document(
        instruction,
        context=ctx(max_revisions=0),
        chat_model=fake,
        on_event=events.append,
        thread_id=uuid.uuid4().hex,
        **kw,
    )
    plan_event = next(e for e in events if e["event"] == "plan")
    return result, fake, plan_event


def headings_of(text: str) -> list[str]:
    return [line[3:] for line in text.splitlines() if line.startswith("## ")]


def test_debris_plan_is_repaired_without_asking_again() -> None:
    result, fake, event = run(COFFEE, [DEBRIS_PLAN])
    headings = headings_of(result.text)
    assert len(headings) == 4
    assert all(heading_problems(h, language="en", instruction=COFFEE) == [] for h in headings)
    assert duplicate_headings(headings, "Guide to the History of Coffee") == []
    assert headings[0] == "The History of Coffee from Ethiopia"
    assert "Coffeehouses open in London and Vienna" in headings
    problems = event["problems"]
    assert {p["code"] for p in problems} >= {"meta_point", "duplicate", "markup", "plan_label"}
    assert all(p["repaired"] for p in problems)
    assert fake.calls[0] and "could not be used" not in fake.calls[0]
    assert sum("could not be used" in c for c in fake.calls) == 0  # one plan call


def test_unusable_plan_is_asked_again_with_the_reasons() -> None:
    result, fake, event = run(COFFEE, [UNUSABLE_PLAN, DEBRIS_PLAN])
    assert "could not be used" in fake.calls[1] and "could not be used" not in fake.calls[0]
    assert len(headings_of(result.text)) == 4
    assert not any(p["code"] in ("subtopic_plan", "skeleton_plan") for p in event["problems"])


def test_model_that_cannot_plan_gets_a_plan_around_its_subtopics() -> None:
    result, _, event = run(COFFEE, [UNUSABLE_PLAN] * PLAN_ATTEMPTS + [SUBTOPICS])
    assert headings_of(result.text) == [
        "Ethiopian legends",
        "Yemen's Sufi monks",
        "European coffeehouses",
        "Espresso culture",
    ]
    assert result.text.startswith("# The history of coffee\n")
    assert any(p["code"] == "subtopic_plan" for p in event["problems"])
    assert all(
        p["main_point"].startswith(h)
        for p, h in zip(result.plan, headings_of(result.text), strict=True)
    )


@pytest.mark.parametrize("structured", [False, True])
def test_a_kind_of_plan_reply_that_held_no_section_is_not_asked_again(structured: bool) -> None:
    # each kind of plan request (JSON first when structured, then lines) is made once: its reply
    # held no section at all, so the attempts left go straight to the subtopics
    kinds = 2 if structured else 1
    fake = ReplayWriter(replies=["I cannot help with that."] * kinds + [SUBTOPICS], topic="coffee")
    result = write_document(
        COFFEE,
        context=dataclasses.replace(ctx(max_revisions=0), structured_plan=structured),
        chat_model=fake,
        thread_id=uuid.uuid4().hex,
    )
    assert "subtopics of" in fake.calls[kinds] and "subtopics of" not in fake.calls[kinds - 1]
    assert headings_of(result.text)[0] == "Ethiopian legends"


def test_model_that_cannot_even_list_subtopics_gets_a_skeleton() -> None:
    replies = [UNUSABLE_PLAN] * PLAN_ATTEMPTS + ["Please provide the details."] * SUBTOPIC_ATTEMPTS
    result, _, event = run(COFFEE, replies)
    headings = headings_of(result.text)
    # the history of coffee: the skeleton of a history
    assert headings[0] == "Origins" and headings[-1] == "Closing thoughts"
    assert any(p["code"] == "skeleton_plan" for p in event["problems"])
    assert all("the history of coffee" in p["main_point"] for p in result.plan)


def test_email_is_rendered_without_title_and_headings_and_not_planned_by_the_model() -> None:
    instruction = (
        "Write a 100-word thank-you email to my colleague Sam for covering my shift on Friday."
    )
    result, fake, event = run(instruction, [], topic="Sam")
    assert event["form"] == {"kind": "email", "headings": False, "title": False}
    assert not any(line.startswith("#") for line in result.text.splitlines())
    assert result.report["target_words"] == 100
    assert [p["code"] for p in event["problems"]] == ["single_section"]
    assert len(fake.calls) == len(result.report["sections"]) == 1  # the section, no plan call


def test_chinese_plan_with_debris_is_repaired() -> None:
    reply = (
        "标题：长城的历史\n"
        "第1段 - 主要内容：第1段：长城的起源：春秋战国时期各国修筑长城 - 字数要求：1500字\n"
        "第2段 - 主要内容：长城的历史：明朝重修长城，用砖石建造 - 字数要求：1500字"
    )
    fake = ReplayWriter(replies=[reply] + ["1. 起源\n2. 修建"] * 10)
    plan = make_plan("写一篇3000字的关于长城历史的文章", context=ctx(), chat_model=fake)
    headings = [s["title"] for s in plan["sections"]]
    assert headings[0] == "长城的起源" and "明朝重修长城" in headings
    assert all(heading_problems(h, language="zh") == [] for h in headings)
    assert duplicate_headings(list(dict.fromkeys(headings)), plan["title"]) == []


def test_user_plan_loses_debris_and_reports_the_rest() -> None:
    plan = {
        "title": "## My Coffee Guide",
        "sections": [
            {"title": "1. **Origins**", "main_point": "Coffee in Ethiopia", "words": 300},
            {
                "title": "Coffee spread to Yemen, where Sufi monks drank it to stay awake at night",
                "main_point": "Yemen",
                "words": 300,
            },
        ],
    }
    result, _, event = run(COFFEE, [], plan=plan, target_words=600)
    assert result.text.startswith("# My Coffee Guide\n\n## Origins\n")
    assert f"## {plan['sections'][1]['title']}" in result.text  # the user's wording is kept
    reported = {p["code"] for p in event["problems"] if not p["repaired"]}
    assert {"sentence", "too_long"} <= reported
    assert {p["code"] for p in event["problems"] if p["repaired"]} >= {"markup", "numbering"}
