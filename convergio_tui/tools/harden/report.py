"""Render a scan as text, JSON (docs/cli.md) or SARIF 2.1.0."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from convergio_tui import __version__
from convergio_tui.tools.harden.engine import ScanReport
from convergio_tui.tools.harden.rules import Rule, default_rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_text(report: ScanReport) -> str:
    """One line per finding, then a summary line."""
    lines = [f"{f.path}:{f.line}: {f.kind} ({f.rule}) {f.excerpt}" for f in report.findings]
    files = len({f.path for f in report.findings})
    lines.append(
        f"{len(report.findings)} finding(s) in {files} file(s); "
        f"{report.files_scanned} file(s) scanned"
    )
    return "\n".join(lines)


def to_json(report: ScanReport) -> str:
    """``{"findings": [{"path","line","kind","rule","excerpt"}], "files_scanned": int}``."""
    return json.dumps(report.as_dict())


def to_sarif(report: ScanReport, rules: Sequence[Rule] | None = None) -> str:
    """A SARIF 2.1.0 log with one run; values appear only masked."""
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
    for f in report.findings:
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
