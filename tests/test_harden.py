"""The hardening scanner on real files and real git repositories, and its CLI."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from convergio_tui.tools.harden import fix_findings, load_rules, scan_paths, scan_text
from convergio_tui.tools.harden.rules import RuleError
from convergio_tui.tools.vault import Vault, generate_key

RNG = random.Random(99)
ALNUM = string.ascii_letters + string.digits
# Synthesised at test time, never committed: random characters in the public formats.
GH_TOKEN = "ghp_" + "".join(RNG.choice(ALNUM) for _ in range(36))
AWS_ID = "AKIA" + "".join(RNG.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
DB_PW = "Qz" + "".join(RNG.choice(ALNUM) for _ in range(8)) + "!7"

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "settings.py").write_text(
        f'DEBUG = True\nGITHUB_TOKEN = "{GH_TOKEN}"\ndb_password = "{DB_PW}"\n'
    )
    (repo / "deploy.env").write_text(f"AWS_ACCESS_KEY_ID={AWS_ID}\nREGION=eu-west-1\n")
    (repo / "README.md").write_text("Set AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE first.\n")
    (repo / "package-lock.json").write_text(f'{{"token": "{GH_TOKEN}"}}\n')
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    (repo / "untracked.txt").write_text(f"token {GH_TOKEN}\n")
    return repo


def test_scan_text_finds_and_masks() -> None:
    findings = scan_text(f'+ headers = {{"Authorization": "token {GH_TOKEN}"}}\n')
    assert [(f.path, f.line, f.rule, f.kind) for f in findings] == [
        ("<diff>", 1, "github-token", "token")
    ]
    assert GH_TOKEN not in findings[0].excerpt and "ghp_****" in findings[0].excerpt


def test_placeholders_hashes_and_allow_comments_are_silent() -> None:
    quiet = "\n".join(
        [
            "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
            'api_key = "<your-api-key>"',
            "token: ${GITHUB_TOKEN}",
            "password: changeme",
            'SECRET = "xxxxxxxxxxxxxxxxxxxxxxxx"',
            "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
            'request_id = "550e8400-e29b-41d4-a716-446655440000"',
            f'GITHUB_TOKEN = "{GH_TOKEN}"  # convergio:allow',
        ]
    )
    assert scan_text(quiet) == []


def test_personal_data_needs_valid_checksums() -> None:
    iban = "IBAN IT60 X054 2811 1010 0000 0123 456"  # convergio:allow (public example)
    assert [f.rule for f in scan_text(iban)] == ["iban"]
    assert scan_text("IBAN IT61 X054 2811 1010 0000 0123 456") == []  # bad mod-97
    assert [f.kind for f in scan_text("card: 4539 1488 0343 6467")] == ["card"]  # convergio:allow
    assert scan_text("card: 4539 1488 0343 6468") == []  # fails Luhn
    assert scan_text("card: 4111 1111 1111 1111") == []  # published test number
    assert [f.kind for f in scan_text("CF: RSSMRA85T10A562S")] == ["national-id"]  # convergio:allow
    assert scan_text("CF: RSSMRA85T10A562T") == []


def test_scan_paths_reads_tracked_files_only_and_skips_lock_files(repo: Path) -> None:
    report = scan_paths(repo, workers=1)
    got = {(f.path, f.line, f.rule) for f in report.findings}
    assert got == {
        ("app/settings.py", 2, "github-token"),
        ("app/settings.py", 3, "secret-assignment"),
        ("deploy.env", 1, "aws-access-key-id"),
    }
    assert report.files_scanned == 3  # settings.py, deploy.env, README.md (not the lock)
    everything = scan_paths(repo, tracked_only=False, workers=1)
    assert "untracked.txt" in {f.path for f in everything.findings}


def test_allow_list_file_silences_paths_lines_and_rules(repo: Path) -> None:
    (repo / ".convergio-allow").write_text("# reviewed\ndeploy.env\napp/settings.py:3\n")
    git(repo, "add", ".convergio-allow")
    report = scan_paths(repo, workers=1)
    assert [(f.path, f.line) for f in report.findings] == [("app/settings.py", 2)]
    (repo / ".convergio-allow").write_text("rule:github-token\nrule:secret-assignment\n")
    assert [f.path for f in scan_paths(repo, workers=1).findings] == ["deploy.env"]


def test_parallel_scan_matches_serial(tmp_path: Path) -> None:
    for i in range(40):
        body = "x = 1\n" * 5000 + (f"token = {GH_TOKEN}\n" if i % 7 == 0 else "")
        (tmp_path / f"f{i:02d}.py").write_text(body)
    serial = scan_paths(tmp_path, tracked_only=False, workers=1)
    parallel = scan_paths(tmp_path, tracked_only=False, workers=2)
    assert parallel.files_scanned == serial.files_scanned == 40
    assert parallel.findings == serial.findings
    assert len(serial.findings) == 6


def test_fix_rewrites_backs_up_and_stores_in_vault(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", generate_key())
    vault = Vault(tmp_path / "home")
    report = scan_paths(repo, workers=1)
    backups = tmp_path / "backups"
    fixed = fix_findings(repo, report.findings, vault=vault, project="web", backup_dir=backups)
    assert len(fixed.fixed) == 3 and fixed.skipped == []
    settings = (repo / "app" / "settings.py").read_text()
    assert GH_TOKEN not in settings and DB_PW not in settings
    assert 'GITHUB_TOKEN = "${GITHUB_TOKEN}"' in settings
    assert 'db_password = "${DB_PASSWORD}"' in settings
    assert (repo / "deploy.env").read_text().startswith("AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID}")
    assert vault.items("web") == {
        "GITHUB_TOKEN": GH_TOKEN,
        "DB_PASSWORD": DB_PW,
        "AWS_ACCESS_KEY_ID": AWS_ID,
    }
    assert GH_TOKEN in (backups / "app" / "settings.py").read_text()
    assert (backups / "app" / "settings.py").stat().st_mode & 0o777 == 0o600
    assert scan_paths(repo, workers=1).findings == []


def test_bad_rule_file_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - id: x\n    kind: k\n    category: credential\n    regex: '('\n")
    with pytest.raises(RuleError, match="rule x: regex"):
        load_rules(bad)


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convergio_tui", "harden", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_json_text_sarif_and_exit_codes(repo: Path) -> None:
    as_json = run_cli("--format", "json", cwd=repo)
    assert as_json.returncode == 1
    doc = json.loads(as_json.stdout)
    assert doc["files_scanned"] == 3
    assert set(doc["findings"][0]) == {"path", "line", "kind", "rule", "excerpt", "kept", "why"}
    assert doc["kept"] == 3 and doc["skipped"] == 0
    assert GH_TOKEN not in as_json.stdout and DB_PW not in as_json.stdout
    text = run_cli(cwd=repo)
    assert "app/settings.py:2: token (github-token)" in text.stdout
    sarif = json.loads(run_cli(".", "--format", "sarif", cwd=repo).stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    result = run["results"][0]
    assert rule_ids[result["ruleIndex"]] == result["ruleId"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] >= 1 and region["startColumn"] >= 1
    clean = repo / "docs"
    clean.mkdir()
    (clean / "a.md").write_text("nothing to see\n")
    assert run_cli(str(clean), "--all-files", cwd=repo).returncode == 0


def test_cli_fix_to_vault(repo: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CONVERGIO_HOME": str(tmp_path / "home"),
        "CONVERGIO_VAULT_KEY": generate_key(),
    }
    done = run_cli("--fix", "--to-vault", "web", cwd=repo, env=env)
    assert done.returncode == 0, done.stderr
    assert "rotate" in done.stderr.lower() and "git history" in done.stderr
    assert "backups" in done.stderr
    assert run_cli(cwd=repo, env=env).returncode == 0
    got = Vault(tmp_path / "home", key=env["CONVERGIO_VAULT_KEY"]).get("web", "GITHUB_TOKEN")
    assert got == GH_TOKEN
    usage = run_cli("--to-vault", "web", cwd=repo, env=env)
    assert usage.returncode == 2
