"""TaskRows: every task of the plan in plan order, and those the filter lets through.

Pure (no Textual, no I/O). The task table keeps its rows here, one slim ``TaskLine`` per
task and two lists of ids, and makes cells only for the rows it draws: a plan of 50,000
tasks is a few megabytes, not a widget row of ten cells per task. Plan order is wave, then
code (the order ``task_lines`` reads), whichever order rows arrive in.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from convergio_tui.store.queries import TaskLine
from convergio_tui.tui.task_filter import TaskFilter

INSERT_ONE_BY_ONE = 64  # more new rows than this out of order: append and sort once


@dataclass
class Put:
    """What ``TaskRows.put`` changed."""

    changed: list[TaskLine] = field(default_factory=list)  # new or different rows
    moved: bool = False  # rows shown were added, removed or reordered
    appended: bool = False  # ... and only by new rows after the last one (a page of a load)


class TaskRows:
    """Rows by task id, the plan order, and the filtered order shown."""

    def __init__(self) -> None:
        self.lines: dict[int, TaskLine] = {}
        self.order: list[int] = []  # every task, in plan order
        self.shown: list[int] = []  # the tasks the filter lets through, in plan order
        self.live: set[int] = set()  # tasks with a live run
        self.filter = TaskFilter()

    def __len__(self) -> int:
        return len(self.shown)

    def key(self, task_id: int) -> tuple[int, str, int]:
        """Where ``task_id`` sorts in plan order."""
        line = self.lines[task_id]
        return (line.wave_seq, line.code, task_id)

    def index(self, task_id: int) -> int | None:
        """The row of ``task_id`` among those shown (None: unknown or filtered out)."""
        if task_id not in self.lines:
            return None
        shown = self.shown
        at = bisect_left(shown, self.key(task_id), key=self.key)
        return at if at < len(shown) and shown[at] == task_id else None

    def put(self, lines: Iterable[TaskLine], *, known_only: bool = False) -> Put:
        """Take new and changed rows (``known_only``: changed rows of known tasks only)."""
        result = Put()
        in_place = True  # no row shown was placed anywhere but after the last one
        new: list[int] = []
        for line in lines:
            old = self.lines.get(line.id)
            if old == line:
                continue
            if old is None:
                if known_only:
                    continue
                new.append(line.id)
            elif (old.wave_seq, old.code) != (line.wave_seq, line.code):
                self._take_out(line.id)  # its place changed: in again below, at the new one
                new.append(line.id)
                in_place = False
            elif self.filter.matches(old) != self.filter.matches(line):
                self.lines[line.id] = line
                self._place_shown(line.id, self.filter.matches(line))
                result.moved = True
                in_place = False
            self.lines[line.id] = line
            if line.running:
                self.live.add(line.id)
            else:
                self.live.discard(line.id)
            result.changed.append(line)
        if new:
            new = sorted(dict.fromkeys(new), key=self.key)
            _insert(self.order, new, self.key)
            wanted = [t for t in new if self.filter.matches(self.lines[t])]
            if wanted:
                in_place &= _insert(self.shown, wanted, self.key)
                result.moved = True
        result.appended = result.moved and in_place
        return result

    def remove(self, task_ids: Iterable[int]) -> bool:
        """Forget these tasks; True when a row shown went."""
        moved = False
        for task_id in task_ids:
            if task_id in self.lines:
                moved |= self._take_out(task_id)
                del self.lines[task_id]
                self.live.discard(task_id)
        return moved

    def set_filter(self, task_filter: TaskFilter) -> None:
        """Show the tasks ``task_filter`` lets through, in plan order."""
        self.filter = task_filter
        if task_filter.active:
            lines, matches = self.lines, task_filter.matches
            self.shown = [t for t in self.order if matches(lines[t])]
        else:
            self.shown = list(self.order)

    def clear(self) -> None:
        """Forget every task (the filter stays)."""
        self.lines.clear()
        self.order.clear()
        self.shown.clear()
        self.live.clear()

    def in_order(self) -> Iterator[TaskLine]:
        """Every task, shown or filtered out, in plan order."""
        lines = self.lines
        return (lines[t] for t in self.order)

    def next_after(self, index: int, wanted: Callable[[TaskLine], bool]) -> int | None:
        """The next row after ``index`` (round the end) whose task is ``wanted``."""
        shown, count = self.shown, len(self.shown)
        for step in range(1, count + 1):
            at = (index + step) % count
            if wanted(self.lines[shown[at]]):
                return at
        return None

    # -- places ----------------------------------------------------------------------------

    def _take_out(self, task_id: int) -> bool:
        """Take ``task_id`` out of both orders (its row still in ``lines``, as placed)."""
        _discard(self.order, task_id, self.key)
        return _discard(self.shown, task_id, self.key)

    def _place_shown(self, task_id: int, wanted: bool) -> None:
        if wanted:
            insort(self.shown, task_id, key=self.key)
        else:
            _discard(self.shown, task_id, self.key)


def _insert(ids: list[int], new: list[int], key: Callable[[int], tuple[int, str, int]]) -> bool:
    """Put ``new`` (sorted) into ``ids`` (sorted) in order; True when they all went after
    the last."""
    if not ids or key(new[0]) > key(ids[-1]):  # the usual case: pages come in plan order
        ids.extend(new)
        return True
    if len(new) <= INSERT_ONE_BY_ONE:
        for task_id in new:
            insort(ids, task_id, key=key)
    else:
        ids.extend(new)
        ids.sort(key=key)  # two sorted runs: one merge
    return False


def _discard(ids: list[int], task_id: int, key: Callable[[int], tuple[int, str, int]]) -> bool:
    at = bisect_left(ids, key(task_id), key=key)
    if at < len(ids) and ids[at] == task_id:
        del ids[at]
        return True
    return False
