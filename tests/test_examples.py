"""The shipped examples cannot rot: every plan in ``examples/`` is imported through the
real CLI into a temporary git repository with the shipped configuration, and every one of
its tasks must be routable. ``examples/plan.yaml`` must also use every key the plan format
accepts, and be the example docs/plan-format.md shows."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_cli
from engine_fixtures import make_repo

from convergio_tui import paths
from convergio_tui.engine.plan_spec import PlanSpec, TaskSpec, WaveSpec, load_plan_spec
from convergio_tui.engine.planning.template import plan_template

EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
FULL_EXAMPLE = REPO / "examples" / "plan.yaml"


def test_examples_exist() -> None:
    """The documented example is shipped (a rename must update the docs too)."""
    assert FULL_EXAMPLE in EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_imports_and_every_task_routes(example: Path, tmp_path: Path) -> None:
    """Copied to the top of a git repository, as the example says, the plan imports with
    the shipped configuration and no task is blocked in a dry run."""
    project = make_repo(tmp_path / "project")
    spec = project / example.name
    shutil.copyfile(example, spec)
    # The shipped configuration, whatever orchestrator.yaml the test runner's cwd holds.
    env = {"CONVERGIO_CONFIG": str(paths.shipped_config_path())}

    imported = run_cli("plan", "import", spec.name, "--json", cwd=project, env=env)
    assert imported.returncode == 0, imported.stderr
    plan_id = json.loads(imported.stdout)["plan_id"]

    shown = run_cli("plan", "show", str(plan_id), "--json", cwd=project, env=env)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    written = yaml.safe_load(example.read_text())
    assert [w["name"] for w in document["waves"]] == [w["name"] for w in written["waves"]]
    stored = [t["code"] for w in document["waves"] for t in w["tasks"]]
    assert sorted(stored) == sorted(t["code"] for w in written["waves"] for t in w["tasks"])
    assert document["plan"]["project"] == project.name

    dry = run_cli("run", str(plan_id), "--dry-run", "--json", cwd=project, env=env)
    assert dry.returncode == 0, dry.stderr
    blocked = {t["code"]: t["reasons"][-1] for t in json.loads(dry.stdout)["tasks"] if t["blocked"]}
    assert not blocked, f"{example.name}: tasks the shipped configuration cannot route: {blocked}"


def test_full_example_uses_every_key(tmp_path: Path) -> None:
    """``examples/plan.yaml`` is the complete example: a key added to the format must be
    shown there (and so explained)."""
    spec = load_plan_spec(FULL_EXAMPLE, ["claude", "copilot", "gemini", "opencode"])
    tasks = [t for w in spec.waves for t in w.tasks]
    used = {
        PlanSpec: spec.model_fields_set,
        WaveSpec: set().union(*(w.model_fields_set for w in spec.waves)),
        TaskSpec: set().union(*(t.model_fields_set for t in tasks)),
    }
    for model, keys in used.items():
        missing = set(model.model_fields) - keys
        assert not missing, f"examples/plan.yaml never sets {model.__name__} keys {missing}"


def test_plan_format_doc_shows_the_shipped_example() -> None:
    """The first YAML block of docs/plan-format.md is the example, comments and all."""
    page = (REPO / "docs" / "plan-format.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", page, re.DOTALL)
    assert block is not None, "docs/plan-format.md has no YAML example"
    assert block.group(1) == FULL_EXAMPLE.read_text()


def test_plan_template_prints_the_example() -> None:
    """One source: ``convergio plan template`` prints the package's template, and
    ``examples/plan.yaml`` is that same text (edit convergio_tui/data/plan_template.yaml,
    then copy it to examples/plan.yaml and the page's block)."""
    printed = run_cli("plan", "template")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == plan_template() == FULL_EXAMPLE.read_text()
