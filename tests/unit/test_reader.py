"""Reader-side figures: the Markdown parser, the calibrated subject scorer (hashed embeddings here;
MiniLM in tests/integration/test_reader_minilm.py), the per-document report, `eval reader`."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from longwriter.agent.report import build_report
from longwriter.eval.cli import app
from longwriter.eval.reader import agreement, relevance
from longwriter.eval.report import build_report as eval_report
from longwriter.eval.report import load_run
from longwriter.jsonl import append_jsonl
from longwriter.llm.embeddings import HashEmbedder
from longwriter.text.reader import (
    OFF_SUBJECT_BELOW,
    Section,
    SubjectScorer,
    document_figures,
    null_bank,
    parse_markdown,
    reader_figures,
    split_paragraphs,
)
from longwriter.text.sentences import split_sentences
from longwriter.text.words import tokenize
from tests.reader_data import assert_agrees, labelled_paragraphs

INSTRUCTION = "Write a 1500-word illustrated guide to the history of coffee."
ON = (
    "Coffee reached Yemen from Ethiopia in the fifteenth century. Sufi monks drank it to stay "
    "awake through night prayers, and the port of Mocha shipped coffee beans across the Red Sea."
)
OFF = (
    "Harper Lee's novel To Kill a Mockingbird tells the story of Scout Finch and her father "
    "Atticus, a lawyer in Alabama who defends a Black man accused of a crime he did not commit."
)
META = "This guide is designed for a 4-sectioned document. It covers coffee."
JUNK = "4729016_nfljfx583bkg 2022-07-13T12:19:45+0Zillion [#GruyCrocks].com.au/..."


_STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "and",
        "in",
        "on",
        "for",
        "with",
        "its",
        "is",
        "are",
        "was",
        "were",
        "by",
        "at",
        "as",
        "or",
        "from",
        "it",
    ]
)


def lexical(texts: Sequence[str]) -> list[list[float]]:
    """Content words hashed into 1,024 dimensions: unlike the project's hashing embedder (whose
    stopwords and bigrams blur English subjects: positive level 1.4), it tells subjects apart."""
    vectors = []
    for text in texts:
        vector = [0.0] * 1024
        for token in tokenize(text):
            if token not in _STOPWORDS:
                digest = hashlib.blake2b(token[:6].encode(), digest_size=4).digest()
                vector[int.from_bytes(digest, "little") % 1024] += 1.0
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        vectors.append([x / norm for x in vector])
    return vectors


class Counting:
    """An embedding function that counts the texts it embeds."""

    def __init__(self) -> None:
        self.texts = 0

    def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts += len(texts)
        return lexical(texts)


def constant(texts: Sequence[str]) -> list[list[float]]:
    """An embedder that cannot tell anything apart."""
    return [[1.0, 0.0] for _ in texts]


def test_parse_markdown_sections_and_paragraphs() -> None:
    doc = (
        "Preamble line.\n\n# Not the title\n\n"
        "## First ##\nText under the first\nheading, two lines.\n\n\n  \nSecond paragraph.\n"
        "### Second\n#hashtag is text\n\n## \n\nUnder an empty heading."
    )
    title, sections = parse_markdown(doc)
    assert title == ""
    assert [(s.heading, s.paragraphs) for s in sections] == [
        ("", ["Preamble line."]),
        ("Not the title", []),
        ("First", ["Text under the first\nheading, two lines.", "Second paragraph."]),
        ("Second", ["#hashtag is text"]),
        ("", ["Under an empty heading."]),
    ]
    assert parse_markdown("# Title\n\nBody.")[0] == "Title"
    assert parse_markdown("") == ("", [])
    assert split_paragraphs("# T\n\nA.\n## H\nB.\n\nC.") == ["A.", "B.", "C."]


def test_null_bank_pairs_subjects_with_paragraphs() -> None:
    for language in ("en", "zh", "fr"):
        bank = null_bank(language)
        assert len(bank) >= 60
        assert all(subject and len(paragraph) > 60 for subject, paragraph in bank)
    assert null_bank("fr") == null_bank("en")


def test_scorer_separates_on_from_off_and_caches_its_vectors() -> None:
    embed = Counting()
    scorer = SubjectScorer(embed, "the history of coffee", "en")
    calibrated = embed.texts
    assert calibrated == 2 * len(null_bank("en")) + 1  # bank subjects, paragraphs, the subject
    assert scorer.informative and scorer.positive_level > 1
    on, off = scorer.scores([ON, OFF], ["Coffee in Yemen and Mocha", "Coffee in Yemen and Mocha"])
    assert on > OFF_SUBJECT_BELOW > off
    assert scorer.off_subject([ON, OFF]) == [False, True]
    # texts, the point once, texts again and their sentences (for drift)
    sentences = len(split_sentences(ON)) + len(split_sentences(OFF))
    assert embed.texts == calibrated + 2 + 1 + 2 + sentences
    SubjectScorer(embed, "the history of tea", "en")
    # the bank is calibrated once per embedding function
    assert embed.texts == calibrated + 5 + sentences + 1
    assert scorer.scores([]) == []
    with pytest.raises(ValueError, match="2 points for 1 texts"):
        scorer.scores([ON], ["a", "b"])


def test_an_embedder_that_cannot_tell_subjects_apart_flags_nothing() -> None:
    scorer = SubjectScorer(constant, "coffee", "en")
    assert not scorer.informative
    assert scorer.off_subject([ON, OFF]) == [False, False]


def test_the_fallback_judges_where_it_tells_subjects_apart_better() -> None:
    hashing = HashEmbedder().embed
    weak = SubjectScorer(hashing, "coffee", "en")
    assert not weak.informative and weak.positive_level < 2  # lexical: weak on English subjects
    chinese = SubjectScorer(constant, "咖啡的历史", "zh", fallback=hashing)
    assert chinese.informative and chinese.positive_level > 4
    assert not SubjectScorer(constant, "coffee", "zh", fallback=constant).informative
    assert SubjectScorer(lexical, "coffee", "en", fallback=hashing).positive_level > 10


# Off-subject verdicts of the hashing embedder on the Chinese paragraphs of the labelled set,
# measured with benchmarks/calibrate_reader.py; the test allows 0.05 below each figure.
HASH_ZH_PRECISION, HASH_ZH_RECALL = 0.745, 0.778


def test_hash_relevance_agrees_with_the_labelled_chinese_set() -> None:
    rows = labelled_paragraphs("zh")
    judged = relevance(
        rows,
        lambda subject, language: SubjectScorer(
            HashEmbedder().embed, subject, language, lexical=True
        ),
    )
    got = agreement((judged[r["id"]][1], not r["on_subject"]) for r in rows)
    assert_agrees(got, (HASH_ZH_PRECISION, HASH_ZH_RECALL), margin=0.05, positives=40)


def test_reader_figures_per_document_and_section() -> None:
    scorer = SubjectScorer(lexical, "the history of coffee", "en")
    sections = [
        Section("Coffee in Yemen", [ON, OFF], ["Coffee in Yemen", "Coffee in Yemen"]),
        Section("{Title", [META, JUNK]),
        Section("Coffee in Yemen", [ON]),
    ]
    figures = reader_figures(
        sections, instruction=INSTRUCTION, language="en", title="Coffee", scorer=scorer
    )
    doc = figures["document"]
    assert doc["paragraphs"] == 5 and doc["off_subject"] == 2  # the novel and the debris
    assert doc["sentences"] == 8 and doc["meta_sentences"] == 1
    assert doc["junk_paragraphs"] == 1 and doc["junk_share"] == 0.2
    assert doc["headings"] == 3 and doc["bad_headings"] == 2
    first, second, third = figures["sections"]
    assert first["off_subject"] == 1 and len(first["relevance"]) == 2
    assert (
        second["junk"][0] == "id: 4729016_nfljfx583bkg" and "markup" in second["heading_problems"]
    )
    assert third["heading_problems"] == ["duplicate"]
    plain = reader_figures(sections, instruction=INSTRUCTION, language="en")
    assert plain["document"]["off_subject"] is None and plain["sections"][0]["relevance"] is None
    assert document_figures("", instruction=INSTRUCTION, language="en")["document"] == {
        "paragraphs": 0,
        "off_subject": None,
        "off_subject_share": None,
        "sentences": 0,
        "meta_sentences": 0,
        "meta_share": 0.0,
        "junk_paragraphs": 0,
        "junk_share": 0.0,
        "headings": 0,
        "bad_headings": 0,
        "heading_problems": [],
    }


def _state() -> dict[str, Any]:
    plan = [
        {"title": "Yemen", "main_point": "Coffee in Yemen", "words": 100, "part": 1, "parts": 2},
        {"title": "Yemen", "main_point": "The port of Mocha", "words": 100, "part": 2, "parts": 2},
        {"title": "A Novel", "main_point": "To Kill a Mockingbird", "words": 100},
    ]
    texts = [f"{ON}\n\n{META}", ON, OFF]
    return {
        "instruction": INSTRUCTION,
        "title": "Coffee",
        "language": "en",
        "target_words": 300,
        "sections_plan": plan,
        "sections": [
            {"index": i, "title": p["title"], "text": t, "words": 30, "budget": 100}
            | {"attempts": 1, "verdict": "accepted", "reasons": []}
            for i, (p, t) in enumerate(zip(plan, texts, strict=True))
        ],
    }


def test_every_report_has_a_reader_block() -> None:
    state = _state()
    document = f"# Coffee\n\n## Yemen\n\n{ON}\n\n{META}\n\n{ON}\n\n## A Novel\n\n{OFF}\n"
    scorer = SubjectScorer(lexical, "the history of coffee", "en")
    report = build_report(state, document, scorer)  # type: ignore[arg-type]
    reader = report["reader"]
    assert [s["heading"] for s in reader["sections"]] == ["Yemen", "A Novel"]
    assert reader["document"]["paragraphs"] == 4 and reader["document"]["meta_sentences"] == 1
    assert reader["sections"][1]["off_subject"] == 1
    assert build_report(state, document)["reader"]["document"]["off_subject"] is None  # type: ignore[arg-type]


def test_eval_reader_scores_any_prediction_file(tmp_path: Path) -> None:
    pred = tmp_path / "p.jsonl"
    zh_on = "咖啡在十五世纪从埃塞俄比亚传入也门。苏菲派修士靠喝咖啡在夜间祈祷时保持清醒。"
    zh_off = "《红楼梦》以贾宝玉和林黛玉的爱情悲剧为主线，描写了四大家族的兴衰。"
    rows = [
        ("k0", INSTRUCTION, f"# Coffee\n\n## Yemen\n\n{ON}\n\n## Yemen\n\n{OFF}\n\n{JUNK}"),
        ("k1", INSTRUCTION, f"{ON}\n\n{META}"),
        ("k2", "写一篇关于咖啡历史的文章", f"{zh_on}\n\n{zh_off}"),
    ]
    for key, prompt, response in rows:
        append_jsonl(pred, {"key": key, "prompt": prompt, "length": 1500, "response": response})
    result = CliRunner().invoke(app, ["reader", "--pred", str(pred), "--embedding", "hash"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [line.get("key") for line in lines[:3]] == ["k0", "k1", "k2"]
    summary = lines[-1]
    assert summary["command"] == "reader" and summary["documents"] == 3
    assert summary["junk_paragraphs"] == 1 and summary["documents_with_junk"] == 1
    # Hashing judges Chinese subjects only (English: positive level 1.4, no verdicts).
    assert summary["max_off_subject_share"] == summary["mean_off_subject_share"] == 0.5
    assert summary["mean_bad_headings"] == pytest.approx(1 / 3, abs=0.001)  # k0 repeats its heading
    saved = (tmp_path / "p.reader.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["key"] for line in saved] == ["k0", "k1", "k2"]
    text = eval_report([load_run("p", pred)], tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## What a reader reads" in text and "| paragraphs with junk (total) | 1 |" in text
    skip = CliRunner().invoke(app, ["reader", "--pred", str(pred), "--embedding", "none"])
    assert json.loads(skip.stdout.strip().splitlines()[-1])["mean_off_subject_share"] is None
