"""``git diff`` output (the unified format) as files, hunks and lines. Pure: text in, values out.

The text is what an agent's commits changed, so nothing here trusts it: a hunk ends when
the line counts of its ``@@`` header are used up (a removed line reading ``-- x`` is not a
file header), lines are split on ``\\n`` only (a form feed or U+2028 inside a line stays in
it), a header path git quoted is unquoted, and every limit is counted, never silently
applied: a file keeps at most ``max_lines_per_file`` diff lines and the whole diff at most
``max_total_lines``; what is left out is counted in :attr:`FileDiff.omitted`. Making the
text safe for a terminal is the caller's job, where it is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

MAX_LINES_PER_FILE = 1_000
MAX_TOTAL_LINES = 20_000

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_HEADER_NOTES = ("new file mode", "deleted file mode", "old mode", "new mode",
                 "similarity index", "dissimilarity index")  # fmt: skip


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk: ``kind`` is ``+``, ``-``, `` `` (context) or ``\\`` (a note
    such as "No newline at end of file"); the line numbers are the old and new file's."""

    kind: str
    text: str
    old: int | None
    new: int | None


@dataclass(frozen=True)
class Hunk:
    """An ``@@ -a,b +c,d @@`` header (with git's function context) and its lines."""

    header: str
    lines: tuple[DiffLine, ...]


@dataclass(frozen=True)
class FileDiff:
    """One changed file: its path (the new one; the old one too for a rename or copy),
    what happened to it, its line counts and the hunks kept."""

    path: str
    old_path: str | None = None
    change: str = "modified"  # added, deleted, modified, renamed, copied (not a status)
    binary: bool = False
    added: int = 0
    removed: int = 0
    hunks: tuple[Hunk, ...] = ()
    omitted: int = 0  # diff lines counted but not kept (a limit)
    notes: tuple[str, ...] = ()  # header lines worth showing: modes, similarity

    @property
    def kept_lines(self) -> int:
        """How many diff lines the hunks hold."""
        return sum(len(h.lines) for h in self.hunks)


@dataclass
class _Building:
    """A file while its section is being read."""

    path: str
    old_path: str | None = None
    change: str = "modified"
    binary: bool = False
    added: int = 0
    removed: int = 0
    hunks: list[Hunk] = field(default_factory=list)
    omitted: int = 0
    notes: list[str] = field(default_factory=list)
    kept: int = 0

    def done(self) -> FileDiff:
        renamed = self.old_path if self.old_path != self.path else None
        return FileDiff(self.path, renamed, self.change, self.binary, self.added, self.removed,
                        tuple(self.hunks), self.omitted, tuple(self.notes))  # fmt: skip


def unquote_path(text: str) -> str:
    """A path as git prints it in a header: ``"a/t\\303\\251\\tx"`` is ``a/té<TAB>x``;
    an unquoted one is returned as it is."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    out = bytearray()
    body, i = text[1:-1], 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 == len(body):
            out += char.encode("utf-8")
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in "01234567" and re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
            out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
            i += 4
        else:
            out.append(_ESCAPES.get(nxt, ord(nxt) if nxt.isascii() else 63))
            i += 2
    return out.decode("utf-8", errors="replace")


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path


def _header_path(rest: str) -> str:
    """The path of ``diff --git a/X b/X`` (``rest`` is after ``diff --git ``): the
    fallback for a section with no ``---``/``+++`` lines (binary, mode or rename only)."""
    if rest.startswith('"'):
        end = rest.find('" ', 1)
        while end > 0 and rest[end - 1] == "\\":
            end = rest.find('" ', end + 1)
        second = rest[end + 2 :] if end > 0 else rest
        return _strip_prefix(unquote_path(second), "b/")
    if rest.endswith('"'):
        return _strip_prefix(unquote_path(rest[rest.rfind(' "') + 1 :]), "b/")
    # Unquoted and (without a rename) the same path twice: "a/X b/X".
    half = (len(rest) - 1) // 2
    if len(rest) % 2 == 1 and rest[half] == " " and rest[2:half] == rest[half + 3 :]:
        return rest[half + 3 :]
    return _strip_prefix(rest.rpartition(" ")[2], "b/")


def _file_path(text: str, prefix: str) -> str | None:
    """The path of a ``---``/``+++`` line's value (None for ``/dev/null``)."""
    text = text[:-1] if text.endswith("\t") else text  # git adds a tab after a name with a space
    if text == "/dev/null":
        return None
    return _strip_prefix(unquote_path(text), prefix)


class _Parser:
    """Reads the lines of one diff; :func:`parse_unified` is its only user."""

    def __init__(self, max_lines_per_file: int, max_total_lines: int) -> None:
        self.per_file = max_lines_per_file
        self.total_left = max_total_lines
        self.files: list[FileDiff] = []
        self.current: _Building | None = None
        self.hunk_lines: list[DiffLine] | None = None
        self.hunk_header = ""
        self.old_left = self.new_left = 0
        self.old_no = self.new_no = 0

    def feed(self, line: str) -> None:
        """Read the next line of the diff."""
        if self.hunk_lines is not None and (self.old_left > 0 or self.new_left > 0):
            self._hunk_line(line)
            return
        if self.hunk_lines is not None and line.startswith("\\"):
            self._keep(DiffLine("\\", line[1:].strip(), None, None))
            return
        self._close_hunk()
        if line.startswith("diff --git "):
            self._close_file()
            self.current = _Building(_header_path(line[len("diff --git ") :]))
        elif self.current is None:
            return  # anything before the first file (a truncated start) is not a file's
        elif line.startswith("@@"):
            self._open_hunk(line)
        else:
            self._header_line(self.current, line)

    def _header_line(self, file: _Building, line: str) -> None:
        if line.startswith("--- "):
            old = _file_path(line[4:], "a/")
            file.old_path = old
            if old is None:
                file.change = "added"
        elif line.startswith("+++ "):
            new = _file_path(line[4:], "b/")
            if new is None:
                file.change = "deleted"
                file.path = file.old_path or file.path
            else:
                file.path = new
        elif line.startswith(("rename from ", "copy from ")):
            file.old_path = unquote_path(line.split(" ", 2)[2])
            file.change = "renamed" if line.startswith("rename") else "copied"
        elif line.startswith(("rename to ", "copy to ")):
            file.path = unquote_path(line.split(" ", 2)[2])
        elif line.startswith("new file mode"):
            file.change = "added"
            file.notes.append(line)
        elif line.startswith("deleted file mode"):
            file.change = "deleted"
            file.notes.append(line)
        elif line.startswith(_HEADER_NOTES):
            file.notes.append(line)
        elif line.startswith(("Binary files ", "GIT binary patch")):
            file.binary = True

    def _open_hunk(self, line: str) -> None:
        match = _HUNK.match(line)
        if match is None:
            return
        old_start, old_count, new_start, new_count = match.groups()
        self.old_no, self.new_no = int(old_start), int(new_start)
        self.old_left = 1 if old_count is None else int(old_count)
        self.new_left = 1 if new_count is None else int(new_count)
        self.hunk_header = line
        self.hunk_lines = []

    def _hunk_line(self, line: str) -> None:
        kind = line[:1] or " "  # a context line whose space a tool stripped
        text = line[1:]
        if kind == "+":
            entry = DiffLine("+", text, None, self.new_no)
            self.new_no += 1
            self.new_left -= 1
            self._count(added=1)
        elif kind == "-":
            entry = DiffLine("-", text, self.old_no, None)
            self.old_no += 1
            self.old_left -= 1
            self._count(removed=1)
        elif kind == "\\":
            entry = DiffLine("\\", text.strip(), None, None)
        else:
            entry = DiffLine(" ", text, self.old_no, self.new_no)
            self.old_no += 1
            self.new_no += 1
            self.old_left -= 1
            self.new_left -= 1
        self._keep(entry)

    def _count(self, *, added: int = 0, removed: int = 0) -> None:
        assert self.current is not None
        self.current.added += added
        self.current.removed += removed

    def _keep(self, entry: DiffLine) -> None:
        assert self.current is not None and self.hunk_lines is not None
        if self.current.kept >= self.per_file or self.total_left <= 0:
            self.current.omitted += 1
            return
        self.hunk_lines.append(entry)
        self.current.kept += 1
        self.total_left -= 1

    def _close_hunk(self) -> None:
        if self.current is not None and self.hunk_lines:
            self.current.hunks.append(Hunk(self.hunk_header, tuple(self.hunk_lines)))
        self.hunk_lines = None
        self.old_left = self.new_left = 0

    def _close_file(self) -> None:
        self._close_hunk()
        if self.current is not None:
            self.files.append(self.current.done())
        self.current = None

    def finish(self) -> list[FileDiff]:
        """The files read, the last one closed."""
        self._close_file()
        return self.files


def parse_unified(
    text: str,
    *,
    max_lines_per_file: int = MAX_LINES_PER_FILE,
    max_total_lines: int = MAX_TOTAL_LINES,
) -> list[FileDiff]:
    """The files of ``git diff`` output ``text`` (made with ``a/`` and ``b/`` prefixes),
    in the order git printed them. A hunk cut short (the text was cut) keeps what it has."""
    parser = _Parser(max_lines_per_file, max_total_lines)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    for line in lines:
        parser.feed(line)
    return parser.finish()


def with_counts(file: FileDiff, added: int, removed: int, binary: bool) -> FileDiff:
    """``file`` with the line counts (and binary flag) ``git diff --numstat`` gave."""
    return replace(file, added=added, removed=removed, binary=file.binary or binary)
