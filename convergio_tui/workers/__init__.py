"""Workers: one module per provider CLI (argv builder + output parser) and the shared
subprocess runner (streaming, timeout, process-tree kill, redaction).

``get_worker("claude").build_invocation(template, prompt, model, workdir)`` gives the
argv, stdin and extra env; ``run_process`` runs it; ``get_worker(...).parse(outcome)``
turns the outcome into a ``WorkerResult``; ``describer("claude")`` turns one output line
into what a person reads on the dashboard. Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from convergio_tui.workers import claude, copilot, gemini, opencode
from convergio_tui.workers.describe import strip_prefix
from convergio_tui.workers.invocation import Invocation
from convergio_tui.workers.result import ErrorClass, WorkerResult
from convergio_tui.workers.runner import ProcessOutcome, run_process

PROVIDERS = ("claude", "copilot", "gemini", "opencode")


class Worker(Protocol):
    """What every provider module offers."""

    NAME: str
    DEFAULT_TEMPLATE: list[str]

    def build_invocation(
        self, template: list[str], prompt: str, model: str, workdir: Path
    ) -> Invocation:
        """argv (template filled), stdin text and extra environment for one run."""
        ...

    def parse(self, outcome: ProcessOutcome) -> WorkerResult:
        """The run's verdict, tokens and cost from its output."""
        ...

    def describe_line(self, line: str) -> str | None:
        """One output line as a person reads it (None: nothing worth showing)."""
        ...


_WORKERS: dict[str, Worker] = {
    "claude": claude,
    "copilot": copilot,
    "gemini": gemini,
    "opencode": opencode,
}


def get_worker(provider_name: str) -> Worker:
    """The worker module of a provider; KeyError names the known providers."""
    try:
        return _WORKERS[provider_name]
    except KeyError:
        raise KeyError(
            f"no worker for provider {provider_name!r}; known: {', '.join(PROVIDERS)}"
        ) from None


def describer(provider_name: str) -> Callable[[str], str | None]:
    """The provider's ``describe_line``; for an unknown provider, lines stay as they are."""
    worker = _WORKERS.get(provider_name)
    return worker.describe_line if worker is not None else strip_prefix


__all__ = [
    "PROVIDERS",
    "ErrorClass",
    "Invocation",
    "ProcessOutcome",
    "Worker",
    "WorkerResult",
    "describer",
    "get_worker",
    "run_process",
]
