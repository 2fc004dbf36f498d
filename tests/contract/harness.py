"""Run a pinned real provider CLI the way the engine does — the worker's argv, the
provider's sandbox and environment allow-list, the shared runner — against the stand-in
model server, and return what the worker concluded.

Imported by the contract tests (``tests/contract/test_*.py``); no tests here.
"""

from __future__ import annotations

import copy
import json
import os
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from convergio_tui import paths
from convergio_tui.config.schema import Config
from convergio_tui.providers import ProcessOutcome, ProviderResult, get_adapter, run_process
from convergio_tui.sandbox.confine import RunRequest, confine, relaying, run_folder

ROOT = Path(__file__).resolve().parents[2]
PINS: dict[str, dict[str, str]] = json.loads((Path(__file__).parent / "clis.json").read_text())
FAKE_KEY = "sk-convergio-contract-fake-key"
# Prompts every CLI must deliver to the model unchanged: a markdown list (not flags), text
# beyond ASCII, and one well past 60 KB.
PROMPT_CASES = [
    ("dash_prompt", "- fix the README\n- then add a test"),
    ("unicode_prompt", "Résumé: naïve café, 日本語, emoji 🚀, «quotes»"),
    ("large_prompt", "Large input follows.\n" + ("0123456789abcdef" * 64 + "\n") * 60),
]


def real_cli_bin() -> Path:
    """The bin folder of the pinned CLIs (``$CONVERGIO_REAL_CLIS``, else installed or found
    in the cache by ``scripts/install-clis``). Fails — never skips — when they cannot be had."""
    given = os.environ.get("CONVERGIO_REAL_CLIS")
    if given:
        return Path(given)
    proc = subprocess.run([str(ROOT / "scripts" / "install-clis")], capture_output=True,
                          text=True, timeout=900, check=False)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"the pinned real CLIs are not available: {proc.stderr.strip()}")
    found = Path(proc.stdout.strip().splitlines()[-1])
    os.environ["CONVERGIO_REAL_CLIS"] = str(found)  # once per test process
    return found


def contract_config(providers: dict[str, dict[str, Any]] | None = None) -> Config:
    """The shipped configuration, with ``providers`` merged into each named provider
    (``env`` pointing the CLI at the stand-in, a short timeout...)."""
    data = copy.deepcopy(yaml.safe_load(paths.shipped_config_path().read_text()))
    for name, changes in (providers or {}).items():
        data["providers"][name].update(changes)
    return Config.model_validate(data)


@dataclass(frozen=True)
class Ran:
    """One real CLI run: the runner's outcome, the worker's verdict and the log's text."""

    outcome: ProcessOutcome
    result: ProviderResult
    log: str


def run_cli(config: Config, provider: str, prompt: str, workdir: Path, *, model: str | None = None,
            privacy: str = "internal", timeout_s: float = 120) -> Ran:  # fmt: skip
    """Build the worker's invocation and run it confined, like ``engine.launch.execute``."""
    spec = config.providers[provider]
    worker = get_adapter(provider)
    inv = worker.build_invocation(list(spec.cli), prompt, model or spec.default_model, workdir)
    log_path = workdir.parent / f"{provider}-{os.getpid()}.log"
    with run_folder(paths.run_dirs(), f"contract-{provider}-{os.getpid()}") as run_dir:
        confined = confine(config, RunRequest(
            provider=provider, argv=list(inv.argv), workdir=workdir, privacy=privacy,
            run_dir=run_dir, invocation_env=dict(inv.env),
        ))  # fmt: skip
        with relaying(confined):
            outcome = run_process(
                confined.argv, cwd=workdir, env=confined.env, timeout_s=timeout_s,
                log_path=log_path, stdin_text=inv.stdin_text,
            )  # fmt: skip
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    return Ran(outcome, worker.parse(outcome), log)


@dataclass
class RefusingProxy:
    """An HTTP(S) proxy on 127.0.0.1 that refuses every request and records its first line
    (``CONNECT host:443 HTTP/1.1``): a CLI given ``env`` asks the stand-in directly and
    every other host through here."""

    url: str
    asked: list[str] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """The variables that send a CLI's other traffic here."""
        return {"HTTPS_PROXY": self.url, "HTTP_PROXY": self.url, "NO_PROXY": "127.0.0.1"}


@contextmanager
def refusing_proxy() -> Iterator[RefusingProxy]:
    """Run a :class:`RefusingProxy` for the duration of the block."""
    asked: list[str] = []

    class Refuse(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            asked.append(self.rfile.readline().decode(errors="replace").strip())
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Refuse) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield RefusingProxy(f"http://127.0.0.1:{server.server_address[1]}", asked)
        finally:
            server.shutdown()
