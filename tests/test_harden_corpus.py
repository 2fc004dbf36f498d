"""Recall and precision of the hardening scanner on the synthesised labelled corpus."""

from __future__ import annotations

import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from harden_corpus import generate, score

from convergio_tui.tools.harden import scan_text

SAMPLES = generate()


def test_corpus_is_large_and_covers_every_type() -> None:
    kinds = collections.Counter(s.kind for s in SAMPLES if s.positive)
    assert sum(kinds.values()) >= 300
    assert sum(1 for s in SAMPLES if not s.positive) >= 300
    expected = {"aws-id", "github", "gitlab", "npm", "pypi", "huggingface", "openai"}
    expected |= {"anthropic", "google", "slack", "stripe", "sendgrid", "private-key", "jwt"}
    expected |= {"url-password", "azure-storage", "generic", "email", "phone", "iban", "card"}
    expected |= {"codice-fiscale", "partita-iva"}
    assert expected <= set(kinds)
    negative_kinds = {s.kind for s in SAMPLES if not s.positive}
    assert {"placeholder", "git-sha", "uuid", "integrity", "i18n", "base64-image"} <= negative_kinds


def test_same_seed_same_corpus_and_different_seed_differs() -> None:
    assert [s.text for s in generate()] == [s.text for s in SAMPLES]
    assert [s.text for s in generate(7)] != [s.text for s in SAMPLES]


def test_recall_and_precision_at_least_95_percent() -> None:
    detected = [bool(scan_text(s.text, f"sample{s.suffix}")) for s in SAMPLES]
    precision, recall = score(detected, SAMPLES)
    missed = [s.kind for s, d in zip(SAMPLES, detected, strict=True) if s.positive and not d]
    false = [s.kind for s, d in zip(SAMPLES, detected, strict=True) if d and not s.positive]
    assert recall >= 0.95, collections.Counter(missed)
    assert precision >= 0.95, collections.Counter(false)


def test_every_positive_type_is_mostly_found() -> None:
    per_kind: dict[str, list[bool]] = collections.defaultdict(list)
    for s in SAMPLES:
        if s.positive:
            per_kind[s.kind].append(bool(scan_text(s.text, f"sample{s.suffix}")))
    weak = {k: sum(v) / len(v) for k, v in per_kind.items() if sum(v) / len(v) < 0.9}
    assert weak == {}


def test_excerpts_never_contain_the_value() -> None:
    for s in SAMPLES:
        for finding in scan_text(s.text, "x"):
            assert finding.secret not in finding.excerpt
            assert finding.secret not in repr(finding)
