"""The New plan screen's file steps: write the drafted plan, edit it in ``$EDITOR`` and
validate it again, import it. Mixed into :class:`~convergio_tui.tui.screens.new_plan.
NewPlanScreen`.

The file is the CLI's (``plans/<slug>.yaml`` in the project, engine/planning/files.py),
written when the person edits or imports the plan, never over a file that is not this
screen's own without asking. The writes, the validation and the import run on worker
threads through engine/planning/steps.py; only ``$EDITOR`` runs on the UI thread, the
app suspended (tui/editor.py).
"""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button

from convergio_tui.config.errors import PlanSpecError
from convergio_tui.engine.planning import steps
from convergio_tui.engine.planning.files import read_plan
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.editor import edit_file
from convergio_tui.tui.screens.new_plan_messages import (
    DraftShown,
    FileSaved,
    ImportedBefore,
    NewPlanImported,
    StepFailed,
    Then,
)
from convergio_tui.tui.widgets.draft_preview import shown_path
from convergio_tui.tui.worker_failures import ReportsWorkerFailures


class NewPlanFile(ReportsWorkerFailures, Screen[None]):
    """Edit and import; the screen provides the state and the status line."""

    ctx: DashboardContext
    reviewed: steps.Reviewed | None  # the last valid plan: its file, its rounds
    valid: bool  # the file as it stands is that plan (False after an edit that fails)
    busy: str  # what runs now, "" when idle
    _text: str  # the plan file's text as it stands
    _written: str | None  # what this screen last wrote to the file

    def say(self, text: Content | str, problems: tuple[str, ...] = (), *, error: bool = False) -> None:  # fmt: skip
        """Show ``text`` in the status line (the screen implements it)."""
        raise NotImplementedError

    def set_busy(self, what: str) -> None:
        """Mark a step as running, or none (the screen implements it)."""
        raise NotImplementedError

    @on(Button.Pressed, "#np-edit")
    def edit_plan(self) -> None:
        """Write the plan file, open it in ``$EDITOR``, validate it again."""
        if not self.busy and self.reviewed is not None:
            self.set_busy("writing")
            self._save("edit", self._text, self._written, overwrite=False)

    @on(Button.Pressed, "#np-import")
    def import_plan(self) -> None:
        """Write the plan file, import it, and have the App run it."""
        if not self.busy and self.reviewed is not None and self.valid:
            self.set_busy("writing")
            self._save("import", self.reviewed.text, self._written, overwrite=False)

    def _out(self) -> Path:
        assert self.reviewed is not None  # every file step starts from a draft
        return self.reviewed.out

    @work(thread=True, exclusive=True, group="file", exit_on_error=False, name="writing the plan")
    def _save(self, then: Then, text: str, ours: str | None, *, overwrite: bool) -> None:
        out = self._out()
        try:
            written = steps.save(out, text, ours=ours, overwrite=overwrite)
        except OSError as exc:
            self.post_message(StepFailed(f"{out} cannot be written: {exc.strerror or exc}"))
            return
        self.post_message(FileSaved(then, text, written))

    def on_file_saved(self, message: FileSaved) -> None:
        """Written: edit it or import it. Another file is there: ask before overwriting."""
        from convergio_tui.tui.screens.confirm import ConfirmModal

        assert self.reviewed is not None
        if not message.written:

            def decided(yes: bool | None) -> None:
                if yes:
                    self._save(message.then, message.text, self._written, overwrite=True)
                else:
                    self.set_busy("")
                    self.say("Nothing written: the file that is there stays as it was.")

            question = (f"{shown_path(self.reviewed)} exists and is not this draft. "
                        "Overwrite it?")  # fmt: skip
            self.app.push_screen(ConfirmModal(question, yes_label="Overwrite"), decided)
            return
        self._written = message.text
        if message.then == "edit":
            self.edit_now()
        else:
            self._import(force=False)

    def edit_now(self) -> None:
        """``$EDITOR`` on the written file (the app suspended; without a terminal where it
        cannot be: tui/editor.py), then the file is validated again on a worker."""
        assert self.reviewed is not None
        ended = edit_file(self.app, self._out())
        note = f"{ended.command}: {ended.problem}" if ended.problem else ""
        self.say("Reading the file back…")
        self._read_back(self.reviewed, note)

    @work(thread=True, exclusive=True, group="file", exit_on_error=False, name="reading the plan")
    def _read_back(self, previous: steps.Reviewed, note: str) -> None:
        try:
            reviewed = steps.read_back(self.ctx.config, previous.out, previous, self.ctx.clock())
        except PlanSpecError as exc:
            self.post_message(StepFailed(
                "Your edit does not validate: fix it (Edit in $EDITOR), or send a note and the "
                "planner drafts it again. Nothing was imported.",
                tuple(str(p) for p in exc.problems), text=read_plan(previous.out) or ""))  # fmt: skip
            return
        except steps.DraftingRefused as exc:
            self.post_message(StepFailed(str(exc)))
            return
        self.post_message(DraftShown(reviewed, note))

    @work(thread=True, exclusive=True, group="file", exit_on_error=False, name="importing the plan")
    def _import(self, *, force: bool) -> None:
        reviewed = self.reviewed
        assert reviewed is not None
        try:
            before = None if force else steps.imported_as(reviewed.out)
            if before is not None:
                self.post_message(ImportedBefore(before))
                return
            plan_id = steps.import_file(self.ctx.config, reviewed.out)
        except PlanSpecError as exc:
            self.post_message(StepFailed("Not imported: the file does not validate.",
                                         tuple(str(p) for p in exc.problems)))  # fmt: skip
            return
        except Exception as exc:  # a locked database, a project that moved: say it
            self.post_message(StepFailed(f"Not imported: {type(exc).__name__}: {exc}"))
            return
        self.post_message(NewPlanImported(plan_id, reviewed.name, shown_path(reviewed)))

    def on_imported_before(self, message: ImportedBefore) -> None:
        """The same file was imported before: ask before making a second plan of it."""
        from convergio_tui.tui.screens.confirm import ConfirmModal

        def decided(yes: bool | None) -> None:
            if yes:
                self._import(force=True)
            else:
                self.set_busy("")
                self.say(f"Not imported: this file is plan {message.plan_id} already "
                         "(s on the dashboard shows it).")  # fmt: skip

        question = (f"This very file was imported before, as plan {message.plan_id}. "
                    "Import it again as a new plan?")  # fmt: skip
        self.app.push_screen(ConfirmModal(question, yes_label="Import again"), decided)

    def on_new_plan_imported(self, message: NewPlanImported) -> None:
        """Imported: the App takes it from here (the message goes on to it)."""
        self.set_busy("starting")
        self.say(f"Imported as plan {message.plan_id}; starting it…")
