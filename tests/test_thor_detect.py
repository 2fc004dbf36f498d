"""Which command each gate runs: configured commands win, ``null`` switches a gate off,
``projects.<name>.thor`` overrides per project, the rest is detected; and
``convergio thor detect`` shows it (docs/thor.md, docs/cli.md)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from engine_fixtures import shipped_dict, write_config
from test_thor_support import Sandbox

from convergio_tui.config.loader import load_config
from convergio_tui.config.schema import Config, ProjectConfig
from convergio_tui.config.thor_schema import ThorConfig
from convergio_tui.thor.toolchain import effective_commands, effective_thor

PYPROJECT = '[tool.ruff]\nline-length = 100\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
PACKAGE_JSON = json.dumps({"name": "web", "scripts": {"test": "node --test", "build": "tsc"}})


def python_project(root: Path) -> Path:
    """A tiny Python package with pytest and ruff configured."""
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "tests" / "test_x.py").write_text("def test_x():\n    assert True\n")
    return root


def node_project(root: Path) -> Path:
    """A tiny Node package whose lockfile says npm."""
    root.mkdir(parents=True)
    (root / "package.json").write_text(PACKAGE_JSON)
    (root / "package-lock.json").write_text("{}\n")
    return root


def config_file(tmp_path: Path, thor: dict[str, Any] | None = None,
                projects: dict[str, Any] | None = None) -> Path:  # fmt: skip
    """The shipped configuration with these ``thor:`` keys and ``projects:``."""
    data = copy.deepcopy(shipped_dict())
    data["thor"].update(thor or {})
    data["projects"] = projects or {}
    return write_config(tmp_path / "orchestrator.yaml", data)


def table(config_path: Path, project: str | None, root: Path) -> dict[str, Any]:
    """gate -> (origin, [(command, origin)]) through the real loader."""
    effective = effective_commands(load_config(config_path), project, root)
    return {
        gate: (g.origin, [(c.command, c.origin) for c in g.commands])
        for gate, g in effective.gates.items()
    }


def test_nothing_configured_means_detected(tmp_path: Path) -> None:
    root = python_project(tmp_path / "calc")
    found = table(config_file(tmp_path), None, root)
    assert found["test"] == (
        "detected",
        [("python3 -m pytest", "detected from pyproject.toml [tool.pytest.ini_options]")],
    )
    assert found["perf"] == ("none", [])


def test_configured_commands_win_over_detection(tmp_path: Path) -> None:
    root = python_project(tmp_path / "calc")
    path = config_file(tmp_path, {"test_command": "pytest -q -x", "lint_commands": ["true"]})
    found = table(path, None, root)
    assert found["test"] == ("configured", [("pytest -q -x", "configured")])
    assert found["lint"] == ("configured", [("true", "configured")])


def test_null_switches_a_gate_off_instead_of_detecting(tmp_path: Path) -> None:
    root = node_project(tmp_path / "web")
    path = config_file(tmp_path, {"test_command": None, "lint_commands": []})
    found = table(path, None, root)
    assert found["test"] == ("off (null)", [])
    assert found["lint"] == ("off (empty)", [])
    # The build gate is left out: still detected.
    assert found["build"][1] == [
        (
            "npm run build",
            "detected from package.json scripts.build, with npm from package-lock.json",
        )
    ]


def test_projects_thor_overrides_the_thor_section_for_that_project_only(tmp_path: Path) -> None:
    web, calc = node_project(tmp_path / "web"), python_project(tmp_path / "calc")
    path = config_file(
        tmp_path,
        {"test_command": "pytest -q"},
        {
            "web": {"path": str(web), "thor": {"test_command": "npm run ci",
                                               "build_command": None,
                                               "code_globs": ["**/*.js"]}},
            "calc": {"path": str(calc)},
        },
    )  # fmt: skip
    found = table(path, "web", web)
    assert found["test"] == (
        "configured in projects.web.thor",
        [("npm run ci", "configured in projects.web.thor")],
    )
    assert found["build"] == ("off (null in projects.web.thor)", [])
    assert table(path, "calc", calc)["test"] == ("configured", [("pytest -q", "configured")])
    config = load_config(path)
    assert effective_thor(config, "web").code_globs == ["**/*.js"]
    assert effective_thor(config, "calc").code_globs == ["**/*.py"]


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("test_comand", "unknown key"),
        ("max_rounds", "max_rounds applies to every project"),
    ],
)
def test_a_bad_projects_thor_key_is_refused_with_file_line_and_key(
    tmp_path: Path, key: str, message: str
) -> None:
    web = node_project(tmp_path / "web")
    path = config_file(tmp_path, projects={"web": {"path": str(web), "thor": {key: 5}}})
    expected_line = line_of(path, f"{key}:" if key == "test_comand" else "thor:")

    for args in (("config", "check"), ("thor", "detect", "web")):
        result = run_cli("--config", str(path), *args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stdout == ""
        assert f"{path}:" in result.stderr and "projects.web.thor" in result.stderr
        assert message in result.stderr
    checked = run_cli("--config", str(path), "config", "check", "--json")
    (problem,) = json.loads(checked.stdout)["errors"]
    want_key = "projects.web.thor" + (f".{key}" if key == "test_comand" else "")
    assert (problem["line"], problem["key"]) == (expected_line, want_key)


def test_cli_detect_prints_each_gates_command_and_origin(tmp_path: Path) -> None:
    web = node_project(tmp_path / "web")
    path = config_file(
        tmp_path,
        {"perf_command": None},
        {"web": {"path": str(web), "thor": {"lint_commands": ["eslint ."]}}},
    )

    text = run_cli("--config", str(path), "thor", "detect", "web")
    as_json = run_cli("--config", str(path), "thor", "detect", "web", "--json")

    assert text.returncode == 0, text.stderr
    assert (
        "npm test  (detected from package.json scripts.test, with npm from package-lock.json)"
        in text.stdout
    )
    assert "eslint .  (configured in projects.web.thor)" in text.stdout
    assert "none: perf_command switched off (null)" in text.stdout
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["project"] == "web" and document["configured"] is True
    assert document["root"] == str(web.resolve())
    assert document["gates"]["test"] == {
        "gate": 8,
        "key": "test_command",
        "origin": "detected",
        "commands": [
            {
                "command": "npm test",
                "origin": "detected from package.json scripts.test, with npm from package-lock.json",
            }
        ],
    }
    assert document["gates"]["perf"]["origin"] == "off (null)"
    assert document["gates"]["perf"]["commands"] == []


def test_cli_detect_without_project_uses_the_current_directorys_project(tmp_path: Path) -> None:
    web = node_project(tmp_path / "web")
    (web / "src").mkdir()
    loose = python_project(tmp_path / "loose")
    (loose / ".git").mkdir()  # the top of a repository the configuration does not name
    (loose / "pkg").mkdir()
    path = config_file(tmp_path, projects={"web": {"path": str(web)}})

    inside = run_cli("--config", str(path), "thor", "detect", "--json", cwd=web / "src")
    other = run_cli("--config", str(path), "thor", "detect", "--json", cwd=loose / "pkg")
    by_path = run_cli("--config", str(path), "thor", "detect", str(loose), "--json")

    assert json.loads(inside.stdout)["project"] == "web"
    for result in (other, by_path):
        document = json.loads(result.stdout)
        assert (document["project"], document["configured"]) == ("loose", False)
        assert document["root"] == str(loose.resolve())
        assert document["gates"]["test"]["commands"][0]["command"] == "python3 -m pytest"


def test_cli_detect_refuses_an_unknown_project(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    result = run_cli("--config", str(path), "thor", "detect", "nowhere", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert "'nowhere' is neither a project in the configuration" in result.stderr


def test_gates_use_the_tasks_projects_thor_and_name_its_origin(
    tmp_path: Path, db_file: Path, shipped_config: Config
) -> None:
    box = Sandbox(tmp_path, shipped_config)
    project = ProjectConfig(
        path=str(box.repo),
        thor=ThorConfig.model_validate(
            {"test_command": "echo project tests ran; exit 3", "lint_commands": None}
        ),
    )
    box.config = shipped_config.model_copy(
        update={
            "projects": {"proj": project},
            "thor": ThorConfig.model_validate({"test_command": None, "lint_commands": ["exit 0"]}),
        }
    )
    task = box.add_task("T1-01")
    box.write(task, {"notes.md": "hi\n"})
    box.commit(task)

    review = box.review(task)

    by_gate = {o.gate: o for o in review.outcomes}
    assert by_gate[8].verdict == "fail"
    assert "`echo project tests ran; exit 3` (configured in projects.proj.thor) failed" in (
        by_gate[8].evidence
    )
    assert "project tests ran" in by_gate[8].evidence
    # The project switched lint off: only the diff is inspected, the top-level command never runs.
    assert by_gate[2].verdict == "pass" and "exit 0" not in by_gate[2].evidence
