"""Theme files (``themes/*.yaml``) turned into Textual ``Theme`` objects, and the layout.

Shipped themes live in ``convergio_tui/themes`` inside the wheel and in the repository's
``themes/`` directory in a source checkout; a person's own themes go in
``$CONVERGIO_HOME/themes``. A user theme with a shipped name replaces the shipped one.
The theme a person picks is remembered in ``$CONVERGIO_HOME/dashboard.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from textual.color import Color, ColorParseError
from textual.theme import Theme

from convergio_tui import paths

DEFAULT_THEME = "convergio-dark"
LAYOUT_FILE = "dashboard.tcss"
STATE_FILE = "dashboard.json"
COLOUR_KEYS = ("primary", "secondary", "warning", "error", "success", "accent",
               "foreground", "background", "surface", "panel", "boost")  # fmt: skip
OTHER_KEYS = ("name", "dark", "luminosity_spread", "text_alpha", "variables")

# The dashboard's own theme variables and the Textual colour each one defaults to, so
# Textual's built-in themes work too.
APP_VARIABLES = {
    "status-pending": "foreground-muted",
    "status-queued": "foreground",
    "status-running": "accent",
    "status-validating": "secondary",
    "status-done": "success",
    "status-failed": "error",
    "status-escalated": "warning",
    "status-blocked": "warning",
    "budget-ok": "primary",
    "budget-alert": "warning",
    "budget-capped": "error",
    "health-up": "success",
    "health-down": "error",
    "health-cooldown": "warning",
    "frame": "panel-lighten-2",  # panel borders and the empty part of bars
}
# On a light background the same roles need darker shades.
LIGHT_OVERRIDES = {"frame": "panel-darken-2"}


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class ThemeSet:
    """The themes found and the problems with files that were skipped."""

    themes: tuple[Theme, ...]
    problems: tuple[str, ...]


def shipped_themes_dir() -> Path:
    """``convergio_tui/themes`` in an installed wheel, else the checkout's ``themes/``."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "themes", package.parent / "themes"):
        if (candidate / LAYOUT_FILE).is_file():
            return candidate
    return package.parent / "themes"


def user_themes_dir() -> Path:
    """Where a person drops extra theme files: ``$CONVERGIO_HOME/themes``."""
    return paths.home_dir() / "themes"


def layout_css_path() -> Path:
    """The dashboard's ``.tcss`` layout file."""
    return shipped_themes_dir() / LAYOUT_FILE


def load_theme_file(path: Path) -> Theme:
    """Read one YAML theme file; raise :class:`ThemeFileError` naming what is wrong."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ThemeFileError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise ThemeFileError(f"{path}: expected a mapping of theme keys")
    unknown = sorted(set(data) - set(COLOUR_KEYS) - set(OTHER_KEYS))
    if unknown:
        raise ThemeFileError(f"{path}: unknown key {unknown[0]!r}")
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise ThemeFileError(f"{path}: 'name' is required")
    if "primary" not in data:
        raise ThemeFileError(f"{path}: 'primary' is required")
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{path}: 'variables' must be a mapping")
    colours = {k: data[k] for k in COLOUR_KEYS if data.get(k) is not None}
    for key, value in [*colours.items(), *((f"variables.{k}", v) for k, v in variables.items())]:
        _check_colour(path, key, value)
    return Theme(
        name=data["name"],
        dark=bool(data.get("dark", True)),
        luminosity_spread=float(data.get("luminosity_spread", 0.15)),
        text_alpha=float(data.get("text_alpha", 0.95)),
        variables={str(k): str(v) for k, v in variables.items()},
        **{k: str(v) for k, v in colours.items()},
    )


def _check_colour(path: Path, key: str, value: object) -> None:
    try:
        Color.parse(str(value))
    except ColorParseError:
        raise ThemeFileError(f"{path}: {key}: {value!r} is not a colour") from None


def load_themes(directories: Iterable[Path] | None = None) -> ThemeSet:
    """Every theme in the shipped and user directories; later files override earlier."""
    dirs = (
        list(directories) if directories is not None else [shipped_themes_dir(), user_themes_dir()]
    )
    found: dict[str, Theme] = {}
    problems: list[str] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            try:
                theme = load_theme_file(path)
            except ThemeFileError as exc:
                problems.append(str(exc))
                continue
            found[theme.name] = theme
    return ThemeSet(tuple(found.values()), tuple(problems))


def variable_defaults(theme: Theme) -> dict[str, str]:
    """Values of the dashboard's variables for ``theme`` when its file does not set them."""
    generated = theme.to_color_system().generate()
    return {
        name: generated.get(source, generated["foreground"])
        for name, source in APP_VARIABLES.items()
    }


# -- the theme chosen last time -----------------------------------------------------------


def dashboard_state_path() -> Path:
    """The dashboard's own small state (the theme chosen last):
    ``$CONVERGIO_HOME/dashboard.json``."""
    return paths.home_dir() / STATE_FILE


def _read_state(path: Path) -> tuple[dict[str, Any], str | None]:
    """The state file's mapping, or ``{}`` and what is wrong with it."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"{path}: cannot read: {exc}; the default theme is used"
    if not isinstance(data, dict):
        return {}, f"{path}: expected a JSON object; the default theme is used"
    return data, None


def remembered_theme() -> tuple[str | None, str | None]:
    """The theme chosen last time (None: none), and what is wrong with the file if
    anything (it is then ignored, and replaced the next time a theme is chosen)."""
    path = dashboard_state_path()
    data, problem = _read_state(path)
    theme = data.get("theme")
    if theme is not None and not isinstance(theme, str):
        return None, f"{path}: 'theme' must be a theme name; the default theme is used"
    return theme, problem


def remember_theme(name: str) -> str | None:
    """Keep ``name`` as the theme to start with; the problem, if it cannot be written."""
    path = dashboard_state_path()
    data, _ = _read_state(path)  # other keys are kept; a broken file is replaced
    data["theme"] = name
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:  # written aside, then renamed: a crash never leaves half a file
        paths.write_private_text(staged, json.dumps(data, indent=2) + "\n")
        os.replace(staged, path)
    except OSError as exc:
        return f"{path}: cannot write: {exc.strerror or exc}"
    return None
