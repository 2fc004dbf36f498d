"""The environment an agent process gets: an allow-list, never a copy of ours.

An agent runs whatever its model decides, so anything in its environment is as good as
printed. It gets the basic variables a shell needs, its provider's own ``env`` values and
the variables its ``env_pass`` patterns name, the project's vault values, and the
engine's run marker; never the vault key, the database path, ``CONVERGIO_HOME``, or the
variables that only another provider's patterns name.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Iterable, Mapping

BASE_NAMES = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "TERM", "TZ", "TMPDIR")
BASE_PATTERNS = ("LC_*",)
# Engine variables an agent must never see, whatever a pattern or the vault says.
DENIED = ("CONVERGIO_VAULT_KEY", "CONVERGIO_DB", "CONVERGIO_HOME", "CONVERGIO_CONFIG", "CLAUDECODE")
RUN_MARKERS = ("CONVERGIO_RUN_TAG", "CONVERGIO_TASK")


@functools.lru_cache(maxsize=64)
def _matcher(patterns: tuple[str, ...]) -> Callable[[str], object]:
    """One compiled test for "``name`` matches one of ``patterns``" (``fnmatchcase``
    semantics): the environment is filtered on every run, name by name."""
    if not patterns:
        return lambda name: False
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns)).match


def agent_env(
    source: Mapping[str, str],
    *,
    provider_env: Mapping[str, str],
    env_pass: Iterable[str],
    secrets: Mapping[str, str],
    markers: Mapping[str, str],
    overrides: Mapping[str, str] = {},
) -> dict[str, str]:
    """The child's environment, built from ``source`` (normally ``os.environ``).

    Order (later wins): the base names and ``LC_*`` from ``source``; variables of
    ``source`` matching ``env_pass``; ``provider_env``; ``overrides`` (the invocation's
    own and the sandbox's, e.g. ``TMPDIR``); the vault's ``secrets``; the run
    ``markers``. Denied names are removed last, so nothing can put them back.
    """
    passes = _matcher((*BASE_PATTERNS, *env_pass))
    env = {name: value for name, value in source.items() if name in BASE_NAMES or passes(name)}
    env.update(provider_env)
    env.update(overrides)
    env.update(secrets)
    env.update({k: v for k, v in markers.items() if k in RUN_MARKERS})
    for name in DENIED:
        env.pop(name, None)
    return env
