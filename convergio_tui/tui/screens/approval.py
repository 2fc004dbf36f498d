"""ApprovalModal: decide an escalation — approve, retry elsewhere, or reject."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from convergio_tui.store.queries import EscalationDetail, escalation_detail, pending
from convergio_tui.store.states import ESCALATION_DECIDABLE
from convergio_tui.textsafe import one_line, printable
from convergio_tui.tui import engine_bridge
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.engine_bridge import ActionResult
from convergio_tui.tui.format import available, duration, money
from convergio_tui.tui.messages import ActionFinished
from convergio_tui.tui.widgets.gate_evidence import GateEvidence
from convergio_tui.tui.worker_failures import ReportsWorkerFailures


class ApprovalModal(ReportsWorkerFailures, ModalScreen[ActionResult | None]):
    """Every round's gate evidence, the diff stat and the spend, then a decision by key."""

    BINDINGS = [
        Binding("a", "decide('approve')", "Approve", id="approval.approve"),
        Binding("r", "decide('retry')", "Retry", id="approval.retry"),
        Binding("x", "decide('reject')", "Reject", id="approval.reject"),
        Binding("escape", "dismiss(None)", "Close", id="approval.close"),
    ]

    class Loaded(Message):
        """The escalation was read (None: it is gone or no longer pending)."""

        def __init__(self, detail: EscalationDetail | None) -> None:
            super().__init__()
            self.detail = detail

    def __init__(
        self, ctx: DashboardContext, *, escalation_id: int | None = None, task_id: int | None = None
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.escalation_id = escalation_id
        self.task_id = task_id
        self.detail: EscalationDetail | None = None
        self.deciding = False

    def compose(self) -> ComposeResult:
        """Header, evidence, diff, retry options and the decision buttons."""
        providers = [(f"{name} (retry there)", name) for name in self.ctx.config.providers]
        with Vertical(id="approval-dialog", classes="dialog"):
            yield Static("reading the escalation…", id="approval-title")
            yield Static("", id="approval-meta")
            with Horizontal(id="approval-body"):
                yield GateEvidence(id="approval-evidence")
                with VerticalScroll(id="approval-diff"):
                    yield Static("", id="approval-diff-text")
            with Horizontal(id="approval-retry"):
                yield Label("Retry with", classes="field-label")
                yield Select(providers, prompt="same provider", id="approval-provider")
                yield Input(placeholder="model id (blank: provider default)", id="approval-model")
                yield Input(placeholder="note for the next round (optional)", id="approval-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Approve (a)", variant="success", id="approval-approve")
                yield Button("Retry (r)", variant="primary", id="approval-retry-button")
                yield Button("Reject (x)", variant="error", id="approval-reject")
                yield Button("Close (esc)", id="approval-close")
        yield Footer()

    def on_mount(self) -> None:
        """Label the boxes, focus Approve, read the escalation."""
        self.query_one("#approval-evidence").border_title = "Thor gate evidence, every round"
        self.query_one("#approval-diff").border_title = "Diff stat"
        self.query_one("#approval-approve", Button).focus()
        self._load()

    @work(thread=True, group="approval", exit_on_error=False)
    def _load(self) -> None:
        esc_id = self.escalation_id
        if esc_id is None:
            found = [e.id for e in pending() if e.task_id == self.task_id]
            esc_id = found[0] if found else None
        self.post_message(self.Loaded(None if esc_id is None else escalation_detail(esc_id)))

    def on_approval_modal_loaded(self, message: ApprovalModal.Loaded) -> None:
        """Show the evidence; a decided escalation cannot be decided again."""
        detail = message.detail
        title = self.query_one("#approval-title", Static)
        if detail is None or detail.escalation.status not in ESCALATION_DECIDABLE:
            title.update("This escalation is no longer pending.")
            self.detail = None
            self.refresh_bindings()
            return
        self.detail = detail
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
        self.query_one(GateEvidence).show(detail.gates)
        diff = line.diff_stat or "no diff stat recorded for this task"
        self.query_one("#approval-diff-text", Static).update(Content(printable(diff)))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Decisions need a pending escalation and no decision in flight."""
        if action == "decide":
            return available(self.detail is not None and not self.deciding)
        return True

    def action_decide(self, action: str) -> None:
        """Write the decision through Thor's API; the engine picks it up at once."""
        if self.detail is None or self.deciding:
            return
        self.deciding = True
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
        self.deciding = False
        if message.result.ok:
            if self.ctx.engine is not None:  # --run: the plan can move again
                self.ctx.engine.resume_if_idle()
            self.app.notify(
                printable(message.result.message), title="Escalation decided", markup=False
            )
            self.dismiss(message.result)
            return
        self.notify(printable(message.result.message), title="Decision refused", severity="error",
                    markup=False)  # fmt: skip
        for button in self.query(Button):
            button.disabled = False
        self.refresh_bindings()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        action = {"approval-approve": "approve", "approval-retry-button": "retry",
                  "approval-reject": "reject"}.get(event.button.id or "")  # fmt: skip
        if action is None:
            self.dismiss(None)
        else:
            self.action_decide(action)
