"""Throughput and accuracy of `convergio harden` against detect-secrets.

detect-secrets is not a project dependency; install it only to run this bench:

    pip install detect-secrets
    python bench/harden_throughput.py [--copies N] [--module convergio_tui]

It builds one git tree (the sources of a few installed pure-Python packages plus the
labelled corpus written out as files), times both tools on it (wall clock, each on
its default parallelism), then scores both on the corpus (tests/harden_corpus.py: a
sample counts as detected when the tool reports anything in its file). It prints MB/s,
precision and recall for both, and the throughput ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from harden_corpus import Sample, generate, score  # noqa: E402

PACKAGES = ("rich", "click", "pydantic", "yaml", "_pytest")
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@bench.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@bench.invalid",
}


def git_tree(path: Path) -> None:
    """Make ``path`` a git repository with every file tracked."""
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", *args], cwd=path, env=GIT_ENV, check=True, capture_output=True)


def write_corpus(path: Path, samples: list[Sample]) -> list[str]:
    """One file per sample; returns the file names in sample order."""
    path.mkdir(parents=True, exist_ok=True)
    names = []
    for i, sample in enumerate(samples):
        name = f"s{i:04d}{sample.suffix}"
        (path / name).write_text(sample.text, encoding="utf-8")
        names.append(name)
    return names


def build_tree(path: Path, copies: int, samples: list[Sample]) -> int:
    """Sources of PACKAGES (``copies`` times) plus the corpus; returns total bytes."""
    for copy in range(copies):
        for name in PACKAGES:
            spec = importlib.util.find_spec(name)
            if spec is None or not spec.submodule_search_locations:
                continue
            src = Path(next(iter(spec.submodule_search_locations)))
            shutil.copytree(
                src,
                path / f"c{copy}" / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyc"),
            )
    write_corpus(path / "corpus", samples)
    git_tree(path)
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=path, capture_output=True, check=True)
    return sum((path / p).stat().st_size for p in listed.stdout.decode().split("\0") if p)


def run_convergio(module: str, tree: Path) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", module, "harden", ".", "--format", "json"],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"convergio harden failed: {proc.stderr}")
    return elapsed, json.loads(proc.stdout)


def run_detect_secrets(tree: Path) -> tuple[float, dict[str, object]]:
    exe = shutil.which("detect-secrets")
    if exe is None:
        raise SystemExit("detect-secrets is not installed: pip install detect-secrets")
    start = time.perf_counter()
    proc = subprocess.run([exe, "scan"], cwd=tree, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"detect-secrets failed: {proc.stderr}")
    return elapsed, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=1, help="copies of the source set")
    parser.add_argument("--module", default="convergio_tui", help="module run with -m")
    args = parser.parse_args()
    samples = generate()
    with tempfile.TemporaryDirectory(prefix="harden-bench-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        total = build_tree(tree, args.copies, samples)
        mb = total / 1e6
        ours_s, _ = run_convergio(args.module, tree)
        theirs_s, _ = run_detect_secrets(tree)

        corpus = Path(tmp) / "corpus"
        names = write_corpus(corpus, samples)
        git_tree(corpus)
        _, ours_doc = run_convergio(args.module, corpus)
        _, theirs_doc = run_detect_secrets(corpus)
    ours_files = {f["path"] for f in ours_doc["findings"]}  # type: ignore[union-attr]
    theirs_files = set(theirs_doc["results"])  # type: ignore[arg-type]
    ours_p, ours_r = score([n in ours_files for n in names], samples)
    theirs_p, theirs_r = score([n in theirs_files for n in names], samples)
    positives = sum(s.positive for s in samples)
    print(
        f"tree: {mb:.1f} MB tracked, corpus: {positives} positives, "
        f"{len(samples) - positives} negatives, cpus: {os.cpu_count()}"
    )
    print(f"{'tool':<16}{'seconds':>9}{'MB/s':>9}{'precision':>11}{'recall':>9}")
    print(f"{'convergio':<16}{ours_s:>9.2f}{mb / ours_s:>9.2f}{ours_p:>11.3f}{ours_r:>9.3f}")
    print(
        f"{'detect-secrets':<16}{theirs_s:>9.2f}{mb / theirs_s:>9.2f}"
        f"{theirs_p:>11.3f}{theirs_r:>9.3f}"
    )
    print(f"throughput ratio (convergio / detect-secrets): {theirs_s / ours_s:.1f}x")


if __name__ == "__main__":
    main()
