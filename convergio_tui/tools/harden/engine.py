"""The scanning core: rules over one text, overlaps resolved, secrets masked.

Speed comes from the keyword pre-filter: a rule's regex only runs over a text whose
lower-cased form contains one of the rule's keywords, and each regex runs once over
the whole text (not line by line); line numbers are computed only for matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from convergio_tui.tools.harden.doc_context import FileView
from convergio_tui.tools.harden.keywords import index_for
from convergio_tui.tools.harden.rules import Rule, default_rules
from convergio_tui.tools.harden.validators import (
    VALIDATORS,
    Ctx,
    is_placeholder,
    shannon_entropy,
)
from convergio_tui.tools.harden.verdict import judge

# Markers that silence a finding on their line (ours, detect-secrets', gitleaks').
ALLOW_MARKERS = ("convergio:allow", "pragma: allowlist secret", "gitleaks:allow")
EXCERPT_WIDTH = 160


@dataclass(frozen=True)
class Finding:
    """One credential or piece of personal data found at ``path:line``.

    ``excerpt`` is the line with every value on it masked. The raw value, its offsets
    and the assigned name are kept for ``--fix`` but never printed or serialised.
    ``kept`` is the verdict (False: a documentation or test example, see verdict.py)
    and ``why`` its reason.
    """

    path: str
    line: int
    kind: str
    rule: str
    excerpt: str
    column: int = 1
    category: str = "credential"
    kept: bool = True
    why: str = ""
    start: int = field(default=0, repr=False, compare=False)
    end: int = field(default=0, repr=False, compare=False)
    secret: str = field(default="", repr=False, compare=False)
    name: str | None = field(default=None, repr=False, compare=False)
    env: str = field(default="SECRET", repr=False, compare=False)

    def as_dict(self) -> dict[str, object]:
        """The JSON shape in docs/cli.md:
        ``{"path","line","kind","rule","excerpt","kept","why"}``."""
        return {
            "path": self.path,
            "line": self.line,
            "kind": self.kind,
            "rule": self.rule,
            "excerpt": self.excerpt,
            "kept": self.kept,
            "why": self.why,
        }


@dataclass
class ScanReport:
    """Findings of a scan and how much was read."""

    findings: list[Finding] = field(default_factory=list)
    files_scanned: int = 0
    bytes_scanned: int = 0

    @property
    def kept(self) -> list[Finding]:
        """The findings that count: live data, not documentation or test examples."""
        return [f for f in self.findings if f.kept]

    @property
    def skipped(self) -> list[Finding]:
        """The findings judged to be documentation or test examples."""
        return [f for f in self.findings if not f.kept]

    def as_dict(self) -> dict[str, object]:
        """The JSON shape in docs/cli.md:
        ``{"findings": [...], "files_scanned": int, "kept": int, "skipped": int}``."""
        kept = len(self.kept)
        return {
            "findings": [f.as_dict() for f in self.findings],
            "files_scanned": self.files_scanned,
            "kept": kept,
            "skipped": len(self.findings) - kept,
        }


def mask(value: str, kind: str = "") -> str:
    """The value with all but a short prefix hidden; never reveals the secret."""
    if kind == "private-key":
        # Show only the (public) BEGIN header, never the body.
        parts = value.split("-----")
        return f"-----{parts[1]}-----****" if len(parts) > 2 else "****"
    keep = 4 if len(value) >= 20 else 2 if len(value) >= 8 else 0
    return value[:keep] + "****"


@dataclass
class _Hit:
    rule: Rule
    start: int
    end: int
    s_start: int
    s_end: int
    secret: str
    name: str | None


def _grow_left(
    text: str, start: int, chars: frozenset[str], unicode: bool = False, limit: int = 64
) -> int:
    """Move ``start`` left over ``chars`` (and, with ``unicode``, over any non-ASCII
    letter or digit), at most ``limit`` characters."""
    stop = max(0, start - limit)
    while start > stop:
        ch = text[start - 1]
        if ch not in chars and not (unicode and ch > "\x7f" and ch.isalnum()):
            break
        start -= 1
    return start


def _anchored(
    pattern: re.Pattern[str], source: str, lowered: str, keywords: Sequence[str]
) -> Iterator[re.Match[str]]:
    """Matches of ``pattern`` in ``source`` tried only where a keyword starts (left to
    right). Keywords are looked up in ``lowered``, which has ``source``'s offsets: a
    "PASSWORD" is found by "pass" whatever the case."""
    starts: set[int] = set()
    for keyword in keywords:
        i = lowered.find(keyword)
        while i != -1:
            starts.add(i)
            i = lowered.find(keyword, i + 1)
    end = -1
    for pos in sorted(starts):
        if pos < end:
            continue
        m = pattern.match(source, pos)
        if m is not None:
            end = m.end()
            yield m


def _candidates(text: str, rules: Sequence[Rule], lowered: str) -> list[_Hit]:
    hits: list[_Hit] = []
    ascii_text = text.isascii()  # then lowered has the same offsets as text
    # Lower-casing keeps offsets for all but a few characters ("İ" becomes two).
    aligned = ascii_text or len(lowered) == len(text)
    present = index_for(rules).present(lowered)
    for rule in rules:
        if rule.keywords and present.isdisjoint(rule.keywords):
            continue
        pattern, source = rule.pattern, text
        if rule.lower_pattern is not None and ascii_text:
            pattern, source = rule.lower_pattern, lowered
        group = "secret" if rule.has_secret_group else 0
        has_name = "name" in pattern.groupindex
        check = VALIDATORS[rule.validator] if rule.validator else None
        matches = None
        if rule.anchored and aligned:
            keywords = [k for k in rule.keywords if k in present]
            matches = _anchored(pattern, source, lowered, keywords)
        for m in matches if matches is not None else pattern.finditer(source):
            s_start, s_end = m.span(group)
            if s_start < 0:
                continue
            n_start, n_end = m.span("name") if has_name else (-1, -1)
            if rule.expand_left is not None:
                if has_name:
                    n_start = _grow_left(text, n_start, rule.expand_left, rule.expand_unicode)
                else:
                    s_start = _grow_left(text, s_start, rule.expand_left, rule.expand_unicode)
            start = min(m.start(), s_start, n_start if n_start >= 0 else s_start)
            if (
                rule.word_start
                and start > 0
                and (text[start - 1].isalnum() or text[start - 1] == "_")
            ):
                continue
            value = text[s_start:s_end]
            if len(value) < rule.min_length or (rule.placeholders and is_placeholder(value)):
                continue
            if rule.entropy is not None and shannon_entropy(value) < rule.entropy:
                continue
            name = text[n_start:n_end] if has_name else None
            if check is not None and not check(value, Ctx(text, s_start, s_end, name, n_start, m)):
                continue
            hits.append(_Hit(rule, start, m.end(), s_start, s_end, value, name))
    return hits


def _resolve(hits: list[_Hit]) -> list[_Hit]:
    """Keep the most specific hit where matches overlap (lower priority number wins)."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.rule.priority, h.start)):
        if all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def scan_text(
    text: str,
    path: str = "<diff>",
    *,
    rules: Sequence[Rule] | None = None,
    line_offset: int = 0,
) -> list[Finding]:
    """Findings in ``text`` (a file's content or a diff's added lines)."""
    rules = default_rules() if rules is None else rules
    hits = _resolve(_candidates(text, rules, text.lower()))
    if not hits:
        return []
    findings: list[Finding] = []
    line_no, pos = 1, 0
    view = FileView(text, path)
    for hit in hits:
        line_no += text.count("\n", pos, hit.start)
        pos = hit.start
        line_start = text.rfind("\n", 0, hit.start) + 1
        line_end = text.find("\n", hit.start)
        line_end = len(text) if line_end == -1 else line_end
        line = text[line_start:line_end]
        if any(marker in line for marker in ALLOW_MARKERS):
            continue
        verdict = judge(view, hit.rule, hit.s_start, hit.s_end, hit.secret)
        findings.append(
            Finding(
                path=path,
                line=line_no + line_offset,
                kind=hit.rule.kind,
                rule=hit.rule.id,
                excerpt=_excerpt(line, line_start, hit, hits),
                column=hit.s_start - line_start + 1,
                category=hit.rule.category,
                kept=verdict.kept,
                why=verdict.why,
                start=hit.s_start,
                end=hit.s_end,
                secret=hit.secret,
                name=hit.name,
                env=hit.rule.env,
            )
        )
    return findings


def _excerpt(line: str, line_start: int, hit: _Hit, hits: list[_Hit]) -> str:
    """The line with every value on it masked, trimmed around ``hit``."""
    line_end = line_start + len(line)
    pieces: list[str] = []
    cursor = line_start
    for other in hits:
        if other.s_end <= line_start or other.s_start >= line_end:
            continue
        a, b = max(other.s_start, line_start), min(other.s_end, line_end)
        if a < cursor:
            continue
        pieces.append(line[cursor - line_start : a - line_start])
        pieces.append(mask(other.secret, other.rule.kind))
        cursor = b
    pieces.append(line[cursor - line_start :])
    masked = "".join(pieces).strip()
    if len(masked) <= EXCERPT_WIDTH:
        return masked
    focus = max(0, masked.find("****") - EXCERPT_WIDTH // 2)
    return ("…" if focus else "") + masked[focus : focus + EXCERPT_WIDTH] + "…"


def redact(text: str, values: Sequence[str], replacement: str = "****") -> str:
    """Replace every occurrence of each non-empty value (longest first) in ``text``."""
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        text = text.replace(value, replacement)
    return text
