"""OpenCode: argv builder and ``run --format json`` parser.

Runs with stdin closed and ``OPENCODE_PERMISSION='{"*":"allow"}'``. An invalid model
often exits 0, so any ``error`` event or error line on stderr is a failure, and success
needs at least one ``step_finish``. Tokens are summed over the ``step_finish`` parts;
the model is local, so the cost is 0.0.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from convergio_tui.workers import describe
from convergio_tui.workers.invocation import Invocation, substitute
from convergio_tui.workers.parsing import (
    cap_text,
    error_class_for,
    json_objects,
    no_result,
    precheck,
    to_int,
)
from convergio_tui.workers.result import WorkerResult
from convergio_tui.workers.runner import ProcessOutcome

NAME = "opencode"
DEFAULT_TEMPLATE = ["opencode", "run", "--format", "json", "-m", "{model}", "{prompt}"]
PERMISSION_ALL = '{"*":"allow"}'
_STDERR_ERROR = re.compile(r"^\s*(?:Error|ERROR|error)\b|\bError:")


def build_invocation(template: list[str], prompt: str, model: str, workdir: Path) -> Invocation:
    """Fill the template; every tool permission is granted through the environment."""
    argv = substitute(template, prompt, model, workdir)
    return Invocation(argv=argv, stdin_text=None, env={"OPENCODE_PERMISSION": PERMISSION_ALL})


def _part(event: dict[str, Any]) -> dict[str, Any]:
    part = event.get("part")
    return part if isinstance(part, dict) else {}


def _error_text(event: dict[str, Any]) -> str:
    error = event.get("error")
    if not isinstance(error, dict):
        return str(error or event.get("message") or "error")
    data = error.get("data") if isinstance(error.get("data"), dict) else {}
    return f"{error.get('name', 'Error')}: {data.get('message') or error.get('message') or ''}"


def parse(outcome: ProcessOutcome) -> WorkerResult:
    """Sum ``step_finish`` tokens; any error event or stderr error fails the run."""
    early = precheck(outcome, NAME)
    if early is not None:
        return early
    events = json_objects(outcome.stdout_lines)
    texts = [str(_part(e).get("text", "")) for e in events if e.get("type") == "text"]
    steps = [_part(e) for e in events if e.get("type") == "step_finish"]
    input_tokens = output_tokens = 0
    for step in steps:
        tokens = step.get("tokens") if isinstance(step.get("tokens"), dict) else {}
        input_tokens += to_int(tokens.get("input"))
        output_tokens += to_int(tokens.get("output")) + to_int(tokens.get("reasoning"))
    session = next((str(e["sessionID"]) for e in events if e.get("sessionID")), None)
    text = texts[-1] if texts else ""
    errors = [_error_text(e) for e in events if e.get("type") == "error"]
    errors += [line.strip() for line in outcome.stderr_lines if _STDERR_ERROR.search(line)]
    done = WorkerResult.succeeded(
        cap_text(text),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=0.0,
        session_id=session,
    )
    if not errors and outcome.exit_code == 0 and steps:
        return done
    if not errors:
        # Local model: nothing to charge even when the run produced no result.
        return replace(no_result(outcome, NAME, text=text), cost_usd=0.0)
    detail = "\n".join(errors[-12:])
    message = f"opencode error (exit code {outcome.exit_code}): {detail}"
    return done.as_failure(error_class_for(outcome, detail), message)


# -- the dashboard's view of one JSON line ----------------------------------------------


def _describe_tool(part: dict[str, Any]) -> str:
    """The call, and on a second line how it ended (OpenCode reports it once done)."""
    state = part.get("state") if isinstance(part.get("state"), dict) else {}
    call = describe.tool_line(part.get("tool"), state.get("input"))
    status = state.get("status")
    if status == "completed":
        return f"{call}\n{describe.tool_result_line(True)}"
    if status == "error":
        return f"{call}\n{describe.tool_result_line(False, state.get('error'))}"
    return call


def _describe_step(part: dict[str, Any]) -> str:
    tokens = part.get("tokens") if isinstance(part.get("tokens"), dict) else {}
    output = to_int(tokens.get("output")) + to_int(tokens.get("reasoning"))
    label = "done" if part.get("reason") == "stop" else "step done"
    return describe.done_line(tokens.get("input"), output, part.get("cost"), label=label)


def _describe_error(event: dict[str, Any]) -> str:
    error = event.get("error")
    status = describe.dig(error, "data", "statusCode")
    name = describe.dig(error, "name")
    detail = describe.dig(error, "data", "message") or _error_text(event)
    return describe.failure_line(detail, status=status, reason=name)


def describe_line(line: str) -> str | None:
    """One line of OpenCode's output as a person reads it; None for lines worth nothing."""
    event, text = describe.parse_event(line)
    if event is None:
        return text
    kind, part = event.get("type"), _part(event)
    if kind == "text":
        return describe.words(part.get("text"))
    if kind == "tool_use":
        return _describe_tool(part)
    if kind == "step_finish":
        return _describe_step(part)
    if kind == "error":
        return _describe_error(event)
    return None  # step_start, done: bookkeeping
