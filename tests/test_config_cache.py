"""The validated-configuration cache (config/cache.py), through the real CLI: an entry is
used only for the content it was made from, an edit is validated again (a bad edit still
fails with file:line, exit 2), and a damaged or planted entry is ignored."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from conftest import run_cli

from convergio_tui import paths
from convergio_tui.config import cache
from convergio_tui.config.loader import load_config

SHIPPED = paths.shipped_config_path().read_text()
CAP = "  max_premium_per_day: 10.0"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def cap_of(config: Path, db: Path) -> float:
    """The daily cap ``convergio budget --json`` reports with ``config``."""
    done = run_cli("--config", str(config), "--db", str(db), "budget", "--json")
    assert done.returncode == 0, done.stderr
    return float(json.loads(done.stdout)["cap_usd"])


def entries() -> list[Path]:
    return sorted(cache.cache_folder().glob("*.pickle"))


def test_an_entry_is_used_only_for_the_content_it_was_made_from(tmp_path: Path) -> None:
    assert CAP in SHIPPED
    config = write(tmp_path / "orchestrator.yaml", SHIPPED)
    db = tmp_path / "c.db"
    assert cap_of(config, db) == 10.0
    (entry,) = entries()
    assert entry == cache.entry_path(config.read_bytes())
    # Put the validated form of another content (a cap of 3) under this content's key:
    # the CLI then reports 3, so it took the configuration from the entry, unparsed.
    other = write(tmp_path / "other.yaml", SHIPPED.replace(CAP, "  max_premium_per_day: 3.0"))
    other_entry = cache.entry_path(other.read_bytes())
    cache.load_cached(other)
    entry.write_bytes(other_entry.read_bytes())
    assert cap_of(config, db) == 3.0
    # An edit changes the key: the file is parsed and validated again.
    write(config, SHIPPED.replace(CAP, "  max_premium_per_day: 7.5"))
    assert cap_of(config, db) == 7.5
    assert cache.entry_path(config.read_bytes()).is_file()


def test_a_bad_edit_still_fails_with_file_line_and_exit_2(tmp_path: Path) -> None:
    config = write(tmp_path / "orchestrator.yaml", SHIPPED)
    db = tmp_path / "c.db"
    assert cap_of(config, db) == 10.0
    bad_text = SHIPPED.replace("    cost_tier: free\n", "    cost_tier: gratis\n")
    write(config, bad_text)
    cached = run_cli("--config", str(config), "--db", str(db), "budget")
    line = bad_text[: bad_text.index("    cost_tier: gratis")].count("\n") + 1
    assert cached.returncode == 2
    assert f"{config}:{line}: providers.opencode.cost_tier: " in cached.stderr
    # Word for word what a run without any cache says; and no entry for a bad file.
    fresh = run_cli("--config", str(config), "--db", str(db), "budget",
                    env={"CONVERGIO_HOME": str(tmp_path / "fresh-home")})  # fmt: skip
    assert (fresh.returncode, fresh.stderr) == (cached.returncode, cached.stderr)
    assert not cache.entry_path(config.read_bytes()).exists()


def test_a_damaged_entry_is_ignored_and_replaced(tmp_path: Path) -> None:
    config = write(tmp_path / "orchestrator.yaml", SHIPPED)
    db = tmp_path / "c.db"
    assert cap_of(config, db) == 10.0
    (entry,) = entries()
    good = entry.read_bytes()
    for damage in (b"", b"not a pickle", good[: len(good) // 2], pickle.dumps({"cap": 1})):
        entry.write_bytes(damage)
        assert cap_of(config, db) == 10.0
        stored, _facts = pickle.loads(entry.read_bytes())  # written again, whole
        assert stored == load_config(config)


class _Planted:
    """What a planted entry might hold: unpickling it would run a command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_planted_entry_cannot_run_code(tmp_path: Path) -> None:
    config = write(tmp_path / "orchestrator.yaml", SHIPPED)
    marker = tmp_path / "ran"
    entry = cache.entry_path(config.read_bytes())
    entry.parent.mkdir(parents=True)
    entry.write_bytes(pickle.dumps((_Planted(marker), ())))
    assert cap_of(config, tmp_path / "c.db") == 10.0
    assert not marker.exists()


def test_a_moved_project_directory_is_checked_again(tmp_path: Path) -> None:
    """The entry records where project paths resolved: one project per directory is
    checked again when that changes (here a symlink now names another project's folder)."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    link = tmp_path / "link"
    link.symlink_to(two)
    text = SHIPPED.replace(
        "projects: {}", f"projects:\n  a: {{path: {one}}}\n  b: {{path: {link}}}"
    )
    assert text != SHIPPED
    config = write(tmp_path / "orchestrator.yaml", text)
    db = tmp_path / "c.db"
    assert cap_of(config, db) == 10.0
    link.unlink()
    link.symlink_to(one)
    done = run_cli("--config", str(config), "--db", str(db), "budget")
    assert done.returncode == 2
    assert "projects.b.path: same directory as project 'a'" in done.stderr


def test_a_cached_configuration_equals_a_validated_one(tmp_path: Path) -> None:
    text = SHIPPED.replace("thor:\n", "thor:\n  test_command: make check\n", 1)
    config = write(tmp_path / "orchestrator.yaml", text)
    fresh = load_config(config)
    first, second = cache.load_cached(config), cache.load_cached(config)
    assert first == fresh and second == fresh
    assert second.source == str(config)
    assert second.thor.model_fields_set == fresh.thor.model_fields_set
    assert "test_command" in second.thor.model_fields_set
    # The same content at another path: the entry serves, named after the new path.
    moved = write(tmp_path / "moved.yaml", text)
    assert cache.load_cached(moved).source == str(moved)
    assert len(entries()) == 1
