"""Real branches for the sample plan's tasks, so the diff view has work to show.

The sample project (``devtools/sample_data.py``) is an empty git repository and its tasks
have no branch. :func:`give_branch` commits a base on ``main``, makes the task's wave
branch and the task's branch from it, commits ``files`` there as the engine would, and
records both branches in the database. Dates and identity are fixed, so the commit ids
(shown in the diff view's summary) are the same on every run: the snapshots rely on it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from convergio_tui.store.models import Project, Task, Wave

FIXED = {
    "GIT_AUTHOR_NAME": "Convergio", "GIT_AUTHOR_EMAIL": "convergio@localhost",
    "GIT_COMMITTER_NAME": "Convergio", "GIT_COMMITTER_EMAIL": "convergio@localhost",
    "GIT_AUTHOR_DATE": "2026-05-20T14:00:00Z", "GIT_COMMITTER_DATE": "2026-05-20T14:00:00Z",
}  # fmt: skip

BASE_FILES = {
    "app/session.py": (
        "import time\n\n\nclass Session:\n"
        '    """A login session."""\n\n'
        "    def __init__(self, user: str, ttl: int = 3600) -> None:\n"
        "        self.user = user\n        self.created = time.time()\n        self.ttl = ttl\n\n"
        "    def expired(self) -> bool:\n        return time.time() > self.created + self.ttl\n"
    ),
    "README.md": "# webapp\n",
}
TASK_FILES = {
    "app/session.py": (
        "import time\n\n\nclass Session:\n"
        '    """A login session."""\n\n'
        "    def __init__(self, user: str, ttl: int = 3600, clock=time.monotonic) -> None:\n"
        "        self.user = user\n        self.clock = clock\n"
        "        self.created = clock()\n        self.ttl = ttl\n\n"
        "    def expired(self) -> bool:\n        return self.clock() >= self.created + self.ttl\n"
    ),
    "tests/test_session.py": (
        "from app.session import Session\n\n\n"
        "def test_expiry():\n    now = [100.0]\n"
        "    session = Session('ada', ttl=10, clock=lambda: now[0])\n"
        "    assert not session.expired()\n    now[0] = 110.0\n    assert session.expired()\n"
    ),
}


def git(repo: Path, *args: str) -> str:
    """git in ``repo`` with the fixed identity and dates; its stdout."""
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, **FIXED})  # fmt: skip
    return proc.stdout


def write(repo: Path, files: dict[str, str | bytes]) -> None:
    """Write ``files`` (text or bytes) under ``repo``."""
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def give_branch(task_id: int, files: dict[str, str | bytes] | None = None) -> Path:
    """Commit ``files`` (default :data:`TASK_FILES`) on a branch of task ``task_id``, made
    from its wave's branch (made from a base commit on main if need be); the repository."""
    task = Task.get_by_id(task_id)
    repo = Path(Project.get_by_id(task.plan.project_id).path)
    if not _has_commits(repo):
        git(repo, "checkout", "-q", "-B", "main")
        write(repo, dict(BASE_FILES))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "base")
    wave_branch = f"convergio/sample/wave-{task.wave.seq}"
    if not git(repo, "branch", "--list", wave_branch).strip():
        git(repo, "branch", wave_branch, "main")
    branch = f"convergio/sample/{task.code}/work"
    git(repo, "checkout", "-q", "-B", branch, wave_branch)
    write(repo, dict(files or TASK_FILES))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"convergio({task.code}): {task.title} [round {task.round}]")
    git(repo, "checkout", "-q", "main")
    Wave.update(branch=wave_branch).where(Wave.id == task.wave_id).execute()
    Task.update(branch=branch).where(Task.id == task_id).execute()
    return repo


def _has_commits(repo: Path) -> bool:
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=repo,
                          capture_output=True, text=True, check=False)  # fmt: skip
    return proc.returncode == 0
