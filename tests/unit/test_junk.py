"""Junk in prose: scraped-web debris found, explained and removed, and lookalikes left alone."""

from __future__ import annotations

import pytest

from longwriter.eval.reader import agreement, junk_pairs
from longwriter.text.junk import find_junk, junk_reasons, strip_citation_marks, strip_junk
from tests.reader_data import assert_agrees, labelled_paragraphs

DEMO = "4729016_nfljfx583bkg 2022-07-13T12:19:45+0Zillion [#GruyCrocks].com.au/..."


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        (DEMO, ["id", "timestamp", "hashtag"]),
        ("Read more at https://example.org/a?b=1 today.", ["url"]),
        ("Read more at www.coffee-history.com today.", ["url"]),
        ("Their site, coffeehistory.co.uk/legends, has maps.", ["domain"]),
        ("Write to joe@cafe.net for a copy.", ["email"]),
        ("Follow @baristadaily for more.", ["handle"]),
        ("Post it with #latteart and #咖啡#.", ["hashtag", "hashtag"]),
        ("See img_0231.jpg and notes.txt.", ["file", "file"]),
        ("It ends here.<br> The next one.", ["markup"]),
        ('<a href="x">link</a>', ["markup", "markup"]),
        ("Tom &amp; Jerry", ["markup"]),
        ("<<The Power of Solar Microgrids: From Energy to Health>>\nIt works.", ["markup"]),
        ("{{title}} and [[Category:Coffee]]", ["template", "template", "template", "template"]),
        ('{"section": 3}', ["template", "template"]),
        ("an extra header that contains: `{", ["template"]),
        ("record a3f9c2e1b7d4 and user_name_x", ["id", "id"]),
        # The embedded model's white paper opened with its plan's numbering run into prose.
        (
            "3. Power Sources for Rural Clinics, 4. 5. Solar Microgrids, and 6. Storage",
            ["enum"] * 2,
        ),
        ("6. Renewable Energy Systems, 3rd in a series, 8.", ["enum"]),
    ],
)
def test_junk_is_found(text: str, kinds: list[str]) -> None:
    assert [j.kind for j in find_junk(text)] == kinds


@pytest.mark.parametrize(
    "text",
    [
        "COVID-19 vaccines were authorised in 2020, the A320neo first flew in 2014.",
        "Eliud Kipchoge ran 2:01:09 in Berlin; the 10:15 from Paddington was late.",
        "In the U.S., e.g. in New York, prices rose 3.5% (about $1,000 a year).",
        "C# and F# are languages; the song was a #1 hit; x<y and y>z.",
        "Shift left with a << 2 and right with b >> 3; she wrote «Bonjour».",
        "The ASP.NET team met at 8:30 a.m. in room 12B.",
        "The R290 refrigerant has a GWP of 3; see EN 12831 and A-7/W35 data.",
        "The war ended.It was 1918.",
        "The sizes were 2, 3, 4. Then came 5. He was born on May 4. 5 years later he left.",
        "1. Mix the flour.\n2. Add water.\n3. Knead for 10 minutes, then rest it 1.5 hours.",
        "咖啡在15世纪传入也门，2022年7月13日价格上涨。",
        "",
    ],
)
def test_prose_is_not_junk(text: str) -> None:
    assert find_junk(text) == []


def test_tokens_of_the_instruction_are_not_junk() -> None:
    text = "The #MeToo movement began on twitter.com in 2017."
    assert junk_reasons(text) == ["hashtag: #MeToo", "domain: twitter.com"]
    assert junk_reasons(text, "Write an essay on the #MeToo movement and twitter.com.") == []


def test_reasons_name_each_token_once() -> None:
    assert junk_reasons("Visit www.x.com, then www.x.com again, then @x_y.") == [
        "url: www.x.com",
        "handle: @x_y",
    ]


def test_strip_junk_drops_the_sentence_or_the_mostly_junk_paragraph() -> None:
    text = (
        "Coffee came from Ethiopia. See www.coffee.com for more. It spread to Yemen.\n\n"
        f"{DEMO}\n\n"
        "A clean paragraph\nwith two lines."
    )
    assert strip_junk(text) == (
        "Coffee came from Ethiopia. It spread to Yemen.\n\nA clean paragraph\nwith two lines."
    )
    assert strip_junk("Short. Follow @me and #you on www.x.com now.") == ""
    assert strip_junk(text, instruction=f"Explain {DEMO} and www.coffee.com") == text


# Measured with benchmarks/calibrate_reader.py (junk paragraphs of the labelled set).
JUNK_AGREEMENT = {"en": (1.0, 1.0), "zh": (1.0, 1.0)}


@pytest.mark.parametrize("language", sorted(JUNK_AGREEMENT))
def test_junk_agrees_with_the_labelled_set(language: str) -> None:
    got = agreement(p for r in labelled_paragraphs(language) for p in junk_pairs(r))
    assert_agrees(got, JUNK_AGREEMENT[language], margin=0.05, positives=8)


@pytest.mark.parametrize(
    ("text", "instruction", "expected"),
    [
        ("[8] This makes printing fast.", "Write about printing.", "This makes printing fast."),
        (
            "It spread [3] across Europe[12, 14]. [citation needed]",
            "Write about printing.",
            "It spread across Europe.",
        ),
        ("First.\n\n[2–4] Second.", "Write about printing.", "First.\n\nSecond."),
        ("Arrays start at a[0] and x_1[12].", "Write a guide to C.", None),  # indexes stay
        ("As shown [3].", "Write an essay with references.", None),  # asked for
        ("如前所述[3]。", "写一篇文章，注明参考文献。", None),
    ],
)
def test_citation_marks_that_point_nowhere_are_removed(
    text: str, instruction: str, expected: str | None
) -> None:
    assert strip_citation_marks(text, instruction) == (text if expected is None else expected)
