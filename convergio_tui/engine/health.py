"""Provider health (SPEC §6): checks, a TTL cache in ``provider_health``, cooldowns.

A provider is ``up`` when its CLI is on PATH, its ``auth_check`` exits 0 within
``health.check_timeout_s`` and, when it has an ``endpoint`` (OpenCode's Ollama), that
endpoint answers ``/api/version``. Problems a person must fix (CLI missing, not logged
in) make it ``down``; transient ones (a slow check, an endpoint not answering, a rate
limit or auth error seen in a worker's output) put it in ``cooldown`` with exponential
backoff: ``cooldown_base_s * 2**(failures-1)`` capped at ``cooldown_max_s``. A failed
provider is not checked again before its ``cooldown_until``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

from convergio_tui.config.schema import Config, HealthConfig, ProviderConfig
from convergio_tui.store.db import immediate
from convergio_tui.store.models import ProviderHealth, now

# Worker error classes that cool a provider down at once (PROVIDERS.md).
COOLING_ERRORS = ("rate_limit", "auth", "model_not_found")
_refresh_lock = threading.Lock()
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one provider now."""

    provider: str
    state: str  # up | down | cooldown
    latency_ms: float
    detail: str
    version: str | None = None


def backoff_s(config: HealthConfig, failures: int) -> float:
    """Cooldown length after ``failures`` consecutive failures (exponential, capped)."""
    if failures <= 0:
        return 0.0
    return float(min(config.cooldown_max_s, config.cooldown_base_s * 2 ** (failures - 1)))


def _run(argv: list[str], timeout_s: float) -> tuple[int | None, str]:
    """Exit code (None on timeout) and the combined output's last line."""
    try:
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=timeout_s, errors="replace", start_new_session=True,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout_s:g}s"
    except OSError as exc:
        return 127, str(exc)
    lines = (proc.stdout + "\n" + proc.stderr).strip().splitlines()
    return proc.returncode, (lines[-1].strip() if lines else "")


def _endpoint(url: str, models: Iterable[str], timeout_s: float) -> tuple[bool, str]:
    """Ask an Ollama endpoint for its version and pulled models."""
    base = url.rstrip("/")
    try:
        with _NO_PROXY.open(f"{base}/api/version", timeout=timeout_s) as resp:
            version = json.loads(resp.read() or b"{}").get("version", "?")
        with _NO_PROXY.open(f"{base}/api/tags", timeout=timeout_s) as resp:
            tags = json.loads(resp.read() or b"{}").get("models", [])
    except (OSError, ValueError) as exc:
        return False, f"endpoint {base} not answering: {exc}"
    pulled = {str(t.get("name", "")).split(":", 1)[0] for t in tags if isinstance(t, dict)}
    wanted = [m.split("/", 1)[-1].split(":", 1)[0] for m in models]
    missing = [m for m in wanted if m not in pulled]
    detail = f"ollama {version} at {base}"
    if missing:
        detail += f"; models not pulled: {', '.join(missing)}"
    return True, detail


def check_provider(name: str, provider: ProviderConfig, timeout_s: float) -> CheckResult:
    """Check one provider now (runs its CLI; may take up to a few ``timeout_s``)."""
    started = time.monotonic()
    cli = provider.cli[0]

    def result(state: str, detail: str, version: str | None = None) -> CheckResult:
        return CheckResult(name, state, (time.monotonic() - started) * 1000, detail, version)

    if shutil.which(cli) is None:
        return result("down", f"CLI {cli!r} not found on PATH")
    version_argv = [cli, "--version"]
    code, out = _run(version_argv, timeout_s)
    if code is None:
        return result("cooldown", f"`{cli} --version` {out}")
    version = out if code == 0 else None
    if provider.auth_check and provider.auth_check != version_argv:
        code, out = _run(list(provider.auth_check), timeout_s)
    if code is None:
        return result("cooldown", f"auth check `{' '.join(provider.auth_check)}` {out}", version)
    if code != 0:
        what = " ".join(provider.auth_check or version_argv)
        return result("down", f"auth check `{what}` exited {code}: {out}"[:500], version)
    detail = f"{cli} {version or ''}".strip()
    if provider.endpoint:
        ok, text = _endpoint(
            provider.endpoint, [m.id for m in provider.models if m.enabled], timeout_s
        )
        if not ok:
            return result("cooldown", text, version)
        detail += f"; {text}"
    return result("up", detail, version)


def _save(check: CheckResult, config: HealthConfig) -> None:
    with immediate():
        row = ProviderHealth.get_or_none(ProviderHealth.provider == check.provider)
        failures = (row.consecutive_failures if row else 0) + (check.state != "up")
        if check.state == "up":
            failures, until = 0, None
        else:
            until = now() + backoff_s(config, failures)
        values = {
            "checked_at": now(), "state": check.state, "latency_ms": round(check.latency_ms, 1),
            "detail": check.detail, "version": check.version,
            "consecutive_failures": failures, "cooldown_until": until,
        }  # fmt: skip
        if check.state != "up":
            values["last_error"] = check.detail
        if row is None:
            ProviderHealth.create(provider=check.provider, **values)
        else:
            ProviderHealth.update(**values).where(ProviderHealth.id == row.id).execute()


def _due(row: ProviderHealth | None, ttl_s: float, at: float) -> bool:
    if row is None:
        return True
    if row.cooldown_until is not None and row.cooldown_until > at:
        return False  # not before the backoff ends, however old the check is
    if row.state != "up" and row.cooldown_until is not None:
        return True  # the backoff ended: look again
    return at - row.checked_at >= ttl_s


def refresh(
    config: Config, *, force: bool = False, providers: Iterable[str] | None = None
) -> list[str]:
    """Check the (enabled) providers whose cached result is stale; returns those checked.

    Checks run in parallel threads. Without ``force`` a provider is checked when its
    result is older than ``health.ttl_s`` or its cooldown has ended; ``force`` checks all.
    """
    names = list(providers) if providers is not None else config.enabled_providers()
    with _refresh_lock:
        at = now()
        rows = {
            r.provider: r for r in ProviderHealth.select().where(ProviderHealth.provider.in_(names))
        }
        due = [n for n in names if force or _due(rows.get(n), config.health.ttl_s, at)]
        results: dict[str, CheckResult] = {}

        def work(name: str) -> None:
            results[name] = check_provider(
                name, config.providers[name], config.health.check_timeout_s
            )

        threads = [threading.Thread(target=work, args=(n,), name=f"health-{n}") for n in due]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name in due:
            _save(results[name], config.health)
    return due


def report_worker_error(
    config: Config, provider: str, error_class: str, detail: str
) -> float | None:
    """Cool ``provider`` down at once after a rate-limit/auth/model error in a worker's output.

    Returns the new ``cooldown_until`` (None when the error class does not cool).
    """
    if error_class not in COOLING_ERRORS:
        return None
    with immediate():
        row = ProviderHealth.get_or_none(ProviderHealth.provider == provider)
        failures = (row.consecutive_failures if row else 0) + 1
        until = now() + backoff_s(config.health, failures)
        text = f"{error_class.replace('_', ' ')} seen in a run: {detail}"[:500]
        values = {"state": "cooldown", "detail": text, "last_error": text,
                  "consecutive_failures": failures, "cooldown_until": until, "checked_at": now()}  # fmt: skip
        if row is None:
            ProviderHealth.create(provider=provider, **values)
        else:
            ProviderHealth.update(**values).where(ProviderHealth.id == row.id).execute()
    return until


def report_worker_success(provider: str) -> None:
    """A run on ``provider`` succeeded: its failure streak is over (cooldowns stand)."""
    ProviderHealth.update(consecutive_failures=0).where(
        ProviderHealth.provider == provider,
        ProviderHealth.state == "up",
        ProviderHealth.consecutive_failures > 0,
    ).execute()


def next_recovery_at(providers: Iterable[str], at: float | None = None) -> float | None:
    """The earliest future ``cooldown_until`` among ``providers`` (when to look again)."""
    at = now() if at is None else at
    times = [
        r.cooldown_until
        for r in ProviderHealth.select().where(ProviderHealth.provider.in_(list(providers)))
        if r.cooldown_until is not None and r.cooldown_until > at
    ]
    return min(times) if times else None


def health_document(config: Config, at: float | None = None) -> dict[str, dict[str, object]]:
    """The JSON of ``convergio health --json`` (CLI.md), from the cached rows."""
    at = now() if at is None else at
    rows = {r.provider: r for r in ProviderHealth.select()}
    doc: dict[str, dict[str, object]] = {}
    for name in config.providers:
        row = rows.get(name)
        if not config.providers[name].enabled:
            doc[name] = {"state": "down", "latency_ms": None, "detail": "disabled in the configuration",
                         "cooldown_until": None, "enabled": False}  # fmt: skip
            continue
        if row is None:
            doc[name] = {"state": "down", "latency_ms": None, "detail": "not checked yet",
                         "cooldown_until": None}  # fmt: skip
            continue
        state = row.state
        if state == "cooldown" and row.cooldown_until is not None and row.cooldown_until <= at:
            state = "up"  # the cooldown is over; the next check will confirm
        doc[name] = {
            "state": state, "latency_ms": row.latency_ms, "detail": row.detail,
            "cooldown_until": row.cooldown_until if state != "up" else None,
            "version": row.version, "checked_at": row.checked_at,
            "consecutive_failures": row.consecutive_failures,
            "enabled": config.providers[name].enabled,
        }  # fmt: skip
    return doc
