"""Load YAML while remembering the line of every key, so errors can name file:line:key.

Loading is bounded, because a plan spec or a configuration is untrusted input: a file over
``MAX_FILE_BYTES``, nesting deeper than ``MAX_DEPTH`` (PyYAML's composer recurses once per
level and would die with ``RecursionError``), or more than ``MAX_NODES`` values, counted
after aliases are expanded (a 400-byte "billion laughs" file expands to 10⁹), is refused
with a located :class:`Problem` before anything is built. See docs/input-limits.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from convergio_tui.config.errors import Problem
from convergio_tui.config.limits import MAX_DEPTH, MAX_EXPANDED_CHARS, MAX_FILE_BYTES, MAX_NODES

Loc = tuple[str | int, ...]
_STR = "tag:yaml.org,2002:str"


@dataclass
class LocatedYaml:
    """Plain data loaded from YAML plus the 1-based line of each key path."""

    file: str
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of ``loc`` or of its nearest located ancestor."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None

    def problem(self, loc: Loc, message: str) -> Problem:
        """A problem anchored at ``loc`` (dotted key, with the nearest known line)."""
        key = ".".join(str(p) for p in loc)
        return Problem(self.file, self.line_of(loc), key, message)


class LocatedYamlError(Exception):
    """A YAML file could not be parsed; carries the problem with its location."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class _BoundedLoader(yaml.SafeLoader):
    """A safe loader whose composer refuses deep nesting and huge node counts early,
    before its own recursion or the scan of the rest of a huge file costs anything."""

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self.file = file
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        """Compose one node, counting its depth and the nodes composed so far."""
        # types-PyYAML leaves Parser.peek_event unannotated.
        line = int(self.peek_event().start_mark.line) + 1  # type: ignore[no-untyped-call]
        self.depth += 1
        self.nodes += 1
        if self.depth > MAX_DEPTH:
            raise LocatedYamlError(Problem(self.file, line, "",
                f"nested more than {MAX_DEPTH} levels deep: flatten this structure"))  # fmt: skip
        if self.nodes > MAX_NODES:
            raise LocatedYamlError(Problem(self.file, line, "",
                f"more than {MAX_NODES} values in one file: split it"))  # fmt: skip
        try:
            # types-PyYAML says ``index: int``; PyYAML also passes a mapping's key node.
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self.depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Refuse a graph whose aliases expand past ``MAX_NODES`` values or ``MAX_DEPTH``
    levels, or refer to a collection that contains them (a cycle).

    Aliases compose to shared nodes, so this walks each node once (memoised) and never
    builds the expansion; its recursion is bounded by ``MAX_DEPTH``.
    """
    seen: dict[int, tuple[int, int, int]] = {}  # id -> expanded (values, height, chars)
    open_: set[int] = set()

    def refuse(node: yaml.Node, message: str) -> LocatedYamlError:
        return LocatedYamlError(Problem(file, _line(node), "", message))

    def measure(node: yaml.Node, depth: int) -> tuple[int, int, int]:
        known = seen.get(id(node))
        if known is None:
            if id(node) in open_:
                raise refuse(node, "an alias refers to a collection that contains it")
            open_.add(id(node))
            size, height = 1, 1
            chars = len(node.value) if isinstance(node, yaml.ScalarNode) else 0
            for child in _children(node):
                child_size, child_height, child_chars = measure(child, depth + 1)
                size, height = size + child_size, max(height, child_height + 1)
                chars += child_chars
                if size > MAX_NODES:
                    raise refuse(node, f"aliases expand this to more than {MAX_NODES} values "
                                 "(an alias bomb?): write the values out or reuse less")  # fmt: skip
                if chars > MAX_EXPANDED_CHARS:
                    raise refuse(node, "aliases expand this to more than "
                                 f"{MAX_EXPANDED_CHARS // (1024 * 1024)} MiB of text (an alias "
                                 "bomb?): write the values out or reuse less")  # fmt: skip
            open_.discard(id(node))
            known = seen[id(node)] = (size, height, chars)
        if depth + known[1] - 1 > MAX_DEPTH:
            raise refuse(node, f"aliases nest this more than {MAX_DEPTH} levels deep")
        return known

    measure(root, 1)


def _scalar(node: yaml.Node, loc: Loc, file: str) -> Any:
    if node.tag == _STR:
        return node.value
    try:
        # What ``safe_load`` builds for this node (its tag is resolved): an int, a float,
        # a bool, null, a timestamp... A constructor per scalar: it remembers its nodes.
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        # e.g. an integer of more digits than Python converts (ValueError).
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LocatedYamlError(
            Problem(file, _line(node), ".".join(map(str, loc)), f"unreadable value: {message}")
        ) from None


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int], file: str) -> Any:
    lines.setdefault(loc, _line(node))
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise LocatedYamlError(Problem(file, _line(key_node), ".".join(map(str, loc)),
                                               "a key must be a plain value, not a list or mapping"))  # fmt: skip
            key = _scalar(key_node, loc, file)
            if isinstance(key, bool | float) or key is None:
                key = str(key_node.value)
            child = (*loc, key)
            if key in result:
                raise LocatedYamlError(
                    Problem(file, _line(key_node), ".".join(map(str, child)), "duplicate key")
                )
            lines[child] = _line(key_node)
            result[key] = _construct(value_node, child, lines, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, i), lines, file) for i, item in enumerate(node.value)]
    return _scalar(node, loc, file)


def load_located(path: Path) -> LocatedYaml:
    """Read and parse ``path``; raise :class:`LocatedYamlError` carrying a :class:`Problem`
    for unreadable or oversized files, YAML syntax errors, duplicate keys and any input
    past the limits above."""
    file = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # never more, whatever the file is
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise LocatedYamlError(Problem(file, None, "", "file not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LocatedYamlError(Problem(file, None, "", f"cannot read: {exc}")) from None
    if len(raw) > MAX_FILE_BYTES:
        raise LocatedYamlError(Problem(file, None, "",
            f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: split it, or keep long text "
            "in files of the repository and point at them"))  # fmt: skip
    return load_located_text(text, file)


def load_located_text(text: str, file: str) -> LocatedYaml:
    """Parse YAML ``text`` that came from ``file`` (used for messages)."""
    loader = None
    try:
        loader = _BoundedLoader(text, file)  # its reader refuses control characters here
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise LocatedYamlError(
            Problem(file, line, "", f"YAML syntax error: {exc.problem}")
        ) from None
    except yaml.reader.ReaderError as exc:  # a control character: located by position
        line = text.count("\n", 0, exc.position) + 1
        raise LocatedYamlError(Problem(file, line, "", f"character #x{exc.character:04x} is "
                                       "not allowed in YAML: remove it")) from None  # fmt: skip
    except yaml.YAMLError as exc:
        raise LocatedYamlError(Problem(file, None, "", f"YAML error: {exc}")) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[Loc, int] = {}
    if node is None:
        return LocatedYaml(file, {}, lines)
    _check_expansion(node, file)
    return LocatedYaml(file, _construct(node, (), lines, file), lines)
