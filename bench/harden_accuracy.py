"""Precision and recall of `convergio harden`, per kind and overall, on labelled corpora.

    python bench/harden_accuracy.py [--split tuning|held-out|all] [--misses]

Corpora:

- ``real``: tests/harden_samples/ — snippets in the shapes of public documentation and
  code, each with its source (tests/harden_samples/README.md). Split by a hash of each
  sample's id: a third is held out, the rest is what rules and verdicts may be tuned on.
- ``synthetic``: tests/harden_corpus.py — random values in each format, in six file
  syntaxes, plus negatives (placeholders, hashes, UUIDs, i18n...). Tuned on.

Each sample is one file, scanned with its path (so test folders and docstrings count).
Only kept findings count. A positive is found when a kept finding has its kind; a
file's kept finding of any other kind is a false positive of that kind. Overall
precision counts each wrong file once.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import harden_corpus  # noqa: E402
import harden_labelled  # noqa: E402

from convergio_tui.tools.harden import scan_text  # noqa: E402

# The synthetic corpus names its kinds by family; the scanner's kind for each.
SYNTHETIC_KINDS = {
    "aws-id": "cloud-key", "aws-secret": "cloud-key", "google": "cloud-key",
    "azure-storage": "cloud-key", "github": "token", "github-fg": "token", "gitlab": "token",
    "npm": "token", "pypi": "token", "huggingface": "token", "slack": "token",
    "slack-webhook": "token", "openai": "api-key", "anthropic": "api-key",
    "stripe": "api-key", "sendgrid": "api-key", "private-key": "private-key", "jwt": "jwt",
    "url-password": "password", "generic": "password", "password": "password",
    "email": "email", "phone": "phone", "iban": "iban", "card": "card",
    "codice-fiscale": "national-id", "partita-iva": "vat",
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One file to scan and what it holds."""

    id: str
    text: str
    path: str
    positive: bool
    kind: str


@dataclass
class Tally:
    """Counts for one kind (or overall)."""

    tp: int = 0
    fn: int = 0
    fp: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def real_cases(split: str) -> list[Case]:
    """The real-world corpus, one split or all."""
    return [
        Case(s.id, s.text, s.path, s.positive, s.kind)
        for s in harden_labelled.load()
        if split == "all" or s.split == split
    ]


def synthetic_cases() -> list[Case]:
    """The seeded synthetic corpus."""
    return [
        Case(f"syn-{i}", s.text, f"sample{s.suffix}", s.positive,
             SYNTHETIC_KINDS.get(s.kind, s.kind))
        for i, s in enumerate(harden_corpus.generate())
    ]  # fmt: skip


def score(cases: Iterable[Case]) -> tuple[dict[str, Tally], Tally, list[str]]:
    """Per-kind tallies, the overall tally and a line per miss or false positive."""
    per: dict[str, Tally] = {}
    overall = Tally()
    notes: list[str] = []
    for case in cases:
        kept = Counter(f.kind for f in scan_text(case.text, case.path) if f.kept)
        if case.positive:
            tally = per.setdefault(case.kind, Tally())
            hit = kept.pop(case.kind, 0) > 0
            tally.tp += hit
            tally.fn += not hit
            overall.tp += hit
            overall.fn += not hit
            if not hit:
                notes.append(f"missed {case.kind}: {case.id} ({case.path})")
        for kind in kept:
            per.setdefault(kind, Tally()).fp += 1
            notes.append(f"false {kind}: {case.id} ({case.path})")
        overall.fp += bool(kept)
    return per, overall, notes


def table(title: str, per: dict[str, Tally], overall: Tally) -> str:
    """A fixed-width table: kind, found/positives, false positives, precision, recall."""
    rows = [title, f"{'kind':<13}{'found':>9}{'false+':>8}{'precision':>11}{'recall':>8}"]
    for kind in sorted(per):
        t = per[kind]
        rows.append(
            f"{kind:<13}{f'{t.tp}/{t.tp + t.fn}':>9}{t.fp:>8}{t.precision:>11.3f}{t.recall:>8.3f}"
        )
    o = overall
    rows.append(
        f"{'overall':<13}{f'{o.tp}/{o.tp + o.fn}':>9}{o.fp:>8}{o.precision:>11.3f}{o.recall:>8.3f}"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--split",
        choices=["tuning", "held-out", "all"],
        default=None,
        help="one split of the real-world corpus (default: each in turn)",
    )
    parser.add_argument("--misses", action="store_true", help="list misses and false positives")
    args = parser.parse_args()  # fmt: skip
    splits = [args.split] if args.split else ["tuning", "held-out", "all"]
    for split in splits:
        cases = real_cases(split)
        n_pos = sum(c.positive for c in cases)
        per, overall, notes = score(cases)
        title = f"real-world corpus, {split}: {n_pos} positives, {len(cases) - n_pos} negatives"
        print(table(title, per, overall))
        if args.misses:
            print("\n".join(f"  {n}" for n in notes))
        print()
    if not args.split:
        cases = synthetic_cases()
        n_pos = sum(c.positive for c in cases)
        per, overall, notes = score(cases)
        print(table(f"synthetic corpus: {n_pos} positives, {len(cases) - n_pos} negatives",
                    per, overall))  # fmt: skip
        if args.misses:
            print("\n".join(f"  {n}" for n in notes))


if __name__ == "__main__":
    main()
