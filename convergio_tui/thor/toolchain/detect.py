"""Detect a project's own lint, test and build commands from its files.

Precedence, per gate: a Makefile target of the gate's name wins alone (the project chose
that entry point, and it usually wraps the toolchain with the project's own flags and
set-up); otherwise every toolchain found contributes its command, in the order Python,
Node, Rust, Go (a repository with two toolchains has both checked). Nothing is ever
detected for ``perf``: only the project knows what its performance check is.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from convergio_tui import settled
from convergio_tui.thor.toolchain.files import ProjectFiles
from convergio_tui.thor.toolchain.model import GATES, Found, GateName
from convergio_tui.thor.toolchain.others import detect_go, detect_make, detect_node, detect_rust
from convergio_tui.thor.toolchain.python import detect_python

Detection = dict[GateName, tuple[Found, ...]]

# root -> (what detection looked at: paths and their state, its answer). Thor reviews every
# task of a plan against the same project checkout; reading its files again each time
# (a test-file search of up to 5,000 entries included) is only needed once they change.
_known: dict[str, tuple[tuple[str, ...], settled.Signature, Detection]] = {}
_lock = threading.Lock()


def detect(root: Path) -> Detection:
    """The commands detected for each gate of the project at ``root`` (reads files only;
    an empty tuple where nothing was found). Given again while every file and folder it
    looked at is provably unchanged (:mod:`convergio_tui.settled`)."""
    root = root.expanduser().resolve()  # a venv's interpreter is named by absolute path
    if not root.is_dir():
        return {gate: () for gate in GATES}
    key = str(root)
    with _lock:
        known = _known.get(key)
    if known is not None and settled.look(known[0], time.time()) == known[1]:
        return dict(known[2])
    at = time.time()  # before reading: a change from here on keeps the answer from being kept
    files = ProjectFiles(root)
    detection = _detect(files)
    looked_at = tuple(files.looked_at)
    seen = settled.look(looked_at, at)
    if seen is not None:
        with _lock:
            _known[key] = (looked_at, seen, dict(detection))
    return detection


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
