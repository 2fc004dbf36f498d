"""The diff a task contributed, or a wave's, read from the store and git for a person to read.

**A task's diff** is what its branch adds to its wave branch, from where the two last met:
``git diff <wave>...<task>`` while the task is not merged. Once it is merged (the wave
branch contains the task's tip) that three-dot diff is empty, so the diff is the one the
task had just before its merge: the wave branch's first-parent line is walked to the
merge commit that brought the tip in, and the diff runs from where the tip forked off
that merge's first parent. So a done task keeps showing its own work, and only its own,
however many siblings were merged after it. A task sent back after its merge (a wave
review) is fast-forwarded to the wave branch before its next round, so from then on its
diff is that new round's work.

**A wave's diff** is its branch against the branch it started from (the previous wave's,
or the project's base branch for wave 1): ``git diff <base>...<wave>``.

Only reads git (``rev-parse``, ``rev-list``, ``merge-base``, ``diff``), hardened like
every call (no hook, filter, textconv or external diff of the repository runs). The
patch is read in a bounded piece: past :data:`MAX_PATCH_BYTES` the rest of the files are
listed with their line counts (``--numstat``) but without their lines, and each file
keeps at most :data:`~convergio_tui.engine.diff_parse.MAX_LINES_PER_FILE` diff lines.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from convergio_tui.engine import gitops
from convergio_tui.engine.diff_parse import FileDiff, parse_unified, with_counts
from convergio_tui.git import IDENTITY, GitError, git, hardening
from convergio_tui.store.models import Task, Wave

MAX_PATCH_BYTES = 4_000_000
TIMEOUT_S = 60.0
# Explicit, whatever the user's diff config says: the parser expects a/ and b/ prefixes.
_DIFF_ARGS = ("--no-color", "-M", "--src-prefix=a/", "--dst-prefix=b/", "--no-relative")


@dataclass(frozen=True)
class TaskDiff:
    """A task's (or a wave's) diff, or why there is none (``problem``)."""

    label: str  # what is compared: "T2-03 against convergio/…/wave-2"
    files: tuple[FileDiff, ...] = ()
    base: str = ""  # the commit the diff starts from (full id)
    head: str = ""  # the commit it ends at
    merged: bool = False  # a merged task: shown as it was just before its merge
    cut_at_bytes: int = 0  # the patch was cut here; later files have no lines
    problem: str = ""

    @property
    def added(self) -> int:
        """Lines added over every file."""
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        """Lines removed over every file."""
        return sum(f.removed for f in self.files)


def task_diff(task_id: int) -> TaskDiff:
    """The diff task ``task_id`` contributed (see the module docstring)."""
    task = Task.get_or_none(Task.id == task_id)
    if task is None:
        return TaskDiff(f"task {task_id}", problem="The task no longer exists.")
    wave: Wave = task.wave
    wave_branch = str(wave.branch or "")
    label = f"{task.code} against {wave_branch or 'its wave branch'}"
    if not task.branch:
        return TaskDiff(label, problem="No branch yet: the task has not run, or its plan runs "
                        "without worktrees (execution.worktrees: false).")  # fmt: skip
    repo = Path(str(task.plan.project.path))
    try:
        return _branch_diff(repo, str(task.branch), wave_branch, label)
    except (GitError, OSError) as exc:
        return TaskDiff(label, problem=_first_line(exc))


def wave_diff(wave_id: int) -> TaskDiff:
    """The diff of wave ``wave_id``: its branch against the branch it started from."""
    wave = Wave.get_or_none(Wave.id == wave_id)
    if wave is None:
        return TaskDiff(f"wave {wave_id}", problem="The wave no longer exists.")
    plan = wave.plan
    previous = Wave.get_or_none((Wave.plan == plan.id) & (Wave.seq == wave.seq - 1))
    start = str(previous.branch) if previous and previous.branch else str(plan.project.base_branch)
    label = f"wave {wave.seq} against {start}"
    if not wave.branch:
        return TaskDiff(label, problem="No branch yet: the wave has not started.")
    repo = Path(str(plan.project.path))
    try:
        base, head = _revs(repo, start, str(wave.branch))
        return _diff(repo, _merge_base(repo, base, head), head, label)
    except (GitError, OSError) as exc:
        return TaskDiff(label, problem=_first_line(exc))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def _revs(repo: Path, *refs: str) -> tuple[str, ...]:
    if not repo.is_dir():
        raise GitError(f"The repository {repo} is not there any more.")
    found = []
    for ref in refs:
        commit = gitops.rev(repo, ref)
        if commit is None:
            raise GitError(f"No branch {ref} in {repo} (deleted?): nothing to compare.")
        found.append(commit)
    return tuple(found)


def _merge_base(repo: Path, one: str, other: str) -> str:
    out = git(repo, "merge-base", one, other, read_only=True, check=False).stdout.strip()
    if not out:
        raise GitError(f"{one[:10]} and {other[:10]} have no commit in common.")
    return out


def _branch_diff(repo: Path, branch: str, wave_branch: str, label: str) -> TaskDiff:
    if not wave_branch:
        raise GitError("The task's wave has no branch recorded: nothing to compare against.")
    tip, wave = _revs(repo, branch, wave_branch)
    merged = gitops.is_merged(repo, tip, wave) and tip != wave
    if not merged:
        return _diff(repo, _merge_base(repo, wave, tip), tip, label)
    before = merge_parent(repo, tip, wave)
    base = tip if before is None else _merge_base(repo, before, tip)
    return replace(_diff(repo, base, tip, label), merged=True)


def merge_parent(repo: Path, tip: str, wave: str) -> str | None:
    """The wave branch just before it took ``tip`` in: the first parent of the oldest
    commit on ``wave``'s first-parent line that contains ``tip`` (None: none does)."""
    line = git(repo, "rev-list", "--first-parent", f"{tip}..{wave}", read_only=True).stdout.split()
    descendants = set(
        git(repo, "rev-list", "--ancestry-path", f"{tip}..{wave}", read_only=True).stdout.split()
    )
    containing = [c for c in line if c in descendants]  # newest first
    if not containing:
        return None
    return gitops.rev(repo, f"{containing[-1]}^1")


def _diff(repo: Path, base: str, head: str, label: str) -> TaskDiff:
    """The files changed from ``base`` to ``head`` with their hunks (bounded)."""
    numstat = git(repo, "diff", *_DIFF_ARGS, "--numstat", "-z", base, head, read_only=True).stdout
    counts = parse_numstat(numstat)
    patch, cut = capped_output(repo, ("diff", *_DIFF_ARGS, base, head), MAX_PATCH_BYTES)
    parsed = {f.path: f for f in parse_unified(patch.decode("utf-8", errors="replace"))}
    files = []
    for path, (added, removed, binary, old_path) in counts.items():
        found = parsed.get(path)
        if found is None:  # past the cut: listed with its counts, without its lines
            found = FileDiff(path, old_path, "renamed" if old_path else "modified")
        files.append(with_counts(found, added, removed, binary))
    return TaskDiff(label, tuple(files), base, head, cut_at_bytes=MAX_PATCH_BYTES if cut else 0)


def parse_numstat(text: str) -> dict[str, tuple[int, int, bool, str | None]]:
    """``git diff --numstat -z`` as path -> (added, removed, binary, old path if renamed)."""
    out: dict[str, tuple[int, int, bool, str | None]] = {}
    fields = text.split("\0")
    i = 0
    while i < len(fields):
        head = fields[i]
        parts = head.split("\t")
        if len(parts) < 3:
            i += 1
            continue
        binary = parts[0] == "-"
        added, removed = (0, 0) if binary else (int(parts[0]), int(parts[1]))
        if parts[2]:  # "added\tremoved\tpath"
            out[parts[2]] = (added, removed, binary, None)
            i += 1
        else:  # a rename: "added\tremoved\t", then the old and the new path
            if i + 2 < len(fields):
                out[fields[i + 2]] = (added, removed, binary, fields[i + 1])
            i += 3
    return out


def capped_output(repo: Path, args: tuple[str, ...], max_bytes: int) -> tuple[bytes, bool]:
    """Hardened ``git -C repo args``'s stdout, at most ``max_bytes`` of it (True when cut:
    git is stopped there rather than read to the end of a runaway diff)."""
    argv, env = hardening.command(
        repo, "-c", "core.quotePath=false", *args, read_only=True, extra_env=IDENTITY
    )
    # stderr to a file: a pipe nobody reads while stdout is read could fill and hang git.
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
        )
        timer = threading.Timer(TIMEOUT_S, proc.kill)
        timer.start()
        try:
            assert proc.stdout is not None
            with proc.stdout:
                data = proc.stdout.read(max_bytes + 1)
                cut = len(data) > max_bytes
                if cut:
                    proc.kill()
            code = proc.wait()
        finally:
            timer.cancel()
        errors.seek(0)
        error = errors.read(4000).decode("utf-8", errors="replace").strip()
    if not cut and code != 0:
        raise GitError(f"git {args[0]} failed in {repo}: {error or f'exit code {code}'}")
    return data[:max_bytes], cut
