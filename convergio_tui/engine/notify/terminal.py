"""What a notification writes to a terminal: the bell, and a desktop notification by
escape sequence where the terminal is known to show one. Pure: text in, text out.

OSC 9 (``ESC ] 9 ; text BEL``) is iTerm2's, also shown by WezTerm, Ghostty and kitty;
OSC 777 (``ESC ] 777 ; notify ; title ; text BEL``) is urxvt's, also foot's. A terminal
that knows neither ignores an OSC sequence, but not every one does, so ``auto`` writes
one only to a terminal it recognises, and otherwise falls back to ``notify-send`` when
it is installed and a desktop session is there. Inside tmux or screen the sequence
would reach the multiplexer, not the terminal: ``auto`` uses ``notify-send`` there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from convergio_tui.engine.notify.model import Notification

BEL = "\x07"
APP = "Convergio"
MAX_TEXT = 240  # a desktop notification is a line or two, not a report
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")

OSC9_PROGRAMS = frozenset({"iTerm.app", "WezTerm", "ghostty"})


def clean(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` on one line with no control character (an ESC or BEL in a task title
    must not end the sequence early or start another one), cut to ``limit``."""
    line = " ".join(_CONTROLS.sub(" ", text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def osc9(note: Notification) -> str:
    """The OSC 9 sequence for ``note`` (starts with the app's name, never a digit:
    ``9;4;…`` means a progress bar to some terminals)."""
    return f"\x1b]9;{clean(f'{APP} · {note.title}: {note.text}')}{BEL}"


def osc777(note: Notification) -> str:
    """The OSC 777 sequence for ``note`` (``;`` separates its fields: none in the title)."""
    title = clean(f"{APP} · {note.title}").replace(";", ",")
    return f"\x1b]777;notify;{title};{clean(note.text)}{BEL}"


def desktop_channel(via: str, env: Mapping[str, str], notify_send: bool) -> str | None:
    """How to show a desktop notification: ``osc9``, ``osc777``, ``notify-send`` or None.

    ``via`` is ``notify.desktop_via``; ``notify_send``: the command is installed."""
    if via == "notify-send":
        return via if notify_send else None
    if via != "auto":
        return via
    multiplexed = bool(env.get("TMUX") or env.get("STY"))
    term, program = env.get("TERM", ""), env.get("TERM_PROGRAM", "")
    if not multiplexed:
        if program in OSC9_PROGRAMS or env.get("KITTY_WINDOW_ID") or term == "xterm-kitty":
            return "osc9"
        if term.startswith("foot") or "rxvt" in term:
            return "osc777"
    if notify_send and (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return "notify-send"
    return None


def terminal_text(note: Notification, *, bell: bool, channel: str | None) -> str:
    """What to write to the terminal for ``note``: the desktop sequence (if the channel
    is one), then the bell (if wanted). Empty when there is nothing to write."""
    out = {"osc9": osc9, "osc777": osc777}.get(channel or "")
    return (out(note) if out else "") + (BEL if bell else "")


def notify_send_argv(command: str, note: Notification) -> list[str]:
    """``notify-send``'s argv for ``note`` (``--`` ends the options: a title that starts
    with ``-`` stays a title)."""
    urgency = {"error": "critical", "warning": "normal"}.get(note.level, "low")
    return [command, f"--app-name={APP}", f"--urgency={urgency}", "--",
            clean(f"{APP} · {note.title}", 120), clean(note.text)]  # fmt: skip
