"""What every screen needs: where the data is, the configuration, the plan, services."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui.config.schema import Config
from convergio_tui.engine.supervisor import EngineSupervisor
from convergio_tui.tui.tailer import LogTailer

DEMO_LABEL = "DEMO · simulated agents"


@dataclass
class DashboardContext:
    """Shared by the app and its screens; ``plan_id`` changes when the user switches plan."""

    db_path: Path
    config: Config
    plan_id: int | None = None
    run: bool = False
    clock: Callable[[], float] = time.time
    poll_interval_s: float = 0.5
    tailer: LogTailer = field(default_factory=LogTailer)
    engine: EngineSupervisor | None = None
    demo: bool = False  # ``convergio demo``: simulated agents, said on screen
    # Task rows of a plan's first read (what the screen shows first), then of each page of
    # the rest, read while the screen is up.
    first_page: int = 200
    task_page: int = 2500

    def engine_label(self) -> str:
        """Who executes the plan, for the header."""
        if self.engine is not None:
            return f"in this dashboard ({self.engine.state})"
        return "watching the database"
