"""The model registry: integrity checks over the configuration, and the ``model`` table.

:func:`check_registry` is pure: it takes the configuration, a ``which`` function and
what Ollama reported, so tests and ``convergio models check`` share it. The loader
already refuses some of these problems in a YAML file; the checks repeat them so a
configuration built in code, or a stale database, is caught too.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from convergio_tui.config.schema import Config, CostTier

Which = Callable[[str], str | None]


@dataclass(frozen=True)
class RegistryProblem:
    """One thing wrong with the registry."""

    check: str  # duplicate_id | unknown_model | missing_price | cli_missing | not_pulled | stale
    message: str
    provider: str | None = None
    model: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape ``{"check","provider","model","message"}``."""
        return asdict(self)


@dataclass
class RegistryReport:
    """Problems (which fail ``check``) and notes (what could not be checked)."""

    problems: list[RegistryProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """JSON shape ``{"ok","problems":[...],"notes":[...]}``."""
        return {
            "ok": self.ok,
            "problems": [p.as_dict() for p in self.problems],
            "notes": self.notes,
        }


def registry_rows(config: Config) -> list[dict[str, Any]]:
    """The ``model`` table rows the configuration describes."""
    return [
        {
            "provider": name,
            "model_id": m.id,
            "tier": CostTier(provider.cost_tier).value,
            "multiplier": m.multiplier,
            "input_usd_per_mtok": m.input_usd_per_mtok,
            "output_usd_per_mtok": m.output_usd_per_mtok,
            "privacy_safe": m.privacy_safe,
            "enabled": m.enabled and provider.enabled,
        }
        for name, provider in config.providers.items()
        for m in provider.models
    ]


def fetch_ollama_tags(endpoint: str, timeout: float = 2.0) -> list[str] | None:
    """Model names Ollama has pulled (``GET /api/tags``), or None when it does not answer."""
    url = endpoint.rstrip("/") + "/api/tags"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            doc = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return [str(m.get("name", "")) for m in doc.get("models", []) if isinstance(m, dict)]


def _pulled(model_id: str, tags: Sequence[str]) -> bool:
    """``ollama/qwen3-coder`` is pulled when Ollama lists ``qwen3-coder`` (any tag)."""
    name = model_id.split("/", 1)[1] if model_id.startswith("ollama/") else model_id
    wanted = name if ":" in name else f"{name}:latest"
    return wanted in tags or name in tags


def _duplicates(config: Config) -> list[RegistryProblem]:
    problems = []
    owners: dict[str, list[str]] = {}
    for name, provider in config.providers.items():
        ids = [m.id for m in provider.models]
        for model_id in sorted({i for i in ids if ids.count(i) > 1}):
            problems.append(
                RegistryProblem("duplicate_id", f"{name} lists {model_id!r} twice", name, model_id)
            )
        for model_id in set(ids):
            owners.setdefault(model_id, []).append(name)
    for model_id, names in sorted(owners.items()):
        if len(names) > 1:
            problems.append(
                RegistryProblem(
                    "duplicate_id",
                    f"{model_id!r} is offered by {', '.join(names)}: references are ambiguous",
                    None,
                    model_id,
                )
            )
    return problems


def _references(config: Config) -> list[RegistryProblem]:
    problems = []
    offered = {m.id for p in config.providers.values() if p.enabled for m in p.models if m.enabled}
    for name, provider in config.providers.items():
        if provider.model(provider.default_model) is None:
            problems.append(
                RegistryProblem(
                    "unknown_model",
                    f"providers.{name}.default_model {provider.default_model!r} is not an "
                    "enabled model of this provider",
                    name,
                    provider.default_model,
                )
            )
    for task_type, rule in config.routing.by_type.items():
        if rule.default_model and rule.default_model not in offered:
            problems.append(
                RegistryProblem(
                    "unknown_model",
                    f"routing.by_type.{task_type}.default_model {rule.default_model!r} is "
                    "offered by no enabled provider",
                    None,
                    rule.default_model,
                )
            )
    return problems


def _prices(config: Config) -> list[RegistryProblem]:
    problems = []
    for name, provider in config.providers.items():
        if CostTier(provider.cost_tier) is not CostTier.PREMIUM:
            continue
        for m in provider.models:
            missing = [
                key
                for key in ("input_usd_per_mtok", "output_usd_per_mtok")
                if getattr(m, key) is None
            ]
            if missing:
                problems.append(
                    RegistryProblem(
                        "missing_price",
                        f"premium model {m.id!r} of {name} has no {' / '.join(missing)}",
                        name,
                        m.id,
                    )
                )
    return problems


def check_registry(
    config: Config,
    *,
    which: Which = shutil.which,
    ollama_tags: Mapping[str, Sequence[str] | None] | None = None,
    db_rows: Sequence[Mapping[str, Any]] | None = None,
) -> RegistryReport:
    """Every integrity check (see the module docstring and docs/cli.md, ``models check``).

    ``ollama_tags`` maps a provider with an ``endpoint`` to what its Ollama listed, or
    None when it did not answer (then its models are not checked, only noted).
    ``db_rows`` is the current ``model`` table; when non-empty it must match the
    configuration, else the registry is stale.
    """
    report = RegistryReport()
    report.problems += _duplicates(config) + _references(config) + _prices(config)
    for name, provider in config.providers.items():
        if not provider.enabled:
            continue
        exe = provider.cli[0]
        if which(exe) is None:
            report.problems.append(
                RegistryProblem("cli_missing", f"{name}: {exe!r} is not on PATH", name)
            )
        if provider.endpoint is None or ollama_tags is None or name not in ollama_tags:
            continue
        tags = ollama_tags[name]
        if tags is None:
            report.notes.append(f"{name}: Ollama at {provider.endpoint} did not answer")
            continue
        for m in provider.models:
            if m.enabled and not _pulled(m.id, tags):
                pull = m.id.removeprefix("ollama/")
                report.problems.append(
                    RegistryProblem(
                        "not_pulled",
                        f"{name}: {m.id!r} is not pulled in Ollama (ollama pull {pull})",
                        name,
                        m.id,
                    )
                )
    if db_rows:
        report.problems += _stale(config, db_rows)
    elif db_rows is not None:
        report.notes.append("the model table is empty: run 'convergio models refresh'")
    return report


def _stale(config: Config, db_rows: Sequence[Mapping[str, Any]]) -> list[RegistryProblem]:
    want = {(r["provider"], r["model_id"]): r for r in registry_rows(config)}
    fields = list(next(iter(want.values()))) if want else []
    have = {(r["provider"], r["model_id"]): {f: r.get(f) for f in fields} for r in db_rows}
    differ = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
    if not differ:
        return []
    shown = ", ".join(f"{p}/{m}" for p, m in differ[:5])
    return [
        RegistryProblem(
            "stale",
            f"the model table differs from the configuration ({shown}): "
            "run 'convergio models refresh'",
        )
    ]


def read_table() -> list[dict[str, Any]]:
    """The ``model`` table (the database must be open), ordered by provider and id."""
    from convergio_tui.store.models import ModelEntry

    fields = [f for f in ModelEntry._meta.sorted_field_names if f != "id"]
    query = ModelEntry.select().order_by(ModelEntry.provider, ModelEntry.model_id)
    return [{f: getattr(row, f) for f in fields} for row in query]


@dataclass
class RefreshResult:
    """What ``refresh_table`` changed, as ``provider/model`` names."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def refresh_table(config: Config) -> RefreshResult:
    """Make the ``model`` table mirror the configuration, in one transaction."""
    from convergio_tui.store.db import immediate
    from convergio_tui.store.models import ModelEntry

    result = RefreshResult()
    want = {(r["provider"], r["model_id"]): r for r in registry_rows(config)}
    with immediate():
        existing = {(row.provider, row.model_id): row for row in ModelEntry.select()}
        for key, row in existing.items():
            if key not in want:
                row.delete_instance()
                result.removed.append("/".join(key))
        for key, values in want.items():
            row = existing.get(key)
            if row is None:
                ModelEntry.create(**values)
                result.added.append("/".join(key))
            elif any(getattr(row, f) != v for f, v in values.items()):
                ModelEntry.update(**values).where(ModelEntry.id == row.id).execute()
                result.updated.append("/".join(key))
    return result
