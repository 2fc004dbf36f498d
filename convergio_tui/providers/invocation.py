"""How to start one provider CLI: argv from a template, optional stdin, extra env."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

_PLACEHOLDER = re.compile(r"\{(prompt|model|workdir)\}")


@dataclass(frozen=True)
class Invocation:
    """A ready-to-run command.

    ``env`` holds only the variables this provider adds; the engine merges them over the
    base environment (and the vault's secrets) before calling ``run_process``.
    """

    argv: list[str]
    stdin_text: str | None = None
    env: dict[str, str] = field(default_factory=dict)


def has_placeholder(template: Sequence[str], name: str) -> bool:
    """True when some template element mentions ``{name}``."""
    token = "{" + name + "}"
    return any(token in element for element in template)


def substitute(template: Sequence[str], prompt: str, model: str, workdir: Path) -> list[str]:
    """Fill ``{prompt}``, ``{model}``, ``{workdir}`` in each element, in one pass.

    One pass matters: a prompt that itself contains ``{model}`` must stay as written,
    and each element stays one argv entry whatever spaces the prompt holds.
    """
    values = {"prompt": prompt, "model": model, "workdir": str(workdir)}
    return [_PLACEHOLDER.sub(lambda m: values[m.group(1)], element) for element in template]
