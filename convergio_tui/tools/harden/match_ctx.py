"""What every validator needs: where a value sits, its entropy, and whether it is a
placeholder. Shared by the credential checks (validators.py) and the personal-data
checks (personal.py)."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from convergio_tui.tools.harden.wordlists import PLACEHOLDER_FRAGMENTS, PLACEHOLDER_VALUES

# "{DB_PW}", "{0}", "{user.token}": an f-string or str.format field, not a value.
_FORMAT_FIELD = re.compile(r"\{[A-Za-z_0-9][\w.]*\}")


@dataclass(frozen=True)
class Ctx:
    """Where a value was found: the whole text, the value's span, the assigned name."""

    text: str
    start: int
    end: int
    name: str | None
    name_start: int
    match: re.Match[str]

    def group(self, group: str) -> str:
        """A regex group's text, taken from the original (not lower-cased) text."""
        a, b = self.match.span(group)
        return self.text[a:b] if a >= 0 else ""

    def before(self) -> str:
        """The character just before the value ("" at the start)."""
        return self.text[self.start - 1] if self.start > 0 else ""

    def after(self) -> str:
        """The character just after the value ("" at the end)."""
        return self.text[self.end] if self.end < len(self.text) else ""

    def before_in(self, chars: str) -> bool:
        """True when a character precedes the value and it is one of ``chars``.

        At the start of the text there is no such character: ``"" in chars`` would be
        True for any string, which once made every value at offset 0 look glued to a
        word and go unreported."""
        before = self.before()
        return bool(before) and before in chars

    def after_in(self, chars: str) -> bool:
        """True when a character follows the value and it is one of ``chars``."""
        after = self.after()
        return bool(after) and after in chars


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def is_placeholder(value: str) -> bool:
    """True for examples, templates, references and repeated characters."""
    low = value.lower()
    if low in PLACEHOLDER_VALUES or low.startswith(("$", "%", "env:", "env.", "process.env")):
        return True
    if any(fragment in low for fragment in PLACEHOLDER_FRAGMENTS) or _FORMAT_FIELD.search(value):
        return True
    return is_repeated(low)


def is_repeated(value: str) -> bool:
    """ "aaaaaaaa", "0000-0000", "----": at most two distinct characters."""
    return len(set(value.strip("-_. "))) <= 2
