"""Path globs for the ``thor:`` settings.

``*`` and ``?`` stay inside one path segment and ``**`` spans any number of them. A
pattern without ``/`` matches the file name in any directory (like ``.gitignore``);
one with ``/`` is anchored at the repository root.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    anchored = "/" in pattern.strip("/")
    pattern = pattern.strip("/")
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(f"^{prefix}{body}$")


def matches(path: str, patterns: Iterable[str]) -> bool:
    """True when ``path`` (relative, ``/``-separated) matches any of ``patterns``."""
    return any(_compile(p).match(path) for p in patterns)


def select(paths: Iterable[str], patterns: Iterable[str]) -> list[str]:
    """The paths that match any of ``patterns``, in order."""
    pats = list(patterns)
    return [p for p in paths if matches(p, pats)]
