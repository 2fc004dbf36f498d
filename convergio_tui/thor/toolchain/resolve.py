"""Which command each gate runs for a project: configured, switched off, or detected.

For each of ``lint_commands``, ``test_command``, ``build_command`` and ``perf_command``,
the first of these that applies decides:

1. the key set in ``projects.<name>.thor``: its value (``null`` or empty: off);
2. the key set in ``thor:``: its value (``null`` or empty: off);
3. the key left out of both: the project's own commands, detected from its files
   (:mod:`convergio_tui.thor.toolchain.detect`); none found, the gate runs none.

Configured commands always win, so detection never overrides a person's choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from convergio_tui.config.schema import Config
from convergio_tui.config.thor_schema import ThorConfig
from convergio_tui.thor.toolchain.detect import Detection, detect
from convergio_tui.thor.toolchain.model import (
    GATES,
    KEYS,
    GateCommand,
    GateCommands,
    GateName,
)


@dataclass(frozen=True)
class EffectiveCommands:
    """The commands of the four command-running gates for one project."""

    project: str | None  # the configured project's name (None: not in projects:)
    root: Path
    gates: dict[GateName, GateCommands]

    def __getitem__(self, gate: GateName) -> GateCommands:
        return self.gates[gate]

    def as_dict(self) -> dict[str, object]:
        """``{gate: {gate, key, origin, commands: [{command, origin}]}}`` (docs/cli.md)."""
        return {gate: self.gates[gate].as_dict() for gate in GATES}


def _resolved(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def configured_project_at(config: Config, root: Path) -> str | None:
    """The name of the configured project whose path is ``root`` (None: none is)."""
    for name, project in config.projects.items():
        if str(project.path) == str(root):  # the engine hands over the configured path
            return name
    where = _resolved(root)
    for name, project in config.projects.items():
        if _resolved(project.path) == where:
            return name
    return None


def project_thor(config: Config, project: str | None) -> ThorConfig | None:
    """``projects.<project>.thor``, when the project is configured and has one."""
    entry = config.projects.get(project) if project is not None else None
    return entry.thor if entry is not None else None


def effective_thor(config: Config, project: str | None) -> ThorConfig:
    """``thor:`` with the keys ``projects.<project>.thor`` sets put over it (the settings
    the gates read for this project). Keys left out stay left out, so detection still
    applies to commands neither section sets."""
    override = project_thor(config, project)
    if override is None:
        return config.thor
    changes = {key: getattr(override, key) for key in override.model_fields_set}
    # The copy's set keys are the base's plus the updated ones (pydantic's model_copy).
    return config.thor.model_copy(update=changes)


def _setting(config: Config, project: str | None, key: str) -> tuple[bool, object, str]:
    """(set anywhere, value, where: ``""`` for thor:, else ``projects.<name>.thor``)."""
    override = project_thor(config, project)
    if override is not None and key in override.model_fields_set:
        return True, getattr(override, key), f"projects.{project}.thor"
    if key in config.thor.model_fields_set:
        return True, getattr(config.thor, key), ""
    return False, None, ""


def _configured(gate: GateName, value: object, where: str) -> GateCommands:
    origin = f"configured in {where}" if where else "configured"
    texts = value if isinstance(value, list) else [value]
    commands = tuple(GateCommand(str(t), origin) for t in texts if t)
    if commands:
        return GateCommands(gate, commands, origin)
    how = "null" if value is None else "empty"
    return GateCommands(gate, (), f"off ({how} in {where})" if where else f"off ({how})")


def effective_commands(
    config: Config, project_name: str | None, root: Path, detected: Detection | None = None
) -> EffectiveCommands:
    """The commands each gate runs for ``project_name`` (a key of ``projects:``, or None
    for a directory the configuration does not name) whose files are at ``root``, each
    with its origin. ``detected`` skips reading ``root`` again when the caller has it."""
    gates: dict[GateName, GateCommands] = {}
    for gate in GATES:
        is_set, value, where = _setting(config, project_name, KEYS[gate])
        if is_set:
            gates[gate] = _configured(gate, value, where)
            continue
        if detected is None:
            detected = detect(root)
        found = detected[gate]
        commands = tuple(GateCommand(f.command, f.origin) for f in found)
        gates[gate] = GateCommands(gate, commands, "detected" if commands else "none")
    return EffectiveCommands(project_name, root, gates)
