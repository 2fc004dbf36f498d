"""A small fixed-size thread pool owned by the engine.

Not Textual's workers and not ``concurrent.futures`` (whose default sizing and
process-exit hooks are surprises here): at most ``size`` named, non-daemon threads that
start on demand, run submitted callables in order, and exit on :meth:`shutdown`. Each
thread closes its own database connection when it ends.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from convergio_tui.store.db import close_database

log = logging.getLogger(__name__)

Job = Callable[[], None]


class EnginePool:
    """Runs jobs on up to ``size`` threads named ``<name>-<n>``."""

    def __init__(self, size: int, name: str = "convergio-worker") -> None:
        self.size = max(1, size)
        self.name = name
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._busy = 0  # jobs submitted and not finished
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, job: Job) -> None:
        """Queue ``job``; a thread starts when jobs outnumber threads and the pool is not full."""
        with self._lock:
            if self._closed:
                raise RuntimeError("pool is shut down")
            self._busy += 1
            if self._busy > len(self._threads) and len(self._threads) < self.size:
                thread = threading.Thread(
                    target=self._loop, name=f"{self.name}-{len(self._threads) + 1}"
                )
                self._threads.append(thread)
                thread.start()
        self._jobs.put(job)

    def _loop(self) -> None:
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                try:
                    job()
                except Exception:  # a job reports its own failures; never lose the thread
                    log.exception("engine job failed")
                with self._lock:
                    self._busy -= 1
        finally:
            close_database()

    def shutdown(self, wait: bool = True) -> None:
        """Let queued jobs finish, then end every thread (joined when ``wait``)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._jobs.put(None)
        if wait:
            for thread in threads:
                thread.join()
