"""Text from plans and agents made harmless before it reaches a terminal.

Task titles, prompts, gate evidence and agent output are written by people and programs
we do not control. On a terminal, an escape sequence in them can retitle the window
(OSC 0), write the clipboard (OSC 52), clear the screen (CSI 2J), fake a prompt with a
carriage return, or hide text behind a bidirectional override. :func:`printable` turns
every such character into visible, inert text: C0 controls and DEL into their Unicode
"control picture" (``ESC`` → ``␛``), C1 controls (``\\x9b`` is an 8-bit CSI) and
bidirectional overrides into ``\\x9b``/``\\u202e`` notation. What follows an escape
character (``]0;pwned``) is ordinary text once the escape is gone, so whole sequences
stay readable and none is interpreted.

Apply it where text is shown (the CLI's output, the dashboard's widgets), never where
it is stored: the store keeps what was written. Where a string is parsed as Rich or
Textual markup, use :func:`markup_safe` too, so ``[bold red]`` reads as written.
"""

from __future__ import annotations

import re

# ␀..␟ for C0, ␡ for DEL: one cell wide, visibly not what was sent.
_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
_TABLE[0x7F] = "\u2421"
_TABLE.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})
# Bidirectional embeddings, overrides and isolates reorder what a person reads.
_TABLE.update({code: f"\\u{code:04x}" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})
# The same characters as ranges (a class of ~70 escaped literals cost a millisecond to
# compile at every start of the CLI).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\r\n]+")

_MULTILINE = dict(_TABLE)
del _MULTILINE[ord("\n")], _MULTILINE[ord("\t")]  # kept: they only move the cursor on
# What multi-line text may not hold as it is: a page of output is searched, not translated.
_UNSAFE_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ONE_LINE = dict(_TABLE)
_ONE_LINE[ord("\t")] = " "


def printable(text: str, *, one_line: bool = False) -> str:
    """``text`` with every terminal control character made visible and inert.

    Newlines and tabs are kept (a ``\\r\\n`` line end becomes ``\\n``; a lone ``\\r``,
    which would let later text overwrite a line, does not). With ``one_line`` (a table
    cell, a title) each run of line breaks becomes one space and a tab a space.
    """
    if not text or _UNSAFE.search(text) is None:
        return text
    if one_line:
        return _LINE_BREAKS.sub(" ", text).translate(_ONE_LINE)
    if _UNSAFE_MULTILINE.search(text) is None:  # line breaks and tabs only: as it is
        return text
    return text.replace("\r\n", "\n").translate(_MULTILINE)


def one_line(text: str) -> str:
    """:func:`printable` for a table cell or a one-line field."""
    return printable(text, one_line=True)


def markup_safe(text: str, *, one_line: bool = False) -> str:
    """:func:`printable`, then Rich/Textual markup escaped, for APIs that parse markup
    (``notify``, border titles, Rich's ``TextColumn``)."""
    from rich.markup import escape  # only the callers that render markup pay for Rich

    return escape(printable(text, one_line=one_line))
