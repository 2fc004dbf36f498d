"""The planning prompt: the goal, the plan format, what routing does, the repository. Pure.

The format section is generated from the validator's own schema (``engine/plan_spec.py``:
field names, types, allowed values, defaults, limits and descriptions), and the routing
section from the configuration's ``routing:`` rules, so neither can drift from what
``plan import`` accepts and how it routes. A refused draft comes back in the next round's
prompt under a ``PLAN-REJECTION round N:`` line with the validator's errors; the sections
accumulate, one per refused round, as Thor's ``THOR-REJECTION`` sections do in a task's
prompt (docs/plan-format.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from convergio_tui.config.schema import Config
from convergio_tui.engine.plan_spec import PlanSpec
from convergio_tui.providers.argv_limits import PROMPT_MAX_BYTES
from convergio_tui.thor.gates.compliance import CHANGING_TYPES

REJECTION_PREFIX = "PLAN-REJECTION"
MAX_PROBLEMS = 40  # errors listed per refused round (the count says how many more)
PLAN_FILE = "plan.yaml"  # the name the validator's messages give a drafted plan
_WORDS = {"PlanSpec": "plan", "WaveSpec": "wave", "TaskSpec": "task"}


@dataclass(frozen=True)
class Rejection:
    """One refused round: the validator's (or the run's) problems and the YAML refused."""

    round: int
    problems: tuple[str, ...]
    plan_text: str = ""


def _kind(prop: Mapping[str, Any]) -> str:
    """A property's type in words: ``string``, ``P0 | P1``, ``list of tasks``..."""
    if "$ref" in prop:
        return _WORDS.get(str(prop["$ref"]).rsplit("/", 1)[-1], "mapping")
    if "anyOf" in prop:
        kinds = [_kind(p) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(kinds)
    if "enum" in prop:
        return " | ".join(str(v) for v in prop["enum"])
    kind = prop.get("type")
    if kind == "array":
        item = _kind(prop.get("items", {}))
        return f"list of {item}s" if " " not in item else f"list of ({item})"
    return {"number": "number", "integer": "integer", "boolean": "true/false"}.get(
        str(kind), "string"
    )


def _limits(prop: Mapping[str, Any]) -> list[str]:
    """The constraints a value must meet, in words."""
    found: list[str] = []
    variants = [prop, *(p for p in prop.get("anyOf", ()) if p.get("type") != "null")]
    for p in variants:
        if p.get("minLength") == 1:
            found.append("not empty")
        if "maxLength" in p:
            found.append(f"at most {p['maxLength']} characters")
        if "pattern" in p:
            found.append(f"matches {p['pattern']}")
        if "exclusiveMinimum" in p:
            found.append(f"greater than {p['exclusiveMinimum']}")
        if p.get("minItems"):
            found.append(f"at least {p['minItems']}")
    return found


def _key_line(name: str, prop: Mapping[str, Any], required: bool) -> str:
    parts = [_kind(prop)]
    if required:
        parts.append("required")
    elif "default" in prop and prop["default"] not in (None, [], ""):
        parts.append(f"default {json.dumps(prop['default'])}")
    else:
        parts.append("optional")
    parts += _limits(prop)
    text = f"  {name}: {', '.join(parts)}"
    description = prop.get("description")
    return f"{text} — {description}" if description else text


def plan_format() -> str:
    """The plan format, generated from :class:`PlanSpec`'s JSON schema."""
    schema = PlanSpec.model_json_schema()
    models = [("PlanSpec", schema), *schema.get("$defs", {}).items()]
    order = {"PlanSpec": 0, "WaveSpec": 1, "TaskSpec": 2}
    lines: list[str] = []
    for model, part in sorted(models, key=lambda m: order.get(m[0], 9)):
        where = {"PlanSpec": "the top-level mapping", "WaveSpec": "each item of waves",
                 "TaskSpec": "each item of tasks"}.get(model, model)  # fmt: skip
        lines.append(f"A {_WORDS.get(model, model)} ({where}):")
        required = set(part.get("required", ()))
        for name, prop in part.get("properties", {}).items():
            lines.append(_key_line(name, prop, name in required))
    lines.append("Every mapping is strict: a key not listed here is an error.")
    return "\n".join(lines)


def task_types() -> tuple[str, ...]:
    """The ``type:`` values a plan's task may have, from the schema."""
    task = PlanSpec.model_json_schema()["$defs"]["TaskSpec"]["properties"]["type"]
    return tuple(str(t) for t in task["enum"])


def routing_text(config: Config, privacy: str, allowed: Sequence[str] | None) -> str:
    """Task types and priorities with what each means for routing, and the project's
    privacy, from the configuration."""
    rules = config.routing
    lines = ["Task types (type:) and how routing treats each:"]
    for kind in task_types():
        rule = rules.by_type.get(kind)  # type: ignore[call-overload]
        prefer = " > ".join(rule.preferred_providers) if rule else "no preference"
        change = ("must change at least one file" if kind in CHANGING_TYPES
                  else "may answer in words only (unless it lists files)")  # fmt: skip
        lines.append(f"  {kind}: providers preferred {prefer}; {change}")
    lines.append("Priorities (priority:):")
    for name, prio in rules.by_priority.items():
        label = f" ({prio.label})" if prio.label else ""
        fallback = ", ".join(prio.fallback_providers) or "none"
        model = f"; the {prio.prefer_model} model" if prio.prefer_model else ""
        lines.append(f"  {name}{label}: preferred {', '.join(prio.preferred_providers)}; "
                     f"fallback {fallback}; cost ceiling {prio.max_cost_tier.value}{model}")  # fmt: skip
    level = rules.by_privacy.get(privacy)  # type: ignore[call-overload]
    may = list(level.allowed_providers) if level else []
    if allowed is not None:
        may = [p for p in may if p in allowed]
    lines.append(f"This project's privacy is {privacy}: its tasks may go to "
                 f"{', '.join(may) or 'no provider'}. Budget and health decide the rest.")  # fmt: skip
    return "\n".join(lines)


def _rules(project_value: str) -> str:
    return "\n".join([
        "Rules:",
        f"- `project:` must be exactly {json.dumps(project_value)}.",
        "- A task's prompt is all its agent is told: name the files, functions and behaviour, "
        "and how the result is checked. The agent sees the repository, not this goal.",
        "- A wave's tasks run at the same time in separate checkouts and are merged "
        "afterwards: they must not change the same files. Work that builds on another "
        "task goes in a later wave (and names it in depends_on).",
        "- List in `files` what each task must change, and in `verify` commands that prove "
        "it works (Thor's commands below run anyway).",
        "- Leave out `provider` and `model`: routing chooses by type, priority, privacy and "
        "budget. Use as few tasks as the goal needs.",
        "- Do not change, create or delete any file: you only plan (the repository is "
        "read-only for you).",
        "- Answer with the whole plan in one ```yaml block, and nothing after it.",
    ])  # fmt: skip


def rejection_text(rejection: Rejection, *, with_plan: bool) -> str:
    """A refused round as the next prompt carries it."""
    shown = rejection.problems[:MAX_PROBLEMS]
    lines = [f"{REJECTION_PREFIX} round {rejection.round}: your plan was refused:"]
    lines += [f"  {p}" for p in shown]
    if len(rejection.problems) > len(shown):
        lines.append(f"  ... and {len(rejection.problems) - len(shown)} more")
    if with_plan and rejection.plan_text:
        lines += [f"The plan refused (line numbers above count from its first line, "
                  f"as {PLAN_FILE}):", "```yaml", rejection.plan_text.rstrip(), "```"]  # fmt: skip
    return "\n".join(lines)


def build_prompt(
    goal: str,
    *,
    config: Config,
    project_value: str,
    privacy: str,
    allowed: Sequence[str] | None,
    repository: str,
    example: str,
    rejections: Sequence[Rejection] = (),
    notes: Sequence[str] = (),
) -> str:
    """The whole planning prompt of one round (see the module docstring). ``repository``
    is :meth:`RepoView.render`'s text, ``example`` the plan template. The last refused
    plan is quoted when it fits under the providers' prompt limit."""
    parts = [
        "You are the planner of Convergio. Convergio runs each task of a plan with an AI "
        "coding agent in its own git worktree, and Thor, its validator, checks every "
        "result. Turn the goal below into a plan.",
        "GOAL:\n" + goal.strip(),
        "THE PLAN FORMAT (YAML):\n" + plan_format(),
        routing_text(config, privacy, allowed),
        _rules(project_value),
        "AN EXAMPLE PLAN (its values are only an illustration):\n```yaml\n"
        + example.rstrip() + "\n```",
        "THE REPOSITORY (you may read any of its files):\n" + repository,
        *(f"NOTE FROM THE PERSON WHO ASKED:\n{n.strip()}" for n in notes),
    ]  # fmt: skip
    earlier = [rejection_text(r, with_plan=False) for r in rejections[:-1]]
    if rejections:
        last = rejection_text(rejections[-1], with_plan=True)
        whole = "\n\n".join([*parts, *earlier, last])
        if len(whole.encode("utf-8", "surrogateescape")) > PROMPT_MAX_BYTES:
            last = rejection_text(rejections[-1], with_plan=False)
        parts += [*earlier, last, "Answer again with the whole corrected plan in one "
                  "```yaml block."]  # fmt: skip
    return "\n\n".join(parts) + "\n"
