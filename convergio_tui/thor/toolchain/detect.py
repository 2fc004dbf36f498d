"""Detect a project's own lint, test and build commands from its files.

Precedence, per gate: a Makefile target of the gate's name wins alone (the project chose
that entry point, and it usually wraps the toolchain with the project's own flags and
set-up); otherwise every toolchain found contributes its command, in the order Python,
Node, Rust, Go (a repository with two toolchains has both checked). Nothing is ever
detected for ``perf``: only the project knows what its performance check is.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from convergio_tui import settled
from convergio_tui.thor.toolchain.files import ProjectFiles
from convergio_tui.thor.toolchain.model import GATES, Found, GateName
from convergio_tui.thor.toolchain.others import detect_go, detect_make, detect_node, detect_rust
from convergio_tui.thor.toolchain.python import detect_python

Detection = dict[GateName, tuple[Found, ...]]
DETECTION_KEY = "toolchain:"  # a root's answer is kept in settled.py under this + the root


def detect(root: Path) -> Detection:
    """The commands detected for each gate of the project at ``root`` (reads files only;
    an empty tuple where nothing was found). Given again while every file and folder it
    looked at is provably unchanged (:func:`convergio_tui.settled.remembered`): Thor
    reviews every task of a plan against the same project checkout, and reading its files
    again each time (a test-file search of up to 5,000 entries included) is only needed
    once they change."""
    root = root.expanduser().resolve()  # a venv's interpreter is named by absolute path
    if not root.is_dir():
        return {gate: () for gate in GATES}

    def read() -> tuple[Detection, Iterable[str]]:
        files = ProjectFiles(root)
        return _detect(files), files.looked_at

    return settled.remembered(f"{DETECTION_KEY}{root}", read, dict)


def _detect(files: ProjectFiles) -> Detection:
    make = detect_make(files)
    toolchains = [
        *detect_python(files),
        *detect_node(files),
        *detect_rust(files),
        *detect_go(files),
    ]
    detection: Detection = {}
    for gate in GATES:
        from_make = tuple(f for f in make if f.gate == gate)
        detection[gate] = from_make or tuple(f for f in toolchains if f.gate == gate)
    return detection
