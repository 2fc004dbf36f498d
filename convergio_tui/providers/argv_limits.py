"""The operating system's limits on a command line, checked before a process is spawned.

Linux refuses ``execve`` with E2BIG when one argument or environment string is longer
than ``MAX_ARG_STRLEN`` (32 pages: 128 KiB with its NUL) or when all of them together,
with their pointers, pass ``ARG_MAX`` (a quarter of the stack limit: 2 MiB by default).
macOS has only the total (1 MiB). Providers that take the prompt as one argument
(copilot, gemini, opencode, and claude when its template places ``{prompt}``) therefore
cannot carry a prompt past 128 KiB. See docs/input-limits.md.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

MAX_ARG_STRLEN = 32 * 4096
# The import limit of a task prompt: under MAX_ARG_STRLEN with 32 KiB to spare for the
# rest of its argv element and for what Thor appends each round (8,000 characters each).
PROMPT_MAX_BYTES = 96 * 1024
DEFAULT_ARG_MAX = 2 * 1024 * 1024
_POINTER = 8  # each string also costs one pointer in the argv/envp arrays
_HEADROOM = 4096  # the kernel's own use of the same space (auxv, the exec path)


def arg_max() -> int:
    """This system's ``ARG_MAX`` (argv + environment), or 2 MiB when it cannot say."""
    try:
        value = os.sysconf("SC_ARG_MAX")
    except (AttributeError, ValueError, OSError):
        return DEFAULT_ARG_MAX
    return value if value > 0 else DEFAULT_ARG_MAX


def per_string_limit() -> int | None:
    """The limit on one argument or environment string, where the kernel has one."""
    return MAX_ARG_STRLEN if sys.platform.startswith("linux") else None


def _kib(size: int) -> str:
    return f"{size / 1024:.0f} KiB"


def argv_problem(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    string_limit: int | None = None,
    total_limit: int | None = None,
) -> str | None:
    """Why ``execve(argv, env)`` would fail with E2BIG, or None when it fits.

    ``string_limit`` and ``total_limit`` default to this system's limits.
    """
    string_limit = per_string_limit() if string_limit is None else string_limit
    total_limit = arg_max() if total_limit is None else total_limit
    total = 0
    # Sizes only; the message is written for the one string that does not fit. Every run
    # is checked, and the allow-listed environment alone is some forty strings.
    strings = [(None, a) for a in argv] + [(k, v) for k, v in env.items()]
    for name, text in strings:
        size = len(text.encode("utf-8", "surrogateescape")) + 1
        if name is not None:  # NAME=value
            size += len(name.encode("utf-8", "surrogateescape")) + 1
        total += size + _POINTER
        if string_limit is not None and size > string_limit:
            what = "one argument (the prompt?)" if name is None else f"environment variable {name}"
            return (
                f"the command line cannot be started: {what} is {_kib(size)}, and the "
                f"system refuses any single argument over {_kib(string_limit)}. Shorten the "
                "prompt (Thor's feedback lengthens it every round), or route the task to a "
                "provider that reads the prompt on stdin (claude without {prompt} in its cli)"
            )
    if total + _HEADROOM > total_limit:
        return (
            f"the command line cannot be started: its arguments and environment come to "
            f"{_kib(total)}, over the system's limit of {_kib(total_limit - _HEADROOM)}. "
            "Shorten the prompt or the provider's env and vault values"
        )
    return None
