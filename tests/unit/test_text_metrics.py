"""Repetition metrics and the LongBench-Write length score."""

import pytest

from longwriter.text import (
    duplicated_lines,
    length_score,
    ngram_overlap,
    ngram_set,
    repeated_ngram_share,
)


@pytest.mark.parametrize(
    ("required", "produced", "expected"),
    [
        (1000, 1000, 100.0),
        (1000, 1300, 90.0),  # 1 - 0.3 / 3
        (1000, 2000, 200 / 3),  # 1 - 1 / 3
        (1000, 4000, 0.0),
        (1000, 9000, 0.0),  # clamped
        (1000, 500, 50.0),  # 1 - (2 - 1) / 2
        (1000, 800, 87.5),  # 1 - 0.25 / 2
        (1000, 400, 25.0),
        (1000, 333, 0.0),  # clamped
        (1000, 0, 0.0),
        (1, 1, 100.0),
    ],
)
def test_length_score(required: int, produced: int, expected: float) -> None:
    assert length_score(required, produced) == pytest.approx(expected, abs=1e-12)


def test_length_score_exact_for_round_cases() -> None:
    assert length_score(1000, 1300) == 90.0
    assert length_score(1000, 500) == 50.0


@pytest.mark.parametrize(("required", "produced"), [(0, 100), (-5, 100), (100, -1)])
def test_length_score_rejects_bad_lengths(required: int, produced: int) -> None:
    with pytest.raises(ValueError, match="length must"):
        length_score(required, produced)


@pytest.mark.parametrize(
    ("text", "n", "expected"),
    [
        ("", 4, 0.0),
        ("a b c", 4, 0.0),
        ("a b c d", 4, 0.0),
        ("a b c d a b c d", 4, 0.2),  # 5 positions, the last repeats the first
        ("The cat. THE CAT!", 2, 1 / 3),  # case and punctuation ignored
        ("好好好好好", 4, 0.5),
        ("我爱你我爱你", 3, 0.25),  # 4 positions, only the last repeats
        ("one two three four five six", 4, 0.0),
        ("press of 1450 in mainz press of 1455 in mainz", 4, 2 / 7),  # numbers count as one
    ],
)
def test_repeated_ngram_share(text: str, n: int, expected: float) -> None:
    assert repeated_ngram_share(text, n) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "min_chars", "expected"),
    [
        ("", 20, []),
        ("short\nshort\n", 20, []),
        ("short\nshort\n", 5, ["short"]),
        ("\n\n\n", 0, []),
        (
            "A line that repeats itself\nother\n  A line that repeats itself  \n"
            "Second duplicate line here\nSecond duplicate line here\n"
            "A line that repeats itself\n",
            20,
            ["A line that repeats itself", "Second duplicate line here"],
        ),
        (
            "这一行中文内容重复出现了两次\n这一行中文内容重复出现了两次",
            10,
            ["这一行中文内容重复出现了两次"],
        ),
        (  # a loop that counts: equal but for the number
            "The Printing Press: 1450\nThe Printing Press: 1485\nThe Printing Press: 1490",
            20,
            ["The Printing Press: 1485"],
        ),
        ("| 2020 | 35.5 | 40.25 | 7 |\n| 2021 | 36.5 | 41.75 | 8 |", 20, []),  # figures only
    ],
)
def test_duplicated_lines(text: str, min_chars: int, expected: list[str]) -> None:
    assert duplicated_lines(text, min_chars) == expected


def test_ngram_set() -> None:
    assert ngram_set("A b, c!", 2) == {("a", "b"), ("b", "c")}
    assert ngram_set("a b", 3) == set()


@pytest.mark.parametrize(
    ("text", "reference", "n", "expected"),
    [
        ("two three four six", "one two three four five", 3, 0.5),
        ("one two three", "one two three", 3, 1.0),
        ("a b", "a b", 3, 0.0),  # shorter than n
        ("a b c d", "", 2, 0.0),
        ("我爱北京天安门", "北京天安门很大", 2, 4 / 6),
    ],
)
def test_ngram_overlap(text: str, reference: str, n: int, expected: float) -> None:
    assert ngram_overlap(text, reference, n) == pytest.approx(expected)
    assert ngram_overlap(text, ngram_set(reference, n), n) == pytest.approx(expected)


def test_ngram_overlap_against_growing_reference() -> None:
    reference: set[tuple[str, ...]] = set()
    sections = ["alpha beta gamma delta", "beta gamma delta epsilon", "zeta eta theta iota"]
    overlaps = []
    for section in sections:
        overlaps.append(ngram_overlap(section, reference, 3))
        reference |= ngram_set(section, 3)
    assert overlaps == [0.0, 0.5, 0.0]


@pytest.mark.parametrize("n", [0, -1])
def test_ngram_size_must_be_positive(n: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        repeated_ngram_share("a b c", n)


def test_ngram_overlap_rejects_reference_of_other_size() -> None:
    with pytest.raises(ValueError, match="expected 3-grams"):
        ngram_overlap("a b c d", ngram_set("a b c d", 2), 3)
