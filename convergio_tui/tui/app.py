"""The Convergio dashboard app: it wires screens, themes, keys, commands and services, and
owns navigation (screens post messages; the App switches screens)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual import work
from textual.app import App
from textual.binding import Binding

from convergio_tui.config.schema import Config
from convergio_tui.engine.events import EngineEvent, Listener
from convergio_tui.engine.supervisor import EngineSupervisor
from convergio_tui.textsafe import printable
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.engine_bridge import ActionResult
from convergio_tui.tui.messages import DatabaseChecked, EngineNudged, RecheckRequested
from convergio_tui.tui.palette import DashboardCommands
from convergio_tui.tui.screens.main import MainScreen
from convergio_tui.tui.screens.problem import ProblemScreen
from convergio_tui.tui.screens.startup import StartupScreen
from convergio_tui.tui.themes import DEFAULT_THEME, layout_css_path, load_themes, variable_defaults


class ConvergioApp(App[None]):
    """``convergio dashboard``: opens on the startup check, then the plan."""

    TITLE = "Convergio"
    CSS_PATH = str(layout_css_path())
    COMMANDS = App.COMMANDS | {DashboardCommands}
    BINDINGS = [
        Binding("q", "request_quit", "Quit", id="app.quit"),
        # On the main screen only (check_action): run the shown plan in this process.
        Binding("g", "run_plan", "Run here", id="plan.run-here"),
        Binding("question_mark", "show_help_panel", "Keys", show=False, id="app.keys"),
    ]

    def __init__(self, ctx: DashboardContext, *, theme: str | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        if ctx.demo:  # the terminal's title says it too
            self.title = f"{self.TITLE} · DEMO"
            self.sub_title = "simulated agents"
        themes = load_themes()
        for found in themes.themes:
            self.register_theme(found)
        self.theme_problems = themes.problems
        self.theme = theme if theme and theme in self.available_themes else DEFAULT_THEME
        if theme and theme not in self.available_themes:
            known = ", ".join(sorted(t.name for t in themes.themes))
            self.theme_problems += (f"unknown theme {theme!r}; shipped and yours: {known}",)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """``$status-running``, ``$budget-alert``… for themes that do not set them."""
        return variable_defaults(self.current_theme)

    def on_mount(self) -> None:
        """Start the log reader, then check the database."""
        self.ctx.tailer.start()
        for problem in self.theme_problems:
            self.notify(
                printable(problem), title="Theme file skipped", severity="warning", markup=False
            )
        self.push_screen(StartupScreen(self.ctx))

    def on_database_checked(self, message: DatabaseChecked) -> None:
        """The start-up check finished: open the plan, or explain what is wrong."""
        if not message.probe.ok:
            self.switch_screen(ProblemScreen(self.ctx, message.probe))
            return
        main = MainScreen(self.ctx)
        self.switch_screen(main)
        self.start_engine(main)

    def on_recheck_requested(self, message: RecheckRequested) -> None:
        """Probe the database again."""
        self.switch_screen(StartupScreen(self.ctx))

    def start_engine(self, main: MainScreen) -> None:
        """With ``--run``, execute the plan on engine-owned threads."""
        if not self.ctx.run or self.ctx.engine is not None or self.ctx.plan_id is None:
            return
        self.ctx.engine = EngineSupervisor(self.ctx.config, self.ctx.plan_id, _nudger(main))
        self.ctx.engine.start()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``g`` belongs to the main screen (the plan it shows)."""
        if action == "run_plan":
            return isinstance(self.screen, MainScreen)
        return True

    def action_run_plan(self) -> None:
        """Run the shown plan in this process (as ``--run`` does), or start it again once
        its last run ended; refused, with the reason, when another process runs it."""
        main = self.screen
        if not isinstance(main, MainScreen) or self.ctx.plan_id is None:
            return
        self._run_plan(self.ctx.plan_id, main)

    @work(thread=True, group="run-plan", exclusive=True, exit_on_error=False)
    def _run_plan(self, plan_id: int, main: MainScreen) -> None:
        from convergio_tui.tui import engine_bridge

        try:
            result = engine_bridge.run_here(self.ctx, plan_id, _nudger(main))
        except Exception as exc:  # a locked database, a broken repository: say it
            result = engine_bridge.ActionResult(False, f"{type(exc).__name__}: {exc}")
        self.call_from_thread(self._ran_plan, result, main)

    def _ran_plan(self, result: ActionResult, main: MainScreen) -> None:
        self.notify(printable(result.message), title="Run here" if result.ok else "Not started",
                    severity="information" if result.ok else "warning", markup=False)  # fmt: skip
        if result.ok:
            main.poll_now(force=True)

    def action_request_quit(self) -> None:
        """Quit; with the engine running here, ask first (ctrl+q quits without asking)."""
        from convergio_tui.tui.screens.confirm import ConfirmModal

        if self.ctx.engine is None or self.ctx.engine.state != "running":
            self.exit()
            return
        question = ("Quit and stop the engine? Running tasks are interrupted and go back to the "
                    "queue; run the plan again to resume.")  # fmt: skip

        def decided(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmModal(question, yes_label="Quit", no_label="Stay"), decided)

    def on_unmount(self) -> None:
        """Stop the engine (killing its process trees) and the log reader."""
        if self.ctx.engine is not None:
            self.ctx.engine.stop()
        self.ctx.tailer.stop()


def _nudger(main: MainScreen) -> Listener:
    """An engine listener: every engine event (a state change) makes the main screen poll;
    run output is read from the log files, not from events."""

    def listener(event: EngineEvent) -> None:
        main.post_message(EngineNudged())

    return listener


def create_app(
    db_path: Path,
    config: Config,
    plan_id: int | None = None,
    run: bool = False,
    *,
    clock: Callable[[], float] = time.time,
    theme: str | None = None,
    poll_interval_s: float = 0.5,
    demo: bool = False,
) -> ConvergioApp:
    """The dashboard for ``db_path`` (shared by the CLI, the tests and the screenshots).

    ``demo`` labels it as ``convergio demo`` (simulated agents) in the header and title.
    """
    ctx = DashboardContext(Path(db_path), config, plan_id, run, clock, poll_interval_s)
    ctx.demo = demo
    return ConvergioApp(ctx, theme=theme)
