"""Label stripping and the AgentWrite data filters."""

from __future__ import annotations

import pytest

from longwriter.data.filters import (
    FilterConfig,
    check_document,
    duplicate_line_share,
    plan_problems,
    strip_step_labels,
)
from tests.fakes import letter_code

PLAN = [{"title": f"Part {i}", "budget": 300} for i in range(3)]
SECTIONS = [{"title": f"Part {i}", "words": 300} for i in range(3)]


def varied_text(n_words: int) -> str:
    """Non-repeating prose of ``n_words`` words, in paragraphs of 50."""
    words = [letter_code(i) for i in range(n_words)]
    return "\n\n".join(" ".join(words[i : i + 50]) + "." for i in range(0, n_words, 50))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Paragraph 3 - The Republic rose.", "The Republic rose."),
        ("Paragraph 10. The end came.", "The end came."),
        ("## Paragraph 2: The Empire", "## The Empire"),
        ("### Paragraph 2 – The Rise", "### The Rise"),
        ("**Paragraph 4** - Decline began.", "Decline began."),
        ("**Paragraph 4:** Decline began.", "Decline began."),
        ("STEP 3 - go on", "go on"),
        ("Para. 2 - x", "x"),
        ("第3段：罗马的衰落", "罗马的衰落"),
        ("段落 4 - 帝国分裂", "帝国分裂"),
        ("第三部分：结语", "结语"),
    ],
)
def test_step_label_is_cut_from_the_start_of_a_line(line: str, expected: str) -> None:
    assert strip_step_labels(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Paragraph 1 - Main Point: The founding of Rome - Word Count: 400 words",
        "Main Point: Fall of the West",
        "(Word count: 500)",
        "Word Count: about 1,200 words",
        "段落 4 - 主要内容：帝国分裂 - 字数要求：500字",
        "字数要求：500字",
        "Paragraph 5",
        "*Paragraph 1*",
    ],
)
def test_plan_lines_and_bare_labels_are_dropped(line: str) -> None:
    assert strip_step_labels(f"Before.\n{line}\nAfter.") == "Before.\nAfter."


@pytest.mark.parametrize(
    "line",
    [
        "In paragraph 3 of the treaty, Rome agreed.",
        "Paragraph 2 discusses the harbour.",
        "Part 1: Origins",
        "The word count: 5 was low.",
        "1. Item one",
        "Step by step, the city grew.",
    ],
)
def test_ordinary_text_is_left_alone(line: str) -> None:
    assert strip_step_labels(line) == line


def test_blank_runs_left_by_dropped_lines_collapse() -> None:
    text = "# Title\n\nParagraph 1 - Main Point: x - Word Count: 300 words\n\nBody.\n\n\n\nEnd."
    assert strip_step_labels(text) == "# Title\n\nBody.\n\nEnd."


def test_good_document_is_kept_and_labels_are_stripped() -> None:
    text = "Paragraph 1 - " + varied_text(900)
    check = check_document(text, target_words=1000, plan=PLAN, sections=SECTIONS)
    assert check.keep, check.reasons
    assert not check.text.startswith("Paragraph")
    assert check.words == 900
    assert check.length_score == pytest.approx(94.44, abs=0.01)


def test_output_far_below_target_is_dropped() -> None:
    check = check_document(varied_text(500), target_words=1000, plan=PLAN, sections=SECTIONS)
    assert [r.split(":")[0] for r in check.reasons] == ["too_short"]
    relaxed = FilterConfig(min_length_ratio=0.4)
    assert check_document(varied_text(500), target_words=1000, plan=PLAN, config=relaxed).keep


def test_degenerate_repetition_is_dropped() -> None:
    looping = "\n\n".join(["The empire grew and grew and the people were happy."] * 120)
    check = check_document(looping, target_words=1000, plan=PLAN, sections=SECTIONS)
    assert any(r.startswith("repetition") for r in check.reasons)
    assert check.rep4 > 0.9


def test_repeated_lines_alone_count_as_repetition() -> None:
    line = "A line that the model keeps copying into the document."
    text = varied_text(600) + "\n" + "\n".join([line] * 30) + "\n" + varied_text(400)
    assert duplicate_line_share(text) > 0.2
    check = check_document(text, target_words=1000, plan=PLAN, config=FilterConfig(max_rep4=0.9))
    assert any(r.startswith("repetition: duplicated line") for r in check.reasons)


@pytest.mark.parametrize(
    ("plan", "sections", "problem"),
    [
        ([], [], "0 planned sections"),
        (PLAN[:1], SECTIONS[:1], "1 planned sections"),
        (PLAN, SECTIONS[:2], "only 2 of 3 planned sections written"),
        (PLAN, [*SECTIONS[:2], {"title": "x", "words": 0}], "empty sections [3]"),
    ],
)
def test_failed_plan_is_dropped(
    plan: list[dict[str, object]], sections: list[dict[str, object]], problem: str
) -> None:
    assert any(problem in p for p in plan_problems(plan, sections))
    check = check_document(varied_text(1000), target_words=1000, plan=plan, sections=sections)
    assert any(r.startswith("plan_failed") and problem in r for r in check.reasons)


def test_empty_output_and_unknown_target() -> None:
    assert check_document("Paragraph 1 -", target_words=500, plan=PLAN).reasons == ("empty",)
    reasons = check_document(varied_text(100), target_words=0, plan=PLAN).reasons
    assert reasons[0].startswith("no_target")
