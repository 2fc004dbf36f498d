"""What a command prints, without click: text with terminal controls neutralised, one
JSON document, a line in the alert colour. The click commands and the quick commands
(cli/quick.py) both write through here, so their output is the same byte for byte.
"""

from __future__ import annotations

import sys
from typing import Any

from convergio_tui.textsafe import printable


def lines_text(lines: list[str]) -> str:
    """``lines`` as printed: each neutralised (titles, evidence and agent errors may hold
    escape sequences that would otherwise drive the terminal) and ended by a newline."""
    return "".join(printable(line) + "\n" for line in lines)


def json_text(document: Any) -> str:
    """One JSON document as ``--json`` prints it."""
    import json  # only here: text output never needs it

    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"


def alert(text: str) -> str:
    """``text`` in bold red where stdout is a terminal, plain elsewhere (as click's
    ``secho`` shows it)."""
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is not None and isatty():
        return f"\x1b[31m\x1b[1m{text}\x1b[0m"
    return text


def write(text: str) -> None:
    """Write ``text`` (already neutralised) to stdout and flush."""
    sys.stdout.write(text)
    sys.stdout.flush()
