"""The package uses the state machine (store/states.py) everywhere: every status string it
writes, compares or emits is a member of its kind's enum, and no module but
store/transitions.py writes a status column.

Read from the source with ``ast``, so a misspelt status (``"canceled"``) or a new direct
``Task.update(status=...)`` fails here before it fails a user.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pytest

import convergio_tui
from convergio_tui.store import states
from convergio_tui.store.states import Kind, SummaryStatus

PACKAGE = Path(convergio_tui.__file__).parent
# sim/ speaks the providers' own formats, whose "status" fields are theirs.
SKIPPED = ("sim",)

MODELS = {"Task": Kind.TASK, "Wave": Kind.WAVE, "Plan": Kind.PLAN, "Run": Kind.RUN,
          "Escalation": Kind.ESCALATION}  # fmt: skip
SUMMARY = "summary"  # RunSummary.status: SummaryStatus, not a stored kind
# The row a variable usually holds, by its name (``task.status``, ``self.head.status``).
HOLDERS: dict[str, Kind | str] = {
    "task": Kind.TASK, "t": Kind.TASK, "wave": Kind.WAVE, "w": Kind.WAVE, "plan": Kind.PLAN,
    "head": Kind.PLAN, "run": Kind.RUN, "last": Kind.RUN, "done": Kind.RUN,
    "esc": Kind.ESCALATION, "summary": SUMMARY,
}  # fmt: skip
# Events and calls that carry a status: name -> (kind, positional index, keyword).
CARRIERS: dict[str, tuple[Kind | str, int, str]] = {
    "TaskChanged": (Kind.TASK, 1, "status"), "WaveChanged": (Kind.WAVE, 2, "status"),
    "PlanChanged": (Kind.PLAN, 1, "status"), "RunFinished": (Kind.RUN, 3, "status"),
    "Executed": (Kind.RUN, 1, "status"), "summarize": (SUMMARY, 1, "status"),
    "move_task": (Kind.TASK, 1, "to"), "move_wave": (Kind.WAVE, 1, "to"),
    "move_plan": (Kind.PLAN, 1, "to"), "move_run": (Kind.RUN, 1, "to"),
}  # fmt: skip
WRITES = {"update", "create", "insert", "insert_many", "get_or_create", "replace"}
SQL_STATUS = re.compile(r"\bstatus\s*(?:=|!=|<>|IS NOT|IS)\s*'(\w+)'", re.IGNORECASE)


@dataclass(frozen=True)
class Use:
    """One status literal in the source."""

    where: str
    kind: Kind | str | None  # None: could be any kind's
    value: str


def allowed(kind: Kind | str | None) -> set[str]:
    if kind == SUMMARY:
        return {str(s) for s in SummaryStatus}
    if kind is None:
        every: list[type[StrEnum]] = [*states.STATUSES.values(), SummaryStatus]
        return {str(s) for enum in every for s in enum}
    return {str(s) for s in states.STATUSES[Kind(kind)]}


def _holder(node: ast.expr) -> Kind | str | None:
    """The kind of row ``node`` (the value of ``<node>.status``) holds, if known."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return MODELS.get(name) or HOLDERS.get(name)


def _literals(node: ast.expr | None) -> Iterator[ast.Constant | ast.Attribute]:
    """String constants and ``XStatus.MEMBER`` references in ``node`` (a tuple, list, set,
    a conditional expression, a ``sorted(...)``/``frozenset(...)`` around them)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id.endswith("Status"):
            yield node
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for elt in node.elts:
            yield from _literals(elt)
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)
    elif isinstance(node, ast.Call) and node.args:
        yield from _literals(node.args[0])


def _value(literal: ast.Constant | ast.Attribute) -> str:
    if isinstance(literal, ast.Constant):
        return str(literal.value)
    assert isinstance(literal.value, ast.Name)
    enum = getattr(states, literal.value.id, None)
    member = getattr(enum, literal.attr, None)
    return str(member) if member is not None else f"<no {literal.value.id}.{literal.attr}>"


class Finder(ast.NodeVisitor):
    """Collects every status literal written, compared or emitted in one module."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.uses: list[Use] = []

    def add(self, node: ast.expr | None, kind: Kind | str | None) -> None:
        for literal in _literals(node):
            self.uses.append(Use(f"{self.name}:{literal.lineno}", kind, _value(literal)))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if isinstance(func, ast.Attribute) and func.attr in WRITES:
            for kw in node.keywords:
                if kw.arg == "status":
                    self.add(kw.value, _holder(func.value))
        if isinstance(func, ast.Attribute) and func.attr in ("in_", "not_in"):
            inner = func.value
            if isinstance(inner, ast.Attribute) and inner.attr == "status":
                self.add(node.args[0] if node.args else None, _holder(inner.value))
        if name in CARRIERS:
            kind, index, keyword = CARRIERS[name]
            self.add(node.args[index] if len(node.args) > index else None, kind)
            for kw in node.keywords:
                if kw.arg in (keyword, "frm"):
                    self.add(kw.value, kind)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            pairs = (
                zip(target.elts, node.value.elts, strict=False)
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                else [(target, node.value)]
            )
            for left, right in pairs:
                if isinstance(left, ast.Attribute) and left.attr == "status":
                    self.add(right, _holder(left.value))
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        left = node.left
        if isinstance(left, ast.Attribute) and left.attr == "status":
            for right in node.comparators:
                self.add(right, _holder(left.value))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and "status" in node.value:
            for value in SQL_STATUS.findall(node.value):  # SQL in migrations and triggers
                self.uses.append(Use(f"{self.name}:{node.lineno}", None, value))


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] not in SKIPPED:
            yield str(relative), ast.parse(path.read_text(), filename=str(path))


def find_uses(name: str, tree: ast.Module) -> list[Use]:
    finder = Finder(name)
    finder.visit(tree)
    return finder.uses


def wrong(uses: list[Use]) -> list[str]:
    return [f"{u.where}: {u.value!r} is not a {u.kind or 'known'} status" for u in uses
            if u.value not in allowed(u.kind)]  # fmt: skip


def test_every_status_the_package_writes_compares_or_emits_is_in_its_enum() -> None:
    uses = [use for name, tree in modules() for use in find_uses(name, tree)]
    assert wrong(uses) == []
    # The finder sees the sites it was written for (it cannot pass by finding nothing).
    where = {u.where.split(":")[0] for u in uses}
    assert {
        "engine/waves.py",
        "engine/executor.py",
        "thor/rounds.py",
        "thor/escalations.py",
        "store/migrations.py",
        "devtools/sample_data.py",
        "store/queries/plans.py",
    } <= where
    assert len(uses) > 60


@pytest.mark.parametrize(
    "source",
    [
        'Task.update(status="canceled").where(Task.id == 1)',
        'task.status = "finished"',
        'if plan.status in ("todo", "running"): pass',
        'Wave.select().where(Wave.status.not_in(("done", "skipped")))',
        'bus.emit(TaskChanged(1, "succeeded", "T1"))',
        'move_plan(1, PlanStatus.RUNNING)',
        'summarize(1, "halted")',
        'SQL = "UPDATE task SET x = 1 WHERE status = \'complete\'"',
    ],
)  # fmt: skip
def test_a_status_outside_its_enum_is_caught(source: str) -> None:
    assert wrong(find_uses("snippet.py", ast.parse(source)))


# Modules allowed to write a status column directly, and why.
DIRECT_WRITERS = {
    "store/transitions.py": "the one writer: conditional moves checked against the table",
    "devtools/sample_data.py": "fabricates the screenshot database in states the engine reaches "
    "over hours; it never runs beside an engine",
}


SETS_STATUS = re.compile(r"\bUPDATE\b[^;]*\bSET\b[^;]*\bstatus\b", re.IGNORECASE | re.DOTALL)


def _assigns_status(target: ast.expr) -> bool:
    """``x.status = ...`` (also inside a tuple target), but not a widget's own
    ``self.status``."""
    if isinstance(target, ast.Tuple):
        return any(_assigns_status(elt) for elt in target.elts)
    if not (isinstance(target, ast.Attribute) and target.attr == "status"):
        return False
    return not (isinstance(target.value, ast.Name) and target.value.id == "self")


def _direct_write(node: ast.AST, engine_side: bool) -> str:
    """What is wrong with ``node`` as a status write, or ""."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        func = node.func
        model = isinstance(func.value, ast.Name) and func.value.id in MODELS
        keys = {kw.arg for kw in node.keywords}
        if func.attr in WRITES and ("status" in keys or (model and None in keys)):
            return f"{func.attr}() with a status"
        if engine_side and func.attr == "save":
            return "save() writes the whole row, status included"
    if isinstance(node, ast.Assign) and any(_assigns_status(t) for t in node.targets):
        return "assigns .status"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "SQL that sets a status" if SETS_STATUS.search(node.value) else ""
    return ""


def direct_writes(name: str, tree: ast.Module) -> Iterator[str]:
    """Status writes in ``tree`` that bypass store/transitions.py."""
    engine_side = name.startswith(("engine/", "thor/"))
    for node in ast.walk(tree):
        problem = _direct_write(node, engine_side)
        if problem:
            yield f"{name}:{getattr(node, 'lineno', 0)}: {problem}"


def test_only_the_transition_module_writes_a_status() -> None:
    found = [hit for name, tree in modules() if name not in DIRECT_WRITERS
             for hit in direct_writes(name, tree)]  # fmt: skip
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'Task.update(status="done").where(Task.id == 1).execute()',
        "Run.update(**values).where(Run.id == 1).execute()",
        'task.status, task.round = "queued", 2',
        "run.save()",
        'db.execute_sql("UPDATE task SET status = ? WHERE id = ?", ("queued", 1))',
    ],
)
def test_a_direct_status_write_is_caught(source: str) -> None:
    assert list(direct_writes("engine/snippet.py", ast.parse(source)))
