"""Planner parsing (AgentWrite line format, JSON, user plans) and deterministic budget repair."""

from __future__ import annotations

import contextlib
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longwriter.nodes.plan_parse import (
    join_parts,
    parse_aspects,
    parse_plan_text,
    part_runs,
    rebudget,
    repair_plan,
    sections_from_any,
)
from longwriter.nodes.planner import fit_plan, parse_plan_json

AGENTWRITE = """Title: The Roman Empire
Paragraph 1 - Main Point: Origins: Rome's founding myths and the early kingdom - Word Count: 400 words
Paragraph 2 - Main Point: The Republic: Institutions, the senate and expansion in Italy. - Word Count: 600 words

Paragraph 3 - Main Point: Augustus and the Principate - Word Count: 500 words
"""


def test_agentwrite_format() -> None:
    title, sections = parse_plan_text(AGENTWRITE)
    assert title == "The Roman Empire"
    assert [s["words"] for s in sections] == [400, 600, 500]
    assert sections[0]["title"] == "Origins"
    assert sections[1]["main_point"].startswith("Institutions")
    assert sections[2]["title"] == "Augustus and the Principate"


@pytest.mark.parametrize(
    ("text", "words", "titles"),
    [
        (
            "1. Introduction: why bridges matter (300 words)\n2. Stone arches: Roman engineering (450 words)",
            [300, 450],
            ["Introduction", "Stone arches"],
        ),
        ("- Section 1: Early days\n- Section 2: Later days", [0, 0], ["Early days", "Later days"]),
        ("**Paragraph 1** - Main Point: Setting - Word Count: 1,200 words", [1200], ["Setting"]),
        (
            "标题：咖啡的历史\n第1段 - 主要内容：起源：埃塞俄比亚的传说 - 字数要求：500字\n第2段 - 主要内容：传播：阿拉伯半岛 - 字数要求：700字",
            [500, 700],
            ["起源", "传播"],
        ),
        (
            "Some chatter first.\nHere is the plan:\n3) Closing thoughts - 250 words",
            [250],
            ["Closing thoughts"],
        ),
    ],
)
def test_tolerant_formats(text: str, words: list[int], titles: list[str]) -> None:
    _, sections = parse_plan_text(text)
    assert [s["words"] for s in sections] == words
    assert [s["title"] for s in sections] == titles


def test_prose_gives_no_sections() -> None:
    assert parse_plan_text("Coffee was first found in Ethiopia. It spread to Yemen.")[1] == []


def test_json_plan_and_salvage_of_cut_off_reply() -> None:
    full = '{"title": "T", "sections": [{"title": "A", "main_point": "a", "words": 300}]}'
    assert parse_plan_json(full) == ("T", [{"title": "A", "main_point": "a", "words": 300}])
    cut = (
        '{"title": "T", "sections": [{"title": "A", "main_point": "a", "words": 300}, '
        '{"title": "B", "main_point": "b", "words": 200}, {"title": "C", "main_po'
    )
    title, sections = parse_plan_json(cut)
    assert title == "T" and [s["title"] for s in sections] == ["A", "B"]
    with pytest.raises(ValueError):
        parse_plan_json("no json here")


def test_user_plan_shapes_and_errors() -> None:
    title, sections = sections_from_any(
        {"title": "X", "sections": [{"title": "A", "words": 100}, "B: about b"]}
    )
    assert title == "X"
    assert sections[0] == {"title": "A", "main_point": "A", "words": 100}
    assert sections[1]["title"] == "B" and sections[1]["words"] == 0
    for bad in (
        {},
        [],
        [{"words": 5}],
        [{"title": "A", "words": -1}],
        [{"title": "A", "words": "many"}],
        [3],
    ):
        with pytest.raises(ValueError):
            sections_from_any(bad)


def _plan(*words: int) -> list:
    return [{"title": f"S{i}", "main_point": f"point {i}", "words": w} for i, w in enumerate(words)]


def test_repair_sums_exactly_and_fills_missing() -> None:
    out = repair_plan(_plan(400, 0, 600), 1500, min_words=150, max_words=1000)
    assert sum(s["words"] for s in out) == 1500
    assert out[1]["words"] == 500  # the missing count takes the mean of the others


def test_repair_ignores_nonsense_counts() -> None:
    out = repair_plan(_plan(4, 20), 1400, min_words=150, max_words=1000)
    assert [s["words"] for s in out] == [700, 700]


def test_repair_splits_and_merges() -> None:
    out = repair_plan(_plan(3000), 3000, min_words=150, max_words=1000)
    assert [s["words"] for s in out] == [1000, 1000, 1000]
    assert out[1]["title"] == "S0 (2/3)"
    merged = repair_plan(_plan(100, 100, 100, 700), 1000, min_words=200, max_words=1000)
    assert sum(s["words"] for s in merged) == 1000
    assert min(s["words"] for s in merged) >= 150


def test_fit_plan_accounts_for_headings_and_wanted_sections() -> None:
    sections, body = fit_plan("A Title", _plan(0), 2000, min_words=150, max_words=1000, wanted=5)
    assert len(sections) == 5
    assert [s["title"] for s in sections] == [f"S0 ({k}/5)" for k in range(1, 6)]
    assert body == 2000 - 3  # "A Title" and the parts' shared heading "S0", written once
    assert sum(s["words"] for s in sections) == body


def test_fit_plan_never_leaves_a_lone_part() -> None:
    """Found by benchmarks/bench_kill.py: two 200-word sections, 3 wanted of at least 150 words. The
    second pass merged the first pass's "(1/2)" with "(2/2)" into a lone "(1/2)" (its point said
    twice), and the planner then crashed on every resume."""
    sections, body = fit_plan("V", _plan(200, 200), 400, min_words=150, max_words=1000, wanted=3)
    assert sum(s["words"] for s in sections) == body
    runs = part_runs(sections)
    assert all(n == int(sections[i]["title"][-2]) for i, n, _ in runs)  # every "(k/n)" has its n
    assert all(s["main_point"] in ("point 0", "point 1") for s in sections)


def test_join_parts_undoes_a_split() -> None:
    split = repair_plan(_plan(3000, 400), 3400, min_words=150, max_words=1000)
    assert len(split) == 4
    assert join_parts(split) == [
        {"title": "S0", "main_point": "point 0", "words": sum(s["words"] for s in split[:3])},
        {"title": "S1", "main_point": "point 1", "words": split[3]["words"]},
    ]


@pytest.mark.parametrize(
    ("titles", "runs"),
    [
        (["A (1/2)", "B (1/2)"], [(0, 1, "A"), (1, 1, "B")]),  # lone parts are runs of one
        (["A (1/3)", "A (2/3)", "A (3/3)", "B"], [(0, 3, "A")]),
        (["A (2/2)", "A (1/2)", "A (2/2)"], [(1, 2, "A")]),  # a run starts at "(1/n)"
        (["A (1/2)", "B (2/2)"], [(0, 1, "A")]),
    ],
)
def test_part_runs_are_what_is_there(titles: list[str], runs: list) -> None:
    plan = [{"title": t, "main_point": "p", "words": 100} for t in titles]
    assert part_runs(plan) == runs


@pytest.mark.parametrize(
    ("planned", "written", "body", "expected"),
    [
        ([500, 500, 500, 500], [500], 2000, [500, 500, 500, 500]),  # on track: unchanged
        ([500, 500, 500, 500], [200], 2000, [200, 600, 600, 600]),  # deficit spread over the rest
        ([500, 500, 500, 500], [800], 2000, [800, 400, 400, 400]),  # surplus taken back
        ([500, 500], [1900], 2000, [1900, 100]),  # floor keeps the last section alive
        ([400, 200], [100], 2000, [100, 400]),  # growth capped at 2x the plan
        ([500], [480], 500, [480]),
    ],
)
def test_rebudget(planned: list[int], written: list[int], body: int, expected: list[int]) -> None:
    assert rebudget(planned, written, body, floor=100) == expected


def test_repeated_headings_are_numbered() -> None:
    plan = [
        {"title": "Intro", "main_point": "a", "words": 300},
        {"title": "Intro", "main_point": "b", "words": 300},
    ]
    assert [s["title"] for s in repair_plan(plan, 600, min_words=100, max_words=1000)] == [
        "Intro",
        "Intro (2)",
    ]


def test_parse_aspects_strips_bullets_and_skips_repeats_and_lead_ins() -> None:
    reply = (
        "Here are the aspects:\n1. Choosing a hive\n- choosing a hive\n\n"
        "2) Where to place it\n• Feeding in winter\n**Extra line**"
    )
    assert parse_aspects(reply, 3) == ["Choosing a hive", "Where to place it", "Feeding in winter"]
    assert parse_aspects("一、选择蜂箱\n二、放置位置", 5) == ["选择蜂箱", "放置位置"]


def test_a_paragraph_without_a_heading_gets_its_head_phrase() -> None:
    _, sections = parse_plan_text(
        "Paragraph 1 - Main Point: The History of Coffee from Ethiopia, with a main point that it "
        "has been used in many ways. - Word Count: 400 words"
    )
    assert sections[0]["title"] == "The History of Coffee from Ethiopia"


PLAN_LINES = st.lists(
    st.one_of(
        st.text(max_size=200),
        st.builds(
            lambda n, t, w: f"Paragraph {n} - Main Point: {t} - Word Count: {w} words",
            st.integers(0, 99),
            st.text(max_size=100),
            st.integers(0, 10**6),
        ),
    ),
    max_size=30,
).map("\n".join)


@settings(deadline=500, max_examples=300)
@given(PLAN_LINES)
def test_parsers_are_total(text: str) -> None:
    title, sections = parse_plan_text(text)
    assert title is None or isinstance(title, str)
    assert all(s["words"] >= 0 and s["main_point"] for s in sections)
    assert len(parse_aspects(text, 5)) <= 5
    with contextlib.suppress(ValueError):
        parse_plan_json(text)


@pytest.mark.parametrize(
    "text",
    [
        "1" * 100_000,
        "Paragraph 1 - Main Point: " + "1," * 50_000,
        "Title: a" + " " * 100_000 + "b",
        "{" * 100_000,
        '{"title": "' * 20_000,
        "- x\n" * 30_000,
        "Paragraph 1 - " + " -" * 50_000,
    ],
)
def test_parsers_take_linear_time(text: str) -> None:
    start = time.perf_counter()
    parse_plan_text(text)
    parse_aspects(text, 10)
    with contextlib.suppress(ValueError):
        parse_plan_json(text)
    assert time.perf_counter() - start < 2.0
