"""Themes: shipped files become Textual themes, a user's own are picked up, layout has no colours."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from textual.color import Color

from convergio_tui.tui import themes
from convergio_tui.tui.themes import APP_VARIABLES, ThemeFileError, load_theme_file, load_themes

REPO = Path(__file__).resolve().parent.parent
TUI = REPO / "convergio_tui" / "tui"


def luminance(value: str) -> float:
    """Perceived brightness 0..1 of a colour."""
    return Color.parse(value).brightness


def test_three_shipped_themes_one_of_them_for_light_terminals() -> None:
    found = {t.name: t for t in load_themes([themes.shipped_themes_dir()]).themes}
    assert {"convergio-dark", "convergio-light", "convergio-contrast"} <= set(found)
    light = found["convergio-light"]
    assert not light.dark and light.background and light.foreground
    assert luminance(light.background) > 0.85 > 0.3 > luminance(light.foreground)
    for theme in found.values():
        assert set(APP_VARIABLES) <= set(theme.variables), theme.name  # no silent fallbacks


def test_user_theme_in_convergio_home_is_picked_up_and_overrides(isolated_home: Path) -> None:
    user_dir = isolated_home / "themes"
    user_dir.mkdir(parents=True)
    (user_dir / "mine.yaml").write_text(
        "name: my-theme\ndark: true\nprimary: '#ff00ff'\nvariables:\n  budget-alert: '#00ff00'\n"
    )
    (user_dir / "broken.yaml").write_text("name: broken\nprimary: not-a-colour\n")
    found = load_themes()
    by_name = {t.name: t for t in found.themes}
    assert by_name["my-theme"].variables["budget-alert"] == "#00ff00"
    assert "convergio-dark" in by_name
    assert any("broken.yaml" in p and "not a colour" in p for p in found.problems)


@pytest.mark.parametrize(
    ("text", "message"),
    [("primary: '#fff'\n", "'name' is required"), ("name: x\n", "'primary' is required"),
     ("name: x\nprimary: '#fff'\ncolour: red\n", "unknown key 'colour'"),
     ("- just\n- a list\n", "expected a mapping")],
)  # fmt: skip
def test_bad_theme_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ThemeFileError, match=re.escape(message)):
        load_theme_file(path)


def test_wheel_layout_is_found_next_to_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In a wheel, pyproject force-includes themes/ as convergio_tui/themes.
    package = tmp_path / "site" / "convergio_tui"
    (package / "tui").mkdir(parents=True)
    (package / "themes").mkdir()
    (package / "themes" / "dashboard.tcss").write_text("/* layout */\n")
    monkeypatch.setattr(themes, "__file__", str(package / "tui" / "themes.py"))
    assert themes.layout_css_path() == package / "themes" / "dashboard.tcss"


def test_source_checkout_layout_is_the_repository_themes_dir() -> None:
    assert themes.layout_css_path() == REPO / "themes" / "dashboard.tcss"


def test_layout_css_has_no_literal_colours() -> None:
    css = (REPO / "themes" / "dashboard.tcss").read_text()
    assert not re.findall(r"#[0-9a-fA-F]{3,8}\b", re.sub(r"(?m)^\s*#[\w-]+.*\{", "", css))
    for match in re.findall(r"\b(?:rgb|hsl)a?\(", css):
        pytest.fail(f"literal colour function {match} in dashboard.tcss")


def test_the_tui_reads_only_through_store_query_modules() -> None:
    # The dashboard never runs SQL itself (the sample-data seeder lives in devtools/).
    offenders = []
    for path in TUI.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                if name in ("peewee", "sqlite3") or name == "convergio_tui.store.models":
                    offenders.append(f"{path.relative_to(REPO)}: {name}")
    assert offenders == []
