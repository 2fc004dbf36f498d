"""Where the main screen's reads stand: the watermark, the plan's load, the id check.

Pure (no Textual, no I/O). The first read of a plan brings its first page of task rows
(the screen shows them at once); the rest is read a page at a time (``load``), while the
usual reads go on. While the load runs, the watermark stays at its start: a page read
before a row changed may land after the read that saw the change, and the next read
brings that row again. Rows of tasks the load has not reached yet are left to it: the
reads ask only for rows up to the last page shown (``upto``), so a plan imported a moment
ago, all of it changed within the watermark's slack, is not read whole at every read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from convergio_tui.tui.poller import PlanDelta, PollRequest


@dataclass
class ReadState:
    """What the next read asks for, and what the last one changed."""

    first_page: int = 0  # task rows of a plan's first read (0: every row at once)
    since: float | None = None  # the watermark (None: the next read is a plan's first)
    plan_id: int | None = None  # the plan the watermark is of
    loading: bool = False  # the rest of the plan's rows are being read, page by page
    load: int = 0  # which load (a page of an earlier one is dropped)
    upto: tuple[int, str] | None = None  # while loading: the last row shown (wave, code)
    check_ids: bool = False  # tasks were added or deleted: the next read checks the ids
    _asked_loading: bool = False  # the read in flight was asked for while loading

    def request(
        self,
        plan_id: int | None,
        *,
        force: bool,
        after_event: int | None,
        known: Callable[[], frozenset[int]],
    ) -> PollRequest:
        """The next read (``known``: the task ids shown, asked only for an id check)."""
        full = self.since is None or plan_id != self.plan_id
        if full:
            self.loading = False  # an earlier load is of no use any more
        self._asked_loading = self.loading
        check = self.check_ids and not full and not self.loading
        return PollRequest(
            plan_id,
            None if full else self.since,
            force=force or full,
            after_event=after_event,
            first_page=self.first_page if full else 0,
            known=known() if check else None,
            upto=self.upto if self.loading and not full else None,
        )

    def read(self, delta: PlanDelta) -> None:
        """A read was shown."""
        if delta.full:
            self.plan_id, self.since = delta.plan_id, delta.read_at
            self.loading = delta.more is not None
            self.upto = delta.more
            self.load += 1
        elif not self._asked_loading:
            self.since = delta.read_at
        if delta.task_ids is not None:
            self.check_ids = False

    def counted(self, tasks: int, known: int) -> bool:
        """The plan has ``tasks`` tasks, the table knows ``known``: True when the ids
        need a check (the next read is asked for at once)."""
        if tasks != known and not self.loading:
            self.check_ids = True
        return self.check_ids

    def paged(self, last: tuple[int, str]) -> None:
        """A page of the load was shown, ``last`` its last row (wave, code)."""
        self.upto = last

    def pages_done(self) -> None:
        """The load read its last page."""
        self.loading = False
        self.upto = None

    def forget(self) -> None:
        """The next read is a plan's first (another plan is shown)."""
        self.since = None
        self.loading = False
        self.upto = None
