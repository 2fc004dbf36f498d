"""Provider health re-checked on its own thread while a plan runs.

A check may take up to ``health.check_timeout_s`` (a CLI's cold start, an API that does
not answer); done on the scheduler's thread it would hold every dispatch that long. The
watcher calls :func:`engine.health.refresh` a few times a second (it only probes what is
due) and tells the scheduler when something was checked, so routing reads the new state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from convergio_tui.config.schema import Config
from convergio_tui.engine import health
from convergio_tui.store.db import close_database

log = logging.getLogger(__name__)

INTERVAL_S = 0.25


class HealthWatch:
    """Runs :func:`health.refresh` in a loop until :meth:`stop`; ``on_change`` is called
    (from the watcher's thread) after a refresh that checked something."""

    def __init__(self, config: Config, secrets: Mapping[str, str],
                 on_change: Callable[[], None]) -> None:  # fmt: skip
        self._config = config
        self._secrets = dict(secrets)
        self._on_change = on_change
        self._stop = threading.Event()
        self._changed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="convergio-health", daemon=True)

    def start(self) -> HealthWatch:
        """Start the thread."""
        self._thread.start()
        return self

    def take_changed(self) -> bool:
        """Whether a refresh checked something since the last call."""
        changed = self._changed.is_set()
        self._changed.clear()
        return changed

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the refresh under way (probes are bounded by their timeout)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        last_error = ""
        try:
            while not self._stop.is_set():
                try:
                    if health.refresh(self._config, secrets=self._secrets):
                        self._changed.set()
                        self._on_change()
                except Exception as exc:  # a broken check must not end the plan: say it once
                    if str(exc) != last_error:
                        log.warning("provider health check failed: %s", exc)
                    last_error = str(exc)
                self._stop.wait(INTERVAL_S)
        finally:
            close_database()  # this thread's own connection
