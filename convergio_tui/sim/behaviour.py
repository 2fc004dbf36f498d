"""What a simulated run does: ``SIM:`` prompt directives merged over the environment.

Test and demo instrument (convergio-sim). Directive lines, anywhere in the prompt::

    SIM: mode=fail delay=1.5 lines=20 flood_mb=6 cost=0.25 output_tokens=900 calls=6
    SIM: input_tokens=18000
    SIM: write src/app.py <<<print("hi")\\n>>>
    SIM: append NOTES.md <<<one more line\\n>>>
    SIM[round>=3]: write app.py <<<good>>>
    SIM[round<3]: mode=fail
    SIM: say <<<assistant text, in the tool's output format>>>
    SIM: print <<<raw stdout line(s), outside any format>>>
    SIM: answer <<<the final answer: the run's result text instead of "Done (round N)...">>>

Content between ``<<<`` and ``>>>`` may use ``\\n``, ``\\t`` and ``\\\\`` escapes, or span
several lines (the block ends at the first line containing ``>>>``). In content,
``${env:NAME}`` is the value of the environment variable NAME (a vault secret the
engine injected: the prompt names it without holding it) and ``${json:NAME}`` that
value JSON-escaped with non-ASCII text kept. The round is
1 + the number of prompt lines starting with ``THOR-REJECTION`` (a task's rounds) or
``PLAN-REJECTION`` (a planning run's, ``convergio plan new``). The prompt wins over
``CONVERGIO_SIM_<NAME>_<KEY>``, which wins over ``CONVERGIO_SIM_<KEY>``.
"""

from __future__ import annotations

import json
import os
import re
from collections import deque
from collections.abc import Mapping

MODES = frozenset(
    {
        "ok",
        "fail",
        "hang",
        "rate_limit",
        "auth",
        "crash",
        "garbage",
        "flood",
        "model_not_found",
        "no_result",
    }
)
REJECTION_PREFIX = "THOR-REJECTION"
PLAN_REJECTION_PREFIX = "PLAN-REJECTION"  # engine/planning/prompt.py: a refused draft

_DIRECTIVE = re.compile(r"^\s*SIM(?:\[(?P<cond>[^\]]*)\])?:\s*(?P<body>.*)$")
_CONDITION = re.compile(r"^\s*round\s*(<=|>=|==|!=|<|>)\s*(\d+)\s*$")
_FILE_OP = re.compile(r"^(write|append)\s+(\S+)\s*<<<(.*)$", re.DOTALL)
_MESSAGE = re.compile(r"^(say|print|answer)\s*<<<(.*)$", re.DOTALL)
_ENV_REF = re.compile(r"\$\{(env|json):([A-Za-z_][A-Za-z0-9_]*)\}")
_ESCAPE = re.compile(r"\\(n|t|\\)")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\"}
_NUMERIC_KEYS: dict[str, type[int] | type[float]] = {
    "delay": float,
    "flood_mb": float,
    "lines": int,
    "cost": float,
    "input_tokens": int,
    "output_tokens": int,
    "calls": int,
}


class SimError(Exception):
    """A directive the simulator refuses (unknown mode, path escaping the cwd...)."""


class FileOp:
    """One ``write`` or ``append`` of ``content`` to ``path`` (relative to the cwd)."""

    __slots__ = ("content", "kind", "path")

    def __init__(self, kind: str, path: str, content: str) -> None:
        self.kind = kind
        self.path = path
        self.content = content


class Behaviour:
    """The resolved behaviour of one simulated run."""

    __slots__ = (
        "answer",
        "calls",
        "cost",
        "delay",
        "flood_mb",
        "ignore_term",
        "input_tokens",
        "lines",
        "messages",
        "mode",
        "ops",
        "output_tokens",
        "round",
    )

    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 0.0
        self.flood_mb = 5.0
        self.lines = 0
        self.cost: float | None = None
        self.input_tokens: int | None = None  # default: the prompt's length / 4
        self.output_tokens: int | None = None
        # Model calls the run's cost is spread over (default: one to plan, one per file
        # op); a hard spending limit is checked after each, as the real CLIs do.
        self.calls: int | None = None
        self.ignore_term = False
        self.ops: list[FileOp] = []
        self.messages: list[tuple[str, str]] = []  # ("say" | "print", text), in order
        self.answer: str | None = None  # the final answer (default: a one-line summary)
        self.round = 1


def count_round(prompt: str) -> int:
    """Return 1 + the number of lines that start with ``THOR-REJECTION`` or
    ``PLAN-REJECTION``."""
    prefixes = (REJECTION_PREFIX, PLAN_REJECTION_PREFIX)
    rejections = sum(1 for line in prompt.splitlines() if line.lstrip().startswith(prefixes))
    return 1 + rejections


def env_value(env: Mapping[str, str], name: str, key: str) -> str | None:
    """Look ``key`` up as ``CONVERGIO_SIM_<NAME>_<KEY>`` first, then ``CONVERGIO_SIM_<KEY>``."""
    specific = env.get(f"CONVERGIO_SIM_{name.upper()}_{key}")
    if specific not in (None, ""):
        return specific
    general = env.get(f"CONVERGIO_SIM_{key}")
    return general if general not in (None, "") else None


def check_path(path: str) -> str:
    """Refuse absolute paths and ``..`` so a simulated write stays inside the cwd."""
    if not path or os.path.isabs(path) or path.startswith("~"):
        raise SimError(f"refusing path outside the working directory: {path!r}")
    parts = path.replace("\\", "/").split("/")
    if ".." in parts:
        raise SimError(f"refusing path outside the working directory: {path!r}")
    return path


def _condition_holds(cond: str | None, round_no: int) -> bool:
    if cond is None:
        return True
    for clause in cond.split(","):
        match = _CONDITION.match(clause)
        if match is None:
            raise SimError(f"cannot read SIM condition {clause!r} (use round>=N)")
        op, value = match.group(1), int(match.group(2))
        holds = {
            "<": round_no < value,
            "<=": round_no <= value,
            "==": round_no == value,
            "!=": round_no != value,
            ">=": round_no >= value,
            ">": round_no > value,
        }[op]
        if not holds:
            return False
    return True


def _set_key(behaviour: Behaviour, key: str, value: str) -> None:
    if key == "mode":
        if value not in MODES:
            raise SimError(f"unknown SIM mode {value!r}; known: {', '.join(sorted(MODES))}")
        behaviour.mode = value
    elif key in _NUMERIC_KEYS:
        try:
            number = _NUMERIC_KEYS[key](value)
        except ValueError as exc:
            raise SimError(f"SIM {key}= needs a number, got {value!r}") from exc
        if key == "calls" and number < 1:
            raise SimError(f"SIM calls= needs at least 1, got {value!r}")
        setattr(behaviour, key, number)
    elif key == "ignore_term":
        behaviour.ignore_term = value.lower() in ("1", "true", "yes")
    # Unknown keys are ignored so prompts written for newer sims still run.


def _block(rest: str, following: deque[str], what: str, env: Mapping[str, str]) -> str:
    """The content of a ``<<<`` block that starts with ``rest``; ``following`` feeds a
    multi-line block. Escapes are applied, then ``${env:NAME}``/``${json:NAME}``."""
    if ">>>" not in rest:
        chunks = [rest]
        while following:
            line = following.popleft()
            if ">>>" in line:
                chunks.append(line[: line.rindex(">>>")])
                break
            chunks.append(line)
        else:
            raise SimError(f"unterminated <<< block for {what!r}")
        rest = "\n".join(chunks)
    else:
        rest = rest[: rest.rindex(">>>")]
    content = _ESCAPE.sub(lambda m: _ESCAPES[m.group(1)], rest)
    return _ENV_REF.sub(lambda m: _env_ref(m.group(1), m.group(2), env), content)


def _env_ref(kind: str, name: str, env: Mapping[str, str]) -> str:
    value = env.get(name, "")
    return json.dumps(value, ensure_ascii=False)[1:-1] if kind == "json" else value


def _file_op(body: str, following: deque[str], env: Mapping[str, str]) -> FileOp:
    """Parse a write/append body; ``following`` feeds a multi-line ``<<<`` block."""
    match = _FILE_OP.match(body)
    if match is None:
        raise SimError(f"cannot read SIM directive {body!r} (use: write PATH <<<content>>>)")
    kind, path, rest = match.group(1), check_path(match.group(2)), match.group(3)
    return FileOp(kind, path, _block(rest, following, path, env))


def resolve(prompt: str, name: str, env: Mapping[str, str]) -> Behaviour:
    """Build the behaviour of this run from the environment, then the prompt's directives."""
    behaviour = Behaviour()
    behaviour.round = count_round(prompt)
    keys = (
        "MODE",
        "DELAY",
        "FLOOD_MB",
        "LINES",
        "COST",
        "INPUT_TOKENS",
        "OUTPUT_TOKENS",
        "CALLS",
        "IGNORE_TERM",
    )
    for key in keys:
        value = env_value(env, name, key)
        if value is not None:
            _set_key(behaviour, key.lower(), value)
    if (env_value(env, name, "AUTH") or "").lower() == "fail":
        behaviour.mode = "auth"
    lines = deque(prompt.splitlines())
    while lines:
        match = _DIRECTIVE.match(lines.popleft())
        if match is None:
            continue
        body = match.group("body").strip()
        if body.startswith(("write ", "append ")):
            op = _file_op(body, lines, env)
            if _condition_holds(match.group("cond"), behaviour.round):
                behaviour.ops.append(op)
            continue
        said = _MESSAGE.match(body)
        if said is not None:
            text = _block(said.group(2), lines, said.group(1), env)
            if not _condition_holds(match.group("cond"), behaviour.round):
                continue
            if said.group(1) == "answer":
                behaviour.answer = text  # the last one that holds wins
            else:
                behaviour.messages.append((said.group(1), text))
            continue
        if not _condition_holds(match.group("cond"), behaviour.round):
            continue
        for token in body.split():
            key, sep, value = token.partition("=")
            if sep:
                _set_key(behaviour, key.strip(), value.strip())
    return behaviour


def allowed_models(name: str, env: Mapping[str, str]) -> list[str] | None:
    """Models this simulated CLI accepts (``CONVERGIO_SIM_<NAME>_MODELS``), or None for any."""
    models = env_value(env, name, "MODELS")
    if not models:
        return None
    return [m.strip() for m in models.split(",") if m.strip()]
