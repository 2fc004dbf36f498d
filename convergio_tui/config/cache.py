"""The validated configuration, cached by the file's content (docs/configuration.md).

Parsing ``orchestrator.yaml`` with line marks and validating it costs more than most
commands' own work, and the file rarely changes. :func:`load_cached` keeps each validated
:class:`Config` in ``$CONVERGIO_HOME/cache/config/``, under a BLAKE2b digest (256 bits) of the file's bytes
together with this code's version of the rules (the sources of ``convergio_tui/config``,
the Convergio, Python and pydantic versions). A file whose bytes match an entry is not parsed or
validated again; any other content (an edit, a different file) misses, and then the full
line-tracking load runs, with its ``file:line: key: message`` errors exactly as without a
cache. Only valid configurations are stored.

An entry also records what its validity depended on outside the file (where each
project's path resolves, whether the budget's timezone exists): when that changed, the
entry is not used. An unreadable, damaged or foreign entry is ignored and replaced;
entries are written to a temporary file and renamed, readable by the user only, and they
can only rebuild the configuration's own classes (:class:`_Unpickler`).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from enum import Enum
from pathlib import Path

try:  # CPython's own BLAKE2, without loading OpenSSL as `import hashlib` does (2 ms)
    from _blake2 import blake2b
except ImportError:  # another Python
    from hashlib import blake2b

from convergio_tui import __version__, paths
from convergio_tui.config.limits import MAX_FILE_BYTES
from convergio_tui.config.schema import Config
from convergio_tui.config.section import Section

FORMAT = b"convergio-config-cache/1"
MAX_ENTRIES = 32  # one per configuration content seen lately; the oldest go first
_PACKAGE = "convergio_tui.config."
_rules: bytes | None = None


def cache_folder() -> Path:
    """Where the entries live: ``$CONVERGIO_HOME/cache/config``."""
    return paths.cache_dir() / "config"


def _rules_digest() -> bytes:
    """A digest of everything that decides what a file validates to: this package's
    sources (schema, checks, loader) and the versions of Convergio, Python and pydantic."""
    global _rules
    if _rules is None:
        digest = blake2b(FORMAT, digest_size=32)
        versions = f"{__version__} {sys.version_info[:3]}"
        digest.update(versions.encode() + _pydantic_version())
        here = Path(__file__).parent
        for name in sorted(os.listdir(here)):
            if name.endswith(".py"):
                digest.update(name.encode() + b"\0" + (here / name).read_bytes())
        _rules = digest.digest()
    return _rules


def _pydantic_version() -> bytes:
    """pydantic's version file, read rather than imported (importing it costs more than
    the rest of a cached load)."""
    from importlib.util import find_spec

    try:
        spec = find_spec("pydantic")
        folders = spec.submodule_search_locations if spec is not None else None
        return Path(next(iter(folders or ()))).joinpath("version.py").read_bytes()
    except (OSError, StopIteration, ImportError, ValueError):
        return b"pydantic: unknown"


def entry_path(raw: bytes) -> Path:
    """The entry for a configuration file whose content is ``raw``."""
    key = blake2b(_rules_digest() + raw, digest_size=32).hexdigest()
    return cache_folder() / f"{key}.pickle"


def _resolved(path: str) -> str | None:
    # As the privacy check resolves a project's path (Path.resolve is os.path.realpath).
    try:
        return os.path.realpath(os.path.expanduser(path))
    except (OSError, ValueError):
        return None


def _facts(config: Config) -> tuple[object, ...]:
    """What the validation of ``config`` read outside its file."""
    projects = tuple((name, _resolved(p.path)) for name, p in config.projects.items())
    tz = config.budget.timezone
    if tz == "local":
        return (projects, True)
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return (projects, False)
    return (projects, True)


class _Unpickler(pickle.Unpickler):
    """Rebuilds only the configuration's sections and enums: an entry cannot name any
    other class or function, so a planted file can at worst be refused."""

    def find_class(self, module: str, name: str) -> type:
        """The class ``module.name`` if it is a section or enum of this package."""
        found = (
            getattr(sys.modules.get(module), name, None) if module.startswith(_PACKAGE) else None
        )
        if isinstance(found, type) and issubclass(found, Section | Enum):
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a configuration")


def _read(entry: Path) -> Config | None:
    """The configuration stored at ``entry``, or None when it is missing or unusable."""
    try:
        with entry.open("rb") as handle:
            stored = _Unpickler(handle).load()
        config, facts = stored
    except Exception:  # any damage at all means no entry: the file is validated again
        return None
    if not isinstance(config, Config) or facts != _facts(config):
        return None
    return config


def _write(entry: Path, config: Config) -> None:
    """Store ``config`` at ``entry`` atomically; a cache that cannot be written is skipped."""
    folder = entry.parent
    temp = folder / f".{entry.stem}.{os.getpid()}.tmp"
    try:
        data = pickle.dumps((config, _facts(config)), protocol=pickle.HIGHEST_PROTOCOL)
        fd = paths.open_private(temp, os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, entry)
        entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-MAX_ENTRIES]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, TypeError):
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def load_cached(path: Path) -> Config:
    """The validated configuration at ``path``, from the cache when its content matches;
    raises :class:`~convergio_tui.config.errors.ConfigError` as ``load_config`` does."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        raw, text = b"", None
    entry = entry_path(raw) if text is not None and len(raw) <= MAX_FILE_BYTES else None
    config = _read(entry) if entry is not None else None
    if config is None:
        # A miss: the full loader (YAML with line marks, validation), imported only now.
        from convergio_tui.config.loader import load_config, load_config_text

        if entry is None or text is None:
            return load_config(path)  # which says what is wrong with the file
        # Validate the very bytes the key was made from (the file may change meanwhile).
        config = load_config_text(text, path)
        _write(entry, config)
    config.with_source(str(path))
    return config
