"""Load YAML while remembering the line of every key, so errors can name file:line:key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from convergio_tui.config.errors import Problem

Loc = tuple[str | int, ...]


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


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int], file: str) -> Any:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (
                yaml.safe_load(yaml.serialize(key_node))
                if key_node.tag != "tag:yaml.org,2002:str"
                else key_node.value
            )
            if isinstance(key, bool | float) or key is None:
                key = str(key_node.value)
            child = (*loc, key)
            if key in result:
                raise _DuplicateKey(
                    Problem(
                        file,
                        key_node.start_mark.line + 1,
                        ".".join(map(str, child)),
                        "duplicate key",
                    )
                )
            lines[child] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, child, lines, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, i), lines, file) for i, item in enumerate(node.value)]
    return (
        yaml.safe_load(yaml.serialize(node)) if node.tag != "tag:yaml.org,2002:str" else node.value
    )


class _DuplicateKey(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def load_located(path: Path) -> LocatedYaml:
    """Parse ``path``; raise ``InputError`` subclass-agnostic ``ValueError`` with a Problem.

    Raises ``LocatedYamlError`` carrying a :class:`Problem` for unreadable files, YAML
    syntax errors and duplicate keys.
    """
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LocatedYamlError(Problem(file, None, "", "file not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LocatedYamlError(Problem(file, None, "", f"cannot read: {exc}")) from None
    return load_located_text(text, file)


def load_located_text(text: str, file: str) -> LocatedYaml:
    """Parse YAML ``text`` that came from ``file`` (used for messages)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise LocatedYamlError(
            Problem(file, line, "", f"YAML syntax error: {exc.problem}")
        ) from None
    lines: dict[Loc, int] = {}
    if node is None:
        return LocatedYaml(file, {}, lines)
    try:
        data = _construct(node, (), lines, file)
    except _DuplicateKey as dup:
        raise LocatedYamlError(dup.problem) from None
    except yaml.YAMLError as exc:
        raise LocatedYamlError(Problem(file, None, "", f"YAML error: {exc}")) from None
    return LocatedYaml(file, data, lines)


class LocatedYamlError(Exception):
    """A YAML file could not be parsed; carries the problem with its location."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem
