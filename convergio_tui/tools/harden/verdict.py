"""Kept or skipped: is a finding live data, or a documentation or test example?

Every finding gets a verdict with its reason (``--format json``: ``"kept"``, ``"why"``).
A finding is skipped only on clear evidence, in this order:

1. It is not a value at all: part of a regular expression, a type annotation or a bare
   identifier in code, an ISO date read as a phone, a random seed read as a number, a
   URL from the documentation (an example host, ``scott:tiger``, ``guest:guest``), or
   the jwt.io sample token.
2. It sits in a doctest, a docstring or a test file, or its line says it is an example
   ("e.g.", "for example", "sample", "fake"...) — unless the rule is *specific* (a
   provider's token format, such as ``ghp_`` or ``AKIA``): such a value works wherever it
   was pasted, so it is kept, and the reason says where it was found.

Anything else is kept: "no sign of an example".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from convergio_tui.tools.harden.doc_context import FileView, in_regex, line_bounds
from convergio_tui.tools.harden.rules import Rule

KEPT = "no sign of an example"
SPECIFIC = "provider token format"

_DATE = re.compile(r"(?:19|20)\d\d([-./])(?:0[1-9]|1[0-2])\1(?:0[1-9]|[12]\d|3[01])")
_SEED = re.compile(r"(?i)\w*seed\w*|\brandom_state\b|\brng\b|\bsrand\b|\bnonce\b|random\.Random\b")
# Words of prose that mark an example; not inside a path, a host or an identifier
# ("examples/cli.py", "example.com", "sample_rate").
_EXAMPLE_MARK = re.compile(
    r"(?i)\be\.g\.|\bfor (?:example|instance)\b|(?<![\w/.\-])(?:examples?|sample|fake|dummy"
    r"|fictitious|fittizi[oa]|esempio|beispiel|placeholder)(?![\w/.\-])"
)
_IDENT_VALUE = re.compile(r"[A-Za-z_][\w.]*(?:\[[\w., \[\]|]*\])?[,;)]*")
_URL_USER = re.compile(r"://([^:/\s@\"'<>]*):$")
_URL_HOST = re.compile(r"@([\w.\-]+)")
EXAMPLE_HOSTS = frozenset(
    {"host", "hostname", "server", "yourhost", "your-host", "myhost", "my-host", "domain",
     "example.com", "example.org", "example.net", "db.example.com"}
)  # fmt: skip
# user:password pairs of tutorials and default images (SQLAlchemy's scott:tiger, RabbitMQ's
# guest:guest...).
DOC_CREDENTIALS = frozenset(
    {("scott", "tiger"), ("guest", "guest"), ("user", "pass"), ("username", "password"),
     ("user", "secret"), ("foo", "bar"), ("me", "secret"), ("alice", "secret"),
     ("myuser", "mypass"), ("myuser", "mypassword"), ("dbuser", "dbpass")}
)  # fmt: skip
_NUMBER_KINDS = frozenset({"card", "vat", "phone", "iban", "national-id"})
_ASSIGNMENTS = frozenset({"secret-assignment-unquoted"})
_WHERE = {
    "doctest": "in a doctest",
    "docstring": "in a docstring",
    "test file": "in a test file",
    "marked as an example": "although marked as an example",
}


@dataclass(frozen=True)
class Verdict:
    """Whether a finding counts (``kept``) and why."""

    kept: bool
    why: str


def _skip(why: str) -> Verdict:
    return Verdict(False, why)


def _code_word(view: FileView, rule: Rule, line: str, a: int, value: str) -> str | None:
    """ "type annotation" / "code reference" for ``name: Type`` / ``name = other`` in code."""
    if rule.id not in _ASSIGNMENTS or not view.is_code or not _IDENT_VALUE.fullmatch(value):
        return None
    lead = line[:a].rstrip()
    if lead.endswith(":"):
        return "type annotation"
    return "code reference" if lead.endswith("=") else None


def _url_example(line: str, a: int, b: int, value: str) -> bool:
    user_match = _URL_USER.search(line[:a])
    host_match = _URL_HOST.match(line, b)
    user = user_match.group(1).lower() if user_match else ""
    host = host_match.group(1).lower().rstrip(".") if host_match else ""
    # RFC 2606 reserves example.com/.org/.net and every name under them.
    reserved = (".example", ".invalid", ".test", ".example.com", ".example.org", ".example.net")
    if host in EXAMPLE_HOSTS or host.endswith(reserved):
        return True
    return (user, value.lower()) in DOC_CREDENTIALS or (bool(user) and user == value.lower())


def _jwt_io_sample(value: str) -> bool:
    """The token of jwt.io's debugger and of countless tutorials ("John Doe")."""
    parts = value.split(".")
    if len(parts) < 2:
        return False
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(payload, dict) and payload.get("name") == "John Doe"


def _not_a_value(view: FileView, rule: Rule, line: str, a: int, b: int, value: str) -> str | None:
    """Why the match is not a value at all, or None."""
    if rule.kind != "private-key" and in_regex(line, a, b):
        return "regex literal"
    code = _code_word(view, rule, line, a, value)
    if code:
        return code
    if rule.kind == "phone" and _DATE.search(value):
        return "date"
    if rule.kind in _NUMBER_KINDS and _SEED.search(line):
        return "random seed"
    if rule.id == "url-password" and _url_example(line, a, b, value):
        return "URL example"
    if rule.kind == "jwt" and _jwt_io_sample(value):
        return "documentation example (jwt.io)"
    return None


def _example_context(view: FileView, line_start: int, start: int, line: str) -> str | None:
    """Where the value reads as documentation or test data, or None."""
    if view.in_doctest(line_start):
        return "doctest"
    if view.in_docstring(start):
        return "docstring"
    if view.is_test:
        return "test file"
    if _EXAMPLE_MARK.search(line):
        return "marked as an example"
    return None


def judge(view: FileView, rule: Rule, start: int, end: int, value: str) -> Verdict:
    """The verdict on ``value`` found by ``rule`` at ``start:end`` of ``view.text``."""
    line_start, line_end = line_bounds(view.text, start)
    line = view.text[line_start:line_end]
    a, b = start - line_start, min(end, line_end) - line_start
    reason = _not_a_value(view, rule, line, a, b, value)
    if reason:
        return _skip(reason)
    where = _example_context(view, line_start, start, line)
    if rule.specific:
        return Verdict(True, f"{SPECIFIC}, kept {_WHERE[where]}" if where else SPECIFIC)
    return _skip(where) if where else Verdict(True, KEPT)
