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


# ---- the real-world corpus (tests/harden_samples/) ------------------------------------
import harden_labelled  # noqa: E402
import yaml  # noqa: E402

REAL = harden_labelled.load()
CREDENTIAL_KINDS = {"token", "cloud-key", "api-key", "jwt", "private-key", "password"}


def test_real_world_corpus_says_where_each_sample_comes_from() -> None:
    sources = harden_labelled.sources()
    readme = harden_labelled.README.read_text(encoding="utf-8")
    assert {s.source for s in REAL} == set(sources)  # every source used, none unknown
    missing = [name for name in sources if f"`{name}`" not in readme]
    assert missing == [], "list these sources in tests/harden_samples/README.md"
    assert len({s.id for s in REAL}) == len(REAL)


def test_real_world_corpus_stores_no_credential_value() -> None:
    """Credential positives name their value's format with a %%marker%%, filled at load
    time: the repository never holds a working secret."""
    raw = yaml.safe_load(harden_labelled.SAMPLES_FILE.read_text(encoding="utf-8"))["samples"]
    stored = [e["id"] for e in raw if e["positive"] and e["kind"] in CREDENTIAL_KINDS]
    assert stored and all("%%" in e["text"] for e in raw if e["id"] in stored)
    assert [s.text for s in harden_labelled.load()] == [s.text for s in REAL]  # seeded


def test_real_world_corpus_split_is_fixed_by_the_ids() -> None:
    held = [s for s in REAL if s.split == "held-out"]
    assert 0.25 < len(held) / len(REAL) < 0.42
    assert all(harden_labelled.split_of(s.id) == s.split for s in REAL)
    assert {s.kind for s in held if s.positive} >= {"iban", "token", "email", "card"}


def test_real_world_precision_and_recall() -> None:
    """bench/harden_accuracy.py prints the full table; these are its floors."""
    found, false, positives = collections.Counter(), collections.Counter(), collections.Counter()
    wrong_files = 0
    for s in REAL:
        kept = {f.kind for f in scan_text(s.text, s.path) if f.kept}
        if s.positive:
            positives[s.kind] += 1
            found[s.kind] += s.kind in kept
            kept.discard(s.kind)
        for kind in kept:
            false[kind] += 1
        wrong_files += bool(kept)
    recall = sum(found.values()) / sum(positives.values())
    precision = sum(found.values()) / (sum(found.values()) + wrong_files)
    assert recall >= 0.97 and precision >= 0.97, (found, positives, false)
    weak = {k: found[k] / n for k, n in positives.items() if n >= 3 and found[k] / n < 0.9}
    assert weak == {}
