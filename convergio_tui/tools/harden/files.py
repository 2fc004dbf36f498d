"""Which files a scan reads, the allow-list file, and the parallel scan over files.

By default only git-tracked files are scanned (what could be pushed); outside a git
repository, or with ``tracked_only=False``, the tree is walked (``.git`` skipped).
Lock files, binaries and files over ``MAX_FILE_BYTES`` are skipped. Large scans are
spread over worker processes: ``re`` holds the GIL, so threads would not help.
"""

from __future__ import annotations

import fnmatch
import multiprocessing
import os
import subprocess
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from convergio_tui.git import hardening
from convergio_tui.tools.harden.engine import Finding, ScanReport, scan_text
from convergio_tui.tools.harden.rules import Rule, default_rules

ALLOW_FILE = ".convergio-allow"
MAX_FILE_BYTES = 4 * 1024 * 1024
LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lockb",
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "Pipfile.lock",
        "Cargo.lock",
        "Gemfile.lock",
        "composer.lock",
        "go.sum",
        "flake.lock",
        "packages.lock.json",
        "mix.lock",
        "pubspec.lock",
        "Podfile.lock",
    }
)
BINARY_SUFFIXES = frozenset(
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".bmp",
        ".ico",
        ".webp",
        ".tiff",
        ".psd",
        ".pdf",
        ".zip",
        ".gz",
        ".tgz",
        ".bz2",
        ".xz",
        ".7z",
        ".rar",
        ".jar",
        ".war",
        ".whl",
        ".egg",
        ".so",
        ".dylib",
        ".dll",
        ".exe",
        ".bin",
        ".o",
        ".a",
        ".pyc",
        ".pyo",
        ".class",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".mp3",
        ".mp4",
        ".mov",
        ".avi",
        ".webm",
        ".wav",
        ".flac",
        ".ogg",
        ".db",
        ".sqlite",
        ".sqlite3",
        ".parquet",
        ".pkl",
        ".npy",
        ".npz",
        ".pt",
        ".onnx",
        ".safetensors",
        ".lockb",
    ]
)
# Below this much work a process pool costs more than it saves.
PARALLEL_MIN_BYTES = 1024 * 1024


@dataclass
class AllowList:
    """Paths, single lines and rule ids silenced by the allow-list file.

    One entry per line: a glob of paths (``docs/**``, ``tests/fixtures/*``), a
    ``glob:LINE`` pair for one line, or ``rule:ID`` to disable a rule. ``#`` comments.
    """

    globs: list[str] = field(default_factory=list)
    lines: set[tuple[str, int]] = field(default_factory=set)
    line_globs: list[tuple[str, int]] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path | None) -> AllowList:
        """Parse an allow-list file; an absent file allows nothing."""
        allow = cls()
        if path is None or not path.is_file():
            return allow
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            entry = raw.split("#", 1)[0].strip()
            if not entry:
                continue
            head, _, tail = entry.rpartition(":")
            if entry.startswith("rule:"):
                allow.rules.add(entry[5:].strip())
            elif head and tail.isdigit():
                allow.line_globs.append((head, int(tail)))
            else:
                allow.globs.append(entry)
        return allow

    def path_allowed(self, rel: str) -> bool:
        """True when the whole file is silenced."""
        return any(_glob_match(rel, g) for g in self.globs)

    def finding_allowed(self, finding: Finding) -> bool:
        """True when this finding's rule or line is silenced."""
        if finding.rule in self.rules:
            return True
        return any(
            line == finding.line and _glob_match(finding.path, g) for g, line in self.line_globs
        )


def _glob_match(rel: str, pattern: str) -> bool:
    pattern = pattern.removeprefix("./")
    if fnmatch.fnmatchcase(rel, pattern) or rel == pattern.rstrip("/"):
        return True
    if pattern.endswith("/") or pattern.endswith("/**"):
        return rel.startswith(pattern.rstrip("*").rstrip("/") + "/")
    return fnmatch.fnmatchcase(os.path.basename(rel), pattern) and "/" not in pattern


def _git_files(root: Path) -> list[str] | None:
    """Tracked files under ``root`` relative to it, or None outside a git work tree."""
    try:
        proc = hardening.run(root, "ls-files", "-z", "--cached", read_only=True,
                           capture_output=True, timeout=120)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in (".git", "__pycache__")]
        rel_dir = os.path.relpath(dirpath, root)
        for name in filenames:
            found.append(name if rel_dir == "." else f"{rel_dir}/{name}")
    return found


def list_files(root: Path, *, tracked_only: bool = True) -> list[str]:
    """Candidate files (relative paths) under ``root``, before skipping."""
    files = _git_files(root) if tracked_only else None
    return sorted(files if files is not None else _walk(root))


def skip_reason(rel: str) -> str | None:
    """Why ``rel`` is not scanned by name alone (lock file, binary), else None."""
    name = os.path.basename(rel)
    if name in LOCK_FILES or name.endswith(".lock"):
        return "lock file"
    if os.path.splitext(name)[1].lower() in BINARY_SUFFIXES:
        return "binary"
    return None


def read_text(path: Path) -> str | None:
    """The file as text (undecodable bytes kept via surrogateescape), or None to skip."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "surrogateescape")


def _scan_batch(root: str, rels: Sequence[str], rules: Sequence[Rule] | None) -> ScanReport:
    report = ScanReport()
    for rel in rels:
        text = read_text(Path(root) / rel)
        if text is None:
            continue
        report.files_scanned += 1
        report.bytes_scanned += len(text.encode("utf-8", "surrogateescape"))
        report.findings.extend(scan_text(text, rel, rules=rules))
    return report


def _batches(root: Path, rels: list[str], count: int) -> list[list[str]]:
    """Split files into ``count`` batches of similar total size (largest first)."""
    sized = []
    for rel in rels:
        try:
            sized.append(((root / rel).stat().st_size, rel))
        except OSError:
            continue
    batches: list[list[str]] = [[] for _ in range(count)]
    loads = [0] * count
    for size, rel in sorted(sized, reverse=True):
        i = loads.index(min(loads))
        batches[i].append(rel)
        loads[i] += size
    return [b for b in batches if b]


def scan_paths(
    root: Path,
    *,
    tracked_only: bool = True,
    workers: int | None = None,
    allow_file: Path | None = None,
    rules: Sequence[Rule] | None = None,
    extra_skip: Iterable[str] = (),
) -> ScanReport:
    """Scan a file or a tree; findings are sorted by path and line.

    ``workers`` defaults to the CPU count; small scans stay in-process.
    """
    root = Path(root)
    if root.is_file():
        text = read_text(root)
        if text is None:
            return ScanReport()
        findings = scan_text(text, str(root), rules=rules)
        size = len(text.encode("utf-8", "surrogateescape"))
        return ScanReport(findings, files_scanned=1, bytes_scanned=size)
    allow = AllowList.load(allow_file if allow_file is not None else root / ALLOW_FILE)
    skip = set(extra_skip)
    rels = [
        rel
        for rel in list_files(root, tracked_only=tracked_only)
        if rel not in skip and skip_reason(rel) is None and not allow.path_allowed(rel)
    ]
    workers = workers or os.cpu_count() or 1
    total = 0
    if workers > 1 and len(rels) > 1:
        total = sum((root / r).stat().st_size for r in rels if (root / r).is_file())
    if workers <= 1 or total < PARALLEL_MIN_BYTES:
        report = _scan_batch(str(root), rels, rules)
    else:
        default_rules()  # compile before forking so every worker inherits the cache
        batches = _batches(root, rels, workers * 4)
        report = ScanReport()
        # fork: workers inherit the compiled rules instead of recompiling them.
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [pool.submit(_scan_batch, str(root), b, rules) for b in batches]
            for future in futures:
                part = future.result()
                report.findings.extend(part.findings)
                report.files_scanned += part.files_scanned
                report.bytes_scanned += part.bytes_scanned
    report.findings = sorted(
        (f for f in report.findings if not allow.finding_allowed(f)),
        key=lambda f: (f.path, f.line, f.column),
    )
    return report
