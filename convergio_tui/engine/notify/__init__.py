"""Notifications: what needs a person, told when it happens (docs/configuration.md,
``notify``).

- ``model``: pure. Journal rows, plan statuses, provider states and engine events in;
  :class:`Notification` (event, level, title, text, detail) out; :class:`NewsTracker`
  remembers what a reader was already told.
- ``terminal``: pure. The bell and the OSC 9/777 sequences, which desktop channel a
  terminal gets, ``notify-send``'s argv.
- ``webhook``: the POST's body and headers (Slack, ntfy), and the POST.
- ``notifier``: the sinks, fed from one background thread; ``JournalWatch``, what is new
  for a ``convergio run``; ``run_listener``, its engine listener.
"""

from __future__ import annotations

from convergio_tui.engine.notify.model import (
    NewsTracker,
    Notification,
    budget_level,
    engine_stopped,
    from_engine_event,
    from_journal,
    plan_finished,
    provider_down,
)
from convergio_tui.engine.notify.notifier import JournalWatch, Notifier, run_listener

__all__ = [
    "JournalWatch",
    "NewsTracker",
    "Notification",
    "Notifier",
    "budget_level",
    "engine_stopped",
    "from_engine_event",
    "from_journal",
    "plan_finished",
    "provider_down",
    "run_listener",
]
