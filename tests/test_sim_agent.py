"""The simulated agent CLIs, run as real subprocesses under the real tool names."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from convergio_tui.sim.install import install_sim_bin, sim_path_env

CLAUDE = ["claude", "-p", "--output-format", "stream-json", "--verbose", "--model", "m"]


@pytest.fixture(scope="module")
def sim_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four launchers, installed once for this module."""
    return install_sim_bin(tmp_path_factory.mktemp("simbin"))


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An empty working directory for one run."""
    path = tmp_path / "work"
    path.mkdir()
    return path


def run(
    argv: list[str],
    cwd: Path,
    sim_bin: Path,
    stdin: str | None = None,
    **sim: str,
) -> subprocess.CompletedProcess[str]:
    """Run one simulated tool by its PATH name."""
    return subprocess.run(
        argv,
        cwd=cwd,
        env=sim_path_env(sim_bin, **sim),
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )


def events(stdout: str) -> list[dict[str, object]]:
    """The JSON lines of an output."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def test_claude_reads_the_prompt_from_stdin_and_writes_files(sim_bin: Path, work: Path) -> None:
    prompt = "Build it\nSIM: write src/app.py <<<print('hi')\\n>>>\nSIM: append src/app.py <<<x = 1\\n>>>"
    proc = run([*CLAUDE, "--permission-mode", "bypassPermissions"], work, sim_bin, stdin=prompt)
    assert proc.returncode == 0, proc.stderr
    assert (work / "src" / "app.py").read_text() == "print('hi')\nx = 1\n"
    lines = events(proc.stdout)
    assert lines[0]["type"] == "system" and lines[0]["subtype"] == "init"
    assert lines[0]["cwd"] == str(work.resolve())
    tool_uses = [
        item
        for e in lines
        if e["type"] == "assistant"
        for item in e["message"]["content"]  # type: ignore[index]
        if item["type"] == "tool_use"
    ]
    assert [t["name"] for t in tool_uses] == ["Write", "Edit"]
    result = lines[-1]
    assert result["type"] == "result" and result["is_error"] is False
    assert result["usage"]["input_tokens"] == len(prompt) // 4  # type: ignore[index]
    assert result["total_cost_usd"] > 0  # type: ignore[operator]


def test_claude_accepts_a_positional_prompt_and_unknown_flags(sim_bin: Path, work: Path) -> None:
    proc = run([*CLAUDE, "--brand-new-flag", "--other=1", "hello there"], work, sim_bin)
    assert proc.returncode == 0, proc.stderr
    assert events(proc.stdout)[-1]["result"].startswith("Done")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (CLAUDE, 1),
        (["copilot", "-p", "", "--output-format", "json"], 1),
        (["gemini", "-m", "x", "-o", "stream-json", "--skip-trust"], 42),
        (["opencode", "run", "--format", "json", "-m", "ollama/x"], 1),
        (["claude", "-p", "--output-format", "stream-json", "hi"], 1),  # no --verbose
    ],
)
def test_a_missing_prompt_is_refused_like_the_real_tool(
    sim_bin: Path, work: Path, argv: list[str], code: int
) -> None:
    proc = run(argv, work, sim_bin)
    assert proc.returncode == code
    assert proc.stderr.strip()
    assert proc.stdout == ""


def test_versions_are_labelled_and_auth_checks_can_fail(sim_bin: Path, work: Path) -> None:
    for name in ("claude", "copilot", "gemini", "opencode"):
        proc = run([name, "--version"], work, sim_bin)
        assert proc.returncode == 0 and "[convergio-sim]" in proc.stdout
    assert run(["claude", "--version"], work, sim_bin).stdout.startswith("2.1.332 (Claude Code)")
    status = run(["claude", "auth", "status"], work, sim_bin)
    assert status.returncode == 0 and json.loads(status.stdout)["loggedIn"] is True
    failing = run(["claude", "auth", "status"], work, sim_bin, AUTH="fail")
    assert failing.returncode == 1 and json.loads(failing.stdout)["loggedIn"] is False
    assert run(["gemini", "--version"], work, sim_bin, AUTH="fail").returncode == 1


def test_round_conditions_follow_the_rejection_count(sim_bin: Path, work: Path) -> None:
    base = "Fix app\nSIM[round<3]: write app.py <<<bad>>>\nSIM[round>=3]: write app.py <<<good>>>\n"
    argv = ["opencode", "run", "--format", "json", "-m", "ollama/x"]
    run([*argv, base], work, sim_bin)
    assert (work / "app.py").read_text() == "bad"
    twice = base + "THOR-REJECTION round 1: gate 8 failed\nTHOR-REJECTION round 2: again\n"
    proc = run([*argv, twice], work, sim_bin)
    assert proc.returncode == 0
    assert (work / "app.py").read_text() == "good"
    assert "round 3" in events(proc.stdout)[-2]["part"]["text"]  # type: ignore[index]


def test_multiline_blocks_and_name_specific_env(sim_bin: Path, work: Path) -> None:
    prompt = "SIM: write notes.md <<<line one\nline two>>>\n"
    env_mode = {"GEMINI_MODE": "fail", "MODE": "rate_limit"}
    gemini = run(
        ["gemini", "--skip-trust", "-p", prompt, "-o", "stream-json"], work, sim_bin, **env_mode
    )
    assert gemini.returncode == 1  # CONVERGIO_SIM_GEMINI_MODE beats CONVERGIO_SIM_MODE
    assert (work / "notes.md").read_text() == "line one\nline two"
    copilot = run(["copilot", "-p", "x", "--output-format", "json"], work, sim_bin, **env_mode)
    assert copilot.returncode == 1 and "429" in copilot.stdout
    ok = run(
        ["copilot", "-p", "x\nSIM: mode=ok", "--output-format", "json"], work, sim_bin, MODE="fail"
    )
    assert ok.returncode == 0  # the prompt wins over the environment
    last = events(ok.stdout)[-1]
    assert last["type"] == "result" and last["exitCode"] == 0


@pytest.mark.parametrize("path", ["../escape.txt", "/tmp/convergio-sim-abs.txt", "a/../../b"])
def test_writes_outside_the_cwd_are_refused(sim_bin: Path, work: Path, path: str) -> None:
    proc = run(["gemini", "--skip-trust", "-p", f"SIM: write {path} <<<x>>>"], work, sim_bin)
    assert proc.returncode == 2
    assert "outside the working directory" in proc.stderr
    assert not (work.parent / "escape.txt").exists()
    assert not Path("/tmp/convergio-sim-abs.txt").exists()


def test_unknown_models_can_be_configured_to_fail(sim_bin: Path, work: Path) -> None:
    argv = ["opencode", "run", "--format", "json", "-m", "ollama/ghost", "hi"]
    proc = run(argv, work, sim_bin, OPENCODE_MODELS="ollama/qwen3-coder")
    assert proc.returncode == 1  # 1.18.33 exits 1 (older versions exited 0) ...
    assert events(proc.stdout)[-1]["type"] == "error"  # ... with an error event


def test_the_sim_log_records_parallel_invocations(sim_bin: Path, tmp_path: Path) -> None:
    log = tmp_path / "sim.jsonl"
    names = ["claude", "copilot", "gemini", "opencode"] * 2
    argvs = {
        "claude": [*CLAUDE, "task claude"],
        "copilot": ["copilot", "-p", "task copilot", "--output-format", "json", "--model", "gpt-5"],
        "gemini": [
            "gemini",
            "--skip-trust",
            "-p",
            "task gemini",
            "-m",
            "gemini-2.5-pro",
            "-o",
            "stream-json",
        ],
        "opencode": ["opencode", "run", "--format", "json", "-m", "ollama/q", "task opencode"],
    }
    threads = [
        threading.Thread(target=run, args=(argvs[n], tmp_path, sim_bin), kwargs={"LOG": str(log)})
        for n in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(r["name"] for r in records) == sorted(names)
    for record in records:
        # opencode run quotes an argument holding a space (1.18.33): the model gets that.
        quoted = record["name"] == "opencode"
        assert record["prompt"] == (
            f'"task {record["name"]}"' if quoted else f"task {record['name']}"
        )
        assert record["argv"] == argvs[record["name"]][1:]
        assert record["cwd"] == str(tmp_path.resolve())
        assert {"model", "pid", "ts", "round", "mode"} <= set(record)
    assert {r["model"] for r in records if r["name"] == "gemini"} == {"gemini-2.5-pro"}


def test_delay_streams_progress_lines_over_time(sim_bin: Path, work: Path) -> None:
    proc = subprocess.Popen(
        ["copilot", "-p", "SIM: delay=0.6", "--output-format", "json"],
        cwd=work,
        env=sim_path_env(sim_bin),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    stamps = [time.monotonic() for line in proc.stdout if "progress" in line]
    assert proc.wait(timeout=10) == 0
    assert len(stamps) >= 2
    assert stamps[-1] - stamps[0] >= 0.2  # the lines arrived spread out, not at once


def test_the_sim_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from convergio_tui.sim import agent, scenario, fmt_claude, fmt_copilot, fmt_gemini\n"
        "from convergio_tui.sim import fmt_opencode\n"
        "heavy = {'textual', 'rich', 'psutil', 'yaml', 'pydantic', 'peewee', 'uuid'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_ok_run_starts_fast(sim_bin: Path, work: Path) -> None:
    timings = []
    for _ in range(3):
        started = time.monotonic()
        run(["opencode", "run", "--format", "json", "hi"], work, sim_bin)
        timings.append(time.monotonic() - started)
    # Well under 100 ms on an idle machine; the bound is loose for a busy 2-core box.
    assert min(timings) < 0.5


def test_launchers_work_from_any_cwd_and_with_as_flag(sim_bin: Path, tmp_path: Path) -> None:
    proc = run(["gemini", "--version"], Path("/"), sim_bin)
    assert proc.returncode == 0
    direct = subprocess.run(
        [sys.executable, "-m", "convergio_tui.sim.agent", "--as", "opencode", "--version"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert direct.returncode == 0 and direct.stdout.startswith("1.18.33")


def test_copilot_honours_dash_c_and_baked_in_defaults(tmp_path: Path) -> None:
    bin_dir = install_sim_bin(
        tmp_path / "bin", names=["copilot"], env={"CONVERGIO_SIM_MODE": "fail"}
    )
    target = tmp_path / "repo"
    target.mkdir()
    argv = [
        "copilot",
        "-C",
        str(target),
        "-p",
        "SIM: write x.txt <<<x>>>",
        "--output-format",
        "json",
    ]
    failing = run(argv, tmp_path, bin_dir)
    assert failing.returncode == 1  # the launcher's default mode
    passing = run(argv, tmp_path, bin_dir, MODE="ok")  # the run's environment wins
    assert passing.returncode == 0
    assert (target / "x.txt").read_text() == "x"
    assert not (tmp_path / "x.txt").exists()
    with pytest.raises(ValueError, match="no simulator"):
        install_sim_bin(tmp_path / "bin", names=["cursor"])
