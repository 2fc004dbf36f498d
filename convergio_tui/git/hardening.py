"""How git is made safe to run in a repository an agent may have written to.

An agent works in a worktree of the user's repository with the user's rights, so it can
plant hooks and set the repository's config. Git runs configured commands on many
ordinary calls (a hook on every checkout, commit and ref update; ``core.fsmonitor`` on
every status; a clean filter on ``add``...). Every git call Convergio makes goes through
:func:`run` (most of them by way of :func:`convergio_tui.git.runner.git`), which turns
each of those off; user-level config (aliases, the user's own drivers) stays.

Left alone on purpose: ``credential.helper``, ``core.sshCommand``, ``core.askPass`` and
``remote.*.uploadpack`` only run on a transport, and ``protocol.allow=never`` forbids every
transport (Convergio never fetches; a lazy fetch of a partial clone would be one).
``core.editor`` never runs: every commit we make passes ``-m``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

HARDENING: tuple[str, ...] = (
    "--no-pager",  # core.pager is a command; output is captured anyway
    "-c", "core.hooksPath=/dev/null",  # no hook: post-checkout, pre-commit, reference-transaction...
    "-c", "core.fsmonitor=false",  # a command run by status, add, diff, reset, checkout
    "-c", "commit.gpgSign=false",  # gpg.program is a command: signing on commit and commit-tree,
    "-c", "log.showSignature=false",  # verifying on log,
    "-c", "merge.verifySignatures=false",  # and on merge
    "-c", "protocol.allow=never",  # no transport, so no ssh, upload-pack or credential command
)  # fmt: skip

# diff.external and diff.<driver>.command (external diff), diff.<driver>.textconv: commands
# run while producing a patch or a stat; these flags go right after diff, log and show.
PATCH_FLAGS: tuple[str, ...] = ("--no-ext-diff", "--no-textconv")
_PATCH_COMMANDS = frozenset({"diff", "log", "show"})

# Subcommands that never read file contents through the attributes, so no filter or merge
# driver can run and the config lookup of :func:`driver_overrides` can be skipped.
# Anything not listed here pays that lookup: an unknown command is treated as unsafe.
_NO_CONTENT = frozenset({
    "branch", "cat-file", "check-ignore", "commit-tree", "config", "for-each-ref", "ls-files",
    "merge-base", "rev-list", "rev-parse", "symbolic-ref", "update-ref",
})  # fmt: skip

# A Convergio started from a git hook would otherwise act on the hook's repository.
_LOCATION_VARS = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX",
)  # fmt: skip
_OPTIONS_WITH_VALUE = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace"})
_DRIVER_KEYS = r"^(filter|merge)\..+\.(clean|smudge|process|required|driver)$"
_REPO_SCOPES = frozenset({"local", "worktree"})


def base_env(*, read_only: bool = False) -> dict[str, str]:
    """This process's environment for git: no prompt, C locale, no repository override.

    ``read_only`` adds ``GIT_OPTIONAL_LOCKS=0`` so a query never takes the index lock a
    concurrent commit in the same worktree needs.
    """
    env = {k: v for k, v in os.environ.items() if k not in _LOCATION_VARS}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_NO_LAZY_FETCH="1")
    if read_only:
        env["GIT_OPTIONAL_LOCKS"] = "0"
    return env


def subcommand_at(args: Sequence[str]) -> int | None:
    """Where the git subcommand is in ``args`` (after any global options), or None."""
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg in _OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return i
    return None


def driver_overrides(where: Path) -> dict[str, str]:
    """Config that empties every filter and merge driver the repository itself defines.

    Filters (``filter.<name>.clean/smudge/process``, selected by any ``.gitattributes``)
    run on checkout, add, status and diff; a merge driver (``merge.<name>.driver``) runs in
    ``merge-tree``. Their names are the agent's choice, so they are read from the
    repository's own config (local and worktree scope; the user's global drivers such as
    git-lfs are trusted). An emptied merge driver makes that merge fail: closed, not open.
    """
    proc = subprocess.run(
        ["git", "-C", str(where), *HARDENING, "config", "--show-scope", "--name-only", "-z",
         "--get-regexp", _DRIVER_KEYS],
        capture_output=True, stdin=subprocess.DEVNULL, env=base_env(read_only=True), timeout=30,
    )  # fmt: skip
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    overrides: dict[str, str] = {}
    for scope, key in zip(fields[::2], fields[1::2], strict=False):
        if scope not in _REPO_SCOPES:
            continue
        section, _, rest = key.partition(".")
        name = rest.rpartition(".")[0]
        if section == "filter":
            for part in ("clean", "smudge", "process"):
                overrides[f"filter.{name}.{part}"] = ""
            overrides[f"filter.{name}.required"] = "false"
        else:
            overrides[f"merge.{name}.driver"] = ""
    return overrides


def _with_config(env: dict[str, str], config: dict[str, str]) -> dict[str, str]:
    """Append ``config`` as GIT_CONFIG_KEY_n/VALUE_n: unlike ``-c``, a name may hold '='."""
    count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    for i, (key, value) in enumerate(config.items(), start=count):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    env["GIT_CONFIG_COUNT"] = str(count + len(config))
    return env


def command(
    where: Path, *args: str, read_only: bool = False, extra_env: Mapping[str, str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The hardened argv (``git -C where ...``) and environment for ``git args``."""
    args_list = list(args)
    at = subcommand_at(args_list)
    sub = args_list[at] if at is not None else None
    if at is not None and sub in _PATCH_COMMANDS:
        args_list[at + 1 : at + 1] = PATCH_FLAGS
    env = {**base_env(read_only=read_only), **(extra_env or {})}
    if sub not in _NO_CONTENT:
        env = _with_config(env, driver_overrides(where))
    return ["git", "-C", str(where), *HARDENING, *args_list], env


def run(
    where: Path, *args: str, read_only: bool = False, extra_env: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> subprocess.CompletedProcess[Any]:  # fmt: skip
    """``subprocess.run`` of hardened ``git -C where args``; ``kwargs`` go to subprocess.

    ``extra_env`` is added to :func:`base_env` (an identity, say). stdin is ``/dev/null``
    unless ``input`` is given, so git never waits on a terminal.
    """
    argv, env = command(where, *args, read_only=read_only, extra_env=extra_env)
    if "input" not in kwargs:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(argv, env=env, **kwargs)
