"""The writer graph end to end with a scripted fake model, Chroma in memory and hashed embeddings."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from longwriter import (
    BackendError,
    ConfigError,
    WriterContext,
    build_graph,
    write_document,
)
from longwriter.api import make_plan, sqlite_checkpointer
from longwriter.llm.embeddings import get_embedder
from longwriter.memory import SectionMemory, open_memory
from tests.fakes import Crashing, ScriptedWriter


def ctx(**kw: Any) -> WriterContext:
    return WriterContext(
        **{"memory": ":memory:", "embedding": "hash", "structured_plan": False, **kw}
    )


def tid() -> str:
    return uuid.uuid4().hex


@pytest.mark.parametrize("ratio", [1.0, 0.6, 1.3])
def test_document_lands_on_target(ratio: float) -> None:
    fake = ScriptedWriter(ratio=ratio)
    result = write_document(
        "Write a 3000-word history of bridges.", context=ctx(), chat_model=fake, thread_id=tid()
    )
    report = result.report
    assert report["target_words"] == 3000
    assert abs(report["words"] - 3000) / 3000 < 0.15, report["words"]
    assert report["length_score"] > 85
    assert result.text.startswith("# A Test Document on bridges\n\n## Topic 1")
    assert len(report["sections"]) == len(report["plan"])
    assert all(s["attempts"] <= 3 for s in report["sections"])
    assert report["calls"] >= len(report["sections"]) + 1


def test_underwriting_model_triggers_expansion() -> None:
    fake = ScriptedWriter(ratio=0.5)
    events: list[dict[str, Any]] = []
    result = write_document(
        "Write a 1200-word essay on rivers.",
        context=ctx(),
        chat_model=fake,
        on_event=events.append,
        thread_id=tid(),
    )
    assert any(e["event"] == "revise" and e["action"] == "expand" for e in events)
    assert any("more words that add new facts" in c for c in fake.calls)
    assert result.report["length_score"] > 80


def test_revisions_are_bounded_and_best_attempt_kept() -> None:
    fake = ScriptedWriter(ratio=0.1)  # hopelessly short every time
    result = write_document(
        "Write a 1000-word essay on maps.",
        context=ctx(max_revisions=1),
        chat_model=fake,
        thread_id=tid(),
    )
    assert all(s["attempts"] == 2 for s in result.report["sections"])
    assert {s["verdict"] for s in result.report["sections"]} == {"kept-best"}


def test_chinese_instruction_uses_chinese_prompts() -> None:
    fake = ScriptedWriter(
        plan_reply="标题：桥梁史\n第1段 - 主要内容：起源：古代的桥 - 字数要求：300字"
    )
    fake.section_replies = ["古代的桥梁多用石头建造，结构坚固。" * 20] * 10
    result = write_document(
        "写一篇关于桥梁历史的文章，不少于600字。",
        context=ctx(max_revisions=0),
        chat_model=fake,
        thread_id=tid(),
    )
    assert result.report["language"] == "zh"
    assert result.report["target_words"] == 600
    assert any("请写第 1 部分" in c for c in fake.calls)


@pytest.mark.parametrize(
    ("instruction", "target", "message"),
    [
        ("   ", None, "instruction is empty"),
        ("Write about x", 0, "positive"),
        ("Write about x", 500_000, "above the limit"),
    ],
)
def test_bad_input_is_a_clear_error(instruction: str, target: int | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        write_document(instruction, context=ctx(), chat_model=ScriptedWriter(), target_words=target)


def test_a_model_that_cannot_plan_gets_a_skeleton_plan_about_the_subject() -> None:
    fake = ScriptedWriter(plan_reply="I would rather write a poem about the sea.")
    graph = build_graph(InMemorySaver(), chat_model=fake)
    config: Any = {"configurable": {"thread_id": tid()}}
    graph.invoke({"instruction": "Write a 1000-word essay on rivers."}, config, context=ctx())
    values = graph.get_state(config).values
    assert "skeleton_plan" in {note["code"] for note in values["plan_notes"]}
    assert all("river" in s["main_point"].lower() for s in values["sections_plan"])


def test_user_plan_skips_the_planner() -> None:
    fake = ScriptedWriter()
    plan = {
        "title": "Mine",
        "sections": [
            {"title": "One", "main_point": "first", "words": 300},
            {"title": "Two", "main_point": "second", "words": 300},
        ],
    }
    result = write_document(
        "Write about my topic.", context=ctx(), chat_model=fake, plan=plan, target_words=600
    )
    assert [s["title"] for s in result.report["sections"]] == ["One", "Two"]
    assert not any("Paragraph 1 - Main Point" in c for c in fake.calls)


def test_make_plan_only_plans() -> None:
    fake = ScriptedWriter()
    plan = make_plan("Write a 2000-word report on ports.", context=ctx(), chat_model=fake)
    assert plan["target_words"] == 2000 and len(plan["sections"]) == 5
    assert len(fake.calls) == 1


def test_review_interrupt_accepts_an_edited_plan() -> None:
    graph = build_graph(InMemorySaver(), chat_model=ScriptedWriter())
    config: Any = {"configurable": {"thread_id": tid()}, "recursion_limit": 1000}
    graph.invoke(
        {"instruction": "Write a 1200-word essay on ports."}, config, context=ctx(review_plan=True)
    )
    state = graph.get_state(config)
    assert state.interrupts and state.interrupts[0].value["sections"]
    edited = {
        "title": "Edited",
        "sections": [{"title": "Only", "main_point": "all of it", "words": 500}],
    }
    out = graph.invoke(Command(resume=edited), config, context=ctx(review_plan=True))
    assert out["report"]["title"] == "Edited"
    assert (
        out["report"]["target_words"] == 500 + 2
    )  # human budgets define the target (+ heading words)


def test_review_refuses_an_edited_plan_above_the_limit() -> None:
    graph = build_graph(InMemorySaver(), chat_model=ScriptedWriter())
    config: Any = {"configurable": {"thread_id": tid()}, "recursion_limit": 1000}
    graph.invoke(
        {"instruction": "Write a 1200-word essay on ports."}, config, context=ctx(review_plan=True)
    )
    edited = {"sections": [{"title": "Only", "main_point": "all", "words": 1_000_000}]}
    with pytest.raises(ConfigError, match=r"invalid edited plan: .* from 0 to 200000"):
        graph.invoke(Command(resume=edited), config, context=ctx(review_plan=True))


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"instruction": "Write about ports.", "plan": {}}, "invalid plan: a plan needs"),
        ({"instruction": "Write a 1" + "0" * 309 + "-word essay"}, "more than 200000 words"),
        ({"instruction": "写一篇一万" + "亿" * 30 + "字的文章"}, "more than 200000 words"),
    ],
)
def test_bad_input_fails_before_any_model_call(payload: dict[str, Any], problem: str) -> None:
    fake = ScriptedWriter()
    graph = build_graph(InMemorySaver(), chat_model=fake)
    config: Any = {"configurable": {"thread_id": tid()}}
    with pytest.raises(ConfigError, match=problem):
        graph.invoke(payload, config, context=ctx())
    assert fake.calls == []


def test_crash_then_resume_from_sqlite_loses_no_accepted_section(tmp_path: Path) -> None:
    thread = tid()
    db = tmp_path / "ck.sqlite"
    with sqlite_checkpointer(db) as saver, pytest.raises(BackendError):
        write_document(
            "Write a 2000-word history of ports.",
            context=ctx(),
            thread_id=thread,
            checkpointer=saver,
            chat_model=Crashing(crash_after=3),
        )
    with sqlite_checkpointer(db) as saver:
        saved = (
            build_graph(saver).get_state({"configurable": {"thread_id": thread}}).values["sections"]
        )
    assert len(saved) >= 1
    fake = ScriptedWriter()
    with sqlite_checkpointer(db) as saver:
        result = write_document(
            "", context=ctx(), thread_id=thread, checkpointer=saver, chat_model=fake, resume=True
        )
    assert [s["words"] for s in result.report["sections"][: len(saved)]] == [
        s["words"] for s in saved
    ]
    assert saved[0]["text"] in result.text
    assert not any("Paragraph 1 - Main Point" in c for c in fake.calls)  # no re-planning
    assert len(result.report["sections"]) == len(result.report["plan"])


def test_empty_model_output_is_an_error_after_bounded_retries() -> None:
    fake = ScriptedWriter()
    fake.section_replies = [""] * 50
    with pytest.raises(BackendError, match="no text for section 1"):
        write_document("Write a 800-word note.", context=ctx(), chat_model=fake)
    assert len(fake.calls) == 1 + 3  # plan + first draft + 2 revisions


def test_section_that_only_repeats_earlier_text_is_dropped() -> None:
    fake = ScriptedWriter()
    first = fake._prose(300)
    fake.section_replies = [first] + [first] * 10  # every later attempt copies section 1
    result = write_document(
        "Write a 600-word note on ports.",
        context=ctx(max_revisions=1),
        chat_model=fake,
        plan=[{"title": "A", "words": 300}, {"title": "B", "words": 300}],
        target_words=600,
    )
    assert [s["verdict"] for s in result.report["sections"]][1] == "dropped"
    assert result.report["duplicated_lines"] == 0
    assert "## B" not in result.text and result.text.count(first.split(".")[0]) == 1


def test_split_chapters_get_an_aspect_per_part_and_one_heading() -> None:
    plan_reply = (
        "Title: Bees\n"
        "Paragraph 1 - Main Point: Hives: choosing and placing a hive - Word Count: 1500 words"
    )
    fake = ScriptedWriter(plan_reply=plan_reply)
    result = write_document(
        "Write a 1500-word guide to keeping bees.",
        context=ctx(section_words=500),
        chat_model=fake,
        thread_id=tid(),
    )
    points = [s["main_point"] for s in result.plan]
    assert len(points) == 3 and len(set(points)) == 3  # distinct aspects, not the point three times
    assert all(p.startswith("Aspect ") for p in points)
    assert result.text.count("## Hives") == 1 and "(1/3)" not in result.text


def test_a_plan_checkpointed_by_an_older_version_is_read_with_part_fields() -> None:
    """Older versions saved split sections as "Hives (1/3)", "Hives (2/3)"...: a resumed run reads
    them as parts of one chapter (one heading, the later-part note) and reports typed fields."""
    plan_reply = (
        "Title: Bees\n"
        "Paragraph 1 - Main Point: Hives: choosing and placing a hive - Word Count: 1500 words"
    )
    fake = ScriptedWriter(plan_reply=plan_reply)
    graph = build_graph(InMemorySaver(), chat_model=fake)
    config: Any = {"configurable": {"thread_id": tid()}}
    context = ctx(section_words=500)
    request = {"instruction": "Write a 1500-word guide to keeping bees."}
    graph.invoke(request, config, context=context, interrupt_after=["plan"])
    plan = graph.get_state(config).values["sections_plan"]
    old = [
        {"title": f"{s['title']} ({s['part']}/{s['parts']})", "main_point": s["main_point"]}
        | {"words": s["words"]}
        for s in plan
    ]
    graph.update_state(config, {"sections_plan": old}, as_node="review")
    out = graph.invoke(None, config, context=context)
    assert out["document"].count("## Hives") == 1 and "(1/3)" not in out["document"]
    assert [(s["title"], s["part"], s["parts"]) for s in out["report"]["plan"]] == [
        ("Hives", k, 3) for k in (1, 2, 3)
    ]
    assert [s["part"] for s in out["report"]["sections"]] == [1, 2, 3]
    assert sum("part 2 of 3" in c for c in fake.calls) == 1


def is_write(messages: list[Any]) -> bool:
    """A writer request (system rules, then the task with the plan), not a planner call."""
    return len(messages) > 1 and "Plan" in str(messages[1].content)


class Headed(ScriptedWriter):
    """Opens every section reply with a Markdown heading, which the clean-up removes."""

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        result = super()._generate(messages, stop, run_manager, **kw)
        if is_write(messages):
            text = f"## Heading {len(self.calls)}\n\n{result.generations[0].message.content}"
            self.exchanges[-1] = (self.exchanges[-1][0], text)
            result.generations[0].message.content = text
        return result


def test_each_request_extends_the_previous_request_and_its_reply() -> None:
    """Prefix caching: the clean-up removed the headings, yet later prompts replay the replies as
    generated, so every writer request starts with the whole previous request plus its answer."""
    fake = Headed()
    result = write_document(
        "Write a 1500-word history of canals.", context=ctx(), chat_model=fake, thread_id=tid()
    )
    assert "Heading" not in result.text
    writes = [(m, r) for m, r in fake.exchanges if is_write(m)]
    assert len(writes) >= 3
    for (before, reply), (after, _) in itertools.pairwise(writes):
        assert [m.content for m in after[: len(before)]] == [m.content for m in before]
        assert after[len(before)].content == reply


def test_resume_with_memory_elsewhere_rebuilds_it_from_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sections written with memory in one folder; the resume writes the rest with memory in
    another: every later section is checked against all the sections accepted before it."""
    thread, db = tid(), tmp_path / "ck.sqlite"
    config: Any = {"configurable": {"thread_id": thread}, "recursion_limit": 1000}
    plan = [{"title": f"Part {i}", "main_point": f"point {i}", "words": 300} for i in range(4)]
    first, second = ctx(memory=str(tmp_path / "a")), ctx(memory=str(tmp_path / "b"))
    fake = ScriptedWriter()  # one writer for both runs: a new one would repeat its first prose
    with sqlite_checkpointer(db) as saver:
        graph = build_graph(saver, chat_model=fake)
        graph.invoke(
            {"instruction": "Write about ports.", "plan": plan, "target_words": 1200},
            config,
            context=first,
            interrupt_after=["commit"],
        )
        graph.invoke(None, config, context=first, interrupt_after=["commit"])
        assert len(graph.get_state(config).values["sections"]) == 2
    seen: list[tuple[int, set[int]]] = []
    checked = SectionMemory.near_duplicates

    def spy(self: SectionMemory, text: str, threshold: float, *, before: int) -> Any:
        seen.append((before, self.sections()))
        return checked(self, text, threshold, before=before)

    monkeypatch.setattr(SectionMemory, "near_duplicates", spy)
    with sqlite_checkpointer(db) as saver:
        out = build_graph(saver, chat_model=fake).invoke(None, config, context=second)
    assert [s["verdict"] for s in out["report"]["sections"]] == ["accepted"] * 4
    assert {before for before, _ in seen} == {2, 3}
    assert all(held == set(range(before)) for before, held in seen)
    memory = open_memory(str(tmp_path / "b"), thread, get_embedder("hash"))
    assert memory.sections() == {0, 1, 2, 3}
