"""Hand a file to the person's editor (``$VISUAL``, else ``$EDITOR``, else ``vi``) and
come back.

In a terminal the dashboard is suspended (``App.suspend``): the editor gets the screen
and the keyboard, and the dashboard comes back when it exits. Where the app cannot be
suspended (Textual's headless driver, which the tests drive; a browser), the editor runs
without a terminal, its output captured, for at most :data:`NO_TERMINAL_TIMEOUT_S`: a
graphical editor (``code --wait``) or a script works there, a terminal editor sees no
terminal and gives up. Either way the caller reads the file again afterwards.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from textual.app import App, SuspendNotSupported

from convergio_tui.textsafe import one_line

NO_TERMINAL_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class EditorExit:
    """How the editor ended: ``problem`` is "" when it exited 0."""

    command: str
    problem: str = ""


def editor_argv(path: Path, env: Mapping[str, str] | None = None) -> list[str]:
    """The editor's command line for ``path``; raises ``ValueError`` for a variable
    that cannot be split (an unbalanced quote)."""
    env = os.environ if env is None else env
    command = env.get("VISUAL") or env.get("EDITOR") or "vi"
    argv = shlex.split(command)
    if not argv:
        raise ValueError("$EDITOR is blank")
    return [*argv, str(path)]


def _run(argv: list[str], *, terminal: bool) -> str:
    """Run the editor; what went wrong, or ""."""
    try:
        if terminal:
            done = subprocess.run(argv, check=False)
        else:
            done = subprocess.run(argv, check=False, stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=NO_TERMINAL_TIMEOUT_S)  # fmt: skip
    except FileNotFoundError:
        return f"{argv[0]} was not found: set $EDITOR to your editor"
    except PermissionError:
        return f"{argv[0]} cannot be run (permission denied): set $EDITOR to your editor"
    except subprocess.TimeoutExpired:
        return (f"{argv[0]} did not finish within {NO_TERMINAL_TIMEOUT_S:g}s without a "
                "terminal and was stopped")  # fmt: skip
    if done.returncode != 0:
        return f"{argv[0]} exited with status {done.returncode}"
    return ""


def edit_file(app: App[object], path: Path) -> EditorExit:
    """Open ``path`` in the person's editor and wait for it (see the module docstring).
    Call it on the UI thread: it suspends the app."""
    try:
        argv = editor_argv(path)
    except ValueError as exc:
        return EditorExit("$EDITOR", f"$EDITOR cannot be read: {exc}")
    command = one_line(shlex.join(argv[:-1]))
    try:
        with app.suspend():
            # Inside: an exception out of this block would leave the terminal suspended.
            problem = _run(argv, terminal=True)
    except SuspendNotSupported:
        problem = _run(argv, terminal=False)
    return EditorExit(command, problem)
