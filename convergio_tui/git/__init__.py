"""Git for the engine, Thor and tools: one runner, one error, one merge-tree reader.

- :mod:`.hardening`: the options and environment that stop a repository an agent wrote
  to from running its own commands (hooks, fsmonitor, filters, merge drivers...), and the
  low-level hardened ``subprocess.run`` (:func:`hardening.run`) for the rare caller that
  needs bytes.
- :mod:`.runner`: :func:`git`, the hardened, checked, text-mode runner every caller uses,
  and :class:`GitError`, the one exception for a git command that failed.
- :mod:`.merge`: :func:`merge_tree`, an in-memory merge that returns the merged tree id or
  the conflicting paths (:class:`MergeTree`).

A leaf: imports nothing else of the package.
"""

from __future__ import annotations

from convergio_tui.git.merge import MergeTree, merge_tree, parse_merge_tree
from convergio_tui.git.runner import IDENTITY, Clock, GitError, git

__all__ = ["IDENTITY", "Clock", "GitError", "MergeTree", "git", "merge_tree", "parse_merge_tree"]
