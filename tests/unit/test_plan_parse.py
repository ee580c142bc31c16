"""Planner parsing (AgentWrite line format, JSON, user plans) and deterministic budget repair."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longwriter.agent.report import render_document
from longwriter.agent.state import upgraded
from longwriter.document import PART_MARKER, with_part_fields
from longwriter.planning.budgets import fit_plan
from longwriter.planning.json_plan import parse_plan_json, plan_watch
from longwriter.planning.parse import (
    join_parts,
    parse_aspects,
    parse_plan_text,
    part_runs,
    rebudget,
    repair_plan,
    sections_from_any,
)

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


def _json_section(title: str, point: str, words: int) -> str:
    return f'    {{\n      "title": "{title}",\n      "main_point": "{point}",\n      "words": {words}\n    }}'


def _stopped_at(watch: Callable[[str], bool], text: str) -> str | None:
    """The text read when ``watch`` first says stop, looked at each line end as a stream is."""
    for end in (i + 1 for i, c in enumerate(text) if c == "\n"):
        if watch(text[:end]):
            return text[:end]
    return None


def test_a_plan_stream_is_read_while_it_can_still_be_used() -> None:
    head = '{\n  "title": "The Printing Press and Europe",\n  "sections": [\n'
    distinct = [
        _json_section(f"{name} of Print", f"How print changed {name.lower()} in Europe.", 300)
        for name in (
            "Origins",
            "Spread",
            "Religion",
            "Science",
            "Trade",
            "Schools",
            "Law",
            "Legacy",
        )
    ]
    good = head + ",\n".join(distinct) + "\n  ]\n}"
    assert _stopped_at(plan_watch(8), good) is None
    # Longer than asked: read up to one section more than the plan needs, which then merges.
    cut = _stopped_at(plan_watch(6), good)
    assert cut is not None and len(parse_plan_json(cut)[1]) == 7
    # SmolLM2's failure: every section under the document title with the same point.
    same = [_json_section("The Printing Press and Europe", "The press changed Europe.", 3000)] * 17
    cut = _stopped_at(plan_watch(8), head + ",\n".join(same) + "\n  ]\n}")
    assert cut is not None and len(parse_plan_json(cut)[1]) == 3
    # Repeated headings over distinct points can be mended (headings from the points): read on.
    mendable = [
        _json_section("The Printing Press", f"How print changed {name} in Europe.", 300)
        for name in ("schools", "churches", "markets", "courts", "maps", "music", "news", "law")
    ]
    assert _stopped_at(plan_watch(8), head + ",\n".join(mendable) + "\n  ]\n}") is None


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
    assert [(s["title"], s["part"], s["parts"]) for s in out] == [("S0", k, 3) for k in (1, 2, 3)]
    merged = repair_plan(_plan(100, 100, 100, 700), 1000, min_words=200, max_words=1000)
    assert sum(s["words"] for s in merged) == 1000
    assert min(s["words"] for s in merged) >= 150


def test_fit_plan_accounts_for_headings_and_wanted_sections() -> None:
    sections, body = fit_plan("A Title", _plan(0), 2000, min_words=150, max_words=1000, wanted=5)
    assert len(sections) == 5
    assert [s["title"] for s in sections] == ["S0"] * 5
    assert [(s["part"], s["parts"]) for s in sections] == [(k, 5) for k in range(1, 6)]
    assert body == 2000 - 3  # "A Title" and the parts' shared heading "S0", written once
    assert sum(s["words"] for s in sections) == body


def test_fit_plan_never_leaves_a_lone_part() -> None:
    """Found by benchmarks/bench_kill.py: two 200-word sections, 3 wanted of at least 150 words. The
    second pass merged the first pass's part 1 of 2 with part 2 into a lone part 1 of 2 (its point
    said twice), and the planner then crashed on every resume."""
    sections, body = fit_plan("V", _plan(200, 200), 400, min_words=150, max_words=1000, wanted=3)
    assert sum(s["words"] for s in sections) == body
    runs = part_runs(sections)
    assert all(n == sections[i]["parts"] for i, n, _ in runs)  # every part 1 of n has its n - 1
    assert sum(n for _, n, _ in runs) == sum("parts" in s for s in sections)  # no part outside
    assert all(s["main_point"] in ("point 0", "point 1") for s in sections)


@settings(deadline=None, max_examples=80, derandomize=True)
@given(
    words=st.lists(st.integers(0, 4000), min_size=1, max_size=8),
    target=st.integers(200, 20000),
    wanted=st.integers(1, 12),
)
def test_fit_plan_splits_into_whole_runs_of_parts(
    words: list[int], target: int, wanted: int
) -> None:
    sections, body = fit_plan(
        "T", _plan(*words), target, min_words=150, max_words=1000, wanted=wanted
    )
    runs = part_runs(sections)
    assert all(sections[i]["parts"] == n for i, n, _ in runs)
    assert sum(n for _, n, _ in runs) == sum("parts" in s for s in sections)
    assert not any(PART_MARKER.search(s["title"]) for s in sections)
    assert sum(s["words"] for s in sections) == body


def test_join_parts_undoes_a_split() -> None:
    split = repair_plan(_plan(3000, 400), 3400, min_words=150, max_words=1000)
    assert len(split) == 4
    assert join_parts(split) == [
        {"title": "S0", "main_point": "point 0", "words": sum(s["words"] for s in split[:3])},
        {"title": "S1", "main_point": "point 1", "words": split[3]["words"]},
    ]


def _parts(*titles: str) -> list:
    """Sections from titles in the old "(k/n)" notation, with typed part fields and clean titles."""
    return [with_part_fields({"title": t, "main_point": "p", "words": 100}) for t in titles]


@pytest.mark.parametrize(
    ("titles", "runs"),
    [
        (["A (1/2)", "B (1/2)"], [(0, 1, "A"), (1, 1, "B")]),  # lone parts are runs of one
        (["A (1/3)", "A (2/3)", "A (3/3)", "B"], [(0, 3, "A")]),
        (["A (2/2)", "A (1/2)", "A (2/2)"], [(1, 2, "A")]),  # a run starts at part 1
        (["A (1/2)", "B (2/2)"], [(0, 1, "A")]),
        (["A (1/2)", "A", "A (2/2)"], [(0, 1, "A")]),  # a whole section ends a run
    ],
)
def test_part_runs_are_what_is_there(titles: list[str], runs: list) -> None:
    assert part_runs(_parts(*titles)) == runs


@pytest.mark.parametrize(
    ("titles", "shown"),
    [
        (["A (1/2)", "A (2/2)", "B"], ["A", "B"]),
        (["A (1/2)", "B (2/2)"], ["A", "B"]),  # a lone part has its own heading
        (["A (2/2)", "A (1/2)", "A (2/2)"], ["A", "A"]),
        (["A", "A (2/2)"], ["A", "A"]),  # a whole section is no part
    ],
)
def test_the_document_shows_one_heading_per_split_section(
    titles: list[str], shown: list[str]
) -> None:
    sections = [{**s, "index": i, "text": f"Text {i}."} for i, s in enumerate(_parts(*titles))]
    document = render_document("T", sections)  # type: ignore[arg-type]
    assert [line[3:] for line in document.splitlines() if line.startswith("## ")] == shown
    assert all(f"Text {i}." in document for i in range(len(titles)))


def test_split_sections_carry_part_fields_and_clean_titles() -> None:
    split = repair_plan(_plan(2000, 300, 2000), 4300, min_words=150, max_words=1000)
    assert [(s["title"], s.get("part"), s.get("parts")) for s in split] == [
        ("S0", 1, 2),
        ("S0", 2, 2),
        ("S1", None, None),
        ("S2", 1, 2),
        ("S2", 2, 2),
    ]


def test_old_part_titles_are_read_as_part_fields() -> None:
    """Checkpoints and plan files of older versions hold split sections as "Origins (1/2)"."""
    assert with_part_fields({"title": "Origins (2/3)", "main_point": "p", "words": 1}) == {
        "title": "Origins",
        "main_point": "p",
        "words": 1,
        "part": 2,
        "parts": 3,
    }
    for title in ("Origins (3/2)", "Origins (0/2)", "Origins (1/1)", "Origins (2)", "1/2"):
        assert with_part_fields({"title": title, "main_point": "p", "words": 1})["title"] == title
    given = {"title": "Acts (1/2)", "main_point": "p", "words": 1, "part": 1, "parts": 3}
    assert with_part_fields(given) is given  # typed fields win over the title
    old = {
        "title": "T",
        "sections_plan": [{"title": "A (1/2)", "main_point": "p", "words": 1}],
        "sections": [{"index": 0, "title": "A (1/2)", "text": "x"}],
    }
    new = upgraded(old)  # type: ignore[arg-type]
    assert new["sections_plan"][0] == {
        "title": "A",
        "main_point": "p",
        "words": 1,
        "part": 1,
        "parts": 2,
    }
    assert (new["sections"][0]["title"], new["sections"][0]["parts"]) == ("A", 2)
    assert upgraded(new) is new and old["sections_plan"][0]["title"] == "A (1/2)"


def test_user_plan_parts_are_kept_upgraded_and_checked() -> None:
    _, sections = sections_from_any(
        [
            {"title": "A", "main_point": "a", "part": 1, "parts": 2},
            {"title": "A", "main_point": "a2", "part": 2, "parts": 2},
            {"title": "B (1/2)", "main_point": "b"},
            {"title": "B (2/2)", "main_point": "b2"},
            {"title": "C", "main_point": "c", "part": 1, "parts": 1},
        ]
    )
    assert [(s["title"], s.get("part"), s.get("parts")) for s in sections] == [
        ("A", 1, 2),
        ("A", 2, 2),
        ("B", 1, 2),
        ("B", 2, 2),
        ("C", None, None),
    ]
    for bad, says in (
        ({"part": 3, "parts": 2}, "part 3 of 2"),
        ({"part": 0, "parts": 2}, "part 0 of 2"),
        ({"part": 1}, "must both be whole numbers"),
        ({"part": "1", "parts": 2}, "must both be whole numbers"),
        ({"part": True, "parts": 2}, "must both be whole numbers"),
        ({"part": 1.0, "parts": 2}, "must both be whole numbers"),
    ):
        with pytest.raises(ValueError, match=says):
            sections_from_any([{"title": "A", "main_point": "a", **bad}])


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
    # The parts of a split section share their heading; a second section of that name is numbered.
    assert [s["title"] for s in repair_plan(plan, 600, min_words=100, max_words=150)] == [
        "Intro",
        "Intro",
        "Intro (2)",
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
