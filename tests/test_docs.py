"""The project carries its own documentation, and it keeps up with the code.

A clone of the repository must be enough to understand it: no file may cite a document
outside it, every link between the pages resolves, and the reference pages name every
command, flag, configuration key and plan key the code accepts."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import typing
from pathlib import Path

import click
import pytest
from conftest import REPO
from pydantic import BaseModel

from convergio_tui.cli import cli
from convergio_tui.config.schema import Config
from convergio_tui.engine.plan_spec import PlanSpec

DOCS = REPO / "docs"
PAGES = sorted([REPO / "README.md", *DOCS.rglob("*.md")])
# Documents that lived outside the repository. Each name is written in two pieces, so
# that this file, which holds the patterns, names none of them and is checked like any.
OUTSIDE = re.compile(
    "|".join([
        r"\.\./sha" "red/",
        "SP" "EC ?§",
        r"\bSP" "EC:",
        "PROVI" r"DERS\.md",
        r"(?<![\w/])C" r"LI\.md",
        "/tmp/con" "tracts",
    ])
)  # fmt: skip
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    suffixes = {".py", ".md", ".yaml", ".yml", ".toml", ".tcss", ".sh", ""}
    files = [REPO / n for n in names if n and Path(n).suffix in suffixes]
    # Recordings are the CLIs' own output.
    return [f for f in files if f.is_file() and "recordings" not in f.parts]


def test_nothing_cites_a_document_outside_the_repository() -> None:
    """The first contract's files (the sibling shared folder, its spec sections, its
    providers and command-line pages) and a temporary contracts file would point a reader
    at something a clone does not have: cite the docs/ page instead (patterns: OUTSIDE)."""
    hits = []
    for path in _tracked_text_files():
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not hits, "cite the docs/ page instead:\n" + "\n".join(hits)


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes."""
    found = set()
    for line in page.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_links_between_pages_resolve(page: Path) -> None:
    """Every relative link names a file that exists, and a heading that exists in it."""
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not ours to check offline
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no heading #{anchor}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


def test_docs_index_lists_every_page() -> None:
    """docs/README.md is the way in: every page of docs/ is listed there."""
    index = (DOCS / "README.md").read_text()
    missing = [
        p.name for p in DOCS.glob("*.md") if p.name != "README.md" and f"({p.name})" not in index
    ]
    assert not missing, f"add to docs/README.md: {missing}"


def _commands(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
    ctx = click.Context(group)
    found: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        found.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
    return found


def test_cli_page_names_every_command_and_flag() -> None:
    """docs/cli.md has a heading or row for every command and mentions each of its flags."""
    page = (DOCS / "cli.md").read_text()
    missing = []
    for path, command in _commands(cli, "convergio"):
        words = path.split()
        # `convergio vault set` is documented as a row `vault set …` of its group's table.
        if f"`{path}" not in page and f"`{' '.join(words[1:])}" not in page:
            missing.append(path)
        for param in command.params:
            if isinstance(param, click.Option):
                flag = max(param.opts, key=len)
                if flag not in page:
                    missing.append(f"{path} {flag}")
    for option in cli.params:
        if isinstance(option, click.Option):
            missing += [o for o in option.opts if o not in page]
    assert not missing, f"document in docs/cli.md: {missing}"


def _fields(model: type) -> dict[str, object]:
    """The fields of a pydantic model or a configuration section (a dataclass) and their
    types."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        return {name: field.annotation for name, field in model.model_fields.items()}
    hints = typing.get_type_hints(model)
    return {f.name: hints[f.name] for f in dataclasses.fields(model) if f.init}


def _keys(model: type) -> set[str]:
    """Every field name of ``model`` and of the models nested in it."""
    names: set[str] = set()
    for name, annotation in _fields(model).items():
        names.add(name)
        stack = [annotation]
        while stack:
            kind = stack.pop()
            if isinstance(kind, type) and (
                issubclass(kind, BaseModel) or dataclasses.is_dataclass(kind)
            ):
                names |= _keys(kind)
            stack.extend(typing.get_args(kind))
    return names


@pytest.mark.parametrize(
    ("page", "model"), [("configuration.md", Config), ("plan-format.md", PlanSpec)]
)
def test_reference_page_names_every_key(page: str, model: type) -> None:
    """A key the code accepts is documented: as `key`, or as the end of a dotted `a.key`."""
    text = (DOCS / page).read_text()
    missing = sorted(k for k in _keys(model) if not re.search(rf"`(?:[\w.*<>-]+\.)?{k}`", text))
    assert not missing, f"document in docs/{page}: {missing}"


PACKAGES = ("commands", "config", "store", "engine", "thor", "providers", "tools", "sandbox",
            "tui", "demo", "sim", "data")  # fmt: skip


def test_architecture_names_only_files_that_exist() -> None:
    """docs/architecture.md tells a newcomer which file to open: each one must be there
    (a module moved or renamed must be renamed in the page too)."""
    page = (DOCS / "architecture.md").read_text()
    named = re.findall(rf"`((?:{'|'.join(PACKAGES)})/[\w/.-]+)`", page)
    assert named, "the page names no module"
    package = REPO / "convergio_tui"
    missing = sorted({n for n in named if not (package / n).exists() and not (REPO / n).exists()})
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"
