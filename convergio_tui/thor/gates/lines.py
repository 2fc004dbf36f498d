"""Shared helpers: regular expressions over the lines a diff adds."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from convergio_tui.thor.git import DiffInfo
from convergio_tui.thor.globs import matches

SNIPPET = 120


@dataclass(frozen=True)
class LineHit:
    """A pattern found on an added line."""

    path: str
    line: int
    pattern: str
    text: str

    def where(self) -> str:
        """``path:line``."""
        return f"{self.path}:{self.line}"


def snippet(text: str) -> str:
    """A short, single-line view of a source line."""
    text = text.strip()
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def added_lines(
    diff: DiffInfo, include: Iterable[str] | None = None, exclude: Iterable[str] = ()
) -> Iterator[tuple[str, int, str]]:
    """(path, line, text) of every added line, filtered by globs."""
    inc = list(include) if include is not None else None
    exc = list(exclude)
    for path in sorted(diff.added):
        if inc is not None and not matches(path, inc):
            continue
        if exc and matches(path, exc):
            continue
        for number, text in diff.added[path]:
            yield path, number, text


def find_patterns(
    diff: DiffInfo,
    patterns: Iterable[str],
    include: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    redact: Callable[[str], str] | None = None,
) -> list[LineHit]:
    """Every added line matching any of ``patterns`` (first matching pattern reported).

    Patterns see the line as written; the snippet shown is cut from the line after
    ``redact`` (a cut through a secret value would leave a fragment no mask matches).
    """
    compiled = [(p, re.compile(p)) for p in patterns]
    if not compiled:
        return []
    hits = []
    for path, number, text in added_lines(diff, include, exclude):
        for raw, rx in compiled:
            if rx.search(text):
                shown = redact(text) if redact is not None else text
                hits.append(LineHit(path, number, raw, snippet(shown)))
                break
    return hits


def count_lines(text: str) -> int:
    """Lines in a file's text (a last line without newline counts)."""
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)
