"""Every parser of instructions, plans, judge answers and data rows is total and fast: on any input it
returns, or raises only the project's own error (a ValueError subclass the caller handles) with a
one-line message. The hypothesis deadline is the timing check (no timed asserts: the machine is shared)."""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from longwriter.batch.documents import read_batch
from longwriter.data.build import load_instructions
from longwriter.errors import LongWriterError
from longwriter.eval.judge import JudgeParseError, parse_judgement
from longwriter.eval.rows import parse_prediction, parse_task
from longwriter.jsonl import json_object, json_value
from longwriter.planning.json_plan import parse_plan_json, plan_watch
from longwriter.planning.parse import (
    MAX_PLAN_SECTIONS,
    parse_aspects,
    parse_plan_text,
    repair_plan,
    sections_from_any,
)
from longwriter.text import (
    document_language,
    parse_chinese_number,
    parse_target_words,
    subject_of,
)
from longwriter.text.form import document_family
from longwriter.text.target import MAX_TARGET_WORDS, capped_count, required_length, whole_words

FUZZ = settings(
    max_examples=60,
    deadline=500,  # ms per example: a backtracking regex takes seconds on these inputs
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PIECES = [
    " ", "\t", "\n", "\u00a0", "\u3000", "\x00", "0", "9", "1,000", "5", "-", "–", "~", ".", ",",
    "to", "and", "between ", "a ", "hundred", "thousand", "k", "word", "words", "-word", "字", "万",
    "亿", "千", "一", "两", "不少于", "字数", "length:", "{", "}", "[", "]", '"', ":", "\\", "```",
    "<think>", "</think>", "1.", "Paragraph 1 -", "Main Point:", "Word Count:", "Title:", "第1段",
    "relevance", "5/5", "é", "Ω", "🙂", "Русский", "العربية", "中文", "写一篇", "essay", "*", "#",
]  # fmt: skip
runs = st.lists(
    st.tuples(st.sampled_from(PIECES), st.integers(1, 4000)), min_size=1, max_size=8
).map(lambda parts: "".join(piece * n for piece, n in parts))
huge_digits = st.integers(300, 6000).map(lambda n: "1" + "0" * n)
texts = st.one_of(st.text(max_size=3000), runs, huge_digits)


def _nested(depth: int, opener: str = "[") -> str:
    return opener * depth


HOSTILE_TEXTS = {
    "spaces after a number": "5" + " " * 200_000 + "x",
    "spaces in a plan line": "1. a" + " " * 200_000 + "b",
    "digits": "9" * 300_000,
    "huge word count": "Write a 1" + "0" * 309 + "-word essay",
    "huge chinese numeral": "写一篇一万" + "亿" * 300 + "字的文章",
    "hundred hundred": "a " + "hundred " * 40_000 + "word essay",
    "brackets": _nested(300_000),
    "braces": _nested(300_000, "{"),
    "json openers": '{"a":' * 50_000,
    "json lists": '{"a":[' * 50_000,
    "think openers": "<think>" * 40_000,
    "fences": "```" + "a" * 300_000,
    "nul bytes": "\x00" * 300_000,
    "dashes": "one" + "-" * 300_000 + "x",
    "ranges": "1-" * 150_000,
}

# --- instructions -------------------------------------------------------------------------------

INSTRUCTION_PARSERS: dict[str, Callable[[str], Any]] = {
    "parse_target_words": parse_target_words,
    "parse_chinese_number": parse_chinese_number,
    "document_language": document_language,
    "subject_of": subject_of,
    "document_family": lambda text: [
        document_family(text, subject_of(text), lang) for lang in ("en", "zh")
    ],
}


@pytest.fixture(autouse=True, scope="module")
def _warm_up() -> None:
    """First calls load word lists and the language detector: not what the deadline is for."""
    for parse in INSTRUCTION_PARSERS.values():
        for text in ("Write a 2000-word essay about tea.", "写一篇文章", "ëõe k Schreibe über Tee"):
            parse(text)


@pytest.mark.parametrize("name", sorted(INSTRUCTION_PARSERS))
@FUZZ
@given(text=texts)
def test_instruction_parsers_are_total(name: str, text: str) -> None:
    INSTRUCTION_PARSERS[name](text)


@FUZZ
@given(text=texts)
def test_target_is_a_bounded_integer(text: str) -> None:
    target = parse_target_words(text)
    assert target is None or 1 <= target <= MAX_TARGET_WORDS + 1


@pytest.mark.parametrize("label", sorted(HOSTILE_TEXTS))
def test_instruction_parsers_on_hostile_text(label: str) -> None:
    for parse in INSTRUCTION_PARSERS.values():
        parse(HOSTILE_TEXTS[label])


@pytest.mark.parametrize(
    "instruction",
    [
        "Write a 1" + "0" * 309 + "-word essay",
        "写一篇一万" + "亿" * 30 + "字的文章",
        "Write a 250,000-word saga",
        "Write a " + "hundred " * 400 + "word essay",
    ],
)
def test_absurd_targets_read_as_just_above_the_limit(instruction: str) -> None:
    assert parse_target_words(instruction) == MAX_TARGET_WORDS + 1


def test_blank_runs_do_not_hide_a_target() -> None:
    assert parse_target_words("Write a 5" + " " * 500 + "x") is None
    assert parse_target_words("Write a 5000" + " " * 500 + "word essay") == 5000
    assert parse_target_words("Write 2000" + " " * 300 + "to 3000 words") == 2500


# --- plans --------------------------------------------------------------------------------------


def _plan_text_then_repair(text: str) -> None:
    _title, sections = parse_plan_text(text)
    if sections:
        repair_plan(sections, 2000, min_words=150, max_words=1000)


def _plan_json(text: str) -> None:
    try:
        parse_plan_json(text)
    except ValueError as exc:
        assert "\n" not in str(exc)


PLAN_PARSERS: dict[str, Callable[[str], Any]] = {
    "parse_plan_text + repair_plan": _plan_text_then_repair,
    "parse_plan_json": _plan_json,
    "plan_watch": plan_watch(8),
    "parse_aspects": lambda text: parse_aspects(text, 8),
}


@pytest.mark.parametrize("name", sorted(PLAN_PARSERS))
@FUZZ
@given(text=texts)
def test_plan_parsers_are_total(name: str, text: str) -> None:
    PLAN_PARSERS[name](text)


@pytest.mark.parametrize("label", sorted(HOSTILE_TEXTS))
def test_plan_parsers_on_hostile_text(label: str) -> None:
    for parse in PLAN_PARSERS.values():
        parse(HOSTILE_TEXTS[label])


def test_plan_line_counts_are_capped() -> None:
    _title, sections = parse_plan_text("1. Origins of tea - Word Count: " + "9" * 310 + " words")
    assert sections[0]["words"] == MAX_TARGET_WORDS
    assert (
        sum(s["words"] for s in repair_plan(sections, 2000, min_words=150, max_words=1000)) == 2000
    )
    _title, spaced = parse_plan_text("1. a" + " " * 120 + "b")
    assert spaced[0]["main_point"] == "a b"


@pytest.mark.parametrize(
    "reply",
    [
        '{"title": "T", "sections": [{"title": "A", "main_point": "a", "words": 1e999}]}',
        '{"title": "T", "sections": [{"title": "A", "main_point": "a", "words": '
        + "9" * 5000
        + "}]}",
    ],
)
def test_plan_json_with_absurd_budgets(reply: str) -> None:
    _title, sections = parse_plan_json(reply)
    assert 0 <= sections[0]["words"] <= MAX_TARGET_WORDS
    repair_plan(sections, 2000, min_words=150, max_words=1000)


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(300, 6000).map(lambda n: 10**n),
    st.floats(),
    st.text(max_size=200),
    runs,
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.dictionaries(
            st.sampled_from(
                ["title", "sections", "main_point", "words", "word_count", "part", "parts", "x"]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=30,
)
deep_values = st.integers(1, 900).map(lambda depth: json.loads("[" * depth + "]" * depth))


@FUZZ
@given(raw=st.one_of(json_values, deep_values))
def test_user_plans_are_checked_or_refused_in_one_line(raw: Any) -> None:
    try:
        _title, sections = sections_from_any(raw)
    except ValueError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
        return
    assert 0 < len(sections) <= MAX_PLAN_SECTIONS
    assert sum(s["words"] for s in sections) <= MAX_TARGET_WORDS
    assert all(1 <= s["part"] <= s["parts"] for s in sections if "parts" in s)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({}, "non-empty list of sections"),
        ({"sections": {}}, "non-empty list of sections"),
        ([{"title": "A", "words": 1e999}], "words must be a word count from 0 to 200000"),
        ([{"title": "A", "words": 10**400}], "words must be a word count"),
        ([{"title": "A", "words": 150_000}, {"title": "B", "words": 150_000}], "add up to 300000"),
        ([{"title": "A", "words": 1_000_000}], "word count from 0 to 200000"),
        ([{"title": ["A"]}], "title must be text"),
        ({"title": {"a": 1}, "sections": ["A"]}, "title must be text"),
        (["A"] * (MAX_PLAN_SECTIONS + 1), f"at most {MAX_PLAN_SECTIONS} sections"),
    ],
)
def test_bad_user_plans(raw: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        sections_from_any(raw)
    assert "\n" not in str(info.value)


# --- judge answers ------------------------------------------------------------------------------


@FUZZ
@given(text=st.one_of(texts, json_values.map(json.dumps)))
def test_judge_parser_raises_only_its_own_error(text: str) -> None:
    try:
        parse_judgement(text)
    except JudgeParseError as exc:
        assert "\n" not in str(exc)


GOOD = {
    "relevance": 5,
    "accuracy": 4,
    "coherence": 4,
    "clarity": 5,
    "breadth_and_depth": 3,
    "reading_experience": 4,
}


@pytest.mark.parametrize("label", sorted(HOSTILE_TEXTS))
def test_judge_parser_on_hostile_text(label: str) -> None:
    with pytest.raises(JudgeParseError):
        parse_judgement(HOSTILE_TEXTS[label])


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (json.dumps({**GOOD, "clarity": 10**400}), "clarity=1000"),
        ('{"relevance": 1e999}', "relevance=inf"),
        (json.dumps({**GOOD, "clarity": "4" + " " * 100_000 + "x"}), "clarity='4"),
        ("[" * 100_000 + json.dumps({"relevance": 5}), "missing accuracy"),
        ('{"scores": ' * 5000 + "}" * 5000, "no JSON object"),
    ],
)
def test_absurd_judge_answers_are_parse_errors(answer: str, problem: str) -> None:
    with pytest.raises(JudgeParseError, match=problem) as info:
        parse_judgement(answer)
    assert len(str(info.value)) < 400


def test_a_verdict_after_hostile_prose_is_found() -> None:
    prose = "<think>" * 10_000 + " " * 100_000 + "{" * 10_000 + "\n"
    assert parse_judgement(prose + json.dumps(GOOD)).scores == GOOD
    deep = json.dumps({"a": [[[[[[{"verdict": GOOD}]]]]]]})
    assert parse_judgement(deep).scores == GOOD


# --- data rows ----------------------------------------------------------------------------------

row_values = st.dictionaries(
    st.sampled_from(["prompt", "length", "response", "type", "id", "key"]),
    st.one_of(json_values, deep_values),
    max_size=6,
)


@FUZZ
@given(row=row_values)
def test_row_parsers_raise_only_value_errors(row: dict[str, Any]) -> None:
    for parse in (parse_task, parse_prediction):
        try:
            parse(row)
        except ValueError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 400


@FUZZ
@given(value=json_values)
def test_word_counts_never_overflow(value: Any) -> None:
    words = whole_words(value)
    assert words is None or 0 <= words <= MAX_TARGET_WORDS
    try:
        assert 1 <= required_length(value) <= MAX_TARGET_WORDS
    except ValueError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400


@FUZZ
@given(digits=st.text("0123456789,", min_size=1, max_size=5000))
def test_capped_count(digits: str) -> None:
    assert 0 <= capped_count(digits) <= MAX_TARGET_WORDS


@FUZZ
@given(text=texts)
def test_json_readers_raise_only_value_errors(text: str) -> None:
    for read in (json_value, json_object):
        try:
            read(text)
        except ValueError as exc:
            assert "\n" not in str(exc)


HUGE_LENGTH = int("1" + "0" * 400)


@pytest.mark.parametrize("length", [HUGE_LENGTH, 1e999, float("nan"), "1" + "0" * 400, 250_000])
def test_absurd_row_lengths_are_refused(length: Any) -> None:
    with pytest.raises(ValueError, match="'length' must be a word count from 1 to 200000") as info:
        parse_task({"prompt": "Write about tea.", "length": length})
    assert len(str(info.value)) < 200


def _file_rows(*lines: str) -> Path:
    folder = Path(tempfile.mkdtemp())
    path = folder / "rows.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_dataset_build_skips_a_row_of_absurd_length() -> None:
    path = _file_rows(
        json.dumps({"prompt": "Write about tea.", "length": HUGE_LENGTH}),
        json.dumps({"prompt": "Write about rivers.", "length": 900}),
        "[" * 100_000,
        '{"prompt": "x", "length": ' + "9" * 5000 + "}",
    )
    loaded = load_instructions(path)
    assert [i.prompt for i in loaded.instructions] == ["Write about rivers."]
    assert loaded.invalid[0][0] == 1 and "word count from 1 to 200000" in loaded.invalid[0][1]
    assert loaded.bad_lines == 2


@pytest.mark.parametrize(
    "line",
    [
        json.dumps({"prompt": "Write about tea.", "length": HUGE_LENGTH}),
        json.dumps({"prompt": "Write about tea.", "id": HUGE_LENGTH}),
        "[" * 100_000,
        '{"prompt": "x", "length": ' + "9" * 5000 + "}",
    ],
)
def test_batch_rows_of_absurd_values_are_config_errors(line: str) -> None:
    with pytest.raises(LongWriterError) as info:
        read_batch(_file_rows(line))
    assert "rows.jsonl:1:" in str(info.value) and len(str(info.value)) < 400


def test_json_readers_name_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        json_value("[" * 100_000)
    with pytest.raises(ValueError, match="more than 4300 digits"):
        json_value("9" * 5000)
    assert math.isinf(json_value("1e999"))
