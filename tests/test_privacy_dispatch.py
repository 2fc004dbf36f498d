"""Privacy only tightens at dispatch: the configuration read when a task is dispatched
governs it, a plan cannot lower its project's level, and nothing stored is loosened."""

from __future__ import annotations

from pathlib import Path

import yaml
from engine_fixtures import engine_config, engine_config_dict, import_spec, sim_calls, task
from hypothesis import given
from hypothesis import strategies as st

from convergio_tui.config.loader import load_config
from convergio_tui.config.schema import PRIVACY_LEVELS, Config
from convergio_tui.engine.executor import Executor
from convergio_tui.engine.privacy import effective, strictest
from convergio_tui.store.models import Run, Task

levels = st.sampled_from(PRIVACY_LEVELS)
provider_sets = st.none() | st.lists(
    st.sampled_from(["claude", "copilot", "gemini", "opencode"]), unique=True
).map(tuple)


def _rank(level: str) -> int:
    return PRIVACY_LEVELS.index(level)


@given(task_level=st.none() | levels, plan_level=st.none() | levels, stored=levels,
       configured=st.none() | levels, stored_allowed=provider_sets, conf_allowed=provider_sets)  # fmt: skip
def test_effective_privacy_is_never_looser_than_any_source(
    shipped_config: Config, task_level: str | None, plan_level: str | None, stored: str,
    configured: str | None, stored_allowed: tuple[str, ...] | None,
    conf_allowed: tuple[str, ...] | None,
) -> None:  # fmt: skip
    projects = {}
    if configured is not None:
        allowed = list(conf_allowed) if conf_allowed is not None else None
        projects["demo"] = {
            "path": "/srv/demo",
            "privacy": configured,
            "allowed_providers": allowed,
        }
    config = Config.model_validate({**shipped_config.model_dump(), "projects": projects})
    eff = effective(config, project_path="/srv/demo", stored_project_privacy=stored,
                    stored_project_allowed=stored_allowed, plan_privacy=plan_level,
                    task_privacy=task_level)  # fmt: skip
    for source in (task_level, plan_level, stored, configured):
        if source is not None:
            assert _rank(eff.privacy) >= _rank(source)
    for limit in (stored_allowed, conf_allowed if configured is not None else None):
        if limit is not None:
            assert eff.project_allowed is not None and set(eff.project_allowed) <= set(limit)


def test_strictest_treats_an_unknown_level_as_sensitive() -> None:
    assert strictest(["public", "internal"]) == "internal"
    assert strictest(["public", "secret"]) == "sensitive"
    assert strictest([]) == "internal"


def _write(path: Path, data: dict[str, object]) -> Config:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(path)


def test_project_made_sensitive_after_import_governs_the_next_dispatch(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    cfg_file = tmp_path / "orchestrator.yaml"
    data = engine_config_dict(repo, ollama, project_privacy="public")
    config = _write(cfg_file, data)
    plan = import_spec(config, tmp_path, [[
        task("T1", "PRIVATE-MARKER ledger\nSIM: write a.txt <<<a\\n>>>", priority="P0"),
    ]])  # fmt: skip
    assert Task.get().provider == "claude"  # routed while the project was public
    data["projects"]["demo"]["privacy"] = "sensitive"  # type: ignore[index]
    config = _write(cfg_file, data)

    assert Executor(config, plan).run().status == "done", [t.blocked_reason for t in Task.select()]
    marked = [c for c in sim_calls(sim_bin) if "PRIVATE-MARKER" in (c["prompt"] or "")]
    assert {c["name"] for c in marked} == {"opencode"}
    run = Run.get()
    assert run.provider == "opencode"
    assert any("privacy raised from public to sensitive" in r for r in run.route_reasons)
    assert Task.get().privacy == "sensitive"  # shown as what it now is


def test_narrower_allowed_providers_after_import_take_effect(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    cfg_file = tmp_path / "orchestrator.yaml"
    data = engine_config_dict(repo, ollama)
    config = _write(cfg_file, data)
    plan = import_spec(
        config, tmp_path, [[task("T1", "SIM: write a.txt <<<a\\n>>>", priority="P0")]]
    )
    data["projects"]["demo"]["allowed_providers"] = ["gemini"]  # type: ignore[index]
    config = _write(cfg_file, data)
    assert Executor(config, plan).run().status == "done"
    assert [c["name"] for c in sim_calls(sim_bin)] == ["gemini"]


def test_a_public_task_in_a_sensitive_project_stays_local(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    config = engine_config(repo, ollama, project_privacy="sensitive")
    plan = import_spec(config, tmp_path, [[
        task("T1", "SIM: write a.txt <<<a\\n>>>", privacy="public", priority="P0",
             provider="claude"),
    ]])  # fmt: skip
    assert Executor(config, plan).run().status == "done"
    assert [c["name"] for c in sim_calls(sim_bin)] == ["opencode"]


def test_an_edit_that_does_not_validate_stops_dispatch_until_fixed(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path, tmp_path: Path
) -> None:
    # Meant to make the project sensitive, with a typo: nothing may run on the old rules.
    cfg_file = tmp_path / "orchestrator.yaml"
    data = engine_config_dict(repo, ollama)
    data["execution"]["max_wait_s"] = 0.5  # type: ignore[index]
    config = _write(cfg_file, data)
    plan = import_spec(config, tmp_path, [[task("T1", "SIM: write a.txt <<<a\\n>>>")]])
    text = cfg_file.read_text().replace("privacy: public", "privacy: sensitiv")
    cfg_file.write_text(text)

    summary = Executor(config, plan).run()
    assert summary.status == "waiting" and sim_calls(sim_bin) == []
    [waiting] = summary.waiting
    assert "changed and is not valid" in waiting.reason and "fix it" in waiting.reason

    data["projects"]["demo"]["privacy"] = "sensitive"  # type: ignore[index]
    _write(cfg_file, data)
    assert Executor(config, plan).run().status == "done"
    assert [c["name"] for c in sim_calls(sim_bin)] == ["opencode"]
