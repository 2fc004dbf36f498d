"""Whether a screen is the one shown, safe to ask from a timer at any moment."""

from __future__ import annotations

from textual.app import ScreenStackError
from textual.screen import Screen


def on_top(screen: Screen[object]) -> bool:
    """``screen`` is the app's current screen (not covered by a modal). False while the app
    is tearing its screens down: a timer can still fire then, with no screen on the stack."""
    try:
        return screen.app.screen is screen
    except ScreenStackError:
        return False
