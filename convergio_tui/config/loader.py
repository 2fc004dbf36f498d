"""Load and validate ``orchestrator.yaml``; every error names file, line and key."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from convergio_tui.config.errors import ConfigError, InputError, Problem
from convergio_tui.config.privacy_check import check_privacy
from convergio_tui.config.schema import PRIORITIES, PRIVACY_LEVELS, Config
from convergio_tui.config.yaml_lines import (
    LocatedYaml,
    LocatedYamlError,
    load_located,
    load_located_text,
)


class _Validates(Protocol):
    @classmethod
    def model_validate(cls, obj: Any) -> Self: ...


M = TypeVar("M", bound=_Validates)
# What pydantic calls an unknown or a missing key: in a model, and in a dataclass.
_UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument")
_MISSING = ("missing", "missing_argument", "missing_keyword_only_argument")


def load_config(path: Path) -> Config:
    """Read, parse and validate the configuration at ``path``.

    Raises :class:`ConfigError` listing every problem found.
    """
    try:
        located = load_located(path)
    except LocatedYamlError as exc:
        raise ConfigError([exc.problem]) from None
    return _validated(located, path)


def load_config_text(text: str, path: Path) -> Config:
    """Parse and validate ``text``, the content of ``path`` already read; the same
    problems as :func:`load_config` (the caller has checked the size limit)."""
    try:
        located = load_located_text(text, str(path))
    except LocatedYamlError as exc:
        raise ConfigError([exc.problem]) from None
    return _validated(located, path)


def _validated(located: LocatedYaml, path: Path) -> Config:
    config = validate_located(located, Config, ConfigError)
    problems = list(cross_check(config, located))
    if problems:
        raise ConfigError(problems)
    config.with_source(str(path))
    return config


def validate_located(located: LocatedYaml, model: type[M], error: type[InputError]) -> M:
    """Validate ``located.data`` against ``model``; raise ``error`` with located problems."""
    if not isinstance(located.data, dict):
        raise error([Problem(located.file, 1, "", "expected a mapping at the top level")])
    try:
        return model.model_validate(located.data)
    except ValidationError as exc:
        raise error([_problem_of(located, err) for err in exc.errors()]) from None


def _problem_of(located: LocatedYaml, err: Any) -> Problem:
    loc = tuple(p for p in err["loc"] if p != "[key]")
    message = err["msg"]
    if err["type"] in _UNKNOWN:
        message = "unknown key (remove it or check its spelling)"
    elif err["type"] in _MISSING:
        message = "required key is missing"
    elif err["type"] == "literal_error" and err["loc"][-1:] == ("[key]",):
        message = f"unknown name {loc[-1]!r}: {err['msg'].removeprefix('Input should be ')}"
    return located.problem(loc, message)


def cross_check(config: Config, located: LocatedYaml) -> Iterable[Problem]:
    """Problems that span sections: unknown provider names, models no provider offers."""
    known = list(config.providers)
    known_text = ", ".join(known)

    def check_names(loc: tuple[str | int, ...], names: Iterable[str]) -> Iterable[Problem]:
        for i, name in enumerate(names):
            if name not in config.providers:
                yield located.problem((*loc, i), f"unknown provider {name!r} (known: {known_text})")

    routing = config.routing
    for level in PRIORITIES:
        rule = routing.by_priority.get(level)  # type: ignore[call-overload]
        if rule is None:
            yield located.problem(("routing", "by_priority"), f"missing rule for {level}")
            continue
        base = ("routing", "by_priority", level)
        yield from check_names((*base, "preferred_providers"), rule.preferred_providers)
        yield from check_names((*base, "fallback_providers"), rule.fallback_providers)
    for level in PRIVACY_LEVELS:
        rule_p = routing.by_privacy.get(level)  # type: ignore[call-overload]
        if rule_p is None:
            yield located.problem(("routing", "by_privacy"), f"missing rule for {level}")
            continue
        yield from check_names(
            ("routing", "by_privacy", level, "allowed_providers"), rule_p.allowed_providers
        )
    all_models = {m.id for p in config.providers.values() for m in p.models}
    for task_type, rule_t in routing.by_type.items():
        base = ("routing", "by_type", task_type)
        yield from check_names((*base, "preferred_providers"), rule_t.preferred_providers)
        if rule_t.default_model and rule_t.default_model not in all_models:
            yield located.problem(
                (*base, "default_model"),
                f"model {rule_t.default_model!r} is offered by no provider",
            )
    yield from check_names(("budget", "fallback_chain"), config.budget.fallback_chain)
    for name, project in config.projects.items():
        if project.allowed_providers is not None:
            yield from check_names(
                ("projects", name, "allowed_providers"), project.allowed_providers
            )
    for name, provider in config.providers.items():
        ids = [m.id for m in provider.models]
        if provider.default_model not in ids:
            yield located.problem(
                ("providers", name, "default_model"),
                f"{provider.default_model!r} is not one of this provider's models ({', '.join(ids)})",
            )
        for i, model_id in enumerate(ids):
            if model_id in ids[:i]:
                yield located.problem(
                    ("providers", name, "models", i, "id"), f"duplicate model id {model_id!r}"
                )
    yield from check_privacy(config, located)
    tz = config.budget.timezone
    if tz != "local":
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            yield located.problem(
                ("budget", "timezone"),
                f"unknown timezone {tz!r} (use 'local' or an IANA name like 'Europe/Rome')",
            )
