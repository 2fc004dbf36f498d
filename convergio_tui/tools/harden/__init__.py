"""The hardening scanner: credentials and personal data in a tree or a diff.

Public API::

    scan_paths(root, *, tracked_only=True, workers=None, allow_file=None) -> ScanReport
    scan_text(text, path="<diff>") -> list[Finding]
    fix_findings(root, findings, *, vault=None, project=None) -> FixReport

Rules are data: ``convergio_tui/tools/rules/harden.yaml``.
"""

from __future__ import annotations

from convergio_tui.tools.harden.engine import Finding, ScanReport, mask, redact, scan_text
from convergio_tui.tools.harden.files import ALLOW_FILE, AllowList, scan_paths
from convergio_tui.tools.harden.fix import ROTATE_REMINDER, FixReport, fix_findings
from convergio_tui.tools.harden.rules import Rule, default_rules, load_rules

__all__ = [
    "ALLOW_FILE",
    "ROTATE_REMINDER",
    "AllowList",
    "Finding",
    "FixReport",
    "Rule",
    "ScanReport",
    "default_rules",
    "fix_findings",
    "load_rules",
    "mask",
    "redact",
    "scan_paths",
    "scan_text",
]
