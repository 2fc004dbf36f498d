"""OpenCode (pinned 1.18.33): argv builder and ``run --format json`` parser.

The prompt is piped on stdin (the shipped template has no ``{prompt}``): ``opencode run``
wraps every positional argument holding a space in double quotes and escapes its inner
quotes, so a prompt passed in argv never reaches the model as written, and one that
starts with ``-`` is read as flags. ``--dir {workdir}`` names the task's folder (opencode
works in ``$PWD`` and ``--dir``, not in its process's working directory; the runner sets
``PWD`` too). ``--print-logs --log-level ERROR`` puts opencode's own error log on stderr:
the only place that names a model missing from opencode.json (the JSON says
``UnknownError``). Every tool permission is granted with
``OPENCODE_PERMISSION='{"*":"allow"}'``; stdin is closed after the prompt.

Lines ``{type, timestamp, sessionID, part}``: ``step_start``, ``text``, ``tool_use``,
``step_finish`` (``part.tokens`` and ``part.cost``) and ``error`` (``error.name``,
``error.data.message``, ``error.data.statusCode`` when the provider answered). Success
needs a ``step_finish`` and no ``error``; tokens and cost are summed over the steps.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from convergio_tui.providers import describe
from convergio_tui.providers.invocation import Invocation, has_placeholder, substitute
from convergio_tui.providers.parsing import (
    cap_text,
    error_class_for,
    json_objects,
    no_result,
    precheck,
    status_class,
    sub_object,
    to_float,
    to_int,
)
from convergio_tui.providers.result import ErrorClass, ProviderResult, failure
from convergio_tui.providers.runner import ProcessOutcome

NAME = "opencode"
DEFAULT_TEMPLATE = [
    "opencode",
    "run",
    "--format",
    "json",
    "-m",
    "{model}",
    "--dir",
    "{workdir}",
    "--print-logs",
    "--log-level",
    "ERROR",
]
PERMISSION_ALL = '{"*":"allow"}'
NOT_INSTALLED = (
    "opencode is not installed (not on PATH): install it with "
    "`npm install -g opencode-ai`, or fix providers.opencode.cli"
)
# bubblewrap's (or the relay's) words when the command it should start does not exist.
_NOT_FOUND = re.compile(r"(?:execvp|cannot run) '?\S*opencode\S*?'?: No such file or directory")
CONFIG_HINT = "~/.config/opencode/opencode.json (or the project's opencode.json)"
_NAMES = {
    "ProviderAuthError": ErrorClass.auth,
    "ProviderModelNotFoundError": ErrorClass.model_not_found,
}
# opencode's log lines (logfmt) at level ERROR: the error they name, quoted.
_LOG_ERROR = re.compile(r'\blevel=ERROR\b.*?\berror(?:\.error)?="((?:[^"\\]|\\.)*)"')
_MISSING_MODEL = re.compile(r"ProviderModelNotFoundError: Model not found: (\S+?)\.?$")
_PLAIN_ERROR = re.compile(r"^\s*(?:Error|ERROR|error)\b")


def build_invocation(template: list[str], prompt: str, model: str, workdir: Path) -> Invocation:
    """Fill the template; without ``{prompt}`` in it the prompt is piped on stdin (see the
    module docstring). Every tool permission is granted through the environment."""
    argv = substitute(template, prompt, model, workdir)
    stdin_text = None if has_placeholder(template, "prompt") else prompt
    env = {"OPENCODE_PERMISSION": PERMISSION_ALL}
    return Invocation(argv=argv, stdin_text=stdin_text, env=env)


def _part(event: dict[str, Any]) -> dict[str, Any]:
    part = event.get("part")
    return part if isinstance(part, dict) else {}


def _error(event: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    error = event.get("error")
    if not isinstance(error, dict):
        return "Error", {"message": str(error or event.get("message") or "error")}
    data = sub_object(error, "data")
    return str(error.get("name") or "Error"), data


def _error_text(event: dict[str, Any]) -> str:
    name, data = _error(event)
    return f"{name}: {data.get('message') or ''}".strip()


def logged_errors(stderr_lines: tuple[str, ...] | list[str]) -> list[str]:
    """The errors opencode's log names on stderr (``--print-logs``), unescaped, in order,
    each once; plain ``Error:`` lines too."""
    found: list[str] = []
    for line in stderr_lines:
        match = _LOG_ERROR.search(line)
        text = match.group(1).replace('\\"', '"') if match else None
        if text is None and _PLAIN_ERROR.match(line):
            text = line.strip()
        if text and text not in found:
            found.append(text)
    return found


def _explain(names: list[str], logged: list[str]) -> tuple[ErrorClass | None, str]:
    """A class and a message that say what to do, for the failures opencode words badly."""
    missing = next((m.group(1) for t in logged if (m := _MISSING_MODEL.search(t))), None)
    if missing:
        return ErrorClass.model_not_found, (
            f"model {missing} is not configured in opencode: add it under "
            f"provider.<id>.models in {CONFIG_HINT}, or give the task a configured model"
        )
    if "UnknownError" in names and not logged:
        return None, (
            "opencode reported only UnknownError; a model missing from opencode.json shows "
            f"this way: check the model is in {CONFIG_HINT}, and opencode's own log in "
            "~/.local/share/opencode/log/ (or add --print-logs to its cli)"
        )
    return None, ""


def not_installed(outcome: ProcessOutcome) -> bool:
    """The CLI's command could not be started at all (not on PATH, wrong path)."""
    if outcome.spawn_error is not None:
        return "No such file or directory" in outcome.spawn_error
    return not outcome.stdout_lines and any(_NOT_FOUND.search(x) for x in outcome.stderr_lines)


def parse(outcome: ProcessOutcome) -> ProviderResult:
    """Sum the steps' tokens and cost; an ``error`` event fails the run, and its class
    comes from the provider's HTTP status, opencode's error name, then its words."""
    if not_installed(outcome):
        return replace(failure(ErrorClass.failed, NOT_INSTALLED), cost_usd=0.0)
    early = precheck(outcome, NAME)
    if early is not None:
        return early
    events = json_objects(outcome.stdout_lines)
    texts = [str(_part(e).get("text", "")) for e in events if e.get("type") == "text"]
    steps = [_part(e) for e in events if e.get("type") == "step_finish"]
    input_tokens = output_tokens = 0
    cost = 0.0
    for step in steps:
        tokens = sub_object(step, "tokens")
        input_tokens += to_int(tokens.get("input"))
        output_tokens += to_int(tokens.get("output")) + to_int(tokens.get("reasoning"))
        cost += max(0.0, to_float(step.get("cost")) or 0.0)
    session = next((str(e["sessionID"]) for e in events if e.get("sessionID")), None)
    text = texts[-1] if texts else ""
    failures = [e for e in events if e.get("type") == "error"]
    done = ProviderResult.succeeded(
        cap_text(text),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost,
        session_id=session,
    )
    logged = logged_errors(outcome.stderr_lines)
    if not failures and outcome.exit_code == 0 and steps:
        return done
    if not failures and not logged:
        # Nothing to charge for a local model even when the run produced no result.
        return replace(no_result(outcome, NAME, text=text), cost_usd=cost)
    names = [_error(e)[0] for e in failures]
    details = [_error_text(e) for e in failures] or logged[-1:]
    klass, advice = _explain(names, logged)
    if klass is None:
        statuses = [_error(e)[1].get("statusCode") for e in failures]
        klass = next((c for s in reversed(statuses) if (c := status_class(s))), None)
        klass = klass or next((_NAMES[n] for n in reversed(names) if n in _NAMES), None)
        klass = klass or error_class_for(outcome, "\n".join(details + logged[-3:]))
    detail = "\n".join(details[-6:])
    message = f"opencode error (exit code {outcome.exit_code}): {detail}"
    return done.as_failure(klass, message + (f"\n{advice}" if advice else ""))


# -- the dashboard's view of one JSON line ----------------------------------------------


def _describe_tool(part: dict[str, Any]) -> str:
    """The call, and on a second line how it ended (OpenCode reports it once done)."""
    state = sub_object(part, "state")
    call = describe.tool_line(part.get("tool"), state.get("input"))
    status = state.get("status")
    if status == "completed":
        return f"{call}\n{describe.tool_result_line(True)}"
    if status == "error":
        return f"{call}\n{describe.tool_result_line(False, state.get('error'))}"
    return call


def _describe_step(part: dict[str, Any]) -> str:
    tokens = sub_object(part, "tokens")
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
        if "level=ERROR" in text:  # its own log (--print-logs): the error it names
            logged = logged_errors([text])
            return describe.failure_line(logged[0]) if logged else None
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
