"""Node, Rust, Go and Makefile detection (Python is in ``python.py``)."""

from __future__ import annotations

import re

from convergio_tui.thor.toolchain.files import ProjectFiles
from convergio_tui.thor.toolchain.model import Found, GateName

# Which package manager a lockfile belongs to, in the order they are looked for (a
# project with two lockfiles gets the first).
LOCKFILES = (
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
)
MANAGERS = ("npm", "pnpm", "yarn", "bun")
NODE_SCRIPTS: tuple[tuple[GateName, str], ...] = (
    ("test", "test"),
    ("lint", "lint"),
    ("build", "build"),
)
# What `npm init` writes as the test script: a placeholder that always fails.
_PLACEHOLDER = "no test specified"
MAKEFILES = ("GNUmakefile", "makefile", "Makefile")  # GNU make's own lookup order
MAKE_TARGETS: tuple[GateName, ...] = ("test", "lint", "build")
# A rule line: targets, one or two colons, not an assignment (`:=`, `::=`).
_RULE = re.compile(r"^(?P<targets>[^\s:#=][^:#=]*?)\s*::?(?!=)")


def package_manager(files: ProjectFiles, package: dict[str, object]) -> tuple[str, str]:
    """(manager, why): from the lockfile, else package.json's ``packageManager``, else npm
    (why: ``from package-lock.json``, ``from packageManager``, ``without a lockfile``)."""
    for lockfile, manager in LOCKFILES:
        if files.exists(lockfile):
            return manager, f"from {lockfile}"
    declared = package.get("packageManager")
    if isinstance(declared, str):
        name = declared.split("@", 1)[0].strip()
        if name in MANAGERS:
            return name, "from packageManager"
    return "npm", "without a lockfile"


def _script_command(manager: str, script: str) -> str:
    # `bun test` is bun's own test runner, not the script: bun always gets `run`.
    if script == "test" and manager != "bun":
        return f"{manager} test"
    return f"{manager} run {script}"


def detect_node(files: ProjectFiles) -> list[Found]:
    """``package.json`` scripts ``test``, ``lint`` and ``build``, with the lockfile's
    package manager."""
    package = files.json("package.json")
    if package is None:
        return []
    scripts = package.get("scripts")
    if not isinstance(scripts, dict):
        return []
    manager, why = package_manager(files, package)
    found = []
    for gate, script in NODE_SCRIPTS:
        body = scripts.get(script)
        if not isinstance(body, str) or not body.strip() or _PLACEHOLDER in body:
            continue
        source = f"package.json scripts.{script}, with {manager} {why}"
        found.append(Found(gate, _script_command(manager, script), source))
    return found


def detect_rust(files: ProjectFiles) -> list[Found]:
    """``Cargo.toml``: cargo test, clippy with warnings as errors, cargo build."""
    if not files.exists("Cargo.toml"):
        return []
    return [
        Found("lint", "cargo clippy -- -D warnings", "Cargo.toml"),
        Found("test", "cargo test", "Cargo.toml"),
        Found("build", "cargo build", "Cargo.toml"),
    ]


def detect_go(files: ProjectFiles) -> list[Found]:
    """``go.mod``: go vet, go test and go build over every package."""
    if not files.exists("go.mod"):
        return []
    return [
        Found("lint", "go vet ./...", "go.mod"),
        Found("test", "go test ./...", "go.mod"),
        Found("build", "go build ./...", "go.mod"),
    ]


def makefile_targets(text: str) -> set[str]:
    """The explicit targets a Makefile defines (recipe lines and variables ignored)."""
    targets: set[str] = set()
    for line in text.splitlines():
        if line.startswith("\t"):
            continue  # a recipe line
        match = _RULE.match(line)
        if match is not None:
            targets.update(match.group("targets").split())
    return targets


def detect_make(files: ProjectFiles) -> list[Found]:
    """A Makefile's ``test``, ``lint`` and ``build`` targets, as ``make <target>``."""
    for name in MAKEFILES:
        text = files.text(name)
        if text is None:
            continue
        targets = makefile_targets(text)
        return [
            Found(gate, f"make {gate}", f"{name} target {gate}")
            for gate in MAKE_TARGETS
            if gate in targets
        ]
    return []
