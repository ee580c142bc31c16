"""The one runner (``api.DocumentRun``): the CLI's ``write`` goes through it (progress, plan review,
resume), and so do the async and batch paths (``awrite_document``, ``write_many``)."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from typer.testing import CliRunner

from longwriter import WriterContext, api, awrite_document, write_many
from longwriter.api import saved_run, sqlite_checkpointer
from longwriter.batch.store import BatchCheckpoints
from longwriter.cli import app
from longwriter.errors import BackendError, ConfigError
from tests.fakes import ScriptedWriter, write_with

RIVERS = "Write a 600-word essay on rivers."
MAPS = "Write a 900-word essay on maps."
EDITED = {
    "title": "Harbours at Night",
    "sections": [
        {"title": "Cranes", "main_point": "the cranes of a harbour at night", "words": 200},
        {"title": "Night shifts", "main_point": "who works a harbour at night", "words": 200},
    ],
}


def ctx(**kw: Any) -> WriterContext:
    return WriterContext(
        **{"memory": ":memory:", "embedding": "hash", "structured_plan": False, **kw}
    )


class DiesOnSecondSection(ScriptedWriter):
    """Fails like a dying server when asked for section 2 of the document ``instruction``."""

    instruction: str = MAPS

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        about = any(self.instruction in str(m.content) for m in messages)
        if about and str(messages[-1].content).startswith("Write section 2 of"):
            raise BackendError("cannot reach the model server: connection refused")
        return super()._generate(messages, *args, **kwargs)


def _asked(model: ScriptedWriter, instruction: str, step: str = "") -> bool:
    """Whether ``model`` got a request for ``instruction`` whose last message starts with ``step``."""
    return any(
        str(request[-1].content).startswith(step)
        and any(instruction in str(m.content) for m in request)
        for request, _ in model.exchanges
    )


def _write_args(tmp_path: Path, *extra: str) -> list[str]:
    out = ["-o", str(tmp_path / "doc.md"), "--checkpoints", str(tmp_path / "ck.sqlite")]
    return ["write", *extra, *out, "--memory", ":memory:", "--embedding", "hash"]


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_review_plan_edits_the_plan_through_the_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--review-plan: the runner's review callback shows the plan and takes the user's edit."""
    shown: list[dict[str, Any]] = []

    def edit(plan: dict[str, Any]) -> Any:  # the user's editor
        shown.append(plan)
        return EDITED

    monkeypatch.setattr("longwriter.cli.review.edit_plan", edit)
    runs = write_with(monkeypatch, ScriptedWriter())
    args = _write_args(tmp_path, "Write a 1200-word essay on harbours.", "--review-plan")
    result = CliRunner().invoke(app, [*args, "--thread-id", "harbours"])
    assert result.exit_code == 0, result.output
    assert [(r.thread_id, r.review is not None) for r in runs] == [("harbours", True)]
    assert len(shown) == 1 and shown[0]["sections"]  # the model's plan was shown
    report = json.loads((tmp_path / "doc.report.json").read_text())
    assert report["title"] == EDITED["title"]
    assert [s["title"] for s in report["sections"]] == ["Cranes", "Night shifts"]


def test_cli_review_accepts_the_plan_without_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_with(monkeypatch, ScriptedWriter())
    args = _write_args(tmp_path, "Write a 1200-word essay on harbours.", "--review-plan")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "(no terminal: accepting the plan as is)" in result.stderr


def test_cli_bad_edit_exits_2_and_the_run_resumes_at_the_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edits: list[Any] = [ConfigError("the edited plan x.json: words must be a word count"), EDITED]

    def edit(plan: dict[str, Any]) -> Any:
        answer = edits.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr("longwriter.cli.review.edit_plan", edit)
    write_with(monkeypatch, ScriptedWriter())
    args = _write_args(tmp_path, "--thread-id", "harbours")
    first = CliRunner().invoke(
        app, [*args, "Write a 1200-word essay on harbours.", "--review-plan"]
    )
    assert first.exit_code == 2, first.output
    assert first.stderr.strip().splitlines()[-1] == (
        "error: the edited plan x.json: words must be a word count. "
        "Continue with: longwriter write --thread-id harbours --resume"
    )
    second = CliRunner().invoke(app, [*args, "--resume"])
    assert second.exit_code == 0, second.output
    assert not edits  # the resumed run asked for the review again
    report = json.loads((tmp_path / "doc.report.json").read_text())
    assert [s["title"] for s in report["sections"]] == ["Cranes", "Night shifts"]


def test_cli_resume_shows_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A resumed run plans nothing, yet its progress (sections accepted, words) is shown."""
    args = _write_args(tmp_path, "--thread-id", "maps")
    write_with(monkeypatch, DiesOnSecondSection())
    first = CliRunner().invoke(app, [*args, MAPS])
    assert first.exit_code == 1 and "accepted sections are saved" in first.stderr, first.output
    with sqlite_checkpointer(tmp_path / "ck.sqlite") as saver:
        saved = saved_run(saver, "maps")
    total = len(saved["sections_plan"])
    assert len(saved["sections"]) == 1 and total >= 2

    runs = write_with(monkeypatch, ScriptedWriter())
    second = CliRunner().invoke(app, [*args, "--resume"])
    assert second.exit_code == 0, second.output
    assert [r.instruction for r in runs] == [None]  # continued, not started over
    assert "resuming maps: 1 sections already written" in second.stderr
    for index in range(2, total + 1):
        assert f"section {index}/{total}: " in second.stderr, second.stderr


# --- the API ------------------------------------------------------------------------------------


def test_review_callback_of_write_document() -> None:
    plans: list[dict[str, Any]] = []

    def review(plan: dict[str, Any]) -> dict[str, Any]:
        plans.append(plan)
        return EDITED

    result = api.write_document(
        "Write a 1200-word essay on harbours.",
        context=ctx(review_plan=True),
        chat_model=ScriptedWriter(),
        review=review,
    )
    assert len(plans) == 1 and plans[0]["sections"]
    assert [s["title"] for s in result.report["sections"]] == ["Cranes", "Night shifts"]


def test_awrite_document_cancelled_then_resumed(tmp_path: Path) -> None:
    """Cancelled, the run stops after its step (no model call after it); resumed, it continues from
    its last committed section."""
    first, second = ScriptedWriter(), ScriptedWriter()

    async def main() -> tuple[int, int, api.DocumentResult]:
        async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "ck.sqlite")) as saver:
            task = asyncio.current_task()
            assert task is not None
            threads: set[threading.Thread] = set()

            def cancel_on_first_section(event: dict[str, Any]) -> None:
                threads.add(threading.current_thread())
                if event.get("event") == "accepted" and not task.cancelling():
                    task.cancel()

            writing = awrite_document(
                MAPS,
                context=ctx(),
                thread_id="maps",
                checkpointer=saver,
                chat_model=first,
                on_event=cancel_on_first_section,
            )
            try:
                await writing
            except asyncio.CancelledError:
                task.uncancel()
            calls = len(first.calls)
            await asyncio.sleep(0.3)
            done = len((await asyncio.to_thread(saved_run, saver, "maps"))["sections"])
            assert len(first.calls) == calls  # the thread stopped
            assert threads == {threading.main_thread()}  # events come in the event loop
            result = await awrite_document(
                "",
                thread_id="maps",
                checkpointer=saver,
                chat_model=second,
                resume=True,
                context=ctx(),
            )
            return calls, done, result

    calls, done, result = asyncio.run(main())
    assert done >= 1 and calls > 0
    assert len(result.report["sections"]) == len(result.report["plan"]) > done
    assert not _asked(second, MAPS, "Write section 1 of")
    assert not any("Paragraph 1 - Main Point" in c for c in second.calls)  # no re-planning


def test_write_many_leaves_the_loop_executor_alone() -> None:
    """Results in input order, errors per document; the caller's default executor is kept."""
    model = ScriptedWriter()

    async def main() -> tuple[Any, Any, list[Any]]:
        loop = asyncio.get_running_loop()
        before = loop._default_executor  # type: ignore[attr-defined]
        results = await write_many(
            [RIVERS, "   ", MAPS], context=ctx(), concurrency=40, chat_model=model
        )
        return before, loop._default_executor, results  # type: ignore[attr-defined]

    before, after, results = asyncio.run(main())
    assert after is before
    rivers, empty, maps = results
    assert isinstance(empty, ConfigError)
    assert [r.report["target_words"] for r in (rivers, maps)] == [600, 900]


def test_write_many_with_checkpoints_resumes_after_a_failure(tmp_path: Path) -> None:
    db = tmp_path / "many.sqlite"
    first = asyncio.run(
        write_many([RIVERS, MAPS], context=ctx(), chat_model=DiesOnSecondSection(), checkpoints=db)
    )
    assert isinstance(first[0], api.DocumentResult) and isinstance(first[1], BackendError)

    model = ScriptedWriter()
    second = asyncio.run(
        write_many([RIVERS, MAPS], context=ctx(), chat_model=model, checkpoints=db)
    )
    rivers, maps = second
    assert isinstance(rivers, api.DocumentResult) and isinstance(maps, api.DocumentResult)
    assert rivers.text == first[0].text  # finished: returned from the file
    assert not _asked(model, RIVERS)
    assert _asked(model, MAPS, "Write section 2 of")
    assert not _asked(model, MAPS, "Write section 1 of")  # committed: not written again
    assert len(maps.report["sections"]) == len(maps.report["plan"])


def test_write_many_checkpoints_need_a_path() -> None:
    with pytest.raises(ConfigError, match="needs the file's path"):
        asyncio.run(write_many([RIVERS], checkpoints=BatchCheckpoints()))
