"""The I/O edge of notifications: the terminal (bell, OSC 9/777), ``notify-send`` and
the webhook, fed from one background thread so no engine or UI thread ever waits.

:class:`Notifier` takes notifications (:meth:`submit`) and, given a ``source`` (a
callable that reads what is new: :class:`JournalWatch` for ``convergio run``), asks it
on :meth:`wake` and every ``poll_s``. Every sink's failure is logged and dropped: a
notification is never worth stopping a plan for. ``notify.events`` picks which events
reach these sinks; everything passes the project's vault redactor first.
"""

from __future__ import annotations

import logging
import queue
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TextIO

from convergio_tui.config.notify_schema import NotifyConfig
from convergio_tui.engine.events import EngineEvent, PlanChanged
from convergio_tui.engine.notify.model import NewsTracker, Notification, from_engine_event
from convergio_tui.engine.notify.terminal import desktop_channel, notify_send_argv, terminal_text
from convergio_tui.engine.notify.webhook import post, webhook_request
from convergio_tui.providers.redact import redactor_for
from convergio_tui.store.db import close_database
from convergio_tui.store.queries.health import provider_health
from convergio_tui.store.queries.journal import latest_event_id, news_after

log = logging.getLogger(__name__)

NOTIFY_SEND_TIMEOUT_S = 5.0
_WAKE, _STOP = object(), object()
Source = Callable[[], list[Notification]]


class Notifier:
    """Sends notifications to the configured sinks from its own thread.

    ``stream``: the terminal to ring and write OSC sequences to (None: no terminal
    sink); ``env``: the environment that tells which terminal this is; ``notify_send``:
    the command's path when installed; ``webhook``: False leaves the webhook out (a
    dashboard that only watches); ``secrets``: the vault values to mask, read on the
    notifier's thread the first time something is sent."""

    def __init__(
        self,
        config: NotifyConfig,
        *,
        stream: TextIO | None = None,
        env: Mapping[str, str] | None = None,
        notify_send: str | None = None,
        webhook: bool = True,
        secrets: Callable[[], Iterable[str]] | None = None,
        source: Source | None = None,
        poll_s: float = 2.0,
    ) -> None:
        self.config = config
        self._stream = stream
        self._notify_send = notify_send
        self.channel = (
            desktop_channel(config.desktop_via, env or {}, notify_send is not None)
            if config.desktop
            else None
        )
        self._webhook = config.webhook_url if webhook else None
        self._secrets = secrets
        self._redact: Callable[[str], str] | None = None
        self._source = source
        self._poll_s = poll_s
        self._queue: queue.Queue[object] = queue.Queue()
        self._wake_pending = threading.Event()
        self._thread = threading.Thread(target=self._run, name="convergio-notify", daemon=True)
        self._thread.start()

    # -- the callers' side: never blocks ----------------------------------------------

    def submit(self, note: Notification) -> None:
        """Send ``note`` (if ``notify.events`` has it) from the notifier's thread."""
        self._queue.put(note)

    def wake(self) -> None:
        """Ask the source what is new, soon (calls coalesce)."""
        if self._source is not None and not self._wake_pending.is_set():
            self._wake_pending.set()
            self._queue.put(_WAKE)

    def close(self, timeout_s: float | None = None) -> None:
        """Read the source a last time, send what is queued, and stop; waits at most
        ``timeout_s`` (default: two webhook timeouts and a notify-send's)."""
        if timeout_s is None:
            timeout_s = 2 * self.config.webhook_timeout_s + NOTIFY_SEND_TIMEOUT_S
        self._queue.put(_STOP)
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("notifications still being sent after %.0fs: left behind", timeout_s)

    # -- the notifier's thread --------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                try:
                    item = self._queue.get(timeout=self._poll_s if self._source else None)
                except queue.Empty:
                    item = _WAKE
                if item is _STOP:
                    self._read_source()
                    return
                if item is _WAKE:
                    self._read_source()
                elif isinstance(item, Notification):
                    self._deliver(item)
        finally:
            close_database()  # this thread's own connection, if the source opened one

    def _read_source(self) -> None:
        self._wake_pending.clear()
        if self._source is None:
            return
        try:
            found = self._source()
        except Exception as exc:  # a locked database: try again next time
            log.warning("notifications: could not read what is new: %s", exc)
            return
        for note in found:
            self._deliver(note)

    def _masked(self, note: Notification) -> Notification:
        if self._redact is None:
            try:
                self._redact = redactor_for(self._secrets() if self._secrets else ())
            except Exception as exc:  # without the values, send nothing that may hold one
                log.warning("notifications: vault values unavailable, webhook off: %s", exc)
                self._webhook = None
                self._redact = redactor_for(())
        redact = self._redact
        return replace(note, title=redact(note.title), text=redact(note.text),
                       detail=redact(note.detail))  # fmt: skip

    def _deliver(self, note: Notification) -> None:
        if note.event not in self.config.events:
            return
        note = self._masked(note)
        for name, sink in (("terminal", self._terminal), ("notify-send", self._desktop),
                           ("webhook", self._post)):  # fmt: skip
            try:
                sink(note)
            except Exception as exc:  # never fatal: say it and go on
                log.warning("notification %r not sent by %s: %s", note.title, name, exc)

    def _terminal(self, note: Notification) -> None:
        if self._stream is None:
            return
        channel = self.channel if self.channel in ("osc9", "osc777") else None
        text = terminal_text(note, bell=self.config.bell, channel=channel)
        if text:
            self._stream.write(text)
            self._stream.flush()

    def _desktop(self, note: Notification) -> None:
        if self.channel != "notify-send" or self._notify_send is None:
            return
        done = subprocess.run(
            notify_send_argv(self._notify_send, note), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=NOTIFY_SEND_TIMEOUT_S,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(
                f"exit {done.returncode}: {done.stderr.decode(errors='replace')[:200]}"
            )

    def _post(self, note: Notification) -> None:
        if not self._webhook:
            return
        redact = self._redact or (lambda text: text)
        data, headers = webhook_request(note, self.config.webhook_body, redact)
        post(self._webhook, data, headers, self.config.webhook_timeout_s)


class JournalWatch:
    """What is new for one plan's ``convergio run``: its journal's warnings and errors
    (escalations, engine errors, cooldowns, budget alerts) and providers leaving ``up``.

    Made on the caller's thread (it reads where the journal ends and each provider's
    state now: the baseline); called on the notifier's thread."""

    def __init__(self, plan_id: int) -> None:
        self.plan_id = plan_id
        self.tracker = NewsTracker()
        self.after = latest_event_id()
        self.tracker.health(_states())

    def __call__(self) -> list[Notification]:
        """Notifications for what happened since the last call."""
        lines = news_after(self.after, self.plan_id)
        if lines:
            self.after = lines[-1].id
        return self.tracker.journal(lines) + self.tracker.health(_states())


def _states() -> list[tuple[str, str, str]]:
    return [(h.provider, h.state, h.last_error or h.detail) for h in provider_health()]


def run_listener(notifier: Notifier, plan_name: str) -> Callable[[EngineEvent], None]:
    """An engine listener for ``convergio run``: a finished plan is a notification, and
    any event wakes the notifier to read the journal (quick: a queue put)."""

    def listen(event: EngineEvent) -> None:
        if isinstance(event, PlanChanged):
            found = from_engine_event(event, plan_name)
            if found is not None:
                notifier.submit(found)
        notifier.wake()

    return listen
