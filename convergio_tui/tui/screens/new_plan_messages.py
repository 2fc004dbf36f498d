"""What the New plan screen's worker threads post to its UI thread (and, for an import,
on to the App, which owns navigation): past tense, something already happened."""

from __future__ import annotations

from typing import Literal

from textual.message import Message

from convergio_tui.engine.planning.draft import Round
from convergio_tui.engine.planning.steps import PlanningRun, Reviewed

Then = Literal["edit", "import"]  # what a written plan file is for


class ProjectsRead(Message):
    """The projects a plan may be drafted for, as (label, value), and the one to offer."""

    def __init__(self, choices: list[tuple[str, str]], first: str | None) -> None:
        super().__init__()
        self.choices = choices
        self.first = first


class RunSeen(Message):
    """The planning run the drafting waits for now."""

    def __init__(self, run: PlanningRun) -> None:
        super().__init__()
        self.run = run


class RoundEnded(Message):
    """A planning round ended (its verdict is kept under the status line)."""

    def __init__(self, ended: Round) -> None:
        super().__init__()
        self.ended = ended


class DraftShown(Message):
    """A valid plan to show: drafted, or read back after an edit (``note``: a word on how
    the editor ended)."""

    def __init__(self, reviewed: Reviewed, note: str = "") -> None:
        super().__init__()
        self.reviewed = reviewed
        self.note = note


class StepFailed(Message):
    """A step failed and nothing was imported. ``spent``: what the planning of this goal
    cost so far; ``text``: the file as a person left it, when it does not validate."""

    def __init__(self, message: str, problems: tuple[str, ...] = (), *,
                 spent: float | None = None, text: str | None = None) -> None:  # fmt: skip
        super().__init__()
        self.message = message
        self.problems = problems
        self.spent = spent
        self.text = text


class FileSaved(Message):
    """The plan file holds ``text``; ``written`` False: another file is there, untouched."""

    def __init__(self, then: Then, text: str, written: bool) -> None:
        super().__init__()
        self.then = then
        self.text = text
        self.written = written


class ImportedBefore(Message):
    """This very file (path and content) was imported before, as ``plan_id``."""

    def __init__(self, plan_id: int) -> None:
        super().__init__()
        self.plan_id = plan_id


class NewPlanImported(Message):
    """A plan drafted in the dashboard was imported as ``plan_id``: the App closes the
    screen, shows the plan and runs it here (as ``g`` does)."""

    def __init__(self, plan_id: int, name: str, file: str) -> None:
        super().__init__()
        self.plan_id = plan_id
        self.name = name
        self.file = file
