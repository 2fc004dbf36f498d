"""The ``notify:`` section of ``orchestrator.yaml``: how a person hears about what needs
them (docs/configuration.md, ``notify``): the terminal bell, a desktop notification, an
optional webhook (Slack, ntfy), and which events do it.

The webhook URL is refused with a user name or password in it (a credential written
into a URL is logged and shown everywhere the URL is), and must be http(s) with a host.
"""

from __future__ import annotations

from dataclasses import field
from typing import Annotated, Literal
from urllib.parse import urlsplit

from convergio_tui.config.section import Check, Limits, Section
from convergio_tui.frozen import frozen_kw_only as section

# What can be notified (engine/notify/model.py builds them); all are on by default.
NotifyEvent = Literal[
    "escalation", "plan.done", "plan.failed", "provider.down", "budget.alert",
    "budget.capped", "engine.error",
]  # fmt: skip
NOTIFY_EVENTS: tuple[NotifyEvent, ...] = (
    "escalation", "plan.done", "plan.failed", "provider.down", "budget.alert",
    "budget.capped", "engine.error",
)  # fmt: skip


def webhook_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook, or None: http(s), a host, nothing else in front."""
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return "the webhook URL holds a space or a control character"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"the webhook URL must start with https:// (or http://), not {url[:12]!r}…"
    if "@" in parts.netloc or "\\" in url:
        # As config/privacy_check.py refuses for endpoints: parsers disagree on
        # `http://evil\@host`, and a user name or password in a URL leaks with it.
        return (
            "the webhook URL carries a user name, password or backslash: put the secret in "
            "the URL's path or token as the service documents, never before an @"
        )
    try:
        host = parts.hostname
    except ValueError:
        host = None
    if not host:
        return "the webhook URL names no host"
    return None


def _all_events() -> list[NotifyEvent]:
    return list(NOTIFY_EVENTS)


def _plain_url(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    why = webhook_url_problem(value)
    if why is not None:
        raise ValueError(why)
    return value


@section
class NotifyConfig(Section):
    """Notifications for a task that escalates, a plan that ends, a provider that goes
    down, the budget alert and cap, an engine error."""

    bell: bool = True
    desktop: bool = True
    desktop_via: Literal["auto", "osc9", "osc777", "notify-send"] = "auto"
    webhook_url: Annotated[str | None, Check(_plain_url)] = None
    webhook_body: Literal["json", "text"] = "json"
    webhook_timeout_s: Annotated[float, Limits(gt=0, le=30)] = 5.0
    events: list[NotifyEvent] = field(default_factory=_all_events)
