"""Bounds on an input file (a configuration, a plan spec), which is untrusted input; see
config/yaml_lines.py for how each is enforced and docs/input-limits.md. Here, apart from
the YAML loader, so reading a file within bounds does not import PyYAML."""

from __future__ import annotations

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
# Text after aliases are expanded: many aliases of one long string are a bomb too.
MAX_EXPANDED_CHARS = 2 * MAX_FILE_BYTES
