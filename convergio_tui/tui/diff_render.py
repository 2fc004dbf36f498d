"""A task's diff as the diff view's lines: file headers, hunks, syntax-highlighted code.

Runs on the diff view's worker thread, never on the UI thread. Every path and line of
code was written by an agent, so each goes through ``textsafe.printable`` before it is
styled: an escape sequence in a file shows as ``␛[2J``, inert. Code is highlighted a hunk
at a time (Pygments, by the file's name, through Textual's ``highlight``, so the colours
follow the theme); an added line has a green fill to the right edge, a removed one red.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import _TokenType
from pygments.util import ClassNotFound
from textual.content import Content, Span
from textual.highlight import HighlightTheme

from convergio_tui.engine.diff_parse import MAX_LINES_PER_FILE, MAX_TOTAL_LINES, FileDiff, Hunk
from convergio_tui.engine.task_diff import TaskDiff
from convergio_tui.textsafe import one_line, printable

STATUS_LETTER = {"added": "A", "deleted": "D", "modified": "M", "renamed": "R", "copied": "C"}
FILL = {"+": "on $success-muted", "-": "on $error-muted"}
MARK_STYLE = {"+": "bold $text-success", "-": "bold $text-error", " ": "", "\\": ""}
HEADER_FILL = "on $panel"
MAX_HIGHLIGHT_CHARS = 200_000  # a hunk longer than this is shown plain: Pygments is slow on it


@dataclass(frozen=True)
class RenderedDiff:
    """The view's lines with their fills, where each file starts, and the file list."""

    lines: tuple[Content, ...]
    fills: tuple[str | None, ...]
    starts: tuple[int, ...]  # line index of each file's header
    labels: tuple[Content, ...]  # one entry of the file list per file
    summary: Content
    key: tuple[str, str, str] = ("", "", "")  # base, head, problem: the same diff again?


@lru_cache(maxsize=256)
def language_of(path: str) -> str | None:
    """The Pygments language for ``path`` by its name (None: not known, shown plain)."""
    try:
        lexer = get_lexer_for_filename(path.rsplit("/", 1)[-1])
    except (ClassNotFound, ValueError):
        return None
    name = lexer.aliases[0] if lexer.aliases else None
    return None if name in (None, "text") else name


def _safe_code(text: str) -> str:
    # printable() leaves U+2028/U+2029 and NEL alone, but the highlighter would split
    # a line there: spelled out, like the other invisible characters.
    text = printable(text.rstrip("\r"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer:
    return get_lexer_by_name(language, stripnl=False, ensurenl=False)


_STYLE_OF: dict[_TokenType, str | None] = {}


def _style_of(token: _TokenType) -> str | None:
    """The theme's style for a token type (its nearest ancestor's), cached."""
    if token not in _STYLE_OF:
        found: _TokenType | None = token
        while found is not None and found not in HighlightTheme.STYLES:
            found = found.parent
        _STYLE_OF[token] = HighlightTheme.STYLES[found] if found is not None else None
    return _STYLE_OF[token]


def highlighted(code: list[str], language: str | None) -> list[list[Span]]:
    """The highlight spans of each line of ``code`` (safe lines, lexed together so a
    string or comment over several lines is one), offsets within its line. Textual's
    ``highlight`` would style the whole text and then split it: twice the work."""
    spans: list[list[Span]] = [[] for _ in code]
    if language is None or sum(len(c) for c in code) > MAX_HIGHLIGHT_CHARS:
        return spans
    try:
        tokens = _lexer(language).get_tokens("\n".join(code))
    except ClassNotFound:
        return spans
    row = col = 0
    for token, value in tokens:
        style = _style_of(token)
        for n, piece in enumerate(value.split("\n")):
            if n:
                row, col = row + 1, 0
            if row >= len(code):
                return spans
            if style and piece:
                spans[row].append(Span(col, col + len(piece), style))
            col += len(piece)
    return spans


def file_label(file: FileDiff) -> Content:
    """The file list's entry: change letter, added and removed counts, path."""
    path = one_line(file.path)
    if file.old_path:
        path = f"{one_line(file.old_path)} → {path}"
    return Content.assemble(
        (STATUS_LETTER.get(file.change, "M"), "bold"), " ",
        (f"+{file.added}", "$text-success"), " ", (f"−{file.removed}", "$text-error"), " ",
        path,
    )  # fmt: skip


def summary_of(diff: TaskDiff) -> Content:
    """The line over the view: what is compared, the totals, and any limit that applied."""
    if diff.problem:
        return Content.assemble((one_line(diff.label), "bold"), "\n", (printable(diff.problem), "$text-warning"))  # fmt: skip
    count = len(diff.files)
    parts: list[Content | str | tuple[str, str]] = [
        (one_line(diff.label), "bold"), "  ",
        f"{count} file{'s' if count != 1 else ''} ", (f"+{diff.added}", "$text-success"), " ",
        (f"−{diff.removed}", "$text-error"),
        (f"  {diff.base[:8]}..{diff.head[:8]}", "$text-muted"),
    ]  # fmt: skip
    if diff.merged:
        parts.append(("  merged: shown as it was just before its merge", "$text-muted"))
    if diff.cut_at_bytes:
        mb = diff.cut_at_bytes / 1e6
        parts.append((f"\nthe diff is over {mb:.0f} MB: files past that show their counts only",
                      "$text-warning"))  # fmt: skip
    return Content.assemble(*parts)


def _hunk_lines(
    hunk: Hunk, language: str | None, width: int
) -> tuple[list[Content], list[str | None]]:
    lines: list[Content] = [Content.styled(printable(hunk.header), "$text-accent")]
    fills: list[str | None] = [None]
    texts = [_safe_code(line.text) for line in hunk.lines]
    code_spans = highlighted(texts, language)
    for line, text, spans in zip(hunk.lines, texts, code_spans, strict=True):
        if line.kind == "\\":
            lines.append(Content.styled(f"{'':>{width * 2 + 2}}\\ {text}", "$text-muted italic"))
            fills.append(None)
            continue
        old = "" if line.old is None else str(line.old)
        new = "" if line.new is None else str(line.new)
        # One Content a line, the code's spans shifted past the gutter (assembling
        # parts costs more, on 20,000 lines).
        gutter = f"{old:>{width}} {new:>{width}} "
        at = len(gutter) + 2
        line_spans = [Span(0, len(gutter), "$text-muted")]
        if MARK_STYLE[line.kind]:
            line_spans.append(Span(len(gutter), len(gutter) + 1, MARK_STYLE[line.kind]))
        line_spans.extend(Span(span.start + at, span.end + at, span.style) for span in spans)
        lines.append(Content(f"{gutter}{line.kind} {text}", line_spans))
        fills.append(FILL.get(line.kind))
    return lines, fills


def _file_lines(file: FileDiff, cut: bool) -> tuple[list[Content], list[str | None]]:
    header = Content.assemble(" ", file_label(file), " ")
    lines: list[Content] = [header.stylize("bold")]
    fills: list[str | None] = [HEADER_FILL]
    lines.extend(Content.styled(f"  {printable(note)}", "$text-muted") for note in file.notes)
    fills.extend(None for _ in file.notes)
    if file.binary:
        lines.append(Content.styled("  binary file: not shown", "$text-muted italic"))
        fills.append(None)
    elif not file.hunks and (file.added or file.removed):
        why = "past the size limit of the diff" if cut else "not read"
        lines.append(Content.styled(f"  {file.added + file.removed:,} lines changed, {why}",
                                    "$text-warning"))  # fmt: skip
        fills.append(None)
    elif not file.hunks:
        lines.append(Content.styled("  no line changed", "$text-muted italic"))
        fills.append(None)
    numbers = [n for h in file.hunks for line in h.lines for n in (line.old, line.new) if n]
    width = len(str(max(numbers, default=1)))
    language = language_of(file.path)
    for hunk in file.hunks:
        more, more_fills = _hunk_lines(hunk, language, width)
        lines.extend(more)
        fills.extend(more_fills)
    if file.omitted:
        lines.append(Content.styled(
            f"  … {file.omitted:,} more lines of this file not shown (the view keeps the "
            f"first {MAX_LINES_PER_FILE:,} of a file, {MAX_TOTAL_LINES:,} in all)",
            "$text-warning"))  # fmt: skip
        fills.append(None)
    lines.append(Content(""))
    fills.append(None)
    return lines, fills


def render_diff(diff: TaskDiff, recorded_stat: str = "") -> RenderedDiff:
    """Every file of ``diff`` as lines, with the file list and summary; when git cannot
    give the diff, ``recorded_stat`` (the stat Thor recorded with an escalation) instead."""
    lines: list[Content] = []
    fills: list[str | None] = []
    starts: list[int] = []
    for file in diff.files:
        starts.append(len(lines))
        more, more_fills = _file_lines(file, bool(diff.cut_at_bytes))
        lines.extend(more)
        fills.extend(more_fills)
    if diff.problem and recorded_stat.strip():
        lines.append(Content.styled("The diff stat Thor recorded when it escalated:", "bold"))
        lines.extend(Content(printable(line)) for line in recorded_stat.splitlines())
        fills.extend(None for _ in range(len(lines) - len(fills)))
    if not diff.files and not diff.problem:
        lines.append(Content.styled("No change: the branch holds nothing its base does not.",
                                    "$text-muted italic"))  # fmt: skip
        fills.append(None)
    labels = tuple(file_label(f) for f in diff.files)
    key = (diff.base, diff.head, diff.problem)
    return RenderedDiff(tuple(lines), tuple(fills), tuple(starts), labels, summary_of(diff), key)
