"""``convergio dashboard``: argument errors exit 2 before any screen is drawn."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

from convergio_tui.store.db import close_database, open_database


def test_run_needs_a_plan(tmp_path: Path) -> None:
    result = run_cli("--db", str(tmp_path / "c.db"), "dashboard", "--run")
    assert result.returncode == 2 and "--run needs a PLAN" in result.stderr
    assert not (tmp_path / "c.db").exists()


def test_unknown_plan_is_a_usage_error(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    open_database(db)
    close_database()
    result = run_cli("--db", str(db), "dashboard", "no-such-plan")
    assert result.returncode == 2 and "no plan 'no-such-plan'" in result.stderr


def test_help_names_the_options() -> None:
    result = run_cli("dashboard", "--help")
    assert result.returncode == 0
    assert "--run" in result.stdout and "--theme" in result.stdout and "[PLAN]" in result.stdout
