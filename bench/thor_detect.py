"""How long Thor's toolchain detection takes per review (it reads the project's files).

Run: ``python bench/thor_detect.py [--repeat N] [PROJECT_DIR]`` (default: this repository,
a Python project with pyproject.toml, ruff, mypy and a tests/ folder of a few hundred files).
Also times a throw-away project holding every detected toolchain at once (Python, Node,
Rust, Go, Makefile). Prints the median and the worst time of ``detect(root)``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from convergio_tui.thor.toolchain.detect import detect


def every_toolchain(root: Path) -> Path:
    """A project that every detector recognises."""
    files = {
        "pyproject.toml": "[tool.ruff]\nline-length = 100\n[tool.pytest.ini_options]\n",
        "tests/test_x.py": "def test_x():\n    assert True\n",
        "package.json": json.dumps({"scripts": {"test": "node --test", "lint": "eslint ."}}),
        "package-lock.json": "{}",
        "Cargo.toml": '[package]\nname = "x"\nversion = "0.1.0"\n',
        "go.mod": "module x\n\ngo 1.22\n",
        "Makefile": "test:\n\ttrue\nlint:\n\ttrue\nbuild:\n\ttrue\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def timed(root: Path, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        detect(root)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", nargs="?", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for label, root in (("project", Path(args.project)),
                            ("every toolchain", every_toolchain(Path(scratch)))):  # fmt: skip
            times = timed(root, args.repeat)
            found = detect(root)
            print(f"{label:<16} detect: median {statistics.median(times) * 1000:.2f} ms, "
                  f"worst {max(times) * 1000:.2f} ms over {args.repeat} runs  ({found!r:.90})")  # fmt: skip


if __name__ == "__main__":
    main()
