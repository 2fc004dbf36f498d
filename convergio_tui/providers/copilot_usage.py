"""What a Copilot CLI run used, from Copilot's own record of the session.

Copilot CLI 1.0.102 leaves tokens and AI credits out of its ``--output-format json``
output: its ``result`` line carries only ``usage.premiumRequests`` (0 on a custom
provider), and it filters the ``assistant.usage`` and ``session.shutdown`` events out of
stdout. It writes them to the session's event log instead:
``<COPILOT_HOME or ~/.copilot>/session-state/<sessionId>/events.jsonl`` ends with a
``session.shutdown`` event whose ``modelMetrics.<model>.usage`` holds the tokens and
whose ``totalNanoAiu`` the AI credits used (10^9 nano-AIU = 1 AI credit). When
``accountingSnapshot.aiCreditsStatus`` is ``unavailable`` (a custom provider, BYOK),
the credits are unknown, not zero.

:func:`usage_from_shutdown` is pure; :func:`read_session_usage` reads the file (the
session id comes from the ``result`` line, so a re-read of an old run's log finds it too).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NANO_AIU_PER_CREDIT = 1e9
# A session id is a UUID: anything else is never turned into a path.
_SESSION_ID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_MAX_LOG_BYTES = 64 * 1024 * 1024  # an event log larger than this is not read


@dataclass(frozen=True)
class SessionUsage:
    """Tokens over every model of the session; AI credits (None: not reported)."""

    input_tokens: int
    output_tokens: int
    credits: float | None
    premium_requests: float | None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value >= 0 else None


def usage_from_shutdown(data: Mapping[str, Any]) -> SessionUsage:
    """The usage in one ``session.shutdown`` event's ``data``."""
    input_tokens = output_tokens = 0
    metrics = data.get("modelMetrics")
    for entry in metrics.values() if isinstance(metrics, dict) else ():
        usage = entry.get("usage") if isinstance(entry, dict) else None
        if isinstance(usage, dict):
            input_tokens += int(_number(usage.get("inputTokens")) or 0)
            output_tokens += int(_number(usage.get("outputTokens")) or 0)
    snapshot = data.get("accountingSnapshot")
    status = snapshot.get("aiCreditsStatus") if isinstance(snapshot, dict) else None
    nano = _number(data.get("totalNanoAiu"))
    credits = None if status == "unavailable" or nano is None else nano / NANO_AIU_PER_CREDIT
    return SessionUsage(
        input_tokens, output_tokens, credits, _number(data.get("totalPremiumRequests"))
    )


def copilot_home(env: Mapping[str, str] | None = None) -> Path:
    """Where Copilot keeps its state: ``$COPILOT_HOME``, else ``~/.copilot``."""
    source = os.environ if env is None else env
    given = source.get("COPILOT_HOME")
    if given:
        return Path(given).expanduser()
    home = source.get("HOME")
    return (Path(home) if home else Path.home()) / ".copilot"


def session_log(session_id: str, env: Mapping[str, str] | None = None) -> Path | None:
    """The event log of ``session_id``; None when the id is not a UUID."""
    if not _SESSION_ID.fullmatch(session_id):
        return None
    return copilot_home(env) / "session-state" / session_id / "events.jsonl"


def read_session_usage(
    session_id: str, env: Mapping[str, str] | None = None
) -> SessionUsage | None:
    """The usage of the session's last ``session.shutdown``; None when there is none
    (no such file, unreadable, too large, or the CLI died before writing it)."""
    path = session_log(session_id, env)
    try:
        if path is None or path.stat().st_size > _MAX_LOG_BYTES:
            return None
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if '"session.shutdown"' not in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("type") == "session.shutdown":
            data = event.get("data")
            return usage_from_shutdown(data) if isinstance(data, dict) else None
    return None
