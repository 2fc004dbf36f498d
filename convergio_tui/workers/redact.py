"""Replace secret values in text before it is logged, shown or stored."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "***REDACTED***"
MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words and digits


class Redactor:
    """Replaces every secret of length >= 4 with ``***REDACTED***``, longest first.

    One compiled alternation, longest values first, so a secret that contains another
    secret is replaced whole and the text is scanned once per line.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        values: set[str] = set()
        for secret in secrets:
            values.add(secret)
            # Output is redacted line by line: a multi-line secret (a PEM key) must
            # also be caught one line at a time.
            values.update(part.strip() for part in secret.splitlines())
        values = {s for s in values if len(s) >= MIN_SECRET_LENGTH}
        ordered = sorted(values, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret value replaced."""
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)

    def __bool__(self) -> bool:
        return self._pattern is not None
