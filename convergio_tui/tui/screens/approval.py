"""ApprovalModal: decide an escalation — approve, retry elsewhere, reject, or resolve by hand.

Approving work that failed Thor's gates merges it anyway, so the first ``a`` only shows
what that means (the gates, what each failure means, the failing tests: the words
``convergio escalations approve`` prints) and turns the button into "Approve anyway";
the second decides. Escape takes the question back and decides nothing. A decision
*button* always asks once more the same way (a stray Tab and Enter decides nothing), and
the dialog opens with Close focused. Opened from the inbox's ``a``/``r``/``x`` (``ask``),
it opens asking that decision: the same key again decides it. An approved task
whose branch no longer merges comes back with a ``conflict``: the modal names the paths,
the kept worktree and the ways forward, and ``h`` accepts the person's committed fix (of
a wave's escalation: the wave branch fixed by hand is reviewed again; docs/escalations.md).
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static
from textual.worker import Worker

from convergio_tui.store.queries import EscalationDetail, escalation_detail, pending
from convergio_tui.store.states import ESCALATION_DECIDABLE
from convergio_tui.textsafe import one_line, printable
from convergio_tui.tui import engine_bridge
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.engine_bridge import ActionResult
from convergio_tui.tui.format import available, duration, money
from convergio_tui.tui.messages import ActionFinished
from convergio_tui.tui.widgets.diff_view import DiffView
from convergio_tui.tui.widgets.gate_evidence import GateEvidence
from convergio_tui.tui.worker_failures import ReportsWorkerFailures

BUTTONS = {"approval-approve": "approve", "approval-retry-button": "retry",
           "approval-reject": "reject", "approval-resolve": "resolve"}  # fmt: skip
BUTTON_OF = {action: button for button, action in BUTTONS.items()}
KEY_OF = {"approve": "a", "retry": "r", "reject": "x", "resolve": "h"}
LABELS = {"approve": "Approve (a)", "retry": "Retry (r)", "reject": "Reject (x)",
          "resolve": "Resolved by hand (h)"}  # fmt: skip
# While a decision is asked once more, its button says that pressing it again decides.
ASKING_LABELS = {"approve": "Approve anyway (a)", "retry": "Retry now (r)",
                 "reject": "Reject now (x)", "resolve": "Resolved: confirm (h)"}  # fmt: skip
ASKING_TITLES = {"approve": "Approve anyway?", "retry": "Retry?", "reject": "Reject?",
                 "resolve": "Resolved by hand?"}  # fmt: skip
APPROVE_LABEL, APPROVE_ANYWAY_LABEL = LABELS["approve"], ASKING_LABELS["approve"]
REFUSED_TITLE = {"resolve": "Not resolved"}  # else "Decision refused"


def conflict_content(conflict: dict[str, Any], escalation_id: int) -> Content:
    """The conflict of an approved task that no longer merges: the paths, the kept
    worktree, the ways forward and the keys that take them here."""
    # Paths and the worktree come from git and the agent's files: one printable line each.
    paths = ", ".join(one_line(str(p)) for p in conflict.get("paths") or []) or "(no path named)"
    wave = one_line(str(conflict.get("wave_branch") or "its wave branch"))
    lines = [Content.assemble(("Conflicts with ", "bold $warning"), (wave, "bold"),
                              (" in ", "bold $warning"), (paths, "bold"))]  # fmt: skip
    if conflict.get("worktree"):
        lines.append(Content.assemble(("worktree ", "$foreground-muted"),
                                      one_line(str(conflict["worktree"]))))  # fmt: skip
    for way in conflict.get("ways_forward") or []:
        text = one_line(str(way)).replace("resolve ID", f"resolve {escalation_id}")
        lines.append(Content.assemble(("  • ", "$warning"), text))
    lines.append(Content.assemble(
        ("here: ", "$foreground-muted"), ("r", "bold"), " retries it on the current wave branch; ",
        ("h", "bold"), " accepts the fix you committed in the worktree",
    ))  # fmt: skip
    return Content("\n").join(lines)


def warning_content(warning: str) -> Content:
    """The approval warning and how to answer it."""
    return Content.assemble(
        (printable(warning), "$text-error"), "\n",  # evidence quotes agents: no raw controls
        ("a", "bold"), " again approves it anyway; ", ("esc", "bold"), " keeps it pending.",
    )  # fmt: skip


def asking_content(action: str, what: str, warning: str | None, target: str) -> Content:
    """What ``action`` will do to ``what`` (a task code or ``wave-N``), and how to answer;
    ``target`` names where a retry runs."""
    if action == "approve" and warning:
        return warning_content(warning)
    wave = what.startswith("wave-")
    said = {
        "approve": f"Approve {what}: "
        + ("the wave is accepted as it is." if wave else "it is done, validated by you, and "
           "merged into its wave branch when the wave settles."),
        "retry": f"Retry {what}: "
        + ("its tasks run another round, with your note." if wave else
           f"one more round on {target}, with your note if you wrote one."),
        "reject": f"Reject {what}: "
        + ("the wave fails, and with it the plan." if wave else
           "the task fails and its wave is blocked until the task is re-run."),
        "resolve": f"Accept {what} as you committed it by hand; no agent runs.",
    }[action]  # fmt: skip
    return Content.assemble(
        (printable(said), "bold"), "\n", (KEY_OF[action], "bold"),
        f" again {'approves' if action == 'approve' else 'does it'}; ",
        ("esc", "bold"), " keeps it pending.",
    )  # fmt: skip


class ApprovalModal(ReportsWorkerFailures, ModalScreen[ActionResult | None]):
    """Every round's gate evidence, the diff stat and the spend, then a decision by key."""

    DEFAULT_CSS = """
    #approval-conflict { display: none; height: auto; max-height: 8; border: round $warning;
                         padding: 0 1; }
    #approval-warning { display: none; height: auto; max-height: 14; border: round $error;
                        padding: 0 1; margin-top: 1; }
    """
    BINDINGS = [
        Binding("a", "decide('approve')", "Approve", id="approval.approve"),
        Binding("r", "decide('retry')", "Retry", id="approval.retry"),
        Binding("x", "decide('reject')", "Reject", id="approval.reject"),
        Binding("h", "decide('resolve')", "Resolved by hand", id="approval.resolve"),
        Binding("escape", "close", "Close", id="approval.close"),
        Binding("z", "zoom_diff", "Zoom diff", id="approval.zoom"),
    ]

    class Loaded(Message):
        """The escalation was read (None: it is gone or no longer pending), with what
        approving it means (None: its last round failed no gate)."""

        def __init__(self, detail: EscalationDetail | None, warning: str | None) -> None:
            super().__init__()
            self.detail = detail
            self.warning = warning

    def __init__(
        self, ctx: DashboardContext, *, escalation_id: int | None = None,
        task_id: int | None = None, ask: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.ctx = ctx
        self.escalation_id = escalation_id
        self.task_id = task_id
        self.ask = ask  # the inbox's key: open asking this decision once more
        self.detail: EscalationDetail | None = None
        self.warning: str | None = None
        # The decision asked once more (its warning shown), waiting for its second press.
        self.confirming: str | None = None
        self.deciding: str | None = None  # the decision in flight

    def compose(self) -> ComposeResult:
        """Header, conflict, evidence, diff, retry options, warning and the buttons."""
        providers = [(f"{name} (retry there)", name) for name in self.ctx.config.providers]
        with Vertical(id="approval-dialog", classes="dialog"):
            yield Static("reading the escalation…", id="approval-title")
            yield Static("", id="approval-meta")
            yield Static("", id="approval-conflict")
            with Horizontal(id="approval-body"):
                yield GateEvidence(id="approval-evidence")
                yield DiffView(id="approval-diff")
            with Horizontal(id="approval-retry"):
                yield Label("Retry with", classes="field-label")
                yield Select(providers, prompt="same provider", id="approval-provider")
                yield Input(placeholder="model id (blank: provider default)", id="approval-model")
                yield Input(placeholder="note for the next round (optional)", id="approval-note")
            yield Static("", id="approval-warning")
            with Horizontal(classes="dialog-buttons"):
                yield Button(LABELS["approve"], variant="success", id="approval-approve")
                yield Button(LABELS["retry"], variant="primary", id="approval-retry-button")
                yield Button(LABELS["reject"], variant="error", id="approval-reject")
                yield Button(LABELS["resolve"], variant="warning", id="approval-resolve")
                yield Button("Close (esc)", id="approval-close")
        yield Footer()

    def on_mount(self) -> None:
        """Label the boxes, focus Close (Enter on it decides nothing), read the escalation."""
        self.query_one("#approval-evidence").border_title = "Thor gate evidence, every round"
        self.query_one("#approval-diff").border_title = "Diff · z zooms"
        self.query_one("#approval-conflict").border_title = "Approved, but it no longer merges"
        self.query_one("#approval-close", Button).focus()
        self._load()

    @work(thread=True, group="approval", name="reading the escalation", exit_on_error=False)
    def _load(self) -> None:
        esc_id = self.escalation_id
        if esc_id is None:
            found = [e.id for e in pending() if e.task_id == self.task_id]
            esc_id = found[0] if found else None
        detail = None if esc_id is None else escalation_detail(esc_id)
        warning = (
            None if detail is None else engine_bridge.approval_warning(detail.escalation.rounds)
        )
        self.post_message(self.Loaded(detail, warning))

    def worker_failed(self, worker: Worker[object]) -> None:
        """A failed read says so in the title instead of "reading…" for ever."""
        if worker.name == "reading the escalation":
            self.query_one("#approval-title", Static).update(
                "Could not read the escalation (see the notification); esc closes."
            )

    def on_approval_modal_loaded(self, message: ApprovalModal.Loaded) -> None:
        """Show the evidence; a decided escalation cannot be decided again."""
        detail = message.detail
        title = self.query_one("#approval-title", Static)
        if detail is None or detail.escalation.status not in ESCALATION_DECIDABLE:
            title.update("This escalation is no longer pending.")
            self.detail = None
            self.refresh_bindings()
            return
        self.detail, self.warning = detail, message.warning
        line = detail.escalation
        self.escalation_id = line.id
        title.update(Content.assemble(
            (f"Escalation #{line.id} · ", "bold $status-escalated"), (f"{one_line(line.task_code)} ", "bold"),
            one_line(line.task_title),
        ))  # fmt: skip
        waited = duration(self.ctx.clock() - line.created_at)
        target = one_line(f"{line.provider}·{line.model}") if line.provider else "no provider"
        runs = len(detail.runs)
        self.query_one("#approval-meta", Static).update(Content.assemble(
            ("plan ", "$foreground-muted"), one_line(line.plan_name), ("  rounds ", "$foreground-muted"), str(line.round),
            ("  runs ", "$foreground-muted"), str(runs), ("  spend so far ", "$foreground-muted"),
            (money(line.spend_usd), "bold"), ("  last routed to ", "$foreground-muted"), target,
            ("  waiting ", "$foreground-muted"), waited, "\n", ("reason ", "$foreground-muted"), printable(line.reason),
        ))  # fmt: skip
        if line.conflict:
            box = self.query_one("#approval-conflict", Static)
            box.update(conflict_content(line.conflict, line.id))
            box.display = True
        self.query_one(GateEvidence).show(detail.gates)
        if line.task_id is not None:  # the diff is read from git off the UI thread
            self.query_one(DiffView).show_task(line.task_id, line.diff_stat)
        else:
            self.query_one(DiffView).show_wave(line.wave_id, line.diff_stat)
        self.refresh_bindings()
        if self.ask in KEY_OF:  # from the inbox: that decision, asked once more
            self._confirm(self.ask)

    def action_zoom_diff(self) -> None:
        """Give the diff the whole screen, or give it back."""
        self.query_one(DiffView).action_zoom()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Decisions need a pending escalation and no decision in flight."""
        if action == "decide":
            return available(self.detail is not None and self.deciding is None)
        return True

    def action_close(self) -> None:
        """Take back the question asked once more, or close (nothing decided either way)."""
        if self.confirming:
            self._confirm(None)
        else:
            self.dismiss(None)

    def _retry_target(self) -> str:
        """Where a retry runs, as the fields say now."""
        provider = self.query_one("#approval-provider", Select).value
        model = self.query_one("#approval-model", Input).value.strip()
        line = self.detail.escalation if self.detail is not None else None
        if isinstance(provider, str):
            return one_line(f"{provider}·{model or 'its default model'}")
        if line is not None and line.provider:
            return one_line(f"{line.provider}·{model or line.model}")
        return "the provider routing picks"

    def _confirm(self, action: str | None) -> None:
        """Ask ``action`` once more (what it does, how to answer), or take the question
        back (None); while asking, Close has the focus, so Enter takes it back."""
        previous, self.confirming = self.confirming, action
        box = self.query_one("#approval-warning", Static)
        if action is not None and self.detail is not None:
            what = one_line(self.detail.escalation.task_code)
            box.update(asking_content(action, what, self.warning, self._retry_target()))
            box.border_title = ASKING_TITLES[action]
        else:
            box.update("")
        box.display = action is not None
        for name in {previous, action} - {None}:
            button = self.query_one(f"#{BUTTON_OF[str(name)]}", Button)
            button.label = ASKING_LABELS[str(name)] if name == action else LABELS[str(name)]
            button.refresh(layout=True)  # a label change alone keeps the old width
        self.query_one("#approval-close", Button).focus()

    def action_decide(self, action: str, asked: bool = False) -> None:
        """Write the decision through Thor's API; the engine picks it up at once. Approving
        work that failed gates, and any decision by button (``asked``), first shows what it
        means and waits for a second press of the same key or button."""
        if self.detail is None or self.deciding is not None:
            return
        ask = asked or (action == "approve" and bool(self.warning))
        if ask and self.confirming != action:
            self._confirm(action)
            return
        if self.confirming:
            self._confirm(None)
        self.deciding = action
        self.refresh_bindings()
        for button in self.query(Button):
            button.disabled = button.id != "approval-close"
        provider = self.query_one("#approval-provider", Select).value
        retry = action == "retry"
        self._decide(
            self.detail.escalation.id, action,
            self.query_one("#approval-note", Input).value.strip(),
            provider if retry and isinstance(provider, str) else None,
            self.query_one("#approval-model", Input).value.strip() if retry else None,
        )  # fmt: skip

    @work(thread=True, group="approval", exit_on_error=False)
    def _decide(
        self, esc_id: int, action: str, note: str, provider: str | None, model: str | None
    ) -> None:
        try:
            result = engine_bridge.decide_escalation(
                esc_id, action, self.ctx.config, note=note, provider=provider, model=model
            )
        except Exception as exc:
            result = ActionResult(False, f"{type(exc).__name__}: {exc}")
        self.post_message(ActionFinished(result))

    def on_action_finished(self, message: ActionFinished) -> None:
        """Close on success; on refusal say why and let the person choose again."""
        message.stop()
        action, self.deciding = self.deciding, None
        if message.result.ok:
            if self.ctx.engine is not None:  # --run: the plan can move again
                self.ctx.engine.resume_if_idle()
            self.app.notify(
                printable(message.result.message), title="Escalation decided", markup=False
            )
            self.dismiss(message.result)
            return
        self.notify(printable(message.result.message), severity="error", markup=False,
                    title=REFUSED_TITLE.get(action or "", "Decision refused"))  # fmt: skip
        for button in self.query(Button):
            button.disabled = False
        self.refresh_bindings()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        action = BUTTONS.get(event.button.id or "")
        if action is None:
            self.action_close()
        else:
            self.action_decide(action, asked=True)
