"""Reading the work on the dashboard: a task's diff (files, highlighted hunks, jumping
between files) in the task detail and the escalation dialog, an agent-written file full of
escape sequences shown inert, a research task's answer as readable text, and the log as the
panes describe it, searched with ``/``, ``n`` and ``N``, or raw behind ``j``.

The real app on the seeded sample; the escalated task T2-03 gets a real branch in the
sample's git repository (tests/diff_fixtures.py)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from diff_fixtures import TASK_FILES, give_branch
from test_textsafe import ATTACK, UNSAFE
from test_tui_textsafe import assert_inert, rendered
from textual.widgets import Markdown, OptionList, TabbedContent
from tui_fixtures import make_app

from convergio_tui.config.schema import Config
from convergio_tui.devtools import sample_data
from convergio_tui.store.models import Escalation, Task
from convergio_tui.tui.app import ConvergioApp
from convergio_tui.tui.screens.approval import ApprovalModal
from convergio_tui.tui.screens.task_detail import TaskDetailScreen
from convergio_tui.tui.testing import screen_text, wait_for_main, wait_until
from convergio_tui.tui.widgets.diff_view import DiffView
from convergio_tui.tui.widgets.line_view import LineView
from convergio_tui.tui.widgets.log_view import TaskLogView

SIZE = (160, 45)
EVIL = {"evil.sh": f"echo {ATTACK}\n".encode(), **TASK_FILES}


async def open_detail(pilot: object, app: ConvergioApp, task_id: int) -> TaskDetailScreen:
    await wait_for_main(pilot)  # type: ignore[arg-type]
    app.push_screen(TaskDetailScreen(app.screen.ctx, task_id))
    await wait_until(pilot, lambda: getattr(app.screen, "detail", None) is not None)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, TaskDetailScreen)
    return screen


def loaded(view: DiffView) -> bool:
    return view.rendered is not None and bool(view.rendered.starts)


def styles_of_line(view: LineView, text: str) -> set[tuple[str | None, str | None]]:
    """The (foreground, background) colours of the visible row holding ``text``."""
    for y in range(view.size.height):
        strip = view.render_line(y)
        if text in strip.text:
            return {
                (str(s.style.color) if s.style and s.style.color else None,
                 str(s.style.bgcolor) if s.style and s.style.bgcolor else None)
                for s in strip if s.text.strip()
            }  # fmt: skip
    raise AssertionError(f"{text!r} is not on screen")


def test_the_task_detail_shows_the_diff_highlighted_and_jumps_between_files(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]
    repo = give_branch(task_id, EVIL)
    task = Task.get_by_id(task_id)
    changed = subprocess.run(
        ["git", "diff", "--name-only", f"{task.wave.branch}...{task.branch}"], cwd=repo,
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_detail(pilot, app, task_id)
            await pilot.press("v")
            view = screen.query_one(DiffView)
            await wait_until(pilot, lambda: loaded(view))
            assert screen.query_one(TabbedContent).active == "detail-tab-diff"
            files = view.query_one(OptionList)
            listed = [str(files.get_option_at_index(i).prompt).split()[-1]
                      for i in range(files.option_count)]  # fmt: skip
            assert listed == changed == ["app/session.py", "evil.sh", "tests/test_session.py"]
            # The file list appears with the diff: laid out and drawn at the next frame.
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in (
                "+4 −3 app/session.py", "@@ -4,10 +4,11 @@", "+         self.clock = clock")),
                timeout_s=30)  # fmt: skip
            # Highlighted: the code of one line has several colours; added lines a fill.
            added = styles_of_line(view.lines, "self.clock = clock")
            assert len({fg for fg, _ in added}) >= 3
            assert len({bg for _, bg in added}) == 1 and None not in {bg for _, bg in added}
            # ] jumps from the code to the next file, [ back; the file list jumps too.
            # (The loaded diff takes the focus after the message that loads it.)
            await wait_until(pilot, lambda: app.focused is view.lines, timeout_s=30)
            await pilot.press("right_square_bracket")
            assert view.current_file() == 1
            await wait_until(pilot, lambda: "echo ␛]0;pwned␇" in screen_text(app), timeout_s=30)
            await pilot.press("right_square_bracket")
            await wait_until(pilot, lambda: "def test_expiry():" in screen_text(app))
            await pilot.press("left_square_bracket", "left_square_bracket")
            assert view.current_file() == 0
            files.focus()
            await pilot.press("down")
            # The list posts its highlight; the code scrolls when that message is handled.
            starts = view.rendered.starts  # type: ignore[union-attr]
            await wait_until(pilot, lambda: round(view.lines.scroll_y) == starts[1], timeout_s=30)
            # The agent's escape sequences are characters on the screen, nothing more.
            evil = "echo ␛]0;pwned␇␛[2J␛]52;c;cm0gLXJmIH4=␇\\x9b31m\\u202eexe.txt"
            await wait_until(pilot, lambda: evil in screen_text(app), timeout_s=30)
            assert_inert(app, evil)
            assert not UNSAFE.search(rendered(app).replace("\n", ""))
        assert Task.get_by_id(task_id).status == "escalated"  # reading decided nothing

    asyncio.run(scenario())


def test_the_escalation_dialog_shows_the_diff_and_zooms_it(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    give_branch(sample.task_ids["T2-03"], EVIL)

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            await pilot.press("e")
            await wait_until(pilot, lambda: bool(getattr(app.screen, "lines", ())))
            await pilot.press("enter")
            # Pushed at once, composed after: wait until it has read its escalation.
            await wait_until(
                pilot, lambda: isinstance(app.screen, ApprovalModal) and app.screen.detail
            )
            modal = app.screen
            view = modal.query_one(DiffView)
            await wait_until(pilot, lambda: loaded(view))
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in (
                "app/session.py", "tests/test_session.py")), timeout_s=30)  # fmt: skip
            await pilot.press("z")
            assert modal.maximized is view
            await wait_until(pilot, lambda: app.focused is view.lines, timeout_s=30)
            await wait_until(pilot, lambda: "self.clock = clock" in screen_text(app))
            assert_inert(app, "+ echo ␛]0;pwned␇")
            await pilot.press("escape")  # gives the dialog back, decides nothing
            assert modal.maximized is None and app.screen is modal
        assert Escalation.get_by_id(sample.escalation_id).status == "pending"

    asyncio.run(scenario())


def test_without_a_branch_the_dialog_keeps_thor_s_recorded_stat(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_main(pilot)
            app.push_screen(ApprovalModal(app.screen.ctx, escalation_id=sample.escalation_id))
            await wait_until(pilot, lambda: "No branch yet" in screen_text(app))
            lines = app.screen.query_one(DiffView).lines
            plain = [lines.plain(i) for i in range(lines.line_count)]
            assert plain[0] == "The diff stat Thor recorded when it escalated:"
            assert plain[-1].strip() == "2 files changed, 13 insertions(+), 7 deletions(-)"
            await wait_until(
                pilot, lambda: "app/session.py | 6 ++++--" in screen_text(app), timeout_s=30
            )

    asyncio.run(scenario())


def test_a_research_task_s_answer_reads_as_text(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T1-02"]  # research, done
    answer = ("## Findings\n\nStore session tokens in **httpOnly cookies**, not localStorage.\n\n"
              f"- rotate them on login\n- the old helper printed {ATTACK}\n")  # fmt: skip
    Task.update(result_text=answer).where(Task.id == task_id).execute()

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_detail(pilot, app, task_id)
            # A research task opens on its answer: that answer is its result.
            await wait_until(pilot, lambda: "httpOnly cookies" in screen_text(app))
            assert screen.query_one(TabbedContent).active == "detail-tab-answer"
            # The Markdown widget mounts its blocks as it parses: wait for all of them.
            await wait_until(pilot, lambda: all(t in screen_text(app) for t in (
                "Findings", "rotate them on login", "the old helper printed")),
                timeout_s=30)  # fmt: skip
            text = screen_text(app)
            assert "## Findings" not in text
            assert "**" not in text and '{"type"' not in text
            assert_inert(app, "the old helper printed", "␛]0;pwned␇␛[2J", "[bold red]LOUD[/]")
            assert screen.query_one(Markdown)._open_links is False  # agent links stay text

    asyncio.run(scenario())


def test_the_log_reads_as_the_panes_show_it_and_search_jumps(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_detail(pilot, app, task_id)
            log = screen.query_one(TaskLogView)
            lines = log.lines
            await wait_until(pilot, lambda: lines.line_count > 20)
            plain = [lines.plain(i) for i in range(lines.line_count)]
            assert "⚙ bash: pytest -q tests/test_t2_03.py" in plain  # described, not JSON
            assert not any(p.startswith('{"') for p in plain)
            await pilot.press("slash")
            await pilot.press(*"PYTEST -Q")  # case does not matter
            # The field posts Changed; the search runs when that message is handled.
            await wait_until(pilot, lambda: len(lines.matches) == 6, timeout_s=30)
            found = lines.matches
            assert all("pytest -q" in plain[i] for i in found)
            await wait_until(
                pilot, lambda: "“PYTEST -Q”: 6 matches" in screen_text(app), timeout_s=30
            )
            lines.scroll_home(animate=False, immediate=True)  # from the top of the log
            await pilot.press("enter")  # Submitted, handled after the key: wait for it
            await wait_until(
                pilot, lambda: lines.current_match == found[0] and app.focused is lines,
                timeout_s=30,
            )  # fmt: skip
            await wait_until(pilot, lambda: plain[found[0]] in screen_text(app), timeout_s=30)
            await pilot.press("n")
            assert lines.current_match == found[1]
            await wait_until(pilot, lambda: plain[found[1]] in screen_text(app), timeout_s=30)
            await pilot.press("N", "N")
            assert lines.current_match == found[-1]  # wraps around
            await wait_until(pilot, lambda: "match 6 of 6" in screen_text(app), timeout_s=30)
            await pilot.press("j")  # the raw JSON, still searched
            raw = [lines.plain(i) for i in range(lines.line_count)]
            assert any(r.startswith('{"type"') for r in raw)
            assert lines.matches
            await wait_until(pilot, lambda: "raw JSON" in screen_text(app), timeout_s=30)
            await pilot.press("escape")  # closes the search, stays on the screen
            assert not lines.matches and app.screen is screen
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is not screen, timeout_s=30)

    asyncio.run(scenario())


def test_a_huge_file_shows_its_first_lines_and_says_so(
    sample: sample_data.SampleIds, isolated_home: Path, shipped_config: Config
) -> None:
    task_id = sample.task_ids["T2-03"]
    give_branch(task_id, {"big.txt": "".join(f"row {i}\n" for i in range(3000))})

    async def scenario() -> None:
        app = make_app(isolated_home, shipped_config, sample.plan_id)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_detail(pilot, app, task_id)
            view = screen.query_one(DiffView)
            await wait_until(pilot, lambda: loaded(view))
            plain = [view.lines.plain(i) for i in range(view.lines.line_count)]
            assert any("row 999" in p for p in plain) and not any("row 1000" in p for p in plain)
            assert any("2,000 more lines of this file not shown" in p for p in plain)

    asyncio.run(scenario())


def test_a_search_follows_lines_as_they_come_and_the_oldest_go() -> None:
    from textual.app import App, ComposeResult
    from textual.content import Content

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield LineView(max_lines=6, follow=True)

    async def scenario() -> None:
        app = One()
        async with app.run_test(size=(40, 4)) as pilot:
            view = app.query_one(LineView)
            view.append_lines([Content(t) for t in ("a hit", "b", "c hit", "d")])
            assert view.search("HIT") == 2
            view.scroll_home(animate=False, immediate=True)
            assert view.next_match() == 0 and view.next_match() == 2
            view.append_lines([Content(t) for t in ("e hit", "f", "g hit")])  # "a hit" goes
            assert [view.plain(i) for i in view.matches] == ["c hit", "e hit", "g hit"]
            assert view.current_match == 1 and view.plain(1) == "c hit"  # the same line
            assert view.next_match() == 3 and view.next_match(backward=True) == 1
            await pilot.pause()

    asyncio.run(scenario())
