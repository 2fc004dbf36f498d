"""A vault's generation record and the atomic, private file writes the vault makes.

``<project>.generation`` beside ``<project>.vault`` holds the highest generation of that
vault opened or written on this machine. It only ever goes up; a vault file older than it
is a rollback. It is a plain record, not a secret: forging it can only make Convergio
refuse a vault, which anyone able to write the folder could do anyway.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from convergio_tui.tools.vault_errors import VaultTampered
from convergio_tui.tools.vault_format import MAX_GENERATION


def atomic_write(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` (mode 0600) through a temporary file and a rename:
    readers see the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class GenerationRecord:
    """The generation record of one project's vault."""

    def __init__(self, path: Path, project: str, vault_file: Path) -> None:
        """``path`` is the record, ``vault_file`` the vault it is about (for messages)."""
        self.path, self.project, self.vault_file = path, project, vault_file

    def read(self) -> int:
        """The recorded generation; 0 when there is no record."""
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            generation = doc["generation"]
            if doc.get("project") != self.project or type(generation) is not int:
                raise ValueError("not this project's record")
            if not 0 <= generation <= MAX_GENERATION:
                raise ValueError(f"generation {generation} out of range")
            return generation
        except FileNotFoundError:
            return 0
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise VaultTampered(
                f"{self.path}: unreadable generation record ({exc}); delete it to accept "
                f"{self.vault_file} as it is"
            ) from exc

    def raise_to(self, generation: int) -> None:
        """Record ``generation`` when it is higher (callers hold the vault's lock)."""
        if generation > self.read():
            atomic_write(self.path, json.dumps({"project": self.project, "generation": generation}))
