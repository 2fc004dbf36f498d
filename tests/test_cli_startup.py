"""What the CLI loads to start: ``--help`` and ``--version`` answered without click,
pydantic or Textual (cli/fast_help.py), word for word what click prints; read commands
import only the parts they use."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from convergio_tui import paths

SCRIPT = shutil.which("convergio") or "convergio"
CLICK_PAGE = (
    "import sys\n"
    "from convergio_tui.cli.group import cli\n"
    "cli.main(sys.argv[1:], prog_name='convergio')\n"
)


def run(argv: list[str], columns: str | None = None,
        cwd: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, cwd=cwd)


# Runs the CLI's entry point as the console script does and prints every module loaded
# (importtime cannot see a module imported with importlib, as the CLI loads commands).
LOADED = (
    "import atexit, sys\n"
    "atexit.register(lambda: print(*sorted(sys.modules), file=sys.stderr))\n"
    "from convergio_tui.cli import main\n"
    "main(sys.argv[1:])\n"
)


def modules_of(args: list[str], cwd: Path | None = None) -> set[str]:
    """Every module ``convergio ARGS`` has loaded when it exits; it must succeed."""
    done = run([sys.executable, "-c", LOADED, *args], cwd=cwd)
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


def imported(args: list[str]) -> set[str]:
    """Top-level packages ``convergio ARGS`` loads."""
    return {name.split(".")[0] for name in modules_of(args)}


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"]])
def test_help_and_version_import_no_heavy_library(args: list[str]) -> None:
    names = imported(args)
    assert "convergio_tui" in names
    assert not names & {"click", "pydantic", "textual", "rich", "peewee", "yaml"}, names


@pytest.mark.parametrize("columns", [None, "80", "200", "60", "40"])
@pytest.mark.parametrize("args", [["--help"], ["-h"], ["--version"]])
def test_the_page_is_clicks_page(args: list[str], columns: str | None) -> None:
    """Same page at every width (click takes over where it would wrap a line)."""
    fast = run([SCRIPT, *args], columns)
    slow = run([sys.executable, "-c", CLICK_PAGE, *args], columns)
    assert (fast.returncode, fast.stdout, fast.stderr) == (0, slow.stdout, slow.stderr)
    assert "dashboard" in fast.stdout or "version" in fast.stdout


def test_any_other_invocation_goes_through_click() -> None:
    done = run([SCRIPT, "--help", "--bogus"])
    assert done.returncode == 2 and "No such option" in done.stderr
    assert "Usage: convergio budget" in run([SCRIPT, "budget", "--help"]).stdout


def test_the_query_package_lists_each_name_once_and_imports_it_on_use() -> None:
    from convergio_tui.store import queries

    exported = [name for names in queries._EXPORTS.values() for name in names]
    assert sorted(exported) == sorted(queries.__all__) and len(set(exported)) == len(exported)
    for module, names in queries._EXPORTS.items():
        for name in names:
            defined = getattr(
                __import__(f"convergio_tui.store.queries.{module}", fromlist=["x"]), name
            )
            assert getattr(queries, name) is defined


def test_read_commands_import_only_their_own_parts(tmp_path: Path) -> None:
    """A configuration from the cache loads no YAML or validator; ``budget`` loads the
    ledger's reads, not the plan ones, and once the database exists not even click or
    peewee; nothing here starts Textual."""
    config = tmp_path / "orchestrator.yaml"
    config.write_text(paths.shipped_config_path().read_text())
    opts = ["--config", str(config), "--db", str(tmp_path / "c.db")]
    first = modules_of([*opts, "route", "--type", "coding"], tmp_path)
    assert "convergio_tui.config.loader" in first  # the miss: parsed and validated
    again = modules_of([*opts, "route", "--type", "coding"], tmp_path)
    assert not {"yaml", "convergio_tui.config.loader", "textual", "peewee"} & again
    spent = modules_of([*opts, "budget", "--json"], tmp_path)  # creates the database
    assert "convergio_tui.store.ledger_sql" in spent
    assert not {"convergio_tui.store.queries.plans", "yaml", "textual"} & spent
    quick = modules_of([*opts, "budget", "--json"], tmp_path)  # cli/quick.py
    assert not {"click", "peewee", "pydantic", "yaml", "textual"} & quick
