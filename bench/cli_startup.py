"""Start-up time of ``convergio --help`` against a bare ``python -c pass``.

Run: ``python bench/cli_startup.py [--runs N]``. Prints the median and p90 wall time of
each command over N runs (default 30) and the ratio; also reports whether Textual was
imported (it must not be).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def measure(argv: list[str], runs: int) -> list[float]:
    """Wall-clock seconds of ``argv`` for each of ``runs`` runs (after one warm-up)."""
    subprocess.run(argv, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    bare = measure([sys.executable, "-c", "pass"], runs)
    cli = measure([sys.executable, "-m", "convergio_tui", "--help"], runs)
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys\nfrom convergio_tui.cli import cli\n"
         "try:\n cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n pass\n"
         "print('TEXTUAL' if 'textual' in sys.modules else 'no-textual', file=sys.stderr)"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    for name, values in (("python -c pass", bare), ("convergio --help", cli)):
        ordered = sorted(values)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(
            f"{name:<18} median {statistics.median(values) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"
        )
    print(f"ratio (median)     {statistics.median(cli) / statistics.median(bare):.1f}x")
    print(f"textual imported by --help: {probe.stderr.strip() == 'TEXTUAL'}")


if __name__ == "__main__":
    main()
