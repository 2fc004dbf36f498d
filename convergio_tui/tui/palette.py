"""Command palette entries, named "area: Verb", offered only when they can run."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# name, screen action, help
SCREEN_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("plan: Pause or resume", "toggle_pause", "Stop dispatching new tasks, or start again"),
    ("plan: Switch", "switch_plan", "Show another plan"),
    ("plan: New", "new_plan", "An agent drafts a plan from your goal; review it, then it runs"),
    ("task: Open detail", "open_task", "Prompt, routing reasons, runs, gates and log"),
    ("task: Cancel", "cancel_task", "Cancel the selected task and kill its process"),
    ("tasks: Filter", "filter", "Narrow the table: status:, provider:, wave: or words (/)"),
    ("tasks: Show every task", "clear_filter", "Clear the filter (esc)"),
    (
        "tasks: Next that needs you",
        "next_needing",
        "The next escalated, blocked or failed task (n)",
    ),
    ("escalations: Open inbox", "escalations", "Tasks waiting for your decision"),
    ("output: Toggle focus", "toggle_output", "One large output pane, or a grid"),
)


class DashboardCommands(Provider):
    """The dashboard's own commands for the screen the palette was opened on."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        screen = self.screen
        found: list[tuple[str, Callable[[], object], str]] = []
        for name, action, help_text in SCREEN_COMMANDS:
            method = getattr(screen, f"action_{action}", None)
            if method is not None and screen.check_action(action, ()) is True:
                found.append((name, method, help_text))
        found.append(("theme: Switch", self.app.action_change_theme, "Choose a colour theme"))
        return found

    async def discover(self) -> Hits:
        """Everything available, before anything is typed."""
        for name, command, help_text in self._commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        """Fuzzy match on the command names."""
        matcher = self.matcher(query)
        for name, command, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(command), help=help_text)
