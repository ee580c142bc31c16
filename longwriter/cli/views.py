"""The rich progress views of ``write``: one document (:class:`ProgressView`) or a batch
(:class:`BatchView`), fed by the run's typed events (:mod:`longwriter.agent.events`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from longwriter.agent.events import Event

if TYPE_CHECKING:
    from longwriter.batch.resumable import BatchEvent


class _LiveView:
    """A rich progress display, shown while the ``with`` block runs."""

    progress: Progress

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


class ProgressView(_LiveView):
    """Rich progress for a document: section i/N, words vs target, tokens per second."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:>6.0f}/{task.total:.0f} words"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None
        self.tokens = 0
        self.llm_seconds = 0.0

    def on_event(self, event: Event) -> None:
        """Update from a ``custom`` stream event of the graph."""
        print_line = self.progress.console.print
        if event["event"] == "embedder":
            print_line(f"embedder: {event['text']}", markup=False)
        elif event["event"] == "plan":
            print_line(
                f"plan: [bold]{event['title']}[/] — {event['sections']} sections, {event['target_words']} words"
            )
            self.task = self.progress.add_task("planning", total=event["target_words"], rate="")
        elif event["event"] == "resume":  # a resumed run plans nothing: start at its saved words
            self.task = self.progress.add_task(
                f"section {event['written'] + 1}/{event['sections']}",
                total=event["target_words"],
                completed=event["document_words"],
                rate="",
            )
        elif self.task is None:
            return
        elif event["event"] == "section":
            self.progress.update(
                self.task, description=f"section {event['index'] + 1}/{event['total']}"
            )
        elif event["event"] == "llm":
            self.tokens += int(event["completion_tokens"])
            self.llm_seconds += event["llm_seconds"]
            rate = self.tokens / self.llm_seconds if self.llm_seconds else 0.0
            self.progress.update(self.task, rate=f"{rate:5.1f} tok/s")
        elif event["event"] == "revise":
            print_line(
                f"  section {event['index'] + 1}: {event['action']} ({'; '.join(event['reasons'])})",
                style="dim",
            )
        elif event["event"] == "accepted":
            self.progress.update(self.task, completed=event["document_words"])
            print_line(
                f"  section {event['index'] + 1}/{event['total']}: {event['words']} words "
                f"(budget {event['budget']}, {event['verdict']})"
            )


class BatchView(_LiveView):
    """Rich progress for a batch: documents finished, in flight and failed, words accepted."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]documents"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = self.progress.add_task("documents", total=None, status="")
        self.running = 0
        self.words = 0
        self.failed = 0

    def _status(self) -> str:
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.running} writing{failed}, {self.words:,} words"

    def on_batch(self, event: BatchEvent) -> None:
        """Update from a batch event."""
        self.running += 1 if event.kind == "started" else -1
        self.failed = event.failed
        if event.kind == "done":  # failures are logged by the batch runner
            self.progress.console.print(f"  {event.key} done", markup=False)
        self.progress.update(
            self.task,
            total=event.total - event.skipped,
            completed=event.done + event.failed,
            status=self._status(),
        )

    def on_event(self, event: Event) -> None:
        """Count the words of accepted sections (graph ``custom`` events of any document)."""
        if event["event"] == "accepted":
            self.words += int(event["words"])
            self.progress.update(self.task, status=self._status())
