"""Render a scan as text, JSON (docs/cli.md) or SARIF 2.1.0."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from convergio_tui import __version__
from convergio_tui.tools.harden.engine import ScanReport
from convergio_tui.tools.harden.rules import Rule, default_rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_text(report: ScanReport, *, show_skipped: bool = False) -> str:
    """One line per kept finding (and per skipped one with ``show_skipped``, tagged
    with its reason), then a summary line that counts the skipped ones."""
    shown = report.findings if show_skipped else report.kept
    lines = [
        f"{f.path}:{f.line}: {f.kind} ({f.rule}) {f.excerpt}"
        + ("" if f.kept else f"  [skipped: {f.why}]")
        for f in shown
    ]
    kept = report.kept
    files = len({f.path for f in kept})
    skipped = len(report.findings) - len(kept)
    summary = f"{len(kept)} finding(s) in {files} file(s)"
    if skipped:
        hint = "" if show_skipped else ", --show-skipped lists them"
        summary += f"; {skipped} skipped as documentation or test examples{hint}"
    lines.append(f"{summary}; {report.files_scanned} file(s) scanned")
    return "\n".join(lines)


def to_json(report: ScanReport) -> str:
    """``{"findings": [{"path","line","kind","rule","excerpt","kept","why"}],
    "files_scanned": int, "kept": int, "skipped": int}``: every finding, skipped ones
    too, each with its verdict."""
    return json.dumps(report.as_dict())


def to_sarif(
    report: ScanReport, rules: Sequence[Rule] | None = None, *, show_skipped: bool = False
) -> str:
    """A SARIF 2.1.0 log with one run; values appear only masked. Skipped findings are
    left out, or with ``show_skipped`` included as suppressed results (their reason
    as the suppression's justification)."""
    rules = default_rules() if rules is None else rules
    index = {rule.id: i for i, rule in enumerate(rules)}
    driver_rules = [
        {
            "id": rule.id,
            "name": rule.id.replace("-", " ").title().replace(" ", ""),
            "shortDescription": {"text": f"{rule.kind} ({rule.category})"},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": [rule.category, rule.kind, "security"]},
        }
        for rule in rules
    ]
    results = []
    for f in report.findings if show_skipped else report.kept:
        result: dict[str, object] = {
            "ruleId": f.rule,
            "level": "error",
            "message": {"text": f"{f.kind} found: {f.excerpt}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
            # A digest of the value lets code-scanning UIs track a finding, not leak it.
            "partialFingerprints": {
                "secretHash/v1": hashlib.sha256(f.secret.encode()).hexdigest()[:32]
            },
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        if not f.kept:
            result["suppressions"] = [{"kind": "external", "justification": f.why}]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "convergio-harden",
                        "version": __version__,
                        "rules": driver_rules,
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2)
