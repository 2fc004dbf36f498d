"""Toolchain detection on real scratch projects: which command each gate would run when
nothing is configured, and the file that says so (docs/thor.md)."""

from __future__ import annotations

import json
from pathlib import Path

from convergio_tui.thor.toolchain import detect


def project(root: Path, files: dict[str, str]) -> Path:
    """A directory holding ``files`` (relative path -> text)."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def commands(root: Path) -> dict[str, list[tuple[str, str]]]:
    """gate -> [(command, origin)] as detected at ``root``."""
    return {gate: [(f.command, f.origin) for f in found] for gate, found in detect(root).items()}


PY_PACKAGE = {
    "pyproject.toml": (
        '[project]\nname = "calc"\nversion = "0.1.0"\n\n'
        '[tool.ruff]\nline-length = 100\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    ),
    "calc/__init__.py": "def add(a, b):\n    return a + b\n",
    "tests/test_calc.py": "from calc import add\n\n\ndef test_add():\n    assert add(2, 2) == 4\n",
}


def test_python_package_gets_ruff_and_pytest_from_its_pyproject(tmp_path: Path) -> None:
    found = commands(project(tmp_path, PY_PACKAGE))
    assert found["lint"] == [
        ("python3 -m ruff check .", "detected from pyproject.toml [tool.ruff]")
    ]
    assert found["test"] == [
        ("python3 -m pytest", "detected from pyproject.toml [tool.pytest.ini_options]")
    ]
    assert found["build"] == [] and found["perf"] == []


def test_a_project_venv_is_the_interpreter_by_absolute_path(tmp_path: Path) -> None:
    root = project(tmp_path, {**PY_PACKAGE, ".venv/bin/python": "#!/bin/sh\n"})
    found = commands(root)
    python = str(root.resolve() / ".venv" / "bin" / "python")
    assert found["test"] == [
        (
            f"{python} -m pytest",
            "detected from pyproject.toml [tool.pytest.ini_options], with .venv/bin/python",
        )
    ]


def test_python_tests_without_config_still_get_pytest(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": "X = 1\n", "test_app.py": "def test_x():\n    pass\n"})
    assert [c for c, _ in commands(root)["test"]] == ["python3 -m pytest"]
    assert commands(root)["lint"] == []


def test_unittest_only_tests_get_unittest_which_needs_nothing_installed(tmp_path: Path) -> None:
    unit = "import unittest\n\n\nclass T(unittest.TestCase):\n    def test_x(self):\n        pass\n"
    package = project(tmp_path / "pkg", {"tests/__init__.py": "", "tests/test_x.py": unit})
    folder = project(tmp_path / "folder", {"tests/test_x.py": unit})
    assert commands(package)["test"] == [
        (
            "python3 -m unittest discover -s tests -t .",
            "detected from tests/: unittest files and no sign of pytest",
        )
    ]
    assert commands(folder)["test"][0][0] == "python3 -m unittest discover -s tests"
    # A conftest.py says pytest, whatever the tests import.
    project(folder, {"conftest.py": ""})
    assert commands(folder)["test"] == [("python3 -m pytest", "detected from conftest.py")]


def test_no_tests_and_no_config_detect_nothing_for_python(tmp_path: Path) -> None:
    root = project(
        tmp_path, {"app.py": "X = 1\n", "node_modules/x/test_y.py": "", ".hidden/test_z.py": ""}
    )
    assert all(found == [] for found in commands(root).values())


def test_flake8_and_mypy_from_setup_cfg_and_mypy_ini(tmp_path: Path) -> None:
    cfg = project(
        tmp_path / "cfg", {"setup.cfg": "[flake8]\nmax-line-length = 99\n[mypy]\nfiles = src\n"}
    )
    ini = project(
        tmp_path / "ini", {"tox.ini": "[flake8]\n", "mypy.ini": "[mypy]\nstrict = True\n"}
    )
    assert commands(cfg)["lint"] == [
        ("python3 -m flake8", "detected from setup.cfg [flake8]"),
        ("python3 -m mypy", "detected from setup.cfg [mypy]"),
    ]
    assert commands(ini)["lint"] == [
        ("python3 -m flake8", "detected from tox.ini [flake8]"),
        ("python3 -m mypy .", "detected from mypy.ini [mypy]"),
    ]


def test_pytest_named_as_a_dependency_is_enough(tmp_path: Path) -> None:
    reqs = project(
        tmp_path / "reqs", {"requirements-dev.txt": "ruff\npytest>=8\n", "tests/t.py": ""}
    )
    groups = project(
        tmp_path / "groups",
        {"pyproject.toml": '[dependency-groups]\ndev = ["pytest-cov"]\n', "src/a.py": ""},
    )
    assert commands(reqs)["test"] == [
        ("python3 -m pytest", "detected from requirements-dev.txt, where pytest is a dependency")
    ]
    assert commands(groups)["test"] == [
        ("python3 -m pytest", "detected from pyproject.toml, where pytest is a dependency")
    ]


NODE = {
    "package.json": json.dumps({"name": "calc", "scripts": {"test": "node --test", "build": "tsc"}})
}


def test_node_scripts_run_with_the_lockfiles_package_manager(tmp_path: Path) -> None:
    for lockfile, test, build in [
        ("package-lock.json", "npm test", "npm run build"),
        ("pnpm-lock.yaml", "pnpm test", "pnpm run build"),
        ("yarn.lock", "yarn test", "yarn run build"),
        ("bun.lockb", "bun run test", "bun run build"),
        ("bun.lock", "bun run test", "bun run build"),
    ]:
        root = project(tmp_path / lockfile, {**NODE, lockfile: ""})
        found = commands(root)
        manager = test.split()[0]
        assert found["test"] == [
            (test, f"detected from package.json scripts.test, with {manager} from {lockfile}")
        ]
        assert [c for c, _ in found["build"]] == [build]
        assert found["lint"] == []  # no lint script


def test_node_without_lockfile_uses_package_manager_field_else_npm(tmp_path: Path) -> None:
    declared = {"packageManager": "pnpm@9.1.0", "scripts": {"lint": "eslint ."}}
    pnpm = project(tmp_path / "pnpm", {"package.json": json.dumps(declared)})
    npm = project(tmp_path / "npm", NODE)
    assert commands(pnpm)["lint"] == [
        ("pnpm run lint", "detected from package.json scripts.lint, with pnpm from packageManager")
    ]
    assert (
        commands(npm)["test"][0][1]
        == "detected from package.json scripts.test, with npm without a lockfile"
    )


def test_npm_init_placeholder_test_script_is_not_a_test_command(tmp_path: Path) -> None:
    script = 'echo "Error: no test specified" && exit 1'
    root = project(tmp_path, {"package.json": json.dumps({"scripts": {"test": script}})})
    assert commands(root)["test"] == []


def test_cargo_and_go_projects(tmp_path: Path) -> None:
    rust = project(tmp_path / "rust", {"Cargo.toml": '[package]\nname = "calc"\n'})
    go = project(tmp_path / "go", {"go.mod": "module example.com/calc\n\ngo 1.22\n"})
    assert commands(rust) == {
        "lint": [("cargo clippy -- -D warnings", "detected from Cargo.toml")],
        "test": [("cargo test", "detected from Cargo.toml")],
        "build": [("cargo build", "detected from Cargo.toml")],
        "perf": [],
    }
    assert commands(go) == {
        "lint": [("go vet ./...", "detected from go.mod")],
        "test": [("go test ./...", "detected from go.mod")],
        "build": [("go build ./...", "detected from go.mod")],
        "perf": [],
    }


MAKEFILE = (
    "PY := python3\n"
    ".PHONY: test build\n"
    "test: deps\n\t$(PY) -m unittest\n"
    "build:\n\techo build\n"
    "lint-fix:\n\techo not lint\n"
    "deps:\n\t@true\n"
)


def test_makefile_targets_win_over_the_toolchain_gate_by_gate(tmp_path: Path) -> None:
    root = project(tmp_path, {**PY_PACKAGE, "Makefile": MAKEFILE})
    found = commands(root)
    assert found["test"] == [("make test", "detected from Makefile target test")]
    assert found["build"] == [("make build", "detected from Makefile target build")]
    # No `lint` target (lint-fix is another): the toolchain's linter stays.
    assert found["lint"] == [
        ("python3 -m ruff check .", "detected from pyproject.toml [tool.ruff]")
    ]


def test_two_toolchains_both_contribute_in_a_fixed_order(tmp_path: Path) -> None:
    root = project(
        tmp_path, {**PY_PACKAGE, **NODE, "package-lock.json": "", "go.mod": "module m\n"}
    )
    assert [c for c, _ in commands(root)["test"]] == [
        "python3 -m pytest",
        "npm test",
        "go test ./...",
    ]


def test_malformed_files_detect_less_and_never_raise(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "pyproject.toml": "[tool.ruff\nbroken = ",
            "package.json": "{not json",
            "setup.cfg": "no section header\n",
            "Makefile": "\x00\x01",
        },
    )
    assert all(found == [] for found in commands(root).values())
    assert all(found == () for found in detect(tmp_path / "missing").values())
