"""Content control: which sentences of a drifting paragraph are cut, and what is removed."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import pytest

from longwriter.drafting.relevance import DRIFT_RUN, drift_watch, drifting, keep_on_subject
from longwriter.text.reader import SENTENCE_OFF_BELOW, SubjectScorer
from tests.unit.test_reader import lexical

LOW, HIGH = SENTENCE_OFF_BELOW - 0.1, SENTENCE_OFF_BELOW + 0.5


@pytest.mark.parametrize(
    ("scores", "cut"),
    [
        ([], set()),
        ([HIGH, HIGH, HIGH], set()),
        ([HIGH, LOW, HIGH], set()),  # one weak link between two sentences on the subject stays
        ([LOW, HIGH, HIGH], {0}),  # a weak opening goes
        ([HIGH, HIGH, LOW], {2}),  # ... and a weak ending
        ([HIGH, LOW, LOW, HIGH], {1, 2}),  # a run of two is a drift
        ([HIGH, LOW, LOW, LOW, HIGH, LOW, HIGH, LOW, LOW], {1, 2, 3, 7, 8}),
        ([LOW], {0}),
        ([LOW, LOW, LOW], {0, 1, 2}),
    ],
)
def test_drifting_sentences(scores: list[float], cut: set[int]) -> None:
    assert drifting(scores) == cut


COFFEE = (
    "Coffee trees grew wild in the Ethiopian highlands, where herders chewed coffee cherries. "
    "Coffee beans were later roasted and brewed in Yemen for long nights of prayer. "
    "Coffee houses spread from Mecca to Cairo and Istanbul as coffee trade grew."
)
DRIFT = (
    "Coffee roasting in Yemen gave coffee its dark colour and coffee beans their aroma. "
    "My cousin bought a red bicycle with seven gears last summer. "
    "The bicycle shop also repairs electric scooters and old tyres. "
    "Coffee exports from Mocha made the port famous for coffee."
)
NOVEL = (
    "The novel To Kill a Mockingbird follows Scout Finch in a small Alabama town. "
    "Atticus Finch defends a black man accused of a crime in the courtroom. "
    "Readers remember the trial and the mockingbird as a symbol of innocence."
)


def test_keep_on_subject_cuts_drift_and_drops_off_subject_paragraphs() -> None:
    scorer = SubjectScorer(lexical, "the history of coffee", "en")
    assert scorer.informative
    text = (
        f"{COFFEE}\n\n{DRIFT}\n\n{NOVEL}\n\nVisit www.example.com/coffee-4729016_nfljfx583bkg now."
    )
    kept, removed = keep_on_subject(
        text, scorer, point="", instruction="Write a history of coffee."
    )
    assert COFFEE in kept
    assert "bicycle" not in kept and "Mocha" in kept  # the drift is cut, the paragraph stays
    assert "Mockingbird" not in kept and "example.com" not in kept
    assert removed == {"junk": 1, "drift": 2, "off_subject": 1}


def test_nothing_is_judged_by_an_embedder_that_cannot_tell_subjects_apart() -> None:
    scorer = SubjectScorer(lambda texts: [[1.0, 0.0] for _ in texts], "coffee", "en")
    kept, removed = keep_on_subject(f"{COFFEE}\n\n{NOVEL}", scorer, point="", instruction="")
    assert kept == f"{COFFEE}\n\n{NOVEL}" and not removed


def test_the_drift_watch_stops_at_the_first_paragraph_the_filter_would_drop() -> None:
    scorer = SubjectScorer(lexical, "the history of coffee", "en")
    watch = drift_watch(scorer, point="", instruction="Write a history of coffee.")
    assert not watch(f"{COFFEE}\n")  # no paragraph complete yet
    assert not watch(f"{COFFEE}\n\n{DRIFT}\n\nShort line.\n\n")  # cut in part, not dropped
    assert watch(f"{COFFEE}\n\n{DRIFT}\n\nShort line.\n\n{NOVEL}\n\n")
    fresh = drift_watch(scorer, point="", instruction="Write a history of coffee.")
    first = NOVEL.split(". ")[0] + "."
    assert not fresh(f"{first}\n")  # unfinished, one sentence: not judged
    assert drift_watch(scorer, point="", instruction="")(f"{NOVEL} Scout")  # three complete ones
    assert not fresh("Off.\n\n")  # too short to judge


def _first_stop(watch: Callable[[str], bool], text: str) -> str | None:
    """What was read when ``watch`` stopped a stream of ``text`` arriving word by word."""
    pieces = re.findall(r"\S+\s*", text)
    for end in itertools.accumulate(len(p) for p in pieces):
        if watch(text[:end]):
            return text[:end]
    return None


def test_the_drift_watch_stops_inside_a_paragraph_at_a_run_of_sentences_off_the_subject() -> None:
    scorer = SubjectScorer(lexical, "the history of coffee", "en")
    link = "It worked. "  # one weak sentence between two on the subject: kept, read on
    drift = DRIFT.replace("tyres. ", "tyres. Its owner rides a tandem on Sundays. ")
    stream = f"{COFFEE}\n\n{COFFEE} {link}{COFFEE}\n\n{drift}\n\nCoffee reached Venice by 1615."
    watch = drift_watch(scorer, point="", instruction="Write a history of coffee.")
    read = _first_stop(watch, stream)
    assert read is not None and DRIFT_RUN == 3
    # Stopped once the third sentence off the subject was complete (the next one had begun), before
    # the drifting paragraph ended.
    assert read.rstrip().endswith("Coffee") and "tandem" in read and "Mocha" not in read
    kept, _ = keep_on_subject(read, scorer, point="", instruction="Write a history of coffee.")
    assert "bicycle" not in kept and link.strip() in kept
    # Where each call is prefilled anew (no cached conversation), only whole paragraphs stop it.
    paragraphs_only = drift_watch(scorer, point="", instruction="", sentences=False)
    assert _first_stop(paragraphs_only, stream) is None
    # Two in a row are cut by the filter, but the reply is read on: models come back.
    assert _first_stop(drift_watch(scorer, point="", instruction=""), f"{DRIFT}\n\n") is None
