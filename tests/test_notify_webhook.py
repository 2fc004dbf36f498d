"""The webhook against a real HTTP server on 127.0.0.1: the body Slack and ntfy read, the
headers, what never leaves the machine, refused URLs, a server that does not answer; and
end to end, the escalation of a real ``convergio run`` with the simulated agents."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_cli
from engine_fixtures import engine_config_dict
from pydantic import ValidationError
from test_run_cli import setup_plan, t

from convergio_tui.config.notify_schema import NotifyConfig
from convergio_tui.engine.notify import Notification, Notifier
from convergio_tui.engine.notify.webhook import WebhookRefused, post

NOTE = Notification("escalation", "warning", "Escalated: T2-03",
                    "T2-03 “Add the login form” was rejected by Thor and waits for your decision",
                    detail="T2-03 escalated: FileNotFoundError /home/me/secret-project")  # fmt: skip


@dataclass
class Hook:
    """A webhook receiver: every POST's headers and body."""

    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    hold: threading.Event = field(default_factory=threading.Event)  # set: answer at once
    got: threading.Event = field(default_factory=threading.Event)

    def bodies(self) -> list[dict[str, object]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook("")
    state.hold.set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append((dict(self.headers.items()), body))
            state.got.set()
            state.hold.wait(30)  # a server that does not answer, while the test says so
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/convergio-topic"
    yield state
    state.hold.set()
    server.shutdown()
    server.server_close()


def test_the_json_body_slack_reads_and_the_headers_ntfy_reads(hook: Hook) -> None:
    notifier = Notifier(NotifyConfig(webhook_url=hook.url, bell=False, desktop=False))
    notifier.submit(NOTE)
    notifier.close()
    ((headers, _),) = hook.received
    assert hook.bodies() == [{"text": "Convergio · Escalated: T2-03: T2-03 “Add the login form” "
                                      "was rejected by Thor and waits for your decision"}]  # fmt: skip
    assert headers["Content-Type"] == "application/json"
    assert (headers["Title"], headers["Priority"], headers["Tags"]) == (
        "=?utf-8?q?Convergio_=C2=B7_Escalated=3A_T2-03?=", "high", "warning")  # fmt: skip


def test_the_plain_text_body_for_ntfy(hook: Hook) -> None:
    config = NotifyConfig(webhook_url=hook.url, webhook_body="text", bell=False, desktop=False)
    notifier = Notifier(config)
    notifier.submit(Notification("plan.done", "info", "Plan done: #1", "plan #1 is done"))
    notifier.close()
    ((headers, body),) = hook.received
    assert body.decode() == "Convergio · Plan done: #1: plan #1 is done"
    assert (
        headers["Content-Type"] == "text/plain; charset=utf-8" and headers["Priority"] == "default"
    )


def test_no_detail_and_no_vault_value_leaves_the_machine(hook: Hook) -> None:
    notifier = Notifier(NotifyConfig(webhook_url=hook.url, bell=False, desktop=False),
                        secrets=lambda: ["Add the login"])  # fmt: skip
    notifier.submit(NOTE)
    notifier.close()
    ((headers, body),) = hook.received
    sent = body.decode() + json.dumps(headers)
    assert "secret-project" not in sent and "FileNotFoundError" not in sent  # the detail
    assert "Add the login" not in sent and "***REDACTED***" in sent


def test_a_url_with_a_user_name_or_password_is_refused() -> None:
    for url in ("https://user:pw@hooks.example.com/x", "https://token@ntfy.example/t",
                "http://evil\\@127.0.0.1/x", "ftp://example.com/x", "https:///nohost"):  # fmt: skip
        with pytest.raises(ValidationError, match="webhook"):
            NotifyConfig.model_validate({"webhook_url": url})
        with pytest.raises(WebhookRefused):
            post(url, b"{}", {}, 1.0)
    assert (
        NotifyConfig.model_validate({"webhook_url": "https://ntfy.sh/my-topic"}).webhook_url
        == "https://ntfy.sh/my-topic"
    )


def test_config_check_names_file_line_and_key_and_exits_2(tmp_path: Path, ollama: str) -> None:
    data = engine_config_dict(tmp_path, ollama)
    data["notify"] = {"webhook_url": "https://me:secret@hooks.example.com/services/x"}
    cfg = tmp_path / "orchestrator.yaml"
    import yaml

    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    line = (
        cfg.read_text()
        .splitlines()
        .index("  webhook_url: https://me:secret@hooks.example.com/services/x")
        + 1
    )
    proc = run_cli("--config", str(cfg), "config", "check")
    assert proc.returncode == 2
    assert (
        f"{cfg}:{line}: notify.webhook_url:" in proc.stderr and "user name, password" in proc.stderr
    )
    data["notify"] = {"webhok_url": "https://hooks.example.com/x"}
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    proc = run_cli("--config", str(cfg), "config", "check")
    assert proc.returncode == 2 and "notify.webhok_url: unknown key" in proc.stderr


def test_a_server_that_does_not_answer_is_given_up_on_and_logged(
    hook: Hook, caplog: pytest.LogCaptureFixture
) -> None:
    hook.hold.clear()
    notifier = Notifier(NotifyConfig(webhook_url=hook.url, webhook_timeout_s=0.5, bell=False,
                                     desktop=False))  # fmt: skip
    with caplog.at_level(logging.WARNING):
        notifier.submit(NOTE)
        assert hook.got.wait(30)  # the submit returned at once; the POST is under way
        notifier.close(timeout_s=30)
    assert "not sent by webhook" in caplog.text and "timed out" in caplog.text


def test_an_escalation_in_a_real_run_reaches_the_webhook(
    repo: Path, sim_bin: Path, ollama: str, tmp_path: Path, hook: Hook
) -> None:
    opts, plan = setup_plan(repo, ollama, tmp_path, [
        t("T1", "SIM: mode=fail"), t("T2", "SIM: write ok.txt <<<ok\\n>>>"),
    ])  # fmt: skip
    cfg = Path(opts[1])
    import yaml

    data = yaml.safe_load(cfg.read_text())
    data["notify"] = {"webhook_url": hook.url, "desktop": False}
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))

    proc = run_cli(*opts, "run", str(plan))

    assert proc.returncode == 1, proc.stdout + proc.stderr  # T1 waits for a person
    texts = [str(b["text"]) for b in hook.bodies()]
    assert (
        "Convergio · Escalated: T1: T1 “do T1” was rejected by Thor and waits for your decision"
        in texts
    )
    assert not any("SIM:" in text or "mode=fail" in text for text in texts)  # never the prompt
    assert "\a" not in proc.stdout + proc.stderr  # not a terminal: no bell in the output
