"""Architecture: engine-side packages never import Textual; the CLI starts without it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import run_cli

ENGINE_SIDE = ["config", "store", "engine", "thor", "tools", "providers"]


@pytest.mark.parametrize("package", ENGINE_SIDE)
def test_engine_side_package_does_not_import_textual(package: str) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"import convergio_tui.{package} as pkg\n"
        "for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(len(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


def test_help_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "from convergio_tui.cli import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "print('textual' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip().endswith("False"), result.stdout + result.stderr
    assert "dashboard" in result.stdout and "harden" in result.stdout


def test_init_writes_config_once_and_creates_database(tmp_path) -> None:
    target = tmp_path / "proj"
    db = tmp_path / "c.db"
    first = run_cli("--db", str(db), "init", str(target))
    assert first.returncode == 0, first.stderr
    assert (target / "orchestrator.yaml").is_file() and db.is_file()
    (target / "orchestrator.yaml").write_text("# edited\n")
    second = run_cli("--db", str(db), "init", str(target))
    assert second.returncode == 0 and "left unchanged" in second.stdout
    assert (target / "orchestrator.yaml").read_text() == "# edited\n"


def test_demo_command_exists_and_unknown_command_is_usage_error() -> None:
    assert run_cli("--help").returncode == 0
    bad = run_cli("frobnicate")
    assert bad.returncode == 2 and "No such command" in bad.stderr
