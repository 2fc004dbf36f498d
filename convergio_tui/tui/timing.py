"""How long the UI thread spends in each periodic job (read by the benchmark)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class TickTimings:
    """The last ``keep`` durations (seconds) of each named job."""

    def __init__(self, keep: int = 20_000) -> None:
        self._keep = keep
        self.samples: dict[str, deque[float]] = {}

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Time the body and record it under ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.samples.setdefault(name, deque(maxlen=self._keep)).append(
                time.perf_counter() - start
            )

    def clear(self) -> None:
        """Forget every sample (after warm-up)."""
        self.samples.clear()
