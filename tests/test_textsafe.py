"""Terminal safety: escape sequences and markup from plans and agents reach no terminal.

``printable`` itself, then the real CLI (``python -m convergio_tui`` as a subprocess) on
a plan whose titles, names, evidence and errors hold window-title, screen-clearing and
clipboard-writing sequences, an 8-bit CSI, a bidirectional override and Rich markup.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import yaml
from conftest import run_cli
from engine_fixtures import make_repo
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from convergio_tui.commands.run_display import PlainDisplay, RichDisplay
from convergio_tui.engine.events import Notice, RunFinished, RunStarted, TaskChanged
from convergio_tui.store.db import close_database, open_database
from convergio_tui.store.models import Escalation, Task
from convergio_tui.textsafe import markup_safe, one_line, printable

OSC_TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"
C1_CSI = "\x9b31m"
BIDI = "\u202eexe.txt"
MARKUP = "[bold red]LOUD[/]"
ATTACK = f"{OSC_TITLE}{CLEAR}{CLIPBOARD}{C1_CSI}{BIDI} {MARKUP}"
# Anything a terminal could act on: C0 (bar newline and tab), DEL, C1, bidi controls.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_printable_makes_every_control_visible_and_inert() -> None:
    shown = printable(ATTACK + "\r\nnext\tline\rover")
    assert not UNSAFE.search(shown)
    assert shown.startswith("␛]0;pwned␇␛[2J␛]52;c;cm0gLXJmIH4=␇\\x9b31m\\u202eexe.txt")
    assert shown.endswith(f"{MARKUP}\nnext\tline␍over")  # markup is only text here
    assert one_line("a\r\n\nb\tc\x1b") == "a b c␛"
    assert printable("plain text, ünïcode ✓") == "plain text, ünïcode ✓"


@given(st.text())
def test_printable_never_lets_a_control_through(text: str) -> None:
    assert not UNSAFE.search(printable(text))
    assert not UNSAFE.search(one_line(text)) and "\n" not in one_line(text)


def test_markup_safe_renders_literally_in_rich() -> None:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(markup_safe(f"title {MARKUP} {ATTACK}"))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert MARKUP in out and not UNSAFE.search(out)


def test_run_progress_lines_are_neutralised(capsys: Any) -> None:
    display = PlainDisplay()
    display.handle(TaskChanged(1, "blocked", "T1", f"why: {ATTACK}\nsecond line"))
    display.handle(RunFinished(2, 1, "T1", "failed", 0.0, f"agent said {ATTACK}"))
    display.handle(Notice("warning", "provider.cooldown", ATTACK))
    out = capsys.readouterr().out
    assert out.count("\n") == 3 and not UNSAFE.search(out) and MARKUP in out

    rich = RichDisplay(1, 0, f"plan {ATTACK}")
    rich.handle(RunStarted(5, 1, "T1", f"claude{MARKUP}", "m", "x.log"))
    rich.handle(TaskChanged(1, "failed", "T1", ATTACK))
    rich.close()
    console = Console(file=io.StringIO(), width=300, color_system=None)
    console.print(rich.progress.get_renderable())  # the bars' descriptions are markup
    bars = console.file.getvalue()  # type: ignore[attr-defined]
    assert "plan ␛]0;pwned" in bars and f"claude{MARKUP}" in bars and not UNSAFE.search(bars)
    printed = capsys.readouterr().out
    assert "T1" in printed and MARKUP in printed and not UNSAFE.search(printed)


def plan_spec(where: Path, repo: Path) -> Path:
    """A plan whose names and prompt carry the attack (YAML escapes them in the file); a
    title must be one printable line, so an attack there is refused at import."""
    spec = {
        "name": f"evil {MARKUP}",
        "project": str(repo),
        "waves": [{"name": f"wave {CLEAR}", "tasks": [
            {"code": "T1", "title": "title", "prompt": f"do it {ATTACK}",
             "type": "coding"},
        ]}],
    }  # fmt: skip
    path = where / "evil.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def assert_safe(out: str) -> None:
    """No raw ESC, BEL or C1 byte (or other control) in what a terminal would get."""
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert not UNSAFE.search(out), repr(UNSAFE.search(out))


def test_cli_output_carries_no_control_characters(tmp_path: Path, isolated_home: Path) -> None:
    repo = make_repo(tmp_path / "repo")  # a project is the top of a git repository
    db = isolated_home / "convergio.db"
    spec = plan_spec(tmp_path, repo)

    evil_title = spec.with_name("evil-title.yaml")
    doc = yaml.safe_load(spec.read_text())
    doc["waves"][0]["tasks"][0]["title"] = f"title {ATTACK}"
    evil_title.write_text(yaml.safe_dump(doc))
    refused = run_cli("--db", str(db), "plan", "import", str(evil_title))
    assert refused.returncode == 2 and "title" in refused.stderr
    assert_safe(refused.stdout + refused.stderr)

    imported = run_cli("--db", str(db), "plan", "import", str(spec))
    assert imported.returncode == 0, imported.stderr
    plan_id = imported.stdout.strip()
    escalation = _escalate(db, int(plan_id))  # and a title stored by an older version

    outputs = {
        "plan show": run_cli("--db", str(db), "plan", "show", plan_id),
        "plan list": run_cli("--db", str(db), "plan", "list"),
        "run --dry-run": run_cli("--db", str(db), "run", plan_id, "--dry-run"),
        "escalations list": run_cli("--db", str(db), "escalations", "list"),
        "escalations show": run_cli("--db", str(db), "escalations", "show", str(escalation)),
    }
    for name, proc in outputs.items():
        assert proc.returncode == 0, (name, proc.stderr)
        assert_safe(proc.stdout + proc.stderr)
    show = outputs["plan show"].stdout
    assert "title ␛]0;pwned␇␛[2J" in show and MARKUP in show and "\\x9b31m" in show
    assert "agent printed ␛]52;c;" in outputs["escalations show"].stdout
    assert MARKUP in outputs["escalations list"].stdout


def _escalate(db: Path, plan_id: int) -> int:
    """Escalate the task as Thor would, its evidence quoting the agent's raw output."""
    open_database(db)
    try:
        task = Task.get(Task.plan == plan_id)
        Task.update(status="escalated", title=f"title {ATTACK}").where(Task.id == task.id).execute()
        evidence = f"$ pytest\nagent printed {CLIPBOARD}\r\nthen {ATTACK}"
        rounds = [{"round": 1, "scope": "task", "gates": [
            {"gate": 1, "name": "compliance", "verdict": "fail", "evidence": evidence}]}]  # fmt: skip
        esc = Escalation.create(
            task=task.id,
            reason=f"rejected by Thor {ATTACK}",
            summary={"rounds": rounds, "diff_stat": f" x.py | 1 +{CLEAR}", "spend_usd": 0.0},
        )
        return int(esc.id)
    finally:
        close_database()


def test_an_error_quoting_the_input_is_neutralised(tmp_path: Path, isolated_home: Path) -> None:
    spec = tmp_path / f"bad{OSC_TITLE}.yaml"  # errors name the file as it is
    task = {"code": "T1", "title": "t", "prompt": "p", "type": "coding"}
    waves = [{"name": "w", "tasks": [task]}]
    spec.write_text(yaml.safe_dump({"name": "p", "project": f"nowhere {ATTACK}", "waves": waves}))
    proc = run_cli("--db", str(isolated_home / "c.db"), "plan", "import", str(spec))
    assert proc.returncode == 2
    assert "pwned" in proc.stderr  # the message does quote the input
    assert_safe(proc.stdout + proc.stderr)
