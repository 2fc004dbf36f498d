"""Load the scanner's rule set, kept as data in ``convergio_tui/tools/rules/harden.yaml``."""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from convergio_tui.tools.harden.validators import VALIDATORS

CATEGORIES = ("credential", "personal-data")
_FIELDS = {
    "id",
    "kind",
    "category",
    "description",
    "regex",
    "keywords",
    "entropy",
    "validator",
    "env",
    "priority",
    "min_length",
    "lower",
    "expand_left",
    "word_start",
    "anchored",
    "specific",
    "placeholders",
}
# Characters a name or value may grow over with ``expand_left``.
EXPAND_SETS = {
    "word": frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"),
    "email": frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"),
}


class RuleError(ValueError):
    """A rule file entry is malformed (names the file, rule and key)."""


@dataclass(frozen=True)
class Rule:
    """One detection rule: a regex plus the filters a match must pass."""

    id: str
    kind: str
    category: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]
    entropy: float | None
    validator: str | None
    env: str
    priority: int
    min_length: int
    lower_pattern: re.Pattern[str] | None = None
    expand_left: frozenset[str] | None = None
    word_start: bool = True
    anchored: bool = False
    specific: bool = False
    placeholders: bool = True
    expand_unicode: bool = False

    @property
    def has_secret_group(self) -> bool:
        """True when the regex names the value with ``(?P<secret>...)``."""
        return "secret" in self.pattern.groupindex


def default_rules_path() -> Path:
    """The rule file shipped in the package."""
    return Path(str(resources.files("convergio_tui.tools") / "rules" / "harden.yaml"))


def _rule(entry: Any, where: str) -> Rule:
    if not isinstance(entry, dict):
        raise RuleError(f"{where}: each rule must be a mapping")
    rid = str(entry.get("id", "?"))
    unknown = set(entry) - _FIELDS
    if unknown:
        raise RuleError(f"{where}: rule {rid}: unknown keys {sorted(unknown)}")
    for key in ("id", "kind", "category", "regex"):
        if not entry.get(key):
            raise RuleError(f"{where}: rule {rid}: {key} is required")
    if entry["category"] not in CATEGORIES:
        raise RuleError(f"{where}: rule {rid}: category must be one of {CATEGORIES}")
    validator = entry.get("validator")
    if validator is not None and validator not in VALIDATORS:
        raise RuleError(f"{where}: rule {rid}: validator {validator!r} is unknown")
    lower = bool(entry.get("lower", False))
    expand = entry.get("expand_left")
    if expand is not None and expand not in EXPAND_SETS:
        raise RuleError(f"{where}: rule {rid}: expand_left must be one of {sorted(EXPAND_SETS)}")
    try:
        # A lower-case rule runs case-sensitively over lower-cased ASCII text (fast) and
        # with IGNORECASE over anything else.
        pattern = re.compile(entry["regex"], re.IGNORECASE if lower else 0)
        lower_pattern = re.compile(entry["regex"]) if lower else None
    except re.error as exc:
        raise RuleError(f"{where}: rule {rid}: regex: {exc}") from None
    keywords = tuple(str(k).lower() for k in entry.get("keywords") or ())
    if entry.get("anchored") and not (keywords and lower):
        raise RuleError(f"{where}: rule {rid}: anchored needs keywords and lower: true")
    entropy = entry.get("entropy")
    return Rule(
        id=rid,
        kind=str(entry["kind"]),
        category=str(entry["category"]),
        pattern=pattern,
        keywords=keywords,
        entropy=float(entropy) if entropy is not None else None,
        validator=validator,
        env=str(entry.get("env") or "SECRET"),
        priority=int(entry.get("priority", 10)),
        min_length=int(entry.get("min_length", 1)),
        lower_pattern=lower_pattern,
        expand_left=EXPAND_SETS[expand] if expand else None,
        word_start=bool(entry.get("word_start", True)),
        anchored=bool(entry.get("anchored", False)),
        specific=bool(entry.get("specific", False)),
        placeholders=bool(entry.get("placeholders", True)),
        # An address's local part may be written in any script (RFC 6531).
        expand_unicode=expand == "email",
    )


def load_rules(path: Path | None = None) -> tuple[Rule, ...]:
    """Parse and compile a rule file (default: the shipped one), ordered by priority."""
    path = path or default_rules_path()
    # libyaml's loader when PyYAML has it: the same documents, about six times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RuleError(f"{path}: expected a top-level 'rules:' list")
    rules = [_rule(entry, str(path)) for entry in doc["rules"]]
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleError(f"{path}: duplicate rule ids {dupes}")
    return tuple(sorted(rules, key=lambda r: r.priority))


_DEFAULT_LOCK = threading.Lock()


@functools.cache
def _load_default_rules() -> tuple[Rule, ...]:
    return load_rules()


def default_rules() -> tuple[Rule, ...]:
    """The shipped rules, compiled once per process (the lock stops parallel first calls
    from each parsing the rule file)."""
    with _DEFAULT_LOCK:
        return _load_default_rules()
