"""The webhook: one POST per notification, for Slack's incoming webhooks and ntfy.

The body (``notify.webhook_body``):

- ``json`` (default): ``{"text": "Convergio · Escalated: T2-03: …"}``, what a Slack
  incoming webhook reads; ntfy shows that JSON as the message text.
- ``text``: the same line as plain UTF-8, what ntfy shows as the message.

Either way the ``Title``, ``Priority`` and ``Tags`` headers are set: ntfy uses them,
Slack ignores them. Only a notification's ``title`` and ``text`` go (codes, titles,
statuses, amounts: never a prompt, an agent's output or a journal message), and they
pass the project's vault redactor first. A URL with a user name or password is refused
here too (``config/notify_schema.py`` refuses it when the file is loaded). Redirects are
not followed: the body goes to the configured host or nowhere.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from email.header import Header

from convergio_tui.config.notify_schema import webhook_url_problem
from convergio_tui.engine.notify.model import Notification
from convergio_tui.engine.notify.terminal import APP, clean

PRIORITY = {"error": "urgent", "warning": "high", "info": "default"}
TAGS = {"error": "rotating_light", "warning": "warning", "info": "white_check_mark"}


class WebhookRefused(ValueError):
    """The webhook URL is not one a notification may be sent to."""


def webhook_line(note: Notification, redact: Callable[[str], str]) -> str:
    """The one line a webhook carries for ``note``, redacted."""
    return redact(clean(f"{APP} · {note.title}: {note.text}", 1000))


def _header(value: str) -> str:
    """An HTTP header value: as is when ASCII, else RFC 2047 encoded (ntfy decodes it)."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def webhook_request(
    note: Notification, body: str, redact: Callable[[str], str]
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the POST for ``note`` (``body``: ``json`` or ``text``)."""
    line = webhook_line(note, redact)
    headers = {
        "Title": _header(redact(clean(f"{APP} · {note.title}", 200))),
        "Priority": PRIORITY.get(note.level, "default"),
        "Tags": TAGS.get(note.level, "bell"),
        "User-Agent": "convergio-notify",
    }
    if body == "text":
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return line.encode("utf-8"), headers
    headers["Content-Type"] = "application/json"
    return json.dumps({"text": line}, ensure_ascii=False).encode("utf-8"), headers


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx is raised as an HTTPError: logged, nothing re-sent


def post(url: str, data: bytes, headers: dict[str, str], timeout_s: float) -> int:
    """POST ``data`` to ``url``; the HTTP status. Raises on a refused URL, a network
    error, a timeout or a status that is not 2xx."""
    why = webhook_url_problem(url)
    if why is not None:
        raise WebhookRefused(why)
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    opener = urllib.request.build_opener(_NoRedirects())
    with opener.open(request, timeout=timeout_s) as response:
        return int(response.status)
