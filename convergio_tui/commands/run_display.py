"""How ``convergio run`` shows a plan's progress: one line per event, or (on a terminal)
a live progress bar with a spinner per running task. Imported only by a real run."""

from __future__ import annotations

import threading
from typing import Any

import click

from convergio_tui.engine.event_text import describe
from convergio_tui.engine.events import EngineEvent, RunFinished, RunStarted, TaskChanged
from convergio_tui.textsafe import markup_safe, one_line


class PlainDisplay:
    """One line per notable event: for logs, pipes and CI."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[int, str] = {}  # task id -> last status shown

    def line(self, text: str) -> None:
        """Print one line (thread-safe), terminal controls and line breaks neutralised."""
        with self._lock:
            click.echo(one_line(text))

    def handle(self, event: EngineEvent) -> None:
        """Engine listener."""
        if isinstance(event, TaskChanged):
            # A waiting task's countdown changes every second: say "blocked" once.
            repeated = event.status == "blocked" and self._last.get(event.task_id) == "blocked"
            self._last[event.task_id] = event.status
            if repeated:
                return
        text = describe(event)
        if text:
            self.line(text)

    def close(self) -> None:
        """Nothing to tear down."""


class RichDisplay(PlainDisplay):
    """A live progress bar for the plan and a spinner per running task."""

    def __init__(self, total: int, done: int, name: str) -> None:
        super().__init__()
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()
        )
        self.name, self.total, self.done = name, total, done
        self.overall = self.progress.add_task(self._title(), total=total, completed=done)
        self.rows: dict[int, Any] = {}
        self.progress.start()

    def _title(self) -> str:
        # Progress descriptions are Rich markup: a plan name is shown as written.
        return markup_safe(f"plan {self.name}: {self.done}/{self.total} done", one_line=True)

    def line(self, text: str) -> None:
        """Print above the live display."""
        self.progress.console.print(one_line(text), markup=False, highlight=False)

    def handle(self, event: EngineEvent) -> None:
        """Engine listener: update the bars, print notable events."""
        match event:
            case RunStarted():
                label = markup_safe(f"  {event.code} {event.provider}·{event.model}", one_line=True)
                self.rows[event.run_id] = self.progress.add_task(label, total=None)
            case RunFinished() if event.run_id in self.rows:
                self.progress.remove_task(self.rows.pop(event.run_id))
            case TaskChanged(status="done"):
                self.done += 1
                self.progress.update(self.overall, completed=self.done, description=self._title())
        super().handle(event)

    def close(self) -> None:
        """Stop the live display."""
        self.progress.stop()
