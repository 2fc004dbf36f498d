"""Fixtures for dashboard tests: the seeded sample plan and an app polling it fast."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.db import close_database
from convergio_tui.tui.app import ConvergioApp, create_app


@pytest.fixture
def sample(isolated_home: Path, shipped_config: Config) -> Iterator[sample_data.SampleIds]:
    """The sample plan (T2-03 escalated after three rounds) in a fresh database."""
    ids = sample_data.seed(
        isolated_home / "convergio.db", shipped_config, logs_dir=isolated_home / "logs"
    )
    yield ids
    close_database()


def make_app(home: Path, config: Config, plan_id: int | None) -> ConvergioApp:
    """The dashboard on the sample, polling fast, at the sample's fixed moment."""
    return create_app(
        home / "convergio.db",
        sample_data.sample_config(config),
        plan_id,
        poll_interval_s=0.1,
        clock=lambda: sample_data.SAMPLE_NOW,
    )
