"""A compact view of the repository a plan is drafted for: what the planning prompt shows.

Three parts, each capped so a large repository cannot crowd out the goal or blow the
prompt limit: the tracked file tree (``git ls-files``, the shallowest paths first when
there are more than ``max_files``), the head of the README, and the lint, test and build
commands Thor would run (configured, else detected from the project's files, as ``convergio
thor detect`` shows). :func:`read_repo_view` reads the disk; :meth:`RepoView.render` is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from convergio_tui.config.schema import Config
from convergio_tui.engine import gitops
from convergio_tui.thor.toolchain import effective_commands

MAX_FILES = 300
README_CHARS = 3000
README_NAMES = ("README.md", "README.rst", "README.txt", "README", "readme.md")


@dataclass(frozen=True)
class RepoView:
    """What the planner is told about the repository."""

    files: tuple[str, ...]  # the tracked paths shown, sorted
    total_files: int  # how many are tracked
    readme_name: str | None
    readme_head: str  # at most README_CHARS characters, cut at a line end
    readme_cut: bool
    commands: tuple[str, ...]  # "test: `python -m pytest -q` (detected from ...)"

    def render(self) -> str:
        """The view as prompt text."""
        lines = [f"Tracked files ({self.total_files}):"]
        lines += [f"  {path}" for path in self.files]
        hidden = self.total_files - len(self.files)
        if hidden > 0:
            lines.append(f"  ... and {hidden} more (deeper paths are left out; read the "
                         "repository for them)")  # fmt: skip
        if not self.files:
            lines.append("  (none: the repository is empty)")
        lines.append("")
        lines.append("Thor's commands for this project (run after every task round):")
        lines += [f"  {c}" for c in self.commands]
        if self.readme_name is not None:
            cut = " (its beginning)" if self.readme_cut else ""
            lines += ["", f"{self.readme_name}{cut}:", self.readme_head.rstrip()]
        return "\n".join(lines)


def shown_files(paths: list[str], limit: int) -> tuple[str, ...]:
    """At most ``limit`` of ``paths``: the shallowest first (the layout matters more than
    the thousandth test fixture), returned in path order. Pure."""
    if len(paths) <= limit:
        return tuple(sorted(paths))
    shallow = sorted(paths, key=lambda p: (p.count("/"), p))[:limit]
    return tuple(sorted(shallow))


def readme_head(text: str, limit: int = README_CHARS) -> tuple[str, bool]:
    """The first ``limit`` characters of ``text``, cut at a line end; and whether it was cut.
    Pure."""
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    end = head.rfind("\n")
    return (head[:end] if end > 0 else head), True


def _tracked(root: Path) -> list[str]:
    proc = gitops.git(root, "ls-files", "-z", check=False, read_only=True)
    if proc.returncode != 0:
        return []
    return [p for p in proc.stdout.split("\0") if p]


def _commands(config: Config, project: str | None, root: Path) -> tuple[str, ...]:
    found = effective_commands(config, project, root)
    lines = []
    for gate, commands in found.gates.items():
        if commands.commands:
            lines += [f"{gate}: {c.label()}" for c in commands.commands]
        else:
            lines.append(f"{gate}: none ({commands.why_none()})")
    return tuple(lines)


def read_repo_view(
    root: Path,
    config: Config,
    project: str | None,
    *,
    max_files: int = MAX_FILES,
    readme_chars: int = README_CHARS,
) -> RepoView:
    """The view of the repository at ``root``; ``project`` is its name in ``projects:``
    (None for a directory the configuration does not name)."""
    tracked = _tracked(root)
    top = set(tracked)
    name = next((n for n in README_NAMES if n in top and (root / n).is_file()), None)
    head, cut = "", False
    if name is not None:
        try:
            with (root / name).open(encoding="utf-8", errors="replace") as handle:
                text = handle.read(readme_chars + 1)
        except OSError:
            text = ""
        head, cut = readme_head(text, readme_chars)
    return RepoView(shown_files(tracked, max_files), len(tracked), name, head, cut,
                    _commands(config, project, root))  # fmt: skip
