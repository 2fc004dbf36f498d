"""The New plan screen with a drafted plan for the sample project, for its snapshot.

The planner's run is a fixed one (no agent runs: the picture must not change from one run
to the next); the routing of each task, today's budget at the sample's moment and the
screen are the real ones.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Select, TextArea

from convergio_tui.config.schema import Config, ProjectConfig
from convergio_tui.devtools import sample_data
from convergio_tui.devtools.screenshots import show_main
from convergio_tui.engine.plan_spec import plan_spec_from_text
from convergio_tui.engine.planning import steps
from convergio_tui.engine.planning.dispatch import Attempt
from convergio_tui.engine.planning.draft import Draft, Round
from convergio_tui.engine.planning.files import default_out
from convergio_tui.engine.projects import resolve_project
from convergio_tui.tui.screens.new_plan import BY, NewPlanScreen
from convergio_tui.tui.screens.new_plan_messages import DraftShown
from convergio_tui.tui.testing import wait_until

GOAL = "Rate-limit POST /login: at most 5 failed attempts a minute per account and per IP."
PLAN = """\
name: login-rate-limit
project: webapp
waves:
  - name: limit
    tasks:
      - code: L1
        title: Add a rate limiter to POST /login
        type: coding
        priority: P1
        prompt: |
          Add a limiter to POST /login: at most 5 failed attempts a minute per account
          and per IP address, answering 429 with a Retry-After header. Add tests.
        files: [src/auth/login.py, tests/test_login_limit.py]
        verify: ["python -m pytest -q tests/test_login_limit.py"]
      - code: L2
        title: Document the limit in the API reference
        type: docs
        priority: P2
        prompt: Document the 429 answer of POST /login and its Retry-After header.
        files: [docs/api.md]
  - name: review
    tasks:
      - code: L3
        title: Review the limiter for bypasses
        type: review
        priority: P1
        depends_on: [L1]
        prompt: Review the login rate limiter for ways around it; report what you find.
"""


def sample_config_with_webapp(config: Config, home: Path) -> Config:
    """The sample's configuration naming its project ``webapp`` (where seeding puts it)."""
    webapp = ProjectConfig(path=str(home / "sample" / "webapp"), privacy="public")
    return sample_data.sample_config(config).model_copy(update={"projects": {"webapp": webapp}})


def drafted(config: Config) -> steps.Reviewed:
    """The fixed draft, routed and priced as the screen would show it."""
    ref = resolve_project("webapp", config, Path("project"))
    out = default_out(ref.path, GOAL)
    spec = plan_spec_from_text(PLAN, "plan.yaml", out.parent, list(config.providers))
    run = Attempt(41, "claude", "claude-sonnet-4-5", (), success=True, cost_usd=0.06)
    draft = Draft(spec, PLAN, (Round(1, run),))
    return steps.review(config, spec, ref, steps.file_text(draft, BY), out, rounds=draft.rounds,
                        planning_cost_usd=draft.cost_usd, at=sample_data.SAMPLE_NOW)  # fmt: skip


async def show_new_plan(pilot: Pilot[None], ids: sample_data.SampleIds) -> None:
    """``N`` on the sample plan, the goal typed, the fixed draft shown."""
    await show_main(pilot, ids)
    await pilot.press("N")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, NewPlanScreen))
    screen = pilot.app.screen
    assert isinstance(screen, NewPlanScreen)
    # Pushed at once, composed after: the field may not be there yet.
    await wait_until(
        pilot,
        lambda: any(s.value == "webapp" for s in screen.query("#np-project").results(Select)),
    )
    screen.query_one("#np-goal", TextArea).text = GOAL
    screen.post_message(DraftShown(drafted(screen.ctx.config)))
    await wait_until(pilot, lambda: screen.reviewed is not None)
    pilot.app.clear_notifications()  # the sample's budget toast would cover the buttons
    await pilot.pause(0.3)
