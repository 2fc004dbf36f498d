"""What ``convergio --help`` and ``--version`` load and print: answered without click,
pydantic or Textual (cli/fast_help.py), word for word what click prints."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

SCRIPT = shutil.which("convergio") or "convergio"
CLICK_PAGE = (
    "import sys\n"
    "from convergio_tui.cli.group import cli\n"
    "cli.main(sys.argv[1:], prog_name='convergio')\n"
)


def run(argv: list[str], columns: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = columns
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)


def imported(args: list[str]) -> set[str]:
    """Top-level packages the console script imports for ``args`` (``-X importtime``)."""
    done = run([sys.executable, "-X", "importtime", SCRIPT, *args])
    assert done.returncode == 0, done.stderr
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


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
