"""Provider health: real checks of the simulated CLIs (in the real sandbox), credentials
proved against the stand-in model server, the TTL cache, cooldowns with backoff,
worker-observed errors that a check in flight never overwrites, and ``convergio health``."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from engine_fixtures import engine_config, engine_config_dict, sim_calls, write_config

from convergio_tui.engine import health
from convergio_tui.engine.health_probe import check_provider
from convergio_tui.engine.health_verdict import parse_version
from convergio_tui.engine.snapshot import health_views
from convergio_tui.sim.cli_args import VERSIONS
from convergio_tui.sim.install import install_sim_bin
from convergio_tui.sim.ollama import serve_ollama
from convergio_tui.sim.standin import protocols
from convergio_tui.sim.standin.server import Request, Response, StandIn, serve_standin
from convergio_tui.store.models import ProviderHealth


def _row(name: str) -> ProviderHealth:
    return ProviderHealth.get(ProviderHealth.provider == name)


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StandIn, list[Response]]]:
    """The stand-in model server; a response put in the list answers every credential
    check (GET of a model list or /user) instead of the stand-in's own answer."""
    answers: list[Response] = []

    def front(request: Request, standin: StandIn) -> Response | None:
        if request.method == "GET" and answers and not request.path.startswith("/api/"):
            return answers[0]
        return None

    monkeypatch.setattr(protocols, "HANDLERS", [("front", front), *protocols.HANDLERS])
    with serve_standin() as server:
        yield server, answers


def _keyed(url: str) -> dict[str, dict[str, object]]:
    """Provider overrides: the built-in probes, each with a key and the stand-in as its API."""
    return {
        "claude": {"env": {"ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": "sk-test"}},
        "copilot": {"auth_check": [], "env": {"COPILOT_PROVIDER_BASE_URL": url,
                                              "COPILOT_PROVIDER_API_KEY": "sk-test"}},
        "gemini": {"auth_check": [], "env": {"GOOGLE_GEMINI_BASE_URL": url,
                                             "GEMINI_API_KEY": "test-key"}},
    }  # fmt: skip


def test_all_providers_up_with_versions_and_ollama(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path
) -> None:
    config = engine_config(repo, ollama)
    checked = health.refresh(config)
    assert sorted(checked) == ["claude", "copilot", "gemini", "opencode"]
    doc = health.health_document(config)
    for name in checked:
        assert doc[name]["state"] == "up", doc[name]
        assert isinstance(doc[name]["latency_ms"], float)
        assert doc[name]["cooldown_until"] is None and doc[name]["reason"] is None
        assert doc[name]["version"] == parse_version(VERSIONS[name])  # the number only
    assert str(doc["claude"]["detail"]).startswith(f"claude {parse_version(VERSIONS['claude'])}")
    assert "logged in (claude.ai)" in str(doc["claude"]["detail"])
    assert "ollama 0.12.0" in str(doc["opencode"]["detail"])
    # claude's check is `claude auth status`: really asked.
    assert [c["name"] for c in sim_calls(sim_bin, "auth_status")] == ["claude"]


def test_ttl_cache_skips_checks_until_forced(
    repo: Path, sim_bin: Path, ollama: str, engine_db: Path
) -> None:
    config = engine_config(repo, ollama)
    health.refresh(config)
    calls = len(sim_calls(sim_bin, "version"))
    assert health.refresh(config) == []  # within ttl_s: nothing re-run
    assert len(sim_calls(sim_bin, "version")) == calls
    assert len(health.refresh(config, force=True)) == 4
    # Forced: every login check again; a version already read from the same file is kept
    # (copilot's and gemini's login check in these tests is their `--version`).
    assert len(sim_calls(sim_bin, "auth_status")) == 2
    assert sorted(c["name"] for c in sim_calls(sim_bin, "version")[calls:]) == ["copilot", "gemini"]


def test_missing_cli_is_down_saying_how_to_install(repo: Path, tmp_path: Path, ollama: str,
                                                   engine_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    only = install_sim_bin(tmp_path / "only-copilot", names=["copilot"])
    monkeypatch.setenv("PATH", f"{only}{os.pathsep}/usr/bin{os.pathsep}/bin")
    config = engine_config(repo, ollama)
    health.refresh(config, providers=["claude", "copilot"])
    assert _row("copilot").state == "up"
    claude = _row("claude")
    assert claude.state == "down"
    assert claude.detail.startswith("missing: `claude` not found on PATH")
    assert "npm install -g @anthropic-ai/claude-code" in claude.detail
    assert claude.cooldown_until is not None  # not checked again before the backoff ends
    assert health.health_document(config)["claude"]["reason"] == "missing"


def test_failed_login_check_backs_off_exponentially(repo: Path, sim_bin: Path, ollama: str, engine_db: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("CONVERGIO_SIM_COPILOT_AUTH", "fail")
    config = engine_config(repo, ollama, health={"cooldown_base_s": 10, "cooldown_max_s": 25})
    health.refresh(config, providers=["copilot"])
    first = _row("copilot")
    assert first.state == "down" and first.consecutive_failures == 1
    assert first.detail.startswith("auth: `copilot --version` exited 1: copilot: not authenticated")
    assert "run `copilot login`" in first.detail  # what to do
    assert first.cooldown_until - first.checked_at == pytest.approx(10, abs=1)
    assert health.refresh(config, providers=["copilot"]) == []  # backing off: no check
    health.refresh(config, force=True, providers=["copilot"])
    second = _row("copilot")
    assert second.consecutive_failures == 2
    assert second.cooldown_until - second.checked_at == pytest.approx(20, abs=1)
    health.refresh(config, force=True, providers=["copilot"])
    capped = _row("copilot")
    assert capped.cooldown_until - capped.checked_at == pytest.approx(25, abs=1)
    monkeypatch.delenv("CONVERGIO_SIM_COPILOT_AUTH")
    health.refresh(config, force=True, providers=["copilot"])
    healed = _row("copilot")
    assert (healed.state, healed.consecutive_failures, healed.cooldown_until) == ("up", 0, None)


def test_no_credentials_is_down_and_says_what_to_do(repo: Path, sim_bin: Path, ollama: str,
                                                    engine_db: Path) -> None:  # fmt: skip
    # The shipped checks (auth_check: []) with nothing to log in with: not up.
    config = engine_config(repo, ollama, providers={"copilot": {"auth_check": []},
                                                    "gemini": {"auth_check": []}})  # fmt: skip
    health.refresh(config, providers=["copilot", "gemini"])
    copilot, gemini = _row("copilot"), _row("gemini")
    assert (copilot.state, gemini.state) == ("down", "down")
    assert copilot.detail.startswith(
        "auth: not logged in to GitHub Copilot; fix: run `copilot login`"
    )
    assert gemini.detail.startswith("auth: no Gemini credentials; fix: export GEMINI_API_KEY")
    assert health_views()["gemini"].state == "down"


def test_stored_logins_count_as_credentials(repo: Path, sim_bin: Path, ollama: str,
                                            engine_db: Path) -> None:  # fmt: skip
    home = Path(os.environ["HOME"])
    (home / ".copilot").mkdir(parents=True)
    (home / ".copilot" / "config.json").write_text(
        '// managed automatically\n{"last_logged_in_user": {"host": "https://github.com", "login": "octo"}}'
    )
    (home / ".gemini").mkdir()
    (home / ".gemini" / "settings.json").write_text(
        '{"security": {"auth": {"selectedType": "vertex-ai"}}}'
    )
    (home / ".gemini" / ".env").write_text("GOOGLE_CLOUD_PROJECT=p\nGOOGLE_CLOUD_LOCATION=us\n")
    config = engine_config(repo, ollama, providers={"copilot": {"auth_check": []},
                                                    "gemini": {"auth_check": []}})  # fmt: skip
    health.refresh(config, providers=["copilot", "gemini"])
    assert _row("copilot").state == "up" and "logged in as octo" in _row("copilot").detail
    assert (
        _row("gemini").state == "up"
        and "Vertex AI credentials (not verified)" in _row("gemini").detail
    )


def test_keys_proved_against_the_api(repo: Path, sim_bin: Path, engine_db: Path,
                                     standin: tuple[StandIn, list[Response]]) -> None:  # fmt: skip
    server, _ = standin
    config = engine_config(repo, server.url, providers=_keyed(server.url))
    assert sorted(health.refresh(config)) == ["claude", "copilot", "gemini", "opencode"]
    for name in ("claude", "copilot", "gemini"):
        assert _row(name).state == "up", _row(name).detail
        assert "accepted by " + server.url in _row(name).detail
    sent = {(r.path, r.headers.get("x-api-key") or r.headers.get("x-goog-api-key")
             or r.headers.get("authorization")) for r in server.sent()}  # fmt: skip
    assert ("/v1/models", "sk-test") in sent  # claude's key, as claude sends it
    assert ("/models", "Bearer sk-test") in sent  # copilot's BYOK key
    assert ("/v1beta/models", "test-key") in sent  # gemini's key


@pytest.mark.parametrize(
    ("status", "body", "state", "reason", "says"),
    [
        (401, {"type": "error", "error": {"type": "authentication_error",
                                          "message": "invalid x-api-key"}},
         "down", "auth", "was refused by"),
        (400, {"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT",
                         "details": [{"reason": "API_KEY_INVALID"}]}},
         "down", "auth", "API_KEY_INVALID"),
        (429, {"error": {"message": "slow down"}}, "cooldown", "rate_limit", "answered 429"),
        (500, {"error": {"message": "boom"}}, "cooldown", "unreachable", "answered 500"),
    ],
)  # fmt: skip
def test_refused_or_failing_api_is_not_up(repo: Path, sim_bin: Path, engine_db: Path,
                                          standin: tuple[StandIn, list[Response]], status: int,
                                          body: dict[str, object], state: str, reason: str,
                                          says: str) -> None:  # fmt: skip
    server, answers = standin
    answers.append(Response(status, body))
    config = engine_config(repo, server.url, providers=_keyed(server.url))
    health.refresh(config, providers=["claude", "copilot", "gemini"])
    doc = health.health_document(config)
    for name in ("claude", "copilot", "gemini"):
        assert (doc[name]["state"], doc[name]["reason"]) == (state, reason), doc[name]
        assert says in str(doc[name]["detail"])
    if reason == "auth":
        assert "set a valid GEMINI_API_KEY" in str(doc["gemini"]["detail"])


def test_a_slow_check_times_out_into_cooldown(repo: Path, sim_bin: Path, engine_db: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    release = threading.Event()

    def hold(request: Request, standin: StandIn) -> Response | None:
        release.wait(60)  # never answers within the check's timeout
        return None

    monkeypatch.setattr(protocols, "HANDLERS", [("hold", hold), *protocols.HANDLERS])
    with serve_standin() as server:
        config = engine_config(repo, server.url, providers=_keyed(server.url),
                               health={"check_timeout_s": 0.5})  # fmt: skip
        try:
            result = check_provider(config, "gemini")
        finally:
            release.set()
    assert (result.state, result.reason) == ("cooldown", "timeout")
    assert "raise health.check_timeout_s" in result.detail


def test_a_check_in_flight_never_overwrites_a_newer_cooldown(
    repo: Path, sim_bin: Path, engine_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check starts; a run reports a 429 meanwhile; the check then finds the provider
    up. The cooldown stands, so the next task does not go straight back to it."""
    arrived, release = threading.Event(), threading.Event()

    def hold(request: Request, standin: StandIn) -> Response | None:
        if request.path == "/v1/models":
            arrived.set()
            release.wait(60)
        return None  # then the stand-in's own answer: 200, the key is fine

    monkeypatch.setattr(protocols, "HANDLERS", [("hold", hold), *protocols.HANDLERS])
    with serve_standin() as server:
        config = engine_config(repo, server.url, providers=_keyed(server.url))
        checked: list[list[str]] = []
        check = threading.Thread(
            target=lambda: checked.append(health.refresh(config, providers=["claude"]))
        )
        check.start()
        try:
            assert arrived.wait(60), "the check never reached the API"
            until = health.report_run_error(config, "claude", "rate_limit", "429 slow down")
        finally:
            release.set()
            check.join(60)
    assert checked == [["claude"]]  # the check ran to the end (and found the key fine)
    row = _row("claude")
    assert row.state == "cooldown" and row.cooldown_until == until
    assert row.detail.startswith("rate_limit: rate limit seen in a run: 429 slow down")
    assert health_views()["claude"].state == "cooldown"


def test_a_check_after_the_report_is_recorded(repo: Path, sim_bin: Path, ollama: str,
                                              engine_db: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, health={"cooldown_base_s": 0})
    health.report_run_error(config, "claude", "auth", "401 invalid x-api-key")
    assert _row("claude").detail.startswith("auth: credentials refused seen in a run")
    health.refresh(config, force=True, providers=["claude"])  # started after: it counts
    assert _row("claude").state == "up"


def test_ollama_not_answering_cools_opencode(repo: Path, sim_bin: Path, engine_db: Path) -> None:
    with serve_ollama() as url:
        pass  # the port is closed again: nothing answers there now
    config = engine_config(repo, url)
    health.refresh(config, providers=["opencode"])
    row = _row("opencode")
    assert row.state == "cooldown"
    assert row.detail.startswith(f"unreachable: endpoint {url} not answering")
    assert "ollama serve" in row.detail
    assert health_views()["opencode"].state == "cooldown"


def test_unpulled_model_is_shown(repo: Path, sim_bin: Path, engine_db: Path) -> None:
    with serve_ollama(["qwen3-coder:latest"]) as url:
        config = engine_config(repo, url)
        health.refresh(config, providers=["opencode"])
    row = _row("opencode")
    assert row.state == "up"
    assert "models not pulled: llama3.3 (ollama pull llama3.3)" in row.detail


def test_worker_rate_limit_cools_at_once_then_recovers(repo: Path, sim_bin: Path, ollama: str,
                                                       engine_db: Path) -> None:  # fmt: skip
    config = engine_config(repo, ollama, health={"cooldown_base_s": 40})
    health.refresh(config)
    until = health.report_run_error(config, "gemini", "rate_limit", "429 RESOURCE_EXHAUSTED")
    assert until is not None
    view = health_views()["gemini"]
    assert view.state == "cooldown" and "rate limit" in view.detail
    assert health.next_recovery_at(["gemini", "claude"]) == pytest.approx(until)
    assert (
        health.report_run_error(config, "gemini", "failed", "boom") is None
    )  # not a cooling error
    # After the cooldown the router sees it up again, and the next refresh re-checks it.
    assert health_views(at=until + 1)["gemini"].state == "up"


def test_health_cli_json_and_text(repo: Path, sim_bin: Path, ollama: str, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    data = engine_config_dict(repo, ollama)
    data["providers"]["gemini"]["enabled"] = False
    data["providers"]["copilot"]["auth_check"] = []  # the shipped check: no login here
    cfg = write_config(tmp_path / "orchestrator.yaml", data)
    proc = run_cli("--config", str(cfg), "--db", str(tmp_path / "c.db"), "health", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) == {"claude", "copilot", "gemini", "opencode"}
    for name in ("claude", "opencode"):
        assert {"state", "latency_ms", "detail", "reason", "cooldown_until"} <= set(doc[name])
        assert doc[name]["state"] == "up"
    assert doc["gemini"]["state"] == "down" and "disabled" in doc["gemini"]["detail"]
    assert (doc["copilot"]["state"], doc["copilot"]["reason"]) == ("down", "auth")
    text = run_cli("--config", str(cfg), "--db", str(tmp_path / "c.db"), "health", "--refresh")
    assert text.returncode == 0
    lines = {line.split()[0]: line for line in text.stdout.splitlines() if line.strip()}
    assert " up " in lines["claude"]
    # A problem's line says what to do, in full, on the next line.
    copilot = text.stdout.split("copilot", 1)[1]
    assert "run `copilot login`" in copilot.split("\ngemini", 1)[0]


def test_dashboard_panel_shows_what_to_do(repo: Path, sim_bin: Path, ollama: str,
                                          engine_db: Path) -> None:  # fmt: skip
    from convergio_tui.store.queries import provider_health
    from convergio_tui.tui.widgets.health_panel import fix_content, health_content

    config = engine_config(repo, ollama, providers={"copilot": {"auth_check": []}})
    health.refresh(config, providers=["claude", "copilot"])
    lines = {line.provider: line for line in provider_health()}
    at = lines["copilot"].checked_at
    down = health_content(lines["copilot"], at, 120).plain
    assert "down" in down and "auth: not logged in to GitHub Copilot" in down
    fix = fix_content(lines["copilot"], at, 120)
    assert fix is not None and fix.plain.startswith("  fix: run `copilot login`")
    assert fix_content(lines["claude"], at, 120) is None  # up: nothing to do


def test_a_run_checks_with_its_projects_vault_values(repo: Path, sim_bin: Path, engine_db: Path,
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     standin: tuple[StandIn, list[Response]]) -> None:  # fmt: skip
    from engine_fixtures import import_spec, task

    from convergio_tui.engine.executor import Executor
    from convergio_tui.tools.vault import Vault

    server, _ = standin
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", "a passphrase for the test vault")
    Vault().set("demo", "ANTHROPIC_API_KEY", "sk-from-the-vault")  # nowhere else
    config = engine_config(repo, server.url,
                           providers={"claude": {"env": {"ANTHROPIC_BASE_URL": server.url}}})  # fmt: skip
    plan = import_spec(
        config,
        tmp_path,
        [[task("B1", "tidy up\nSIM: write tidy.txt <<<tidy\\n>>>", type="bulk", priority="P3")]],
    )
    assert Executor(config, plan).run().status == "done"
    keys = [r.headers.get("x-api-key") for r in server.sent() if r.path == "/v1/models"]
    assert keys and set(keys) == {"sk-from-the-vault"}
    assert _row("claude").state == "up"
