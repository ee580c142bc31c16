"""The compact prompt layout: short self-contained requests, several per long section."""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

import pytest

from longwriter import WriterContext, write_document
from longwriter.agent.run import Run
from longwriter.agent.steps.layouts import compact_layout
from longwriter.drafting.layout import chained_turns, text_tail
from tests.fakes import ScriptedWriter
from tests.openai_stub import StubState, openai_stub


def ctx(**kw: Any) -> WriterContext:
    """Compact layout; the fake's prose is random words, so content control is off unless asked."""
    settings = {"content_filter": False, **kw}
    return WriterContext(
        memory=":memory:",
        embedding="hash",
        structured_plan=False,
        prompt_layout="compact",
        **settings,
    )


def writer_exchanges(fake: ScriptedWriter) -> list[tuple[list[Any], str]]:
    """The writer's requests (each opens with the instruction) and the replies to them."""
    return [
        (m, r)
        for m, r in fake.exchanges
        if len(m) >= 2 and str(m[1].content).startswith("Writing instruction:")
    ]


@pytest.mark.parametrize("ratio", [1.0, 0.6])
def test_compact_layout_lands_on_target_with_short_requests(ratio: float) -> None:
    fake = ScriptedWriter(ratio=ratio)
    result = write_document(
        "Write a 2000-word history of bridges.",
        context=ctx(step_words=150),
        chat_model=fake,
        thread_id=uuid.uuid4().hex,
    )
    report = result.report
    assert abs(report["words"] - 2000) / 2000 < 0.15, report["words"]
    requests = [m for m, _ in writer_exchanges(fake)]
    assert len(requests) > len(report["sections"])  # long sections take several calls
    longest = max(s["budget"] for s in report["sections"])
    for messages in requests:
        # never the whole document: the instruction, a tail, the step and this section so far
        words = sum(len(str(m.content).split()) for m in messages)
        assert words < 300 + 1.5 * longest, messages
    asked = [int(re.findall(r"about (\d+)", str(m[-1].content))[-1]) for m in requests]
    assert max(asked) <= 1.5 * 150


def test_each_request_continues_its_section_or_opens_the_next_with_its_tail() -> None:
    """Within a section every request extends the previous one and its reply (prefix caching);
    a section's first request shows the end of the section before it."""
    fake = ScriptedWriter()
    write_document(
        "Write a 900-word essay on canals.",
        context=ctx(step_words=150),
        chat_model=fake,
        thread_id=uuid.uuid4().hex,
    )
    exchanges = writer_exchanges(fake)
    opened = 0
    for (before, reply), (after, _) in itertools.pairwise(exchanges):
        if len(after) > 2:
            assert [m.content for m in after[: len(before)]] == [m.content for m in before]
            assert after[len(before)].content == reply
        else:
            opened += 1
            assert text_tail(reply) in str(after[1].content)
    assert len(exchanges[0][0]) == 2 and opened >= 1


def test_text_tail_keeps_whole_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(100))
    tail = text_tail(text, 20)
    assert tail.endswith("Sentence number 99 is here.")
    assert tail.startswith("Sentence number") and len(tail.split()) <= 20
    assert text_tail("One very long sentence " * 50) != ""


@pytest.mark.parametrize(("window", "compact"), [(8192, True), (4096, True), (32768, False)])
def test_auto_layout_is_compact_for_small_windows(window: int, compact: bool) -> None:
    with openai_stub(StubState(max_model_len=window)) as stub:
        context = WriterContext(base_url=stub.base_url, model="stub-model")
        with Run(context) as deps:
            assert compact_layout(deps) is compact


def test_a_chat_model_given_by_the_caller_gets_the_history_layout_unless_asked() -> None:
    assert not compact_layout(Run(WriterContext(), ScriptedWriter()))
    compact = WriterContext(prompt_layout="compact")
    assert compact_layout(Run(compact, ScriptedWriter()))


def test_chained_sections_continue_one_conversation_until_it_is_full() -> None:
    """With ``compact_chain_words`` a section's first request extends the previous section's
    conversation (no tail: the text is in it) until the chain holds that many words; then a new one
    opens with the instruction and the tail again."""
    fake = ScriptedWriter()
    result = write_document(
        "Write a 2400-word essay on canals.",
        context=ctx(step_words=150, compact_chain_words=700),
        chat_model=fake,
        thread_id=uuid.uuid4().hex,
    )
    exchanges = writer_exchanges(fake)
    opened = chained = 0
    for (before, reply), (after, _) in itertools.pairwise(exchanges):
        last = str(after[-1].content)
        if last.startswith("Writing instruction:"):
            opened += 1
            assert len(after) == 2 and text_tail(reply) in last
            continue
        assert [m.content for m in after[: len(before)]] == [m.content for m in before]
        assert after[len(before)].content == reply
        chained += last.startswith("Write the next part")
    assert opened >= 1 and chained >= 1
    longest = max(s["budget"] for s in result.report["sections"])
    for messages, _ in exchanges:
        assert sum(len(str(m.content).split()) for m in messages) < 700 + 400 + 1.5 * longest


def test_no_chain_across_a_gap_or_when_switched_off() -> None:
    opening = {"prompt": "Writing instruction: Write about canals.", "said": "Canals carry boats."}
    section = {"index": 0, "title": "A", "text": "Canals carry boats.", "turns": [opening]}
    state: Any = {"language": "en", "instruction": "Write about canals.", "sections": [section]}
    assert chained_turns(state, 1, 100) == (0, [opening])
    assert chained_turns(state, 1, 0) == (1, [])
    assert chained_turns(state, 2, 100) == (2, [])  # section 1 was dropped: a new conversation
    assert chained_turns(state, 1, 5) == (1, [])  # full
