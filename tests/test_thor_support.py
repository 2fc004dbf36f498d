"""Helpers for the Thor tests: a real git project, a plan in a real SQLite file, and the
branches/worktrees/commits the engine makes (docs/architecture.md). No tests here."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convergio_tui.config.schema import Config
from convergio_tui.config.thor_schema import ThorConfig
from convergio_tui.store.models import Plan, Project, Task, Wave
from convergio_tui.thor.crossreview import ReviewRunner
from convergio_tui.thor.review import (
    Review,
    TaskReviewInput,
    WaveReviewInput,
    review_task,
    review_wave,
)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@localhost",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@localhost",
}  # fmt: skip


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; fail the test on error."""
    import os

    proc = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, **GIT_ENV},
    )  # fmt: skip
    assert proc.returncode == 0, f"git {args}: {proc.stderr}"
    return proc.stdout


def with_thor(config: Config, **settings: Any) -> Config:
    """``config`` with its ``thor:`` section replaced."""
    return config.model_copy(update={"thor": ThorConfig.model_validate(settings)})


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    """A git repository on ``main`` with one commit."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    content = {"README.md": "# project\n", ".gitignore": "__pycache__/\n*.pyc\n.pytest_cache/\n"}
    content.update(files or {})
    for name, text in content.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    return path


@dataclass
class Sandbox:
    """One project, one plan, one wave; tasks are added and worked like the engine does."""

    tmp: Path
    config: Config
    repo: Path = field(init=False)
    plan: Plan = field(init=False)
    wave: Wave = field(init=False)

    def __post_init__(self) -> None:
        self.repo = make_repo(self.tmp / "project")
        project = Project.create(name="proj", path=str(self.repo), base_branch="main")
        self.plan = Plan.create(project=project, name="plan")
        self.wave_branch = f"convergio/{self.plan.id}/wave-1"
        self.wave = Wave.create(plan=self.plan, seq=1, name="w1", branch=self.wave_branch)
        git(self.repo, "branch", self.wave_branch, "main")

    def add_task(self, code: str, *, files: list[str] | None = None,
                 verify: list[str] | None = None, prompt: str = "do it", **extra: Any) -> Task:  # fmt: skip
        """A task of the wave as the engine hands it to Thor, ``validating`` (``extra``
        overrides columns)."""
        columns: dict[str, Any] = {
            "plan": self.plan, "wave": self.wave, "code": code, "title": f"task {code}",
            "prompt": prompt, "type": "coding", "files": files or [], "verify": verify or [],
            "status": "validating", "provider": "claude", "model": "claude-sonnet-4-5",
        }  # fmt: skip
        columns.update(extra)
        return Task.create(**columns)

    def finish(self, task: Task, files: dict[str, str], config: Config | None = None) -> None:
        """A round that passes its gates, merged into the wave branch and accepted."""
        from convergio_tui.thor.rounds import accept_task

        self.write(task, files)
        self.commit(task)
        review = self.review(task, config=config)
        assert review.passed, review.evidence_text
        self.merge(task)
        accept_task(task.id)

    def branch(self, task: Task) -> str:
        """The task's branch name."""
        return f"convergio/{self.plan.id}/{task.code}/work"

    def worktree(self, task: Task) -> Path:
        """The task's worktree, created from the wave branch on first use."""
        path = self.tmp / "worktrees" / str(self.plan.id) / task.code
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            git(
                self.repo,
                "worktree",
                "add",
                "-q",
                "-b",
                self.branch(task),
                str(path),
                self.wave_branch,
            )
            Task.update(worktree=str(path), branch=self.branch(task)).where(
                Task.id == task.id
            ).execute()
        return path

    def write(self, task: Task, files: dict[str, str]) -> None:
        """The agent's edits in the task's worktree."""
        root = self.worktree(task)
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)

    def commit(self, task: Task) -> None:
        """Commit the worktree as the engine does (``convergio(<code>): <title> [round N]``)."""
        task = Task.get_by_id(task.id)
        root = self.worktree(task)
        git(root, "add", "-A")
        git(root, "commit", "-q", "--allow-empty", "-m",
            f"convergio({task.code}): {task.title} [round {task.round}]")  # fmt: skip

    def review(self, task: Task, *, success: bool = True, error: str = "",
               config: Config | None = None) -> Review:  # fmt: skip
        """Thor's review of the task's current round."""
        task = Task.get_by_id(task.id)
        return review_task(
            TaskReviewInput(
                task_id=task.id, run_id=None, round=task.round, repo=self.repo,
                worktree=self.worktree(task), task_branch=self.branch(task),
                wave_branch=self.wave_branch, config=config or self.config,
                worker_success=success, worker_error=error, result_text="",
            )
        )  # fmt: skip

    def merge(self, task: Task) -> None:
        """Merge the task branch into the wave branch (--no-ff), outside any checkout."""
        wt = self.tmp / "merge-wt"
        git(self.repo, "worktree", "add", "-q", str(wt), self.wave_branch)
        try:
            git(wt, "merge", "-q", "--no-ff", "-m", f"Merge {task.code}", self.branch(task))
        finally:
            git(self.repo, "worktree", "remove", "--force", str(wt))

    def review_wave(
        self, config: Config | None = None, cross_review: ReviewRunner | None = None
    ) -> Review:
        """Thor's review of the whole wave against ``main`` (``cross_review``: the engine's
        dispatch of gate 10's reviewer, when the test has an engine)."""
        return review_wave(
            WaveReviewInput(
                self.wave.id, self.repo, self.wave_branch, "main", config or self.config,
                cross_review=cross_review,
            )
        )  # fmt: skip
