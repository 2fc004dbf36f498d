"""Kept or skipped: documentation and test examples are told apart from live data, with
the reason, in the API and through the real CLI (``--format json``, text, SARIF)."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

from convergio_tui.tools.harden import scan_text

RNG = random.Random(4242)
ALNUM = string.ascii_letters + string.digits
GH = "ghp_" + "".join(RNG.choice(ALNUM) for _ in range(36))
PASSWORD = "Vb" + "".join(RNG.choice(ALNUM) for _ in range(8)) + "!4"
EMAIL = "giulia.bianchi77@libero.it"


def verdicts(text: str, path: str) -> list[tuple[str, bool, str]]:
    return [(f.kind, f.kept, f.why) for f in scan_text(text, path)]


@pytest.mark.parametrize(
    ("text", "path", "why"),
    [
        (f'def send():\n    """Mail {EMAIL} when done."""\n', "mailer.py", "docstring"),
        (f'"""Module notes.\n\nOwner: {EMAIL}\n"""\n', "mailer.py", "docstring"),
        (f">>> parse('{EMAIL}')\n'{EMAIL}'\n", "README.rst", "doctest"),
        (f'def f():\n    """\n    >>> f()\n    {EMAIL}\n    """\n', "m.py", "doctest"),
        (f'CONTACT = "{EMAIL}"\n', "tests/test_mail.py", "test file"),
        (f'CONTACT = "{EMAIL}"\n', "app/mail_test.go", "test file"),
        (f"Write to {EMAIL}, for example.\n", "guide.md", "marked as an example"),
        ("    private_key: PKCS7PrivateKeyTypes,\n", "crypto.py", "type annotation"),
        ("    secret_token = SESSION_TOKEN_V2\n", "app.py", "code reference"),
        (f'EMAIL_RE = re.compile(r"^\\w+ {EMAIL}$")\n', "forms.py", "regex literal"),
        ("created: +2019-05-06\n", "log.txt", "date"),
        ("np.random.seed(4539148803436467)\n", "train.py", "random seed"),
        ('DB = "postgresql://scott:tiger@localhost/mydatabase"\n', "db.py", "URL example"),
        ("amqp://guest:guest@rabbit:5672//\n", "compose.yml", "URL example"),
        ("mongodb://reader:D1fficultP%40ss@mongodb0.example.com:27017/\n", "db.md", "URL example"),
    ],
)
def test_examples_are_skipped_with_their_reason(text: str, path: str, why: str) -> None:
    got = verdicts(text, path)
    assert got and all(not kept for _, kept, _ in got), got
    assert got[0][2] == why


def test_jwt_io_sample_token_is_a_documentation_example() -> None:
    # The token of jwt.io's debugger: {"alg":"HS256","typ":"JWT"}.{"sub":"1234567890",
    # "name":"John Doe","iat":1516239022}, built here rather than pasted.
    def enc(obj: dict[str, object]) -> str:
        import base64

        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    head = enc({"alg": "HS256", "typ": "JWT"})
    body = enc({"sub": "1234567890", "name": "John Doe", "iat": 1516239022})
    token = f"{head}.{body}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    assert verdicts(f"Authorization: Bearer {token}\n", "api.http") == [
        ("jwt", False, "documentation example (jwt.io)")
    ]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (f"Owner: {EMAIL}\n", "CONTRIBUTING.md"),
        (f"# owner {EMAIL}\nOWNER = '{EMAIL}'\n", "mailer.py"),
        (f"DB_PASSWORD={PASSWORD}\n", ".env"),
        (f"api_token: {PASSWORD}Zq91x\n", "config.yaml"),  # YAML: an unquoted value
        (f"export SECRET_TOKEN={PASSWORD}Zq91x\n", "deploy.sh"),
        (f'URL = "postgresql://app:{PASSWORD}@db.corp.lan/app"\n', "settings.py"),
        ("card: 4539 1488 0343 6467\n", "orders.csv"),
        ("pattern = f(x) + 1\ncard = '4539148803436467'\n", "billing.py"),
    ],
)
def test_live_data_is_kept(text: str, path: str) -> None:
    got = verdicts(text, path)
    assert got and all(kept for _, kept, _ in got), got
    assert {why for _, _, why in got} == {"no sign of an example"}


@pytest.mark.parametrize(
    ("text", "path", "why"),
    [
        (f'GITHUB_TOKEN = "{GH}"\n', "tests/test_api.py", "provider token format, kept in a test file"),
        (f'def f():\n    """Use {GH}."""\n', "api.py", "provider token format, kept in a docstring"),
        (f">>> login('{GH}')\n", "README.md", "provider token format, kept in a doctest"),
        (f"GITHUB_TOKEN={GH}  # example\n", ".env", "provider token format, kept although marked as an example"),
        (f'GITHUB_TOKEN = "{GH}"\n', "api.py", "provider token format"),
    ],
)  # fmt: skip
def test_provider_tokens_are_kept_wherever_they_were_pasted(text: str, path: str, why: str) -> None:
    assert verdicts(text, path) == [("token", True, why)]


# ---- through the real CLI ---------------------------------------------------------------
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "src" / "crypto.py").write_text(
        '"""Signing helpers.\n\nQuestions: ' + EMAIL + '\n"""\n\n\n'
        "def sign(\n    data: bytes,\n    private_key: PKCS7PrivateKeyTypes,\n) -> bytes:\n"
        "    return data\n"
    )
    (repo / "tests" / "test_orders.py").write_text("CARD = '4539 1488 0343 6467'\n")
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "i"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return repo


def test_cli_json_lists_skipped_findings_with_kept_and_why(repo: Path) -> None:
    done = run_cli("harden", "--format", "json", cwd=repo)
    assert done.returncode == 0, done.stderr  # nothing kept: nothing to act on
    doc = json.loads(done.stdout)
    got = {(f["path"], f["kind"], f["kept"], f["why"]) for f in doc["findings"]}
    assert got == {
        ("src/crypto.py", "email", False, "docstring"),
        ("src/crypto.py", "password", False, "type annotation"),
        ("tests/test_orders.py", "card", False, "test file"),
    }
    assert (doc["kept"], doc["skipped"], doc["files_scanned"]) == (0, 3, 2)
    assert EMAIL not in done.stdout


def test_cli_text_counts_skipped_and_lists_them_on_request(repo: Path) -> None:
    (repo / "src" / "settings.py").write_text(f'GITHUB_TOKEN = "{GH}"\n')
    done = run_cli("harden", "--all-files", cwd=repo)
    assert done.returncode == 1
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("src/settings.py:1: token (github-token)")
    assert "skipped" not in lines[0] and len(lines) == 2
    assert lines[-1].startswith("1 finding(s) in 1 file(s); 3 skipped as documentation")
    assert "--show-skipped" in lines[-1]
    shown = run_cli("harden", "--all-files", "--show-skipped", cwd=repo).stdout
    assert "src/crypto.py:9: password (secret-assignment-unquoted)" in shown
    assert "[skipped: type annotation]" in shown and "[skipped: test file]" in shown
    assert GH not in done.stdout + shown


def test_cli_sarif_marks_skipped_findings_as_suppressed(repo: Path) -> None:
    plain = json.loads(run_cli("harden", "--format", "sarif", cwd=repo).stdout)
    assert plain["runs"][0]["results"] == []
    shown = json.loads(run_cli("harden", "--format", "sarif", "--show-skipped", cwd=repo).stdout)
    results = shown["runs"][0]["results"]
    assert len(results) == 3
    reasons = {r["suppressions"][0]["justification"] for r in results}
    assert reasons == {"docstring", "type annotation", "test file"}


def test_cli_fix_leaves_skipped_examples_alone(repo: Path, tmp_path: Path) -> None:
    (repo / "app.env").write_text(f"DB_PASSWORD={PASSWORD}\n")
    env = {"CONVERGIO_HOME": str(tmp_path / "home")}
    done = run_cli("harden", "--all-files", "--fix", cwd=repo, env=env)
    assert done.returncode == 0, done.stderr
    assert "fixed 1 finding(s) in 1 file(s)" in done.stderr
    assert (repo / "app.env").read_text() == "DB_PASSWORD=${DB_PASSWORD}\n"
    assert "4539 1488 0343 6467" in (repo / "tests" / "test_orders.py").read_text()
    assert EMAIL in (repo / "src" / "crypto.py").read_text()
