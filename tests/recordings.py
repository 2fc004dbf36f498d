"""The contract suite's recordings of real CLI output: one stable JSON file per case under
``tests/contract/recordings/<cli>/``, and the check every contract case ends with.

No tests here; each CLI's shape module (``claude_shapes``, ``gemini_shapes``,
``openai_shapes``) says what a shape is, this module stores and compares them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent / "contract" / "recordings"


def load(folder: Path, case: str) -> dict[str, Any]:
    """The stored recording of ``case`` in ``folder``."""
    return json.loads((folder / f"{case}.json").read_text(encoding="utf-8"))


def save(folder: Path, data: dict[str, Any]) -> Path:
    """Write one recording (sorted, stable JSON; one file per case)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{data['case']}.json"
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def record_or_compare(folder: Path, cli: str, case: str, data: dict[str, Any],
                      differences: Callable[[dict[str, Any], dict[str, Any]], list[str]]) -> None:  # fmt: skip
    """With ``CONVERGIO_RECORD=1`` store ``data``; else fail, naming what changed, when its
    shape differs from the stored recording of ``case``."""
    if os.environ.get("CONVERGIO_RECORD") == "1":
        save(folder, data)
        return
    path = folder / f"{case}.json"
    assert path.exists(), f"no recording {path.name}: run with CONVERGIO_RECORD=1 to make it"
    changed = differences(load(folder, case)["shape"], data["shape"])
    assert not changed, (
        f"the real {cli}'s output changed in case {case!r}:\n  " + "\n  ".join(changed)
        + "\nCheck the worker and the simulator, then run with CONVERGIO_RECORD=1."
    )  # fmt: skip
