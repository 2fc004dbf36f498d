"""The task table's filter: ``status:escalated provider:claude wave:2 login`` parsed into a
predicate over task rows. Pure: no Textual, no I/O.

Words with a key (``status:``, ``provider:``, ``wave:``) narrow by that field; words
without one must all appear in the task's code or title (any case). Several values of one
key are alternatives (``status:running,queued`` or ``status:running status:queued``);
different keys must all hold. A status or provider value may be cut short
(``status:esc`` is ``escalated``). A provider value matches the provider or the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from convergio_tui.store.queries import TaskLine
from convergio_tui.store.states import TaskStatus

KEYS = ("status", "provider", "wave")
# Short forms a person may type for a key.
ALIASES = {"s": "status", "p": "provider", "w": "wave", "model": "provider"}


@dataclass(frozen=True)
class TaskFilter:
    """A parsed filter; the empty filter keeps every row."""

    text: str = field(default="", compare=False)  # as typed
    words: tuple[str, ...] = ()  # free text, lower case
    statuses: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    waves: tuple[int, ...] = ()
    problems: tuple[str, ...] = field(default=(), compare=False)  # what was not understood

    @property
    def active(self) -> bool:
        """True when it narrows anything."""
        return bool(self.words or self.statuses or self.providers or self.waves)

    def matches(self, line: TaskLine) -> bool:
        """Whether ``line`` is shown under this filter."""
        if self.statuses and not any(line.status.startswith(s) for s in self.statuses):
            return False
        if self.providers:
            names = ((line.provider or "").lower(), (line.model or "").lower())
            if not any(n.startswith(p) for p in self.providers for n in names):
                return False
        if self.waves and line.wave_seq not in self.waves:
            return False
        if self.words:
            haystack = f"{line.code} {line.title}".lower()
            return all(w in haystack for w in self.words)
        return True

    def describe(self) -> str:
        """The filter in its canonical form, for the table's title."""
        parts = [*(f"status:{s}" for s in self.statuses)]
        parts += [f"provider:{p}" for p in self.providers]
        parts += [f"wave:{w}" for w in self.waves]
        parts += [f'"{w}"' for w in self.words]
        return " ".join(parts)


def parse_filter(text: str) -> TaskFilter:
    """Parse what was typed into the filter bar; what is not understood is listed in
    ``problems`` (and otherwise ignored) so the bar can say why nothing matches."""
    words: list[str] = []
    values: dict[str, list[str]] = {k: [] for k in KEYS}
    problems: list[str] = []
    for word in text.split():
        key, sep, value = word.partition(":")
        if not sep:
            words.append(word.lower())
            continue
        name = ALIASES.get(key.lower(), key.lower())
        if name not in KEYS:
            problems.append(f"unknown key {key!r} (status:, provider:, wave:)")
            continue
        for item in filter(None, value.lower().split(",")):
            values[name].append(item)
    for item in values["status"]:
        if not any(status.startswith(item) for status in TaskStatus):
            problems.append(f"no task status starts with {item!r}")
    waves: list[int] = []
    for item in values["wave"]:
        if item.isdigit():
            waves.append(int(item))
        else:
            problems.append(f"wave:{item} is not a wave number")
    return TaskFilter(
        text=text,
        words=tuple(words),
        statuses=_unique(values["status"]),
        providers=_unique(values["provider"]),
        waves=tuple(dict.fromkeys(waves)),
        problems=tuple(problems),
    )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
