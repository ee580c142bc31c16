"""Content control with the real MiniLM embedder: off-subject paragraphs are removed and refilled."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.messages import HumanMessage

from longwriter import WriterContext, write_document
from longwriter.agent.run import Run
from longwriter.drafting.relevance import drift_watch
from longwriter.llm.chat import DRIFT_FINISH
from longwriter.llm.embeddings import EmbeddingChoice
from tests.fakes import ScriptedWriter, letter_code

pytestmark = pytest.mark.integration


PLACES = ["Rome", "London", "Prague", "Kyoto", "Lisbon", "Quebec", "Sydney", "Cairo", "Bergen"]
STUFF = ["stone", "iron", "steel", "timber", "rope", "brick", "concrete", "cable", "granite"]


TEMPLATES = [
    "In {year} the {stuff} bridge of {place} opened over the river.",
    "Its builders in {place} learned how {stuff} arches carry heavy carts.",
    "Bridge history remembers {place} for that {stuff} span of {year}.",
    "Travellers crossed the {stuff} deck at {place} long after {year}.",
]


def bridge_paragraph(n: int) -> str:
    """A paragraph on the history of bridges, with different words for every ``n``."""
    place, stuff = PLACES[n % len(PLACES)], STUFF[(n * 4) % len(STUFF)]
    return " ".join(
        t.format(
            place=f"{place}{letter_code(n)}",
            stuff=f"{stuff}{letter_code(n)}",
            year=1500 + 37 * n + k,
        )
        for k, t in enumerate(TEMPLATES)
    )


PASTA = (
    "Boil the pasta in salted water, stir the sauce with garlic and basil, and grate cheese "
    "over the plate before dinner with friends at the kitchen table."
)


def test_off_subject_paragraphs_are_removed_and_refilled() -> None:
    fake = ScriptedWriter()
    fake.section_replies = [
        f"{bridge_paragraph(i)}\n\n{PASTA} {PASTA.replace('pasta', f'noodles {letter_code(i)}')}"
        for i in range(40)
    ]
    result = write_document(
        "Write a 600-word history of bridges.",
        context=WriterContext(
            memory=":memory:", structured_plan=False, prompt_layout="compact", step_words=150
        ),
        chat_model=fake,
        thread_id=uuid.uuid4().hex,
    )
    assert "pasta" not in result.text and "bridge" in result.text
    assert result.report["length_score"] > 80
    assert any("pasta" in reply for _, reply in fake.exchanges)  # written, then taken out
    reasons = [r for s in result.report["sections"] for r in s["reasons"]]
    assert any("off the subject removed" in r for r in reasons), reasons


def test_a_real_stream_is_closed_at_the_first_paragraph_off_the_subject() -> None:
    """llama.cpp streams SmolLM2's reply on another subject; the watch (real MiniLM scorer) closes
    the stream at its first complete paragraph, long before max_tokens."""
    context = WriterContext(temperature=0.0, extra_body={"seed": 7})
    with Run(context) as deps:
        scorer = deps.scorer_for(EmbeddingChoice("minilm"), "the history of bridges", "en")
        watch = drift_watch(scorer, point="", instruction="Write a history of bridges.")
        messages = [
            HumanMessage(
                "Write five paragraphs, separated by blank lines, on how to cook pasta at home."
            )
        ]
        reply = deps.call(messages, max_tokens=700, watch=watch)
    assert reply.finish_reason == DRIFT_FINISH, reply.text
    assert reply.text and reply.completion_tokens < 300  # closed after its first paragraph
