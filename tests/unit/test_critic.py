"""Critic verdicts and the deterministic clean-ups the reviser applies."""

from __future__ import annotations

import pytest

from longwriter.agent.context import WriterContext
from longwriter.document import Draft
from longwriter.drafting.cleanup import (
    clean_draft,
    clip_to_words,
    drop_repeats,
    replay_text,
    strip_labels,
)
from longwriter.drafting.judge import judge, wrong_language
from longwriter.text import count_words, ngram_set
from tests.fakes import ScriptedWriter

CTX = WriterContext()


def draft(text: str) -> Draft:
    return {
        "text": text,
        "words": count_words(text),
        "finish_reason": "stop",
        "action": "write",
        "turns": [],
    }


def prose(words: int) -> str:
    return ScriptedWriter()._prose(words)


@pytest.mark.parametrize(
    ("words", "budget", "ok", "action"),
    [
        (400, 400, True, "accept"),
        (330, 400, True, "accept"),
        (300, 400, False, "expand"),
        (590, 400, True, "accept"),
        (700, 400, False, "condense"),
    ],
)
def test_length_verdicts(words: int, budget: int, ok: bool, action: str) -> None:
    verdict = judge(draft(prose(words)), budget, CTX, language="en", earlier=set())
    assert (verdict["ok"], verdict["action"]) == (ok, action)


def test_empty_reply_is_rewritten_and_scores_lowest() -> None:
    verdict = judge(draft(""), 400, CTX, language="en", earlier=set())
    assert verdict["action"] == "rewrite" and not verdict["ok"]
    assert (
        verdict["score"] < judge(draft(prose(50)), 400, CTX, language="en", earlier=set())["score"]
    )


def test_repetition_inside_section_is_caught() -> None:
    para = "The harbour was busy every single morning of the year with ships from far away."
    text = "\n".join([para] * 30)
    verdict = judge(draft(text), 400, CTX, language="en", earlier=set())
    assert verdict["action"] == "dedupe"
    assert any("duplicated line" in r for r in verdict["reasons"])


def test_overlap_with_earlier_sections_is_caught() -> None:
    text = prose(400)
    verdict = judge(draft(text), 400, CTX, language="en", earlier=ngram_set(text, 8))
    assert verdict["action"] == "dedupe"
    assert any("repeat earlier" in r for r in verdict["reasons"])


def test_memory_near_duplicates_count_against_a_draft() -> None:
    verdict = judge(draft(prose(400)), 400, CTX, language="en", earlier=set(), near_duplicates=2)
    assert verdict["action"] == "dedupe" and not verdict["ok"]


def test_wrong_language_and_leaked_labels() -> None:
    chinese = "咖啡起源于埃塞俄比亚的高原，后来传到也门。" * 20
    verdict = judge(draft(chinese), 400, CTX, language="en", earlier=set())
    assert verdict["action"] == "rewrite"
    assert wrong_language(chinese, "zh") is None
    leaked = draft("Paragraph 2 - Main Point: x\n" + prose(400))
    assert judge(leaked, 400, CTX, language="en", earlier=set())["action"] == "dedupe"


def test_strip_labels_and_heading() -> None:
    raw = "## The Republic\n\nParagraph 2 - The senate grew strong.\nIt ruled Italy.\nWord count: 350 words"
    assert (
        clean_draft(raw, "The Republic", truncated=False)
        == "The senate grew strong.\nIt ruled Italy."
    )
    assert strip_labels("第3段：咖啡传入欧洲。（500字）") == "咖啡传入欧洲。"


def test_truncated_reply_is_cut_at_last_sentence() -> None:
    assert (
        clean_draft("One sentence. Two sentence. Thr", "T", truncated=True)
        == "One sentence. Two sentence."
    )


def test_drop_repeats_removes_repeated_sentences_and_copied_paragraphs() -> None:
    earlier_text = prose(200)
    new = "A fresh idea appears here. A fresh idea appears here. Another point follows."
    text = drop_repeats(f"{new}\n\n{earlier_text}", ngram_set(earlier_text, 8), 0.2)
    assert text == "A fresh idea appears here. Another point follows."


def test_clip_to_words() -> None:
    text = prose(300)
    clipped = clip_to_words(text, 120)
    assert 60 <= count_words(clipped) <= 120
    assert clipped.endswith(".")
    assert clip_to_words(text, 1000) == text


BODY = "Canals carried coal to the mills. Barges moved at walking pace. Towns grew along the banks."


@pytest.mark.parametrize(
    ("raw", "truncated", "replayed"),
    [
        (BODY, False, "raw"),
        (f"## Canals\n\n{BODY}", False, "raw"),  # a heading cut from the head
        (f"Canals\n{BODY}", False, "raw"),  # the bare title
        (f"{BODY} Locks let the boats clim", True, "raw"),  # a cut-off last sentence
        (f"Paragraph 1 - {BODY}", False, "clean"),  # a step label
        (f"{BODY} In this section I will explain how locks work.", False, "clean"),  # meta-talk
        (f"{BODY} Canals carried coal to the mills.", False, "clean"),  # a repeat
    ],
)
def test_replies_are_replayed_as_generated_only_when_cleaning_cut_a_heading_or_a_cut_off_end(
    raw: str, truncated: bool, replayed: str
) -> None:
    clean = clean_draft(raw, "Canals", truncated, topic="Canals and locks")
    clean = drop_repeats(clean, set(), 1.0)
    assert replay_text(raw, clean, "Canals", truncated) == (raw if replayed == "raw" else clean)
    assert replay_text("## Canals", "", "Canals", False) == ""  # nothing left to replay


def test_a_stretch_of_the_request_echoed_as_a_line_is_dropped() -> None:
    """SmolLM2 on vLLM opened a section with the request's main point and a colon."""
    prompt = (
        'Write the next part of the text, on "The Birth of the Printing Press": The Birth of the '
        "Printing Press, as part of the printing press and how it changed Europe\n"
        "Write about 200 words in English about the printing press."
    )
    reply = (
        "The Birth of the Printing Press, as part of the printing press and how it changed Europe:\n\n"
        "Gutenberg printed his Bible in Mainz around 1455.\n"
        "The press changed Europe"  # three words: too short to call an echo
    )
    cleaned = clean_draft(reply, "The Birth of the Printing Press", False, prompt=prompt)
    assert cleaned.startswith("Gutenberg printed") and "The press changed Europe" in cleaned
    # a line that only shares part of a word with the prompt is kept
    kept = "art of the printing press and how it changed"
    assert kept in clean_draft(kept, "Other", False, prompt=prompt)


def test_a_stretch_of_the_request_used_as_a_label_is_cut_from_its_line() -> None:
    """SmolLM2 on vLLM opened paragraphs with "<the point's words>:" and went on with real text."""
    prompt = (
        'Write the next part of the text, on "Origins": Where the printing press and how it changed '
        "Europe begins: the earliest evidence and the stories told about it.\n"
        "Write about 200 words in English about the printing press."
    )
    reply = (
        "The printing press and how it changed Europe begins: In 1439 Gutenberg set up a press.\n\n"
        "Printers in Venice: they cut their own type.\n\n"  # not in the request: kept whole
        "The printing press and how it changed Europe begins:"  # nothing after the label: dropped
    )
    cleaned = clean_draft(reply, "Origins", False, prompt=prompt)
    assert (
        cleaned
        == "In 1439 Gutenberg set up a press.\n\nPrinters in Venice: they cut their own type."
    )


def test_a_run_on_sentence_that_copies_a_long_run_of_words_is_dropped() -> None:
    first = (
        "When considering the impact on society, many experts from different fields argue that one "
        "must weigh every facet of a decision. This includes food."
    )
    copy = (
        "When considering the impact on society, many experts from different fields argue that one "
        "must weigh every facet of education policy; the topic also involves parents, schools, "
        "budgets, teachers and many other things besides. Homework is useful."
    )
    assert drop_repeats(f"{first}\n\n{copy}", set(), 0.5) == f"{first}\n\nHomework is useful."
    # nine shared words in a row are not a copy
    other = (
        "Many experts from different fields argue that one must rest after long days of hard work "
        "in the fields and the mines. Tea helps."
    )
    assert "must rest" in drop_repeats(f"{first}\n\n{other}", set(), 0.5)


def test_a_sentence_copying_the_requests_own_wording_is_dropped() -> None:
    """The held-out white paper: the end of a continue request, pasted after a heading-like phrase."""
    prompt = (
        'Continue the text with about 120 more words on "Key Takeaways" (solar microgrids cut diesel '
        "costs), about solar microgrids for rural health clinics, with details it does not have yet."
    )
    topic = (
        "Write a white paper on solar microgrids for rural health clinics.\nKey Takeaways\n"
        "solar microgrids cut diesel costs"
    )
    reply = (
        "Key Takeaways from the article on solar microgrids, with details it does not have yet. "
        "Solar microgrids cut diesel costs for rural health clinics by half."
    )
    cleaned = clean_draft(reply, "Key Takeaways", False, topic=topic, prompt=prompt)
    # the subject's words may be repeated; the request's wording may not
    assert cleaned == "Solar microgrids cut diesel costs for rural health clinics by half."
