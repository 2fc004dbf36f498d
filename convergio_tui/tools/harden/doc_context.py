"""Where in a file a value sits: a test file, a docstring, a doctest, a regex literal,
a type annotation. Pure text inspection, computed only for files with a finding.

These are the facts verdict.py weighs; none of them alone says a value is harmless.
"""

from __future__ import annotations

import bisect
import os
import re
from functools import cached_property

# Folders whose files are tests or their data.
TEST_DIRS = frozenset(
    {"test", "tests", "testing", "__tests__", "spec", "specs", "fixtures", "__fixtures__",
     "testdata", "test_data", "test-data", "__mocks__", "mocks"}
)  # fmt: skip
_TEST_NAME = re.compile(
    r"(?:^test_.*\.py$|^conftest\.py$|_tests?\.[a-z]+$|\.(?:test|spec)\.[a-z]+$"
    r"|(?:Test|Tests|Spec)\.(?:java|kt|cs|scala|swift|php|groovy)$)"
)
# Languages where an unquoted word after ``name:`` or ``name =`` is code, not a value
# (shell, .env, YAML, INI and properties files are not among them).
CODE_SUFFIXES = frozenset(
    {".py", ".pyi", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".java", ".kt", ".kts",
     ".scala", ".go", ".rs", ".rb", ".php", ".cs", ".swift", ".c", ".h", ".cc", ".cpp",
     ".hpp", ".m", ".dart", ".lua", ".groovy"}
)  # fmt: skip
_TRIPLE = re.compile(r"\"\"\"|'''")
_STRING_PREFIX = frozenset({"", "r", "u", "b", "f", "br", "rb", "fr", "rf"})
# Syntax that only a regular expression has (escapes, groups, classes, quantifiers).
_REGEX_SYNTAX = re.compile(
    r"\\[dDwWsSbB]|\\[.+*?()\[\]{}|^$]|\(\?[:=!<PiImsx]|\[\^|\[[0-9a-zA-Z]-[0-9a-zA-Z]"
    r"|[\])][+*?]|[\])]\{\d+(?:,\d*)?\}"
)
# Outside a literal (a JavaScript /regex/, a grep pattern) only unmistakable syntax counts.
_REGEX_STRONG = re.compile(r"\\[dDwWsS]|\(\?[:=!<P]|[\])]\{\d+(?:,\d*)?\}")
_REGEX_CALL = re.compile(
    r"\b(?:re\.(?:compile|match|fullmatch|search|sub|subn|findall|finditer|split)"
    r"|regexp?\.(?:MustCompile|Compile)|RegExp|Regex|Pattern\.compile)\s*\(|=~|!~"
)
_QUOTES = "\"'`"


def is_test_path(path: str) -> bool:
    """True for a file of a test suite: under a test folder or named like a test."""
    parts = path.replace("\\", "/").split("/")
    if any(part.lower() in TEST_DIRS for part in parts[:-1]):
        return True
    return bool(_TEST_NAME.search(parts[-1]))


def _escaped(text: str, pos: int) -> bool:
    """True when the character at ``pos`` is escaped by an odd run of backslashes."""
    count = 0
    while pos - count - 1 >= 0 and text[pos - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def python_doc_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the triple-quoted strings that stand alone as a statement: docstrings
    (and the module's bare string notes). ``x = \"\"\"...\"\"\"`` is data, not one."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while (m := _TRIPLE.search(text, pos)) is not None:
        quote, start = m.group(), m.start()
        end = text.find(quote, m.end())
        while end != -1 and _escaped(text, end):
            end = text.find(quote, end + 1)
        end = len(text) if end == -1 else end + 3
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip().lower() in _STRING_PREFIX:
            spans.append((line_start, end))
        pos = end
    return spans


class FileView:
    """Facts about one scanned text, each computed on first use."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.suffix = os.path.splitext(path)[1].lower()

    @cached_property
    def is_test(self) -> bool:
        """The file belongs to a test suite."""
        return is_test_path(self.path)

    @property
    def is_code(self) -> bool:
        """The file is source code of a language with typed or bare identifiers."""
        return self.suffix in CODE_SUFFIXES

    @cached_property
    def _doc_spans(self) -> tuple[list[int], list[int]]:
        if self.suffix not in (".py", ".pyi"):
            return [], []
        spans = python_doc_spans(self.text)
        return [a for a, _ in spans], [b for _, b in spans]

    def in_docstring(self, pos: int) -> bool:
        """``pos`` lies inside a docstring of a Python file."""
        starts, ends = self._doc_spans
        i = bisect.bisect_right(starts, pos) - 1
        return i >= 0 and pos < ends[i]

    def in_doctest(self, line_start: int) -> bool:
        """The line is a doctest: a ``>>>``/``...`` prompt, or the output printed under
        one (the lines after a prompt, up to a blank line)."""
        text = self.text
        end = text.find("\n", line_start)
        line = text[line_start : len(text) if end == -1 else end].lstrip()
        if line.startswith((">>>", "... ")):
            return True
        pos = line_start
        for _ in range(20):  # a doctest's output is short; do not walk the whole file
            if pos == 0:
                return False
            prev_start = text.rfind("\n", 0, pos - 1) + 1
            prev = text[prev_start : pos - 1].strip()
            if not prev:
                return False
            if prev.startswith(">>>"):
                return True
            pos = prev_start
        return False


def line_bounds(text: str, pos: int) -> tuple[int, int]:
    """Start and end offsets of the line holding ``pos``."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end == -1 else end


def enclosing_literal(line: str, start: int, end: int) -> str | None:
    """The string literal around ``line[start:end]`` (its content), or None."""
    for i in range(start - 1, -1, -1):
        quote = line[i]
        if quote in _QUOTES:
            close = line.find(quote, end)
            return line[i + 1 : close] if close != -1 else None
    return None


def in_regex(line: str, start: int, end: int) -> bool:
    """The value is part of a regular expression: its string literal (or, outside any
    literal, its line) has syntax only a regex has, or the line compiles a pattern."""
    if _REGEX_CALL.search(line):
        return True
    literal = enclosing_literal(line, start, end)
    if literal is None:
        return bool(_REGEX_STRONG.search(line))
    return bool(_REGEX_SYNTAX.search(literal))
