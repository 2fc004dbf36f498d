"""Gemini CLI (pinned 0.61.0): argv builder and ``stream-json`` (or ``json``) parser.

The prompt travels as ``--prompt=<text>``: one argv entry, so a prompt that starts with
``-`` (a markdown list) is never read as flags (``-p "- item"`` prints the help and
exits 0). Every worktree is a folder gemini has never seen, and 0.61 refuses a headless
run in an untrusted folder (exit 55): the template passes ``--skip-trust`` and the
adapter sets ``GEMINI_CLI_TRUST_WORKSPACE=true`` so an older template works too.

Success needs a ``result`` event with ``status: "success"`` (or, with ``-o json``, a
document with ``response`` and no ``error``) and exit 0. Tokens come from the result's
stats (:func:`convergio_tui.providers.gemini_output.tokens`); the CLI reports no cost.
Failures are classified from Google's error inside the result, the HTTP status gemini
folds into its exit code, and stderr without its stack frames (see
:mod:`convergio_tui.providers.gemini_output`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from convergio_tui.providers import describe
from convergio_tui.providers import gemini_output as out
from convergio_tui.providers.invocation import Invocation, substitute
from convergio_tui.providers.parsing import (
    cap_text,
    died_by_signal,
    error_class_for,
    no_result,
    precheck,
    sub_object,
)
from convergio_tui.providers.result import ErrorClass, ProviderResult, failure
from convergio_tui.providers.runner import ProcessOutcome

NAME = "gemini"
DEFAULT_TEMPLATE = [
    "gemini",
    "-m",
    "{model}",
    "-o",
    "stream-json",
    "--approval-mode=yolo",
    "--skip-trust",
    "--prompt={prompt}",
]
# Added to every run: no docker sandbox inside ours; the worktree is trusted.
ENV = {"GEMINI_SANDBOX": "false", "GEMINI_CLI_TRUST_WORKSPACE": "true"}
NOT_INSTALLED = (
    "gemini is not installed (not on PATH): install it with "
    "`npm install -g @google/gemini-cli`, or fix providers.gemini.cli"
)
# The command does not exist: bubblewrap's words, or the runner's own spawn error.
_NOT_FOUND = re.compile(r"execvp \S*gemini\S*: No such file or directory")


def build_invocation(template: list[str], prompt: str, model: str, workdir: Path) -> Invocation:
    """Fill the template; gemini's own sandbox is off and the worktree trusted (``ENV``)."""
    argv = substitute(template, prompt, model, workdir)
    return Invocation(argv=argv, stdin_text=None, env=dict(ENV))


def _final(docs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The run's last word: the ``result`` event, or json's answer document."""
    finals = [d for d in docs if d.get("type") == "result" or "response" in d]
    return finals[-1] if finals else None


def not_installed(outcome: ProcessOutcome) -> bool:
    """The gemini command could not be found (by the runner, or by the sandbox)."""
    if outcome.spawn_error is not None:
        return "No such file or directory" in outcome.spawn_error
    return outcome.exit_code != 0 and any(_NOT_FOUND.search(line) for line in outcome.stderr_lines)


def _no_result(outcome: ProcessOutcome, text: str) -> ProviderResult:
    """No result and no error document: say what stderr says (an argument error before
    its usage text, a refusal), else what the shared rule says."""
    done = no_result(outcome, NAME, text=text)
    stderr = out.stderr_tail(outcome.stderr_lines)
    if not stderr or died_by_signal(outcome):
        return done
    meaning = out.EXIT_MEANINGS.get(outcome.exit_code or 0)
    message = f"gemini exited with code {outcome.exit_code} without a result: {stderr}"
    message += f" ({meaning})" if meaning else ""
    klass = out.classify(stderr, outcome.exit_code) or error_class_for(outcome, stderr)
    return failure(klass, message, text=done.text)


def parse(outcome: ProcessOutcome) -> ProviderResult:
    """Read the ``result`` event (or the json document), its stats, and the errors."""
    if not_installed(outcome):
        return failure(ErrorClass.failed, NOT_INSTALLED)
    early = precheck(outcome, NAME)
    if early is not None:
        return early
    docs = out.documents(outcome.stdout_lines)
    stderr_docs = out.documents(outcome.stderr_lines)
    final = _final(docs)
    text = out.answer_text(docs)
    if final is not None and "response" in final and not text:
        text = str(final.get("response") or "").strip()
    errors = out.error_texts(docs, stderr_docs)
    known_exit = outcome.exit_code in out.EXIT_CLASSES or outcome.exit_code in out.EXIT_STATUSES
    if final is None and not errors and not known_exit:
        return _no_result(outcome, text)
    result = final or {}
    stats = sub_object(result, "stats")
    input_tokens, output_tokens = out.tokens(stats)
    session = result.get("session_id") or next(
        (d.get("session_id") for d in docs + stderr_docs if d.get("session_id")), None
    )
    done = ProviderResult.succeeded(
        cap_text(text),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        session_id=str(session) if session else None,
    )
    ok = result.get("status") == "success" or ("response" in result and "error" not in result)
    if ok and outcome.exit_code == 0:
        return done
    stderr = out.stderr_tail(outcome.stderr_lines)
    detail = "\n".join(errors + ([stderr] if stderr else []))
    if not detail:
        detail = out.EXIT_MEANINGS.get(outcome.exit_code or 0) or f"exit code {outcome.exit_code}"
    reported = out.reported_code(stderr_docs + docs)
    klass = out.classify(detail, outcome.exit_code, reported) or error_class_for(outcome, detail)
    return done.as_failure(klass, f"gemini failed (exit code {outcome.exit_code}): {detail}")


# -- the dashboard's view of one output line -------------------------------------------

# Start-up chatter on stderr, stack frames, and the inner lines of json's pretty document.
_QUIET = re.compile(
    r"^(?:Warning: 256-color|YOLO mode is enabled|Ripgrep is not available|\[STARTUP\]|"
    r"Approval mode overridden|Loaded cached credentials)|^\s+at |^[{}\]]\s*$|^\s+[\"}\]\w]"
)
_RESPONSE = re.compile(r'^\s+"response": (".*?")\s*,?\s*$')
_MESSAGE = re.compile(r'^\s+"message": (".*?")\s*,?\s*$')  # json's error document
_REPORT = re.compile(r"^Error when talking to Gemini API(?: Full report available at: \S+)? ?")
_ATTEMPT = re.compile(r"^Attempt \d+ failed")
_LABELS = {
    ErrorClass.rate_limit: ("rate limited", 429),
    ErrorClass.auth: ("authentication failed", None),
    ErrorClass.model_not_found: ("model not found", 404),
}


def _message_of(text: str) -> str:
    """Google's own message out of ``[API Error: {"error": {...}}]``, else the text."""
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        try:
            message = describe.dig(json.loads(text[start : end + 1]), "error", "message")
        except ValueError:
            message = None
        if isinstance(message, str):
            return message
    if text.startswith("[API Error: "):
        return text.removeprefix("[API Error: ").split("]", 1)[0]
    return text


def _failure(message: str, code: object = None, reason: object = None) -> str:
    """``✘ rate limited (429)``, ``✘ authentication failed (401): …``: gemini's own
    classes first (a bad key is Google's 400), then the shared wording."""
    text = _message_of(message)
    klass = out.classify(message, None, code)
    status = out.http_status(message, None, code)
    if klass not in _LABELS:
        return describe.failure_line(text, status=status, reason=reason)
    label, usual = _LABELS[klass]
    shown = status if status is not None and status != 400 else usual
    head = f"{describe.FAILED} {label}" + (f" ({shown})" if shown else "")
    return head if klass is ErrorClass.rate_limit else f"{head}: {describe.cut(text)}"


def _describe_result(event: dict[str, Any]) -> str:
    stats = sub_object(event, "stats")
    if event.get("status") == "success":
        return describe.done_line(*out.tokens(stats))
    error = event.get("error")
    error = error if isinstance(error, dict) else {"message": error}
    return _describe_error(error)


def _describe_error(error: dict[str, Any]) -> str:
    kind = error.get("type")
    reason = kind if kind not in (None, "unknown") else None
    return _failure(str(error.get("message") or ""), error.get("code"), reason)


def _describe_response(event: dict[str, Any]) -> str:
    stats = sub_object(event, "stats")
    answer = describe.words(event.get("response"))
    return "\n".join(filter(None, [answer, describe.done_line(*out.tokens(stats))]))


def _describe_plain(text: str) -> str | None:
    """A line that is not a JSON object: chatter and document fragments hide, json's
    ``"response"`` line shows its words, an error line says what failed."""
    response = _RESPONSE.match(text)
    if response is not None:
        try:
            return describe.words(json.loads(response.group(1)))
        except ValueError:
            return None
    message = _MESSAGE.match(text)
    if message is not None:
        try:
            return _failure(str(json.loads(message.group(1))))
        except ValueError:
            return None
    if not text.strip() or _QUIET.search(text):
        return None
    if _ATTEMPT.match(text):  # the CLI's own retries: the last one is followed by the error
        return None if "Max attempts reached" in text else f"⚠ {describe.cut(text)}"
    reported = _REPORT.match(text)
    if reported is not None or out.classify(text, None) is not None:
        return _failure(text[reported.end() :] if reported else text)
    return text


def describe_line(line: str) -> str | None:
    """One line of Gemini's output as a person reads it; None for lines worth nothing.

    Assistant text arrives as deltas: each shows as it comes, an empty one not at all.
    """
    event, text = describe.parse_event(line)
    if event is None:
        return _describe_plain(out.ANSI.sub("", text))
    kind = event.get("type")
    if kind == "message":
        return describe.words(event.get("content")) if event.get("role") == "assistant" else None
    if kind == "tool_use":
        return describe.tool_line(event.get("tool_name"), event.get("parameters"))
    if kind == "tool_result":
        detail = describe.dig(event, "error", "message") or event.get("output")
        return describe.tool_result_line(event.get("status") == "success", detail)
    if kind == "init":
        return describe.started_line(event.get("model"))
    if kind == "result":
        return _describe_result(event)
    if kind == "error":
        mark = "⚠" if event.get("severity") == "warning" else describe.FAILED
        return f"{mark} {describe.cut(str(event.get('message', 'error')))}"
    if isinstance(event.get("error"), dict):
        return _describe_error(event["error"])
    if "response" in event:  # -o json on one line
        return _describe_response(event)
    return None
