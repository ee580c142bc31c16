"""The citation check: numbers that point nowhere and unsupported citations go, supported ones
stay, a wrong number is corrected, and the figures count each case."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from longwriter.sources.cite import (
    MARKER,
    check_citations,
    drop_invented,
    fact_sentences,
    facts,
    facts_used,
    renumber,
    support,
)

PASSAGES = {
    1: "The Halden bridge opened in 1887 and carried 3,400 carts a day across the river Vell.",
    2: "Engineer Mira Tosk designed the iron trusses after the flood of 1879 destroyed the ford.",
}


def test_a_supported_citation_stays_and_an_unsupported_one_goes() -> None:
    text = (
        "The Halden bridge opened in 1887 and carried 3,400 carts a day [1]. "
        "It was painted blue in 1950 and renamed after the mayor [2]."
    )
    check = check_citations(text, PASSAGES)
    assert "carts a day [1]." in check.text
    assert "renamed after the mayor." in check.text and "[2]" not in check.text
    assert (check.supported, check.unsupported, check.removed) == (1, 1, 1)


def test_a_wrong_number_is_corrected_and_a_dangling_one_removed() -> None:
    text = (
        "Mira Tosk designed the iron trusses after the flood of 1879 [1]. Rivers flow to towns [7]."
    )
    check = check_citations(text, PASSAGES)
    assert "flood of 1879 [2]." in check.text and "[7]" not in check.text
    assert check.corrected == 1 and check.dangling == 1


def test_a_number_the_passage_lacks_is_not_supported() -> None:
    assert support("The Halden bridge opened in 1888 and carried carts.", _p(1)) == 0.0
    assert support("The Halden bridge opened in 1887 and carried carts.", _p(1)) > 0.5


def test_an_uncited_sentence_gets_the_passage_that_clearly_supports_it() -> None:
    check = check_citations(
        "Engineer Mira Tosk designed the iron trusses after the flood of 1879.", PASSAGES
    )
    assert check.text.endswith("1879 [2].") and check.auto_cited == 1
    plain = check_citations(
        "Engineer Mira Tosk designed the iron trusses.", PASSAGES, attribute=False
    )
    assert "[" not in plain.text and plain.auto_cited == 0


def test_a_marker_after_the_full_stop_belongs_to_the_sentence_before() -> None:
    check = check_citations(
        "The Halden bridge opened in 1887 and carried 3,400 carts a day. [1] Next.", PASSAGES
    )
    assert check.text.startswith(
        "The Halden bridge opened in 1887 and carried 3,400 carts a day [1]."
    )


def test_chinese_citations() -> None:
    passages = {1: "哈尔登大桥于1887年通车，每天有3400辆马车经过维尔河。"}
    check = check_citations("哈尔登大桥于1887年通车，每天有3400辆马车经过[1]。", passages)
    assert "[1]" in check.text and check.supported == 1


def test_renumber_maps_section_numbers_to_references() -> None:
    assert renumber("A [1]. B [2, 1]. C [3].", {1: 4, 2: 7}) == "A [4]. B [4, 7]. C."


def test_facts_used_counts_numbers_and_names_stated() -> None:
    stated, held = facts_used("Mira Tosk built it in 1879.", [PASSAGES[2]])
    assert held >= 3 and stated == 3  # mira, tosk, 1879


def test_facts_are_numbers_names_and_quotes() -> None:
    tokens, quoted = facts('The span at Halden cost 3.5 million, "a princely sum" then.')
    assert {"halden", "3.5"} <= tokens and quoted == {"a princely sum"}


def _p(n: int):  # type: ignore[no-untyped-def]
    from longwriter.sources.cite import _prepared

    return _prepared(PASSAGES[n])


@settings(deadline=2000, max_examples=150)
@given(st.text(alphabet=st.sampled_from(list('ab [1],.。\n"“”12A名')), max_size=400))
def test_the_check_is_total_and_keeps_no_dangling_number(text: str) -> None:
    check = check_citations(text, {1: "a b A 12"})
    for marker in MARKER.finditer(check.text):
        assert marker.group(1) == "1"
    renumber(text, {1: 2})


def test_the_check_is_linear_on_long_input() -> None:
    text = ("The Halden bridge opened in 1887 [1]. " * 3000) + "[" * 5000
    check = check_citations(text, PASSAGES)
    assert check.sentences >= 3000


def test_a_sentence_with_facts_from_no_single_passage_is_dropped() -> None:
    text = (
        "The Halden bridge opened in 1887 and carried carts.\n\n"
        "In 1879 the bridge opened to 3,400 carts.\n\n"  # the dates of two passages mixed
        "The Romans built it in 1920.\n\n"
        "Bridges shaped the town and its river trade."
    )
    kept, dropped = drop_invented(text, list(PASSAGES.values()), "Write about the Halden bridge.")
    assert dropped == 2
    assert kept == (
        "The Halden bridge opened in 1887 and carried carts.\n\n"
        "Bridges shaped the town and its river trade."
    )


def test_fact_sentences_bring_facts_not_stated_yet_cited() -> None:
    seeds = fact_sentences(PASSAGES, "The bridge opened in 1887.", "Write about Halden.", 2)
    assert seeds == [
        "The Halden bridge opened in 1887 and carried 3,400 carts a day across the river Vell [1].",
        "Engineer Mira Tosk designed the iron trusses after the flood of 1879 destroyed the ford [2].",
    ]
    assert fact_sentences(PASSAGES, " ".join(PASSAGES.values()), "", 2) == []
