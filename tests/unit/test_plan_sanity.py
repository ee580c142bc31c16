"""Plan sanity: typed problems, deterministic repair, the subtopic and skeleton fallbacks."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longwriter.document import PlannedSection
from longwriter.planning.brief import PlanBrief
from longwriter.planning.fallback import parse_subtopics, plan_from_subtopics, skeleton_plan
from longwriter.planning.mend import mend_plan
from longwriter.planning.sanity import acceptable_point, check_plan, fix_request, part_aspects
from longwriter.text.form import document_form
from longwriter.text.subject import subject_of


def brief(instruction: str, words: int = 1500, language: str = "en", **kw: Any) -> PlanBrief:
    return PlanBrief(
        instruction=instruction,
        language=language,
        subject=subject_of(instruction),
        target_words=words,
        section_words=400,
        form=document_form(instruction, words, language).fields(),
        **kw,
    )


COFFEE = brief(
    "Write a 1500-word illustrated guide to the history of coffee, from its legends in Ethiopia "
    "to modern espresso culture."
)
WALL = brief("写一篇5000字的关于长城历史的文章", 5000, "zh")


def sec(title: str, point: str, words: int = 0) -> PlannedSection:
    return {"title": title, "main_point": point, "words": words}


GOOD = [
    sec("Legends of Ethiopia", "The goatherd Kaldi and the first coffee berries."),
    sec("Coffee in Yemen", "Sufi monks brew coffee to stay awake at night."),
    sec("Coffeehouses of Europe", "Coffee reaches Venice, London and Vienna."),
    sec("Espresso Culture", "Espresso machines and the modern coffee bar."),
]


def codes(problems: Sequence[dict[str, Any]]) -> set[tuple[Any, str]]:
    return {(p["section"], p["code"]) for p in problems}


def test_a_good_plan_has_no_problem() -> None:
    assert check_plan("A Short History of Coffee", GOOD, COFFEE) == []


def test_problems_are_typed_per_section() -> None:
    plan = [
        sec(
            "The History of Coffee from Ethiopia, with a main point that it has been used in "
            "many ways throughout history.",
            "Coffee comes from Ethiopia.",
        ),
        sec("Guide to the History of Coffee", "Coffee spreads to Yemen."),
        sec("{{#1}}, #2", "This section will describe how coffee reached Europe."),
        sec("Espresso", ""),
    ]
    problems = check_plan("Guide to the History of Coffee", plan, COFFEE)
    assert codes(problems) == {
        (0, "plan_label"),
        (0, "too_long"),
        (0, "sentence"),
        (1, "duplicate"),
        (2, "empty"),
        (2, "markup"),
        (2, "meta_point"),
        (3, "empty_point"),
    }
    first = problems[0]
    assert set(first) == {"section", "target", "code", "message", "repaired"}
    assert not any(p["repaired"] for p in problems)


def test_too_many_sections_for_the_length() -> None:
    plan = [sec(f"Coffee fact {i}", f"Coffee fact number {i}.") for i in range(40)]
    assert (None, "too_many_sections") in codes(
        check_plan("Coffee", plan, brief("Write 800 words on coffee.", 800))
    )


@pytest.mark.parametrize(
    ("plan", "title", "headings", "points"),
    [
        (  # sentence cut to its head; debris and a repeat of the title derived from the point
            [
                sec(
                    "The History of Coffee from Ethiopia, with a main point that it has been used "
                    "in many ways throughout history.",
                    "Coffee comes from Ethiopia.",
                ),
                sec("Guide to the History of Coffee", "Coffee spreads to Yemen and Mecca."),
                sec("section #150+words/paragraph#36987.txt", "Coffeehouses open in London."),
            ],
            "Guide to the History of Coffee",
            [
                "The History of Coffee from Ethiopia",
                "Coffee spreads to Yemen and Mecca",
                "Coffeehouses open in London",
            ],
            [
                "Coffee comes from Ethiopia.",
                "Coffee spreads to Yemen and Mecca.",
                "Coffeehouses open in London.",
            ],
        ),
        (  # lead-ins dropped from main points; an empty point filled from the heading
            [
                sec("Coffee in Yemen", "This section will explain how coffee reached Yemen."),
                sec("Espresso Machines", ""),
            ],
            "Coffee",
            ["Coffee in Yemen", "Espresso Machines"],
            [
                "How coffee reached Yemen.",
                "Espresso Machines, as part of the history of coffee, from its legends in "
                "Ethiopia to modern espresso culture: the key facts, examples and explanations.",
            ],
        ),
        (  # numbering, markdown, word counts
            [
                sec(
                    "1. **Origins**",
                    "Main Point: coffee berries in Ethiopia - Word Count: 300 words",
                ),
                sec("## Section 2: Spread", "Coffee crosses the Red Sea."),
            ],
            "A 1500-word History of Coffee",
            ["Origins", "Spread"],
            ["coffee berries in Ethiopia", "Coffee crosses the Red Sea."],
        ),
    ],
)
def test_mend_repairs_and_passes_the_check(
    plan: list[PlannedSection], title: str, headings: list[str], points: list[str]
) -> None:
    mended = mend_plan(title, plan, COFFEE)
    assert [s["title"] for s in mended.sections] == headings
    assert [s["main_point"] for s in mended.sections] == points
    assert mended.usable
    assert check_plan(mended.title, mended.sections, COFFEE) == []
    assert mended.notes and all(n["repaired"] for n in mended.notes)


def test_repeated_heading_without_a_usable_point_joins_the_section_before() -> None:
    plan = [
        sec("Origins", "Coffee in Ethiopia.", 300),
        sec("Origins", "Origins", 200),
        sec("Espresso", "Coffee under pressure in Milan.", 400),
    ]
    mended = mend_plan("Coffee", plan, COFFEE)
    assert [(s["title"], s["words"]) for s in mended.sections] == [
        ("Origins", 500),
        ("Espresso", 400),
    ]
    assert check_plan(mended.title, mended.sections, COFFEE) == []


def test_one_heading_for_a_long_document_is_too_few() -> None:
    """SmolLM2 planned 10,000 words on vaccines as one chapter: 23 parts under one heading."""
    vaccines = brief(
        "Write a 10000-word article explaining how vaccines train the immune system.", 10_000
    )
    plan = [sec("How Vaccines Work", "Vaccines show the immune system a harmless antigen.", 10_000)]
    mended = mend_plan(None, plan, vaccines)
    assert not mended.usable and (None, "too_few_sections") in codes(mended.notes)
    assert "Plan exactly" in fix_request(mended.notes, vaccines, 16)
    # a form without headings (a speech) may run on as one section
    speech = brief("Write a 3000-word speech on vaccines for a school assembly.", 3000)
    assert speech.form is not None and not speech.form["headings"]
    talk = [sec("Vaccines", "Vaccines show the immune system a harmless antigen.", 3000)]
    assert (None, "too_few_sections") not in codes(check_plan("Vaccines", talk, speech))


def test_two_chapters_for_a_white_paper_of_3500_words_are_too_few() -> None:
    """SmolLM2's plan for a 3,500-word white paper: "Introduction" and "Benefits", 1,750 words each."""
    paper = brief(
        "Write a 3,500-word white paper on solar microgrids for rural health clinics.", 3500
    )
    two = [
        sec("Introduction", "Solar microgrids and their role in rural clinics.", 1750),
        sec("Benefits of solar microgrids", "What solar microgrids give rural clinics.", 1750),
    ]
    assert (None, "too_few_sections") in codes(check_plan("Solar microgrids", two, paper))
    four = [
        *two,
        sec("Costs of solar microgrids", "What a solar microgrid for a clinic costs.", 875),
        sec("Running a solar microgrid", "Who keeps a clinic's solar microgrid working.", 875),
    ]
    assert (None, "too_few_sections") not in codes(check_plan("Solar microgrids", four, paper))


def test_forty_sections_for_800_words_are_merged() -> None:
    b = brief("Write 800 words on coffee.", 800)
    plan = [sec(f"Coffee fact {i}", f"Coffee fact number {i}.", 20) for i in range(40)]
    mended = mend_plan("Coffee", plan, b)
    assert len(mended.sections) == 2 and sum(s["words"] for s in mended.sections) == 800
    assert (None, "too_many_sections") in codes(mended.notes)


def test_off_subject_sections_are_dropped_by_the_lexical_check() -> None:
    plan = [*GOOD, sec("Football Tactics", "The offside trap in football.")]
    mended = mend_plan("Coffee", plan, COFFEE)
    assert [s["title"] for s in mended.sections] == [s["title"] for s in GOOD]
    assert (4, "off_subject") in codes(mended.notes)


def test_lexical_check_stays_silent_when_the_plan_paraphrases() -> None:
    bees = brief("Write a 1500-word guide to keeping bees.")
    plan = [sec("Hives", "Choosing and placing a hive."), sec("Swarms", "Catching a swarm in May.")]
    assert check_plan("Bees", plan, bees) == []


def test_a_plan_about_something_else_is_not_usable() -> None:
    plan = [
        sec("Football Tactics", "The offside trap."),
        sec("Famous Strikers", "Pelé and others."),
    ]
    mended = mend_plan("Football", plan, COFFEE)
    assert not mended.usable
    assert (None, "off_subject") in codes(n for n in mended.notes if not n["repaired"])


def test_the_scorer_decides_when_given() -> None:
    calls: list[Sequence[str]] = []

    def off_subject(texts: Sequence[str]) -> list[bool]:
        calls.append(texts)
        return ["Sufi" in t for t in texts]  # the scorer reads main points

    b = brief(COFFEE.instruction, off_subject=off_subject)
    mended = mend_plan("Coffee", GOOD, b)
    assert [s["title"] for s in mended.sections] == [
        "Legends of Ethiopia",
        "Coffeehouses of Europe",
        "Espresso Culture",
    ]
    assert calls


def test_a_point_made_from_the_heading_leaves_the_heading_to_be_judged() -> None:
    """The marathon guide kept "Data Formats and Ways to Present Data to User": its empty point was
    filled from the heading, and that point names the subject by construction."""

    def off_subject(texts: Sequence[str]) -> list[bool]:
        return ["Data" in t and "coffee" not in t.lower() for t in texts]

    b = brief(COFFEE.instruction, off_subject=off_subject)
    plan = [*GOOD, sec("Data Formats and Ways to Present Data", ",")]
    mended = mend_plan("Coffee", plan, b)
    assert [s["title"] for s in mended.sections] == [s["title"] for s in GOOD]


def test_chinese_plan_is_repaired() -> None:
    plan = [
        sec("第1段：长城的起源", "本节将介绍长城最早的修建。"),
        sec("长城的历史", "秦朝把各国长城连接起来。"),
        sec("明长城", "明朝重修长城，用砖石建造。"),
    ]
    mended = mend_plan("长城的历史", plan, WALL)
    assert [s["title"] for s in mended.sections] == [
        "长城的起源",
        "秦朝把各国长城连接起来",
        "明长城",
    ]
    assert mended.sections[0]["main_point"] == "长城最早的修建。"
    assert check_plan(mended.title, mended.sections, WALL) == []


def test_user_plan_loses_debris_but_keeps_its_wording() -> None:
    plan = [
        sec("## Origins", "This section will explain where coffee comes from."),
        sec("Coffee spread to Yemen, where Sufi monks drank it to stay awake at night", "Yemen."),
        sec("Origins", "Again."),
    ]
    mended = mend_plan(None, plan, COFFEE, user=True)
    assert [s["title"] for s in mended.sections] == ["Origins", plan[1]["title"], "Origins"]
    assert mended.sections[0]["main_point"] == plan[0]["main_point"]
    assert mended.title == "The history of coffee"
    repaired = {(n["section"], n["code"]) for n in mended.notes if n["repaired"]}
    reported = {(n["section"], n["code"]) for n in mended.notes if not n["repaired"]}
    assert repaired == {(0, "markup")}
    assert {(0, "meta_point"), (1, "sentence"), (1, "too_long"), (2, "duplicate")} <= reported


def test_aspects_of_a_split_chapter() -> None:
    heat = brief("Write a 3000-word report on the causes and effects of urban heat islands.", 3000)
    aspects = [
        "The chapter will be written in 4 separate sections, one paragraph per line.",
        "Introduction",
        "Asphalt and concrete store the heat of the day.",
        "Asphalt and concrete store the day's heat.",
        "Impact on Local Ecosystems",
        "Trees and parks cool the streets around them.",
        "This is the first part, which introduces the topic of heat islands.",
        "How heat islands change the plants and animals in cities.",  # the chapter's point again
        "Urban heat islands",  # the title
        "Create a Heat Island Report for the city council.",  # the making of the document
        "Write report on urban heat islands.",  # the request, copied
    ]
    point = "How heat islands change plants and animals in cities."
    assert part_aspects(
        "Urban Heat Islands", "Impact on Local Ecosystems", point, aspects, heat
    ) == [
        None,
        None,
        "Asphalt and concrete store the heat of the day.",
        None,
        None,
        "Trees and parks cool the streets around them.",
        None,
        None,
        None,
        None,
        None,
    ]


def test_subtopics_off_the_subject_are_dropped_by_the_scorer() -> None:
    def off_subject(texts: Sequence[str]) -> list[bool]:
        return ["Football" in t for t in texts]

    b = brief(COFFEE.instruction, off_subject=off_subject)
    assert parse_subtopics("Roasting\nFootball\nBrewing", 2, b) == ["Roasting", "Brewing"]


@pytest.mark.parametrize(
    ("reply", "limit", "subtopics"),
    [
        (
            "1. Ethiopian legends\n2. Yemen's Sufi monks\n3. European coffeehouses",
            3,
            ["Ethiopian legends", "Yemen's Sufi monks", "European coffeehouses"],
        ),
        (
            "Here are the subtopics:\n- **Origins**\n- origins\n- Coffee reached Europe in the 1600s, where it became popular.\n- {{#3}}",
            5,
            ["Origins", "Coffee reached Europe in the 1600s"],
        ),
        ("Please provide the details.\nI would rather write a poem about the sea.", 3, []),
        (
            "一、长城的起源\n二、秦长城\n三、明长城\n四、明长城",
            5,
            ["长城的起源", "秦长城", "明长城"],
        ),
        ("Roasting\nBrewing\nGrinding", 2, ["Roasting", "Brewing"]),
        (  # enumerators after the names, and the same names again under other numbers
            "Coffee Roasting: 1\nCoffee Brewing: 2\nCoffee Roasting: 3\nCoffee Trade - 4",
            5,
            ["Coffee Roasting", "Coffee Brewing", "Coffee Trade"],
        ),
    ],
)
def test_parse_subtopics(reply: str, limit: int, subtopics: list[str]) -> None:
    b = WALL if "长城" in reply else COFFEE
    assert parse_subtopics(reply, limit, b) == subtopics


def test_plan_from_subtopics_passes_the_check() -> None:
    title, sections = plan_from_subtopics(["Ethiopian legends", "Yemen's Sufi monks"], COFFEE)
    assert title == "The history of coffee"
    assert all(s["words"] == 0 for s in sections)
    assert check_plan(title, sections, COFFEE) == []


@pytest.mark.parametrize(
    ("instruction", "language", "words", "n"),
    [
        (COFFEE.instruction, "en", 1500, 4),
        ("Write a 20000-word novel about a lighthouse keeper.", "en", 20000, 16),
        (
            "Write a 100-word thank-you email to my colleague Sam for covering my shift.",
            "en",
            100,
            1,
        ),
        ("写一篇5000字的关于长城历史的文章", "zh", 5000, 8),
        ("给房东写一封信，要求修理暖气", "zh", 300, 1),
        ("Write a 5,000-word guide to training for a first marathon.", "en", 5000, 8),
        ("Write a 3,500-word white paper on solar microgrids for rural clinics.", "en", 3500, 6),
        ("Write a 4000-word article explaining how vaccines work.", "en", 4000, 8),
        ("帮我写一篇3000字的新手露营攻略", "zh", 3000, 6),
        ("Write a 3000-word op-ed arguing that cities should ban cars.", "en", 3000, 6),
        ("写一篇3000字的时评，谈谈外卖骑手的困境", "zh", 3000, 6),
        ("写一份5000字的关于新能源汽车充电网络的研究报告", "zh", 5000, 8),
    ],
)
def test_skeleton_passes_the_check(instruction: str, language: str, words: int, n: int) -> None:
    b = brief(instruction, words, language)
    title, sections = skeleton_plan(n, b)
    assert 1 <= len(sections) <= n
    assert check_plan(title, sections, b) == []


def test_fix_request_names_each_kind_of_problem_once() -> None:
    problems = check_plan(
        "Coffee",
        [sec("{{#1}}", "Coffee."), sec("## 2", "This section will explain coffee.")],
        COFFEE,
    )
    text = fix_request(problems, COFFEE, 4)
    assert text.startswith("A previous plan could not be used:")
    assert text.count("short name of its topic") == 1 and "about the history of coffee" in text
    assert fix_request([], COFFEE, 4) == ""
    assert "每个小标题" in fix_request(check_plan("长城", [sec("{{#1}}", "长城。")], WALL), WALL, 3)


@settings(deadline=1000, max_examples=200)
@given(st.text(max_size=3000), st.integers(1, 40))
def test_parse_subtopics_is_total(text: str, limit: int) -> None:
    out = parse_subtopics(text, limit, COFFEE)
    assert len(out) <= limit


@settings(deadline=2000, max_examples=100)
@given(
    st.lists(st.tuples(st.text(max_size=200), st.text(max_size=300)), max_size=12),
    st.text(max_size=80),
)
def test_mend_is_total_and_its_result_is_checked(items: list[tuple[str, str]], title: str) -> None:
    plan = [sec(t, p, 100) for t, p in items]
    mended = mend_plan(title, plan, COFFEE)
    assert mended.title
    if mended.usable:
        assert check_plan(mended.title, mended.sections, COFFEE) == []


@pytest.mark.parametrize("unit", ["a\n", "# x\n", "1. Coffee which was brewed\n", "的\n"])
def test_parse_subtopics_linear_time(unit: str) -> None:
    start = time.perf_counter()
    parse_subtopics(unit * 5_000, 16, COFFEE)
    assert time.perf_counter() - start < 2.0


def test_a_title_about_something_else_is_replaced_by_one_from_the_subject() -> None:
    homework = brief(
        "Write an 800-word opinion column arguing that primary schools should drop homework."
    )
    plan = [
        sec("Homework and Rest", "Homework takes evenings from young children."),
        sec("Learning at School", "Primary schools teach better without homework."),
    ]
    title = "Essay on the Dismal Science of Secondary Education"
    assert (None, "off_subject") in codes(check_plan(title, plan, homework))
    mended = mend_plan(title, plan, homework)
    assert mended.title != title and "homework" in mended.title.lower()
    # a title sharing a word with the subject stays, however loosely
    assert mend_plan("Homework Reconsidered", plan, homework).title == "Homework Reconsidered"


def test_the_aspect_requests_format_echoed_is_no_main_point() -> None:
    """SmolLM2's answer to the parts request became a part's point in the 6,000-word feature."""
    glass = brief("Write a 6,000-word feature on the history and science of glassmaking.", 6000)
    echo = (
        "Each line is one short sentence that provides a different aspect of the history and "
        "science of glassmaking, with each part dedicated to a specific topic or theme."
    )
    assert not acceptable_point(echo, glass)
    assert acceptable_point("One item has been lost from the Roman glass collection.", glass)


@pytest.mark.parametrize(
    ("instruction", "title"),
    [
        (
            "Write a 2,500-word feature article about the volunteers who restore old steam locomotives.",
            "The volunteers who restore old steam locomotives",
        ),
        (
            "Write a 1,200-word short story about a girl who repairs clocks in a mountain village.",
            "A girl who repairs clocks in a mountain village",
        ),
    ],
)
def test_a_title_made_from_the_subject_is_not_cut_to_its_head(instruction: str, title: str) -> None:
    """Held-out documents came out titled "The volunteers" and "A girl": the title made from the
    subject reads as a clause, and the heading check cut it as a sentence."""
    plan = [
        {"title": "Overview", "main_point": "What the subject is.", "words": 400},
        {"title": "Background", "main_point": "Where it comes from.", "words": 400},
    ]
    mended = mend_plan(None, plan, brief(instruction))
    assert mended.title == title
    assert not [p for p in mended.notes if p["target"] == "title" and not p["repaired"]]


@pytest.mark.parametrize(
    ("instruction", "language", "first"),
    [
        ("Write a 5,000-word guide to training for a first marathon.", "en", "Before you start"),
        ("Write a white paper on solar microgrids for rural clinics.", "en", "Summary"),
        ("Write a feature on the history and science of glassmaking.", "en", "Origins"),
        ("Write a guide to the history of coffee.", "en", "Origins"),
        ("Write an article explaining how vaccines work.", "en", "Overview"),
        ("帮我写一篇新手露营攻略", "zh", "开始之前"),
        ("写一份关于新能源汽车充电网络的研究报告", "zh", "摘要"),
        ("Write a 3000-word op-ed arguing that cities should ban cars.", "en", "The claim"),
        ("写一篇时评，谈谈外卖骑手的困境", "zh", "观点"),
        ("写一篇关于长城历史的文章", "zh", "起源"),
    ],
)
def test_a_skeleton_fits_the_kind_of_non_fiction(
    instruction: str, language: str, first: str
) -> None:
    _, sections = skeleton_plan(4, brief(instruction, 3000, language))
    assert sections[0]["title"] == first
