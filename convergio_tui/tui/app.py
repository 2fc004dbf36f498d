"""The Convergio dashboard app: it wires screens, themes, keys, commands and services, and
owns navigation (screens post messages; the App switches screens)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import Theme

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.engine.events import EngineEvent, Listener
from convergio_tui.engine.supervisor import EngineSupervisor
from convergio_tui.textsafe import printable
from convergio_tui.tui.context import DashboardContext
from convergio_tui.tui.engine_bridge import ActionResult
from convergio_tui.tui.messages import DatabaseChecked, EngineNudged, RecheckRequested
from convergio_tui.tui.palette import DashboardCommands
from convergio_tui.tui.screens.main import MainScreen
from convergio_tui.tui.screens.new_plan_messages import NewPlanImported
from convergio_tui.tui.screens.problem import ProblemScreen
from convergio_tui.tui.screens.startup import StartupScreen
from convergio_tui.tui.themes import (
    DEFAULT_THEME,
    layout_css_path,
    load_themes,
    remember_theme,
    remembered_theme,
    variable_defaults,
)


def screenshots_dir() -> Path:
    """Where the palette's Screenshot saves: ``$CONVERGIO_HOME/screenshots``."""
    return paths.home_dir() / "screenshots"


class ConvergioApp(App[None]):
    """``convergio dashboard``: opens on the startup check, then the plan."""

    TITLE = "Convergio"
    CSS_PATH = str(layout_css_path())
    COMMANDS = App.COMMANDS | {DashboardCommands}
    BINDINGS = [
        Binding("q", "request_quit", "Quit", id="app.quit"),
        # On the main screen only (check_action): run the shown plan in this process.
        Binding("g", "run_plan", "Run here", id="plan.run-here"),
        Binding("question_mark", "toggle_help_panel", "Keys", show=False, id="app.keys"),
        # Before any screen's own esc (check_action: only while the key help is shown).
        Binding(
            "escape",
            "hide_help_panel",
            "Close keys",
            show=False,
            priority=True,
            id="app.keys-close",
        ),
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
        remembered, problem = (None, None) if theme else remembered_theme()
        if problem:
            self.theme_problems += (problem,)
        wanted = theme or remembered  # --theme, else the one chosen last time
        self.theme = wanted if wanted and wanted in self.available_themes else DEFAULT_THEME
        if wanted and wanted not in self.available_themes:
            known = ", ".join(sorted(t.name for t in themes.themes))
            said = "unknown theme" if theme else "the theme chosen last time is gone:"
            self.theme_problems += (f"{said} {wanted!r}; shipped and yours: {known}",)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """``$status-running``, ``$budget-alert``… for themes that do not set them."""
        return variable_defaults(self.current_theme)

    def on_mount(self) -> None:
        """Start the log reader, then check the database."""
        self.ctx.tailer.start()
        self.theme_changed_signal.subscribe(self, self._theme_chosen)
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

    def on_new_plan_imported(self, message: NewPlanImported) -> None:
        """A plan drafted in the dashboard was imported: close its screen, show the plan
        and run it here, as ``g`` does."""
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return
        while self.screen is not main and len(self.screen_stack) > 1:
            self.pop_screen()
        main.switch_plan(message.plan_id)
        self.notify(printable(f"Plan {message.plan_id} {message.name!r} imported from "
                              f"{message.file}."), title="New plan", markup=False)  # fmt: skip
        self._run_plan(message.plan_id, main)

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
        """``g`` belongs to the main screen (the plan it shows); esc closes the key help
        only while it is shown (else the screen's own esc applies)."""
        if action == "run_plan":
            return isinstance(self.screen, MainScreen)
        if action == "hide_help_panel":
            return bool(self.screen.query("HelpPanel"))
        return True

    def action_toggle_help_panel(self) -> None:
        """``?``: show the keys of the screen, or hide them."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def _theme_chosen(self, theme: Theme) -> None:
        """Remember the theme for the next start (``$CONVERGIO_HOME/dashboard.json``)."""
        problem = remember_theme(theme.name)
        if problem:
            self.notify(printable(problem), title="Theme not remembered", severity="warning",
                        markup=False)  # fmt: skip

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's palette commands, with Screenshot saving where it can and saying where."""
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":
                # After a moment, so that the palette has closed and is not in the picture.
                command = command._replace(
                    help=f"Save an SVG of the screen in {screenshots_dir()}",
                    callback=lambda: self.set_timer(0.1, self.action_screenshot),
                )
            yield command

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG of the screen (in ``$CONVERGIO_HOME/screenshots``, made if missing)
        and say where it went, or why it could not be saved."""
        folder = Path(path).expanduser() if path else screenshots_dir()
        try:
            paths.private_dir(folder)
            saved = self.save_screenshot(filename, str(folder))
        except OSError as exc:
            self.notify(printable(f"{folder}: {exc.strerror or exc}"), title="Screenshot not saved",
                        severity="error", markup=False)  # fmt: skip
            return
        self.notify(printable(f"Saved to {saved}"), title="Screenshot", markup=False)

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
