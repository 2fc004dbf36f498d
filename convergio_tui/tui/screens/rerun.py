"""RerunModal: run a task again in a new round, maybe elsewhere, with a note.

Opened by ``r`` on the task detail of a done, failed, skipped, cancelled or escalated
task (:class:`RerunsTask`, mixed into the task detail screen). It says what a re-run
does, offers the providers that may take the task (only local ones for a sensitive
task: routing would refuse the others anyway), a model and a note. Enter in a field or
the Re-run button asks for it; escape or Cancel asks nothing. The write goes through
tui/engine_bridge.py to engine/rerun.py on a worker thread; with the plan's engine in
this dashboard, it starts again if it had ended.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from convergio_tui.config.schema import Config
from convergio_tui.store.queries import TaskDetail, TaskLine
from convergio_tui.store.states import TASK_RERUNNABLE
from convergio_tui.textsafe import one_line, printable
from convergio_tui.tui import engine_bridge
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.engine_bridge import ActionResult
from convergio_tui.tui.format import available


@dataclass(frozen=True)
class RerunRequest:
    """What the person asked for: None/"" keeps the task's provider, model, no note."""

    provider: str | None
    model: str
    note: str


def offered_providers(config: Config, privacy: str) -> list[str]:
    """The enabled providers a re-run may ask for: for a sensitive task, local ones only."""
    return [
        name
        for name, p in config.providers.items()
        if p.enabled and (privacy != "sensitive" or p.privacy_level == "local")
    ]


class RerunModal(ModalScreen[RerunRequest | None]):
    """The re-run form; dismissed with a :class:`RerunRequest`, or None when cancelled."""

    DEFAULT_CSS = """
    #rerun-dialog { width: 90; max-width: 96%; }
    #rerun-title { height: auto; margin-bottom: 1; }
    #rerun-private { color: $warning; height: auto; }
    #rerun-fields { height: auto; }
    #rerun-fields .field-label { padding: 1 1 0 0; }
    #rerun-provider { width: 30; }
    #rerun-model { width: 1fr; }
    #rerun-note { width: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="rerun.cancel")]

    def __init__(self, config: Config, line: TaskLine) -> None:
        super().__init__()
        self.config = config
        self.line = line

    def compose(self) -> ComposeResult:
        """What it does, the three fields and the two buttons."""
        line = self.line
        current = one_line(f"{line.provider}·{line.model}") if line.provider else "not routed yet"
        choices = [(name, name) for name in offered_providers(self.config, line.privacy)]
        title = Content.assemble(
            ("Re-run ", "bold"), (f"{one_line(line.code)} ", "bold $primary"),
            one_line(line.title), "\n",
            (f"{line.status}, round {line.round}, last on {current}. ", "$foreground-muted"),
            f"Round {line.round + 1} goes back to the queue; its wave runs again, "
            "and the note is added to the prompt.",
        )  # fmt: skip
        with Vertical(id="rerun-dialog", classes="dialog"):
            yield Static(title, id="rerun-title")
            if line.privacy == "sensitive":
                yield Static("sensitive: only local providers may take it", id="rerun-private")
            with Horizontal(id="rerun-fields"):
                yield Label("Run on", classes="field-label")
                yield Select(choices, prompt="same provider", id="rerun-provider")
                yield Input(placeholder="model id (blank: provider default)", id="rerun-model")
            yield Input(placeholder="note for the next round (optional)", id="rerun-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Re-run", variant="primary", id="rerun-go")
                yield Button("Cancel (esc)", id="rerun-cancel")
        yield Footer()

    def on_mount(self) -> None:
        """Start in the note: what a person most often adds."""
        self.query_one("#rerun-note", Input).focus()

    def request(self) -> RerunRequest:
        """The form as it stands."""
        provider = self.query_one("#rerun-provider", Select).value
        return RerunRequest(
            provider if isinstance(provider, str) else None,
            self.query_one("#rerun-model", Input).value.strip(),
            self.query_one("#rerun-note", Input).value.strip(),
        )

    def action_cancel(self) -> None:
        """Close without re-running."""
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.dismiss(self.request())

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.request() if event.button.id == "rerun-go" else None)


class RerunsTask:
    """The task detail's ``r``: ask with :class:`RerunModal`, write it on a worker thread,
    say what happened, read the task again. Mixed into a screen with ``ctx``, ``detail``
    and ``action_reload``."""

    ctx: DashboardContext
    detail: TaskDetail | None

    class Reran(Message):
        """A re-run was written (or refused)."""

        def __init__(self, result: ActionResult) -> None:
            super().__init__()
            self.result = result

    def rerun_available(self) -> bool | None:
        """Re-running needs a finished or escalated task (else dimmed)."""
        return available(self.detail is not None and self.detail.line.status in TASK_RERUNNABLE)

    def action_rerun(self) -> None:
        """Open the re-run form for this task."""
        detail = self.detail
        if detail is None or detail.line.status not in TASK_RERUNNABLE:
            return
        line, plan_id = detail.line, detail.plan_id

        def chosen(request: RerunRequest | None) -> None:
            if request is not None:
                self._rerun(line.id, plan_id, request)

        self.app.push_screen(RerunModal(self.ctx.config, line), chosen)  # type: ignore[attr-defined]

    @work(thread=True, group="rerun", exit_on_error=False)
    def _rerun(self, task_id: int, plan_id: int, request: RerunRequest) -> None:
        try:
            result = engine_bridge.rerun_task(task_id, self.ctx.config, provider=request.provider,
                                              model=request.model, note=request.note)  # fmt: skip
            if result.ok:
                result = ActionResult(True, f"{result.message} {self._who_runs_it(plan_id)}")
        except Exception as exc:
            result = ActionResult(False, f"{type(exc).__name__}: {exc}")
        self.post_message(self.Reran(result))  # type: ignore[attr-defined]

    def _who_runs_it(self, plan_id: int) -> str:
        """What runs the new round: this dashboard's engine (started again if it had
        ended), a ``convergio run`` elsewhere, or nobody yet."""
        engine = self.ctx.engine
        if engine is not None and engine.plan_id == plan_id:
            engine.start_again()
            return "The engine in this dashboard runs it."
        pid = engine_bridge.runner_elsewhere(plan_id)
        if pid is not None:
            return f"The engine running the plan (process {pid}) picks it up."
        return f"Press g on the plan to run it here, or: convergio run {plan_id}."

    def on_reruns_task_reran(self, message: RerunsTask.Reran) -> None:
        """Say what happened; show the task as it is now."""
        result = message.result
        self.notify(  # type: ignore[attr-defined]
            printable(result.message), title="Re-run" if result.ok else "Not re-run",
            severity="information" if result.ok else "error", markup=False,
        )  # fmt: skip
        self.action_reload()  # type: ignore[attr-defined]
