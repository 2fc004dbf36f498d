"""Throughput and accuracy of `convergio harden` against detect-secrets and gitleaks,
on the same tree, in one run.

Neither peer is a project dependency. Install them for the bench only:

    python -m venv /tmp/ds && /tmp/ds/bin/pip install detect-secrets
    apt-get install gitleaks          # Debian 13 and later; absent from Debian 12
    python bench/harden_throughput.py --detect-secrets /tmp/ds/bin/detect-secrets \
        [--copies N] [--runs 3] [--baseline-src DIR]

The tree: the sources of a few installed packages (``--copies`` times) plus both
labelled corpora (tests/harden_corpus.py, tests/harden_samples/) written out as files,
committed to a fresh git repository. Each tool scans it ``--runs`` times, interleaved,
on its default parallelism; the median wall time is reported as MB/s. ``--baseline-src``
names the ``convergio_tui`` parent folder of an older checkout (``git archive`` of a
commit), timed in the same runs: a before/after on one machine state. A missing peer is
reported as such. Then each tool scans the corpora alone: a sample counts as detected
when the tool reports anything in its file (convergio: a kept finding), giving precision
and recall on the same footing for all three.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import harden_corpus  # noqa: E402
import harden_labelled  # noqa: E402

PACKAGES = ("rich", "click", "pydantic", "yaml", "_pytest", "stdnum", "textual")
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@bench.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@bench.invalid",
}
# (file name, text, positive) of every labelled sample.
Labelled = list[tuple[str, str, bool]]
# A tool: scans a folder, returns the set of files with a reported finding.
Scanner = Callable[[Path], set[str]]


def git_tree(path: Path) -> None:
    """Make ``path`` a git repository with every file tracked."""
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", *args], cwd=path, env=GIT_ENV, check=True, capture_output=True)


def corpus() -> Labelled:
    """Both labelled corpora as (relative file name, text, positive)."""
    out: Labelled = []
    for i, s in enumerate(harden_corpus.generate()):
        out.append((f"synthetic/s{i:04d}{s.suffix}", s.text, s.positive))
    for s in harden_labelled.load():
        out.append((f"real/{s.id}/{s.path}", s.text, s.positive))
    return out


def write_files(path: Path, samples: Labelled) -> None:
    for name, text, _ in samples:
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def build_tree(path: Path, copies: int, samples: Labelled) -> int:
    """Sources of PACKAGES (``copies`` times) plus the corpora; returns tracked bytes."""
    for copy in range(copies):
        for name in PACKAGES:
            spec = importlib.util.find_spec(name)
            if spec is None or not spec.submodule_search_locations:
                continue
            src = Path(next(iter(spec.submodule_search_locations)))
            shutil.copytree(src, path / f"c{copy}" / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyc"))  # fmt: skip
    write_files(path / "corpus", samples)
    git_tree(path)
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=path, capture_output=True, check=True)
    return sum((path / p).stat().st_size for p in listed.stdout.decode().split("\0") if p)


def convergio(src: Path | None) -> Scanner:
    """``convergio harden`` from this checkout, or from ``src`` (an older one)."""

    def scan(tree: Path) -> set[str]:
        env = {**os.environ, "PYTHONPATH": str(src)} if src else None
        argv = [sys.executable, "-m", "convergio_tui", "harden", ".", "--format", "json"]
        proc = subprocess.run(argv, cwd=tree, capture_output=True, text=True, env=env)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"convergio harden failed: {proc.stderr}")
        findings = json.loads(proc.stdout)["findings"]
        return {f["path"] for f in findings if f.get("kept", True)}

    return scan


def detect_secrets(exe: str) -> Scanner:
    def scan(tree: Path) -> set[str]:
        proc = subprocess.run([exe, "scan"], cwd=tree, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"detect-secrets failed: {proc.stderr}")
        return set(json.loads(proc.stdout)["results"])

    return scan


def gitleaks(exe: str) -> Scanner:
    def scan(tree: Path) -> set[str]:
        with tempfile.NamedTemporaryFile(suffix=".json") as report:
            argv = [exe, "detect", "--no-git", "--no-banner", "--source", ".", "--exit-code",
                    "0", "--report-format", "json", "--report-path", report.name]  # fmt: skip
            proc = subprocess.run(argv, cwd=tree, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f"gitleaks failed: {proc.stderr}")
            found = json.loads(Path(report.name).read_text() or "[]")
        return {str(f["File"]).removeprefix("./") for f in found}

    return scan


def tools(args: argparse.Namespace) -> tuple[dict[str, Scanner], list[str]]:
    """The tools to run and a note for each one that is missing."""
    found: dict[str, Scanner] = {"convergio": convergio(None)}
    notes = []
    if args.baseline_src:
        found["convergio (baseline)"] = convergio(Path(args.baseline_src).resolve())
    ds = args.detect_secrets or shutil.which("detect-secrets")
    if ds:
        found["detect-secrets"] = detect_secrets(ds)
    else:
        notes.append("detect-secrets: not installed (pip install detect-secrets in a scratch venv)")
    gl = args.gitleaks or shutil.which("gitleaks")
    if gl:
        found["gitleaks"] = gitleaks(gl)
    else:
        notes.append(
            "gitleaks: not installed (apt-get install gitleaks: packaged from Debian 13; "
            "not in Debian 12, and its Go module cannot be built without the module proxy)"
        )
    return found, notes


def score(files: set[str], samples: Labelled, prefix: str) -> tuple[float, float]:
    """(precision, recall) of a tool's flagged files over the samples."""
    tp = sum(1 for name, _, pos in samples if pos and f"{prefix}{name}" in files)
    fp = sum(1 for name, _, pos in samples if not pos and f"{prefix}{name}" in files)
    positives = sum(1 for _, _, pos in samples if pos)
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / positives if positives else 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=2, help="copies of the source set")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tool (median)")
    parser.add_argument("--baseline-src", help="folder holding an older convergio_tui")
    parser.add_argument("--detect-secrets", help="detect-secrets executable")
    parser.add_argument("--gitleaks", help="gitleaks executable")
    args = parser.parse_args()
    scanners, notes = tools(args)
    samples = corpus()
    times: dict[str, list[float]] = {name: [] for name in scanners}
    with tempfile.TemporaryDirectory(prefix="harden-bench-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        mb = build_tree(tree, args.copies, samples) / 1e6
        for _ in range(args.runs):  # interleaved: every tool sees the same machine load
            for name, scan in scanners.items():
                start = time.perf_counter()
                scan(tree)
                times[name].append(time.perf_counter() - start)
        corpus_dir = Path(tmp) / "corpus"
        write_files(corpus_dir, samples)
        git_tree(corpus_dir)
        flagged = {name: scan(corpus_dir) for name, scan in scanners.items()}
    real = [s for s in samples if s[0].startswith("real/")]
    synthetic = [s for s in samples if s[0].startswith("synthetic/")]
    print(f"tree: {mb:.1f} MB tracked ({len(samples)} corpus files among them), "
          f"{args.runs} runs each, cpus: {os.cpu_count()}")  # fmt: skip
    for note in notes:
        print(f"not run: {note}")
    ours = statistics.median(times["convergio"])
    print(f"{'tool':<22}{'median s':>9}{'MB/s':>8}{'vs convergio':>13}"
          f"{'real P':>8}{'real R':>8}{'synth P':>9}{'synth R':>9}")  # fmt: skip
    for name in scanners:
        median = statistics.median(times[name])
        rp, rr = score(flagged[name], real, "")
        sp, sr = score(flagged[name], synthetic, "")
        print(f"{name:<22}{median:>9.2f}{mb / median:>8.1f}{median / ours:>12.1f}x"
              f"{rp:>8.3f}{rr:>8.3f}{sp:>9.3f}{sr:>9.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
