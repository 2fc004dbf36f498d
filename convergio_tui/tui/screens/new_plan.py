"""NewPlanScreen: an agent drafts a plan from a goal; the person reviews where each task
would go and what it would cost, edits the file or sends a note back, then imports it and
the dashboard runs it. Opened by ``N`` on the plan, or the palette's "plan: New": the
dashboard's ``convergio plan new`` (docs/plan-format.md).

The screen only presents. Every step that runs git, the planner or writes is an engine
call (engine/planning/steps.py) on a worker thread that reports back with a message
(tui/screens/new_plan_messages.py). Drafting shows the round and the planner's
provider·model (read from its run row every half second) and can be stopped; a failure
is shown here and nothing is imported. The file steps (edit, import) are
tui/screens/new_plan_file.py. Once imported, :class:`NewPlanImported` goes on to the App,
which owns navigation: it closes this screen, shows the new plan and runs it as ``g`` does.
"""

from __future__ import annotations

import threading
import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Button, Footer, Input, Label, Select, Static, TextArea
from textual.worker import Worker

from convergio_tui.engine.planning import steps
from convergio_tui.engine.planning.draft import MAX_ROUNDS, PlanningFailed, Round
from convergio_tui.textsafe import one_line, printable
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.format import money
from convergio_tui.tui.screens.new_plan_file import NewPlanFile
from convergio_tui.tui.screens.new_plan_messages import (
    DraftShown,
    ProjectsRead,
    RoundEnded,
    RunSeen,
    StepFailed,
)
from convergio_tui.tui.widgets.draft_preview import DraftPreview

BY = (
    "in the Convergio dashboard"  # the file's first line: "# Drafted in the Convergio dashboard (…"
)
PEEK_S = 0.5  # how often the drafting's run row is read while it runs
MAX_PROBLEMS = 10  # problems listed under the status line


class NewPlanScreen(NewPlanFile):
    """The goal and project form, the drafting's progress, the draft and its actions."""

    DEFAULT_CSS = """
    NewPlanScreen { padding: 0 1; }
    #np-title { height: auto; text-style: bold; margin-bottom: 1; }
    #np-form { height: auto; }
    #np-goal { width: 1fr; height: 6; }
    #np-side { width: 48; height: auto; padding-left: 1; }
    #np-side Horizontal { height: auto; }
    #np-side Label { padding: 1 1 0 0; }
    #np-side Select { width: 1fr; }
    #np-buttons { align-horizontal: right; }
    #np-buttons Button { margin-left: 1; }
    #np-status { height: auto; max-height: 14; margin: 1 0; }
    /* A short terminal: no title, no margins, fewer reasons; the file keeps the rest. */
    NewPlanScreen.-short #np-title { display: none; }
    NewPlanScreen.-short #np-status { margin: 0; max-height: 8; }
    NewPlanScreen.-short #draft-summary, NewPlanScreen.-short #draft-totals { margin: 0; }
    NewPlanScreen.-short #draft-why { max-height: 3; }
    #np-actions { height: auto; }
    #np-note { width: 1fr; margin-right: 1; }
    #np-actions Button { margin-right: 1; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="new-plan.close")]

    def __init__(self, ctx: DashboardContext) -> None:
        super().__init__(id="new-plan")
        self.ctx = ctx
        self.reviewed = None
        self.valid = False
        self.busy = ""  # "drafting", "writing", "starting" or "" (idle): one step at a time
        self._text = ""
        self._written = None
        self._asked: tuple[str, str] = ("", "")  # goal and project of the last drafting
        self._notes: tuple[str, ...] = ()  # the notes sent for this goal, in order
        self._spent = 0.0  # what the planning runs for this goal were charged
        self._rounds: list[str] = []  # the finished rounds of the drafting in progress
        self._stop: threading.Event | None = None
        self._peek: Timer | None = None
        self.finished = 0  # steps that ended (shown or failed): what a test waits for

    def compose(self) -> ComposeResult:
        """The form, the status line, the draft and its actions."""
        yield Static("New plan: an agent drafts it from your goal; you review it, edit it "
                     "or send a note, then import it and it runs here.", id="np-title")  # fmt: skip
        with Horizontal(id="np-form"):
            yield TextArea(id="np-goal", soft_wrap=True, show_line_numbers=False,
                           placeholder="The goal: what should the plan achieve?")  # fmt: skip
            with Vertical(id="np-side"):
                with Horizontal():
                    yield Label("Project")
                    yield Select[str]([], prompt="reading projects…", id="np-project")
                with Horizontal(id="np-buttons"):
                    yield Button("Draft", variant="primary", id="np-draft")
                    yield Button("Close (esc)", id="np-close")
        yield Static("", id="np-status")
        yield DraftPreview(id="np-preview")
        # The buttons on the left: notifications appear over the right-hand side.
        with Horizontal(id="np-actions"):
            yield Button("Import and start", variant="success", id="np-import")
            yield Button("Edit in $EDITOR", id="np-edit")
            yield Input(placeholder="a note for the planner: enter drafts the plan again with it",
                        id="np-note")  # fmt: skip
            yield Button("Send note", id="np-send-note")
        yield Footer()

    def on_mount(self) -> None:
        """Read the projects; the draft's parts show once there is a draft."""
        self.query_one(DraftPreview).display = False
        self.query_one("#np-actions").display = False
        self.query_one("#np-goal", TextArea).focus()
        self.say("Say what the plan should achieve and choose the project, then Draft.")
        self._projects()

    def on_resize(self) -> None:
        """Tighter on a short terminal (below 40 rows)."""
        self.set_class(self.size.height < 40, "-short")

    def on_unmount(self) -> None:
        """Stop a drafting still running (its agent is killed) and the progress timer."""
        if self._stop is not None:
            self._stop.set()
        self._stop_peeking()

    # -- the status line and the buttons ---------------------------------------------------

    def say(self, text: Content | str, problems: tuple[str, ...] = (), *, error: bool = False) -> None:  # fmt: skip
        """Show ``text`` (and a line per problem) in the status line."""
        head = (
            Content.styled(printable(text), "bold $text-error")
            if error and isinstance(text, str)
            else text
        )
        lines = [f"\n  {one_line(p)}" for p in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            lines.append(f"\n  … and {len(problems) - MAX_PROBLEMS} more")
        self.query_one("#np-status", Static).update(Content.assemble(head, *lines))

    def set_busy(self, what: str) -> None:
        """Mark a step as running ("" when none is): the buttons follow."""
        self.busy = what
        drafting = what == "drafting"
        draft = self.query_one("#np-draft", Button)
        draft.label = "Stop" if drafting else "Draft"
        draft.variant = "warning" if drafting else "primary"
        draft.disabled = bool(what) and not drafting
        self.query_one("#np-send-note", Button).disabled = bool(what)
        self.query_one("#np-edit", Button).disabled = bool(what)
        self.query_one("#np-import", Button).disabled = bool(what) or not self.valid

    def worker_failed(self, worker: Worker[object]) -> None:
        """A step broke without saying why (a toast says it): be usable again."""
        self._stop_peeking()
        self.set_busy("")

    # -- the form --------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, name="reading the projects")
    def _projects(self) -> None:
        self.post_message(ProjectsRead(*steps.project_choices(self.ctx.config, self.ctx.plan_id)))

    def on_projects_read(self, message: ProjectsRead) -> None:
        """Offer the projects; the shown plan's (else the first) is chosen."""
        select = self.query_one("#np-project", Select)
        select.set_options([(one_line(label), value) for label, value in message.choices])
        select.prompt = "choose a project" if message.choices else "none: add one to projects:"
        if message.first is not None:
            select.value = message.first

    def action_close(self) -> None:
        """Close the screen; a drafting in progress is stopped, its agent killed."""
        if self._stop is not None:
            self._stop.set()
        self.dismiss()

    @on(Button.Pressed, "#np-close")
    def _close_pressed(self) -> None:
        self.action_close()

    @on(Button.Pressed, "#np-draft")
    def draft_pressed(self) -> None:
        """Draft for the goal and project in the form (or stop the drafting in progress)."""
        if self.busy == "drafting":
            if self._stop is not None:
                self._stop.set()
            self.say("Stopping the planning run…")
            return
        project = self.query_one("#np-project", Select).value
        if not isinstance(project, str):
            self.say("Choose the project the plan is for.", error=True)
            return
        goal = self.query_one("#np-goal", TextArea).text
        if (goal, project) != self._asked:  # another file: what was written is not it
            self._written = None
        self._asked, self._notes, self._spent = (goal, project), (), 0.0
        self.start_drafting()

    @on(Input.Submitted, "#np-note")
    @on(Button.Pressed, "#np-send-note")
    def send_note(self) -> None:
        """Draft the same goal again with the note (the plan it is about quoted in it)."""
        note = self.query_one("#np-note", Input).value.strip()
        if self.busy or not self._asked[0]:
            return
        if not note:
            self.say("Write the note first: what should the planner change?", error=True)
            return
        self._notes = (*self._notes, steps.revision_note(note, self._text))
        self.query_one("#np-note", Input).value = ""
        self.start_drafting()

    # -- drafting --------------------------------------------------------------------------

    def start_drafting(self) -> None:
        """Draft for the goal and project asked last, with the notes sent so far."""
        self._stop = threading.Event()
        self._rounds = []
        self.set_busy("drafting")
        self.say(f"Drafting: round 1 of {MAX_ROUNDS}…")
        self._stop_peeking()
        self._peek = self.set_interval(PEEK_S, self._read_run)
        goal, project = self._asked
        self._draft(goal, project, self._notes, self._stop, self._spent, self._written)

    @work(thread=True, exclusive=True, group="draft", exit_on_error=False, name="drafting")
    def _draft(self, goal: str, project: str, notes: tuple[str, ...], stop: threading.Event,
               spent: float, ours: str | None) -> None:  # fmt: skip
        config = self.ctx.config
        try:
            setup = steps.set_up(config, goal, project)
            drafted = steps.draft(config, setup, stop, notes=notes, on_round=self._round_ended)
            reviewed = steps.review(
                config, drafted.spec, setup.ref, steps.file_text(drafted, BY), setup.out,
                rounds=drafted.rounds, planning_cost_usd=spent + drafted.cost_usd, ours=ours,
                at=self.ctx.clock(),
            )  # fmt: skip
        except PlanningFailed as exc:
            problems = tuple(f"round {r.number}: {p}" for r in exc.rounds for p in r.problems[:5])
            words = ("Stopped: nothing was written or imported." if exc.stopped
                     else f"No plan: {exc}. Nothing was written or imported.")  # fmt: skip
            self.post_message(StepFailed(words, problems, spent=spent + exc.cost_usd))
            return
        except steps.DraftingRefused as exc:
            self.post_message(StepFailed(f"Not drafted: {exc}", spent=spent))
            return
        except Exception as exc:  # a locked database, a broken health check: say it
            self.post_message(StepFailed(f"Not drafted: {type(exc).__name__}: {exc}", spent=spent))
            return
        self.post_message(DraftShown(reviewed))

    def _round_ended(self, ended: Round) -> None:
        """On the drafting's thread: a round ended."""
        self.post_message(RoundEnded(ended))

    @work(thread=True, exclusive=True, group="peek", exit_on_error=False, name="reading the run")
    def _read_run(self) -> None:
        run = steps.planning_run_now()
        if run is not None:
            self.post_message(RunSeen(run))

    def on_run_seen(self, message: RunSeen) -> None:
        """The drafting's progress: the round, the planner's provider·model, its run."""
        if self.busy != "drafting":
            return
        run = message.run
        elapsed = max(0, int(time.time() - run.started_at))
        now = (f"Drafting: round {run.round} of {MAX_ROUNDS} on "
               f"{one_line(f'{run.provider}·{run.model}')} (run {run.run_id}, {elapsed}s)… "
               "Stop cancels it.")  # fmt: skip
        self.say(Content.assemble(now, *(f"\n  {line}" for line in self._rounds)))

    def _stop_peeking(self) -> None:
        if self._peek is not None:
            self._peek.stop()
            self._peek = None

    def on_round_ended(self, message: RoundEnded) -> None:
        """Keep the round's verdict under the status line."""
        r = message.ended
        verdict = "a valid plan" if not r.problems else f"refused: {one_line(r.problems[0])}"
        self._rounds.append(f"round {r.number}: {r.attempt.provider}·{r.attempt.model}, "
                            f"{money(r.attempt.cost_usd)}: {verdict}")  # fmt: skip

    def on_draft_shown(self, message: DraftShown) -> None:
        """Show the plan; the actions become available."""
        self._stop_peeking()
        self.finished += 1
        reviewed = message.reviewed
        self.reviewed, self.valid = reviewed, True
        self._text, self._spent = reviewed.text, reviewed.planning_cost_usd
        if reviewed.edited:  # the person's edit of our draft: the file is still ours
            self._written = reviewed.text
        self.set_busy("")
        preview = self.query_one(DraftPreview)
        preview.display = True
        preview.show(reviewed)
        self.query_one("#np-actions").display = True
        what = "Read back after your edit" if reviewed.edited else "Drafted"
        said = (f"{what}: review where each task goes and the file below; edit it, send a "
                "note, or import and start it.")  # fmt: skip
        self.say(f"{said} ({message.note})" if message.note else said)
        self.query_one("#np-import", Button).focus()

    def on_step_failed(self, message: StepFailed) -> None:
        """Say what went wrong; a file that does not validate is shown as it is."""
        self._stop_peeking()
        self.finished += 1
        if message.spent is not None:
            self._spent = message.spent
        if message.text is not None:  # the edit does not validate: nothing may be imported
            self._text, self._written, self.valid = message.text, message.text, False
            self.query_one(DraftPreview).show_invalid(message.text)
        self.set_busy("")
        cost = f" The planning runs cost {money(self._spent)}." if self._spent else ""
        self.say(message.message + cost, message.problems, error=True)
