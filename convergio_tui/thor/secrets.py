"""The credential/PII scan Thor runs on added lines, and masking of evidence.

Gate 3 uses the hardening scanner (``convergio_tui.tools.harden.scan_text``). Until
that module is importable a minimal built-in rule set stands in, so a leaked key still
fails the gate. Evidence never carries a value: every token the scanner flags, and
every long high-entropy token, is masked before text leaves this module.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SecretHit:
    """One finding: where, what rule, and a masked excerpt (never the value)."""

    path: str
    line: int
    kind: str
    rule: str
    excerpt: str


# Minimal stand-in rules (credentials only); the hardening scanner supersedes them.
_FALLBACK_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("aws-access-key-id", "credential", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("private-key", "credential", re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("github-token", "credential", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("slack-token", "credential", re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}\b")),
    ("openai-key", "credential", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b")),
    ("google-api-key", "credential", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("password-in-url", "credential", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s:@]{3,}@")),
    (
        "password-assignment",
        "credential",
        re.compile(
            r"(?i)\b(?:password|passwd|pwd|secret|api[_-]?key|token)\b\s*[:=]\s*"
            r"[\"'](?!\s*(?:changeme|example|placeholder|<|\$\{|xxx))[^\"'\s]{6,}[\"']"
        ),
    ),
)

_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/_\-=.]{8,}")
_HIGH_ENTROPY = re.compile(r"[A-Za-z0-9+/_\-=]{32,}")

Scanner = Callable[[str, str], list[Any]]


def _load_scanner() -> Scanner | None:
    try:
        module = importlib.import_module("convergio_tui.tools.harden")
    except ImportError:
        return None
    scan = getattr(module, "scan_text", None)
    return scan if callable(scan) else None


def scanner_name() -> str:
    """Which engine gate 3 uses (for evidence and the docs)."""
    return "hardening scanner" if _load_scanner() is not None else "built-in minimal rules"


@dataclass(frozen=True)
class _Raw:
    line: int
    kind: str
    rule: str
    excerpt: str
    secret: str  # the value: used only to mask it, never stored


def _fallback_scan(text: str) -> list[_Raw]:
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        for rule, kind, pattern in _FALLBACK_RULES:
            match = pattern.search(line)
            if match:
                hits.append(_Raw(number, kind, rule, mask_line(line), match.group(0)))
    return hits


def _raw_scan(text: str, path: str) -> list[_Raw]:
    scanner = _load_scanner()
    if scanner is None:
        return _fallback_scan(text)
    return [
        _Raw(
            line=int(getattr(f, "line", 0) or 0),
            kind=str(getattr(f, "kind", "credential")),
            rule=str(getattr(f, "rule", "unknown")),
            excerpt=str(getattr(f, "excerpt", "")),
            secret=str(getattr(f, "secret", "") or ""),
        )
        for f in scanner(text, path)
    ]


def scan(text: str, path: str) -> list[SecretHit]:
    """Findings in ``text`` (the content of ``path``), lines counted from 1.

    The excerpt is the scanner's masked line, masked again here (the value itself
    and any long token on the line) so no excerpt can carry a secret.
    """
    hits = []
    for raw in _raw_scan(text, path):
        excerpt = raw.excerpt.replace(raw.secret, "****") if raw.secret else raw.excerpt
        hits.append(SecretHit(path, raw.line, raw.kind, raw.rule, _mask_entropy(excerpt)))
    return hits


def _mask_token(token: str) -> str:
    return f"{token[:2]}…[masked {len(token)} chars]"


def mask_line(line: str, limit: int = 160) -> str:
    """``line`` with every token of 8+ word characters masked (it holds a finding)."""
    masked = _LONG_TOKEN.sub(lambda m: _mask_token(m.group(0)), line.strip())
    return masked[:limit]


def _looks_like_path(token: str) -> bool:
    # Evidence is full of file paths (tracebacks, worktrees); base64 bodies contain "/"
    # too, but their segments are long and full of capitals.
    segments = [s for s in token.split("/") if s]
    return len(segments) >= 3 and all(
        len(s) <= 24 and sum(c.isupper() for c in s) <= 2 for s in segments
    )


def _looks_random(token: str) -> bool:
    if _looks_like_path(token):
        return False
    classes = sum(
        (any(c.islower() for c in token), any(c.isupper() for c in token),
         any(c.isdigit() for c in token))
    )  # fmt: skip
    return classes == 3


def _mask_entropy(line: str) -> str:
    return _HIGH_ENTROPY.sub(
        lambda m: _mask_token(m.group(0)) if _looks_random(m.group(0)) else m.group(0), line
    )


def sanitize(text: str, redact: Callable[[str], str] | None = None) -> str:
    """Mask anything secret-like in free text (command output, notes) before storing it.

    ``redact`` (the project's vault redactor) runs first: a value is masked whole, in
    every form, before the shape rules below could cut it into unrecognisable pieces.
    Then every value the scanner finds is masked wherever it appears; lines it flags
    without a value have their long tokens masked; long random-looking tokens (a private
    key's body) are masked everywhere.
    """
    if redact is not None:
        text = redact(text)
    if not text or _is_clean(text):
        return text
    raws = _raw_scan(text, "evidence")
    for value in sorted({r.secret for r in raws if r.secret}, key=len, reverse=True):
        text = text.replace(value, _mask_token(value))
    flagged = {r.line for r in raws if not r.secret}
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number in flagged:
            line = _LONG_TOKEN.sub(lambda m: _mask_token(m.group(0)), line)
        out.append(_mask_entropy(line))
    masked = "\n".join(out)
    if not raws and masked == text:
        _remember_clean(text)
    return masked


# Texts found to hold nothing to mask (the same gate evidence comes back on every
# review: "no diff", a skip's reason): not scanned again. Only clean texts are kept, so
# no secret lingers here; bounded in number and size.
_CLEAN_MAX, _CLEAN_CHARS = 512, 4096
_clean: dict[str, None] = {}
_clean_lock = threading.Lock()


def _is_clean(text: str) -> bool:
    return text in _clean


def _remember_clean(text: str) -> None:
    if len(text) > _CLEAN_CHARS:
        return
    with _clean_lock:
        if len(_clean) >= _CLEAN_MAX:
            del _clean[next(iter(_clean))]
        _clean[text] = None
