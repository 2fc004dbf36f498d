"""The bell, the OSC 9/777 desktop sequences and notify-send, through the real Notifier
with its real thread: the terminal is a stream the test gives it, notify-send a tiny
script in tmp_path that records its arguments."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from convergio_tui.config.notify_schema import NotifyConfig
from convergio_tui.engine.notify import Notification, Notifier
from convergio_tui.engine.notify.terminal import desktop_channel, osc9, osc777, terminal_text

NOTE = Notification("escalation", "warning", "Escalated: T2-03",
                    "T2-03 “Add the login form” was rejected by Thor and waits for your decision")  # fmt: skip


def test_the_exact_bytes_of_the_bell_and_each_sequence() -> None:
    assert terminal_text(NOTE, bell=True, channel=None) == "\a"
    assert terminal_text(NOTE, bell=False, channel=None) == ""
    assert osc9(NOTE) == (
        "\x1b]9;Convergio · Escalated: T2-03: T2-03 “Add the login form” was rejected by "
        "Thor and waits for your decision\a"
    )
    assert osc777(NOTE) == (
        "\x1b]777;notify;Convergio · Escalated: T2-03;T2-03 “Add the login form” was "
        "rejected by Thor and waits for your decision\a"
    )
    assert terminal_text(NOTE, bell=True, channel="osc777") == osc777(NOTE) + "\a"


def test_a_title_cannot_end_the_sequence_or_start_another() -> None:
    hostile = Notification(
        "escalation", "warning", "Escalated: T1;x", "a\x07b\x1b]52;c;ZXZpbA==\x07"
    )
    sequence = osc777(hostile)
    assert sequence.count("\x1b") == 1 and sequence.count("\a") == 1 and sequence.endswith("\a")
    assert sequence.startswith("\x1b]777;notify;Convergio · Escalated: T1,x;a b ]52;c;ZXZpbA==")


@pytest.mark.parametrize(
    ("env", "notify_send", "channel"),
    [
        ({"TERM_PROGRAM": "iTerm.app"}, False, "osc9"),
        ({"TERM": "xterm-kitty"}, True, "osc9"),
        ({"TERM": "foot"}, True, "osc777"),
        ({"TERM": "rxvt-unicode-256color"}, False, "osc777"),
        ({"TERM": "xterm-256color", "DISPLAY": ":0"}, True, "notify-send"),
        ({"TERM": "xterm-256color", "DISPLAY": ":0"}, False, None),
        ({"TERM": "xterm-256color"}, True, None),  # no desktop session
        ({"TERM_PROGRAM": "WezTerm", "TMUX": "/tmp/tmux-1/default", "WAYLAND_DISPLAY": "w"}, True,
         "notify-send"),  # inside tmux the sequence would reach tmux, not WezTerm
    ],
)  # fmt: skip
def test_auto_picks_what_the_terminal_or_the_desktop_shows(
    env: dict[str, str], notify_send: bool, channel: str | None
) -> None:
    assert desktop_channel("auto", env, notify_send) == channel


def test_a_named_channel_is_used_as_named() -> None:
    assert desktop_channel("osc777", {"TMUX": "x"}, False) == "osc777"
    assert desktop_channel("notify-send", {}, False) is None  # not installed


def test_the_notifier_rings_and_writes_the_sequence_to_its_stream() -> None:
    stream = io.StringIO()
    notifier = Notifier(NotifyConfig(), stream=stream, env={"TERM_PROGRAM": "iTerm.app"})
    notifier.submit(NOTE)
    notifier.submit(Notification("plan.done", "info", "Plan done: #1", "plan #1 is done"))
    notifier.close()
    assert stream.getvalue() == (
        osc9(NOTE) + "\a" + "\x1b]9;Convergio · Plan done: #1: plan #1 is done\a\a"
    )


def test_events_and_bell_settings_are_obeyed() -> None:
    stream = io.StringIO()
    config = NotifyConfig(bell=False, desktop=False, events=["plan.done"])
    notifier = Notifier(config, stream=stream, env={"TERM_PROGRAM": "iTerm.app"})
    notifier.submit(NOTE)  # not in events
    notifier.submit(Notification("plan.done", "info", "Plan done: #1", "done"))
    notifier.close()
    assert stream.getvalue() == ""  # no bell, no desktop: nothing to write
    ringing = io.StringIO()
    notifier = Notifier(NotifyConfig(desktop=False, events=["plan.done"]), stream=ringing)
    notifier.submit(NOTE)
    notifier.submit(Notification("plan.done", "info", "Plan done: #1", "done"))
    notifier.close()
    assert ringing.getvalue() == "\a"


def recorder(tmp_path: Path, exit_code: int = 0) -> tuple[Path, Path]:
    """A stand-in notify-send that records its argv as JSON lines."""
    calls = tmp_path / "calls.jsonl"
    script = tmp_path / "notify-send"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, sys\n"
        f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"sys.exit({exit_code})\n"
    )
    script.chmod(0o755)
    return script, calls


def test_notify_send_gets_the_title_and_text(tmp_path: Path) -> None:
    script, calls = recorder(tmp_path)
    stream = io.StringIO()
    notifier = Notifier(
        NotifyConfig(), stream=stream, env={"DISPLAY": ":0"}, notify_send=str(script)
    )
    assert notifier.channel == "notify-send"
    notifier.submit(NOTE)
    notifier.close()
    (argv,) = [json.loads(row) for row in calls.read_text().splitlines()]
    assert argv == ["--app-name=Convergio", "--urgency=normal", "--", "Convergio · Escalated: T2-03",
                    NOTE.text]  # fmt: skip
    assert stream.getvalue() == "\a"  # the bell still rings; no OSC beside notify-send


def test_a_failing_notify_send_is_logged_and_the_rest_still_goes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script, calls = recorder(tmp_path, exit_code=3)
    stream = io.StringIO()
    notifier = Notifier(
        NotifyConfig(), stream=stream, env={"DISPLAY": ":0"}, notify_send=str(script)
    )
    with caplog.at_level(logging.WARNING):
        notifier.submit(NOTE)
        notifier.submit(NOTE)
        notifier.close()
    assert len(calls.read_text().splitlines()) == 2 and stream.getvalue() == "\a\a"
    assert "not sent by notify-send: exit 3" in caplog.text


def test_vault_values_are_masked_in_everything_sent() -> None:
    stream = io.StringIO()
    notifier = Notifier(NotifyConfig(), stream=stream, env={"TERM": "foot"},
                        secrets=lambda: ["hunter2-token"])  # fmt: skip
    notifier.submit(Notification("escalation", "warning", "Escalated: T1",
                                 "T1 “rotate hunter2-token” waits for your decision"))  # fmt: skip
    notifier.close()
    assert "hunter2-token" not in stream.getvalue()
    assert "T1 “rotate ***REDACTED***” waits" in stream.getvalue()
