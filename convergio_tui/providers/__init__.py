"""Provider adapters: one module per provider CLI (argv builder + output parser) and the shared
subprocess runner (streaming, timeout, process-tree kill, redaction).

``get_adapter("claude").build_invocation(template, prompt, model, workdir)`` gives the
argv, stdin and extra env; ``run_process`` runs it; ``get_adapter(...).parse(outcome)``
turns the outcome into a ``ProviderResult``; ``describer("claude")`` turns one output line
into what a person reads on the dashboard. Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from convergio_tui.providers import claude, copilot, gemini, opencode
from convergio_tui.providers.describe import strip_prefix
from convergio_tui.providers.invocation import Invocation
from convergio_tui.providers.result import ErrorClass, ProviderResult
from convergio_tui.providers.runner import ProcessOutcome, run_process

PROVIDERS = ("claude", "copilot", "gemini", "opencode")


class ProviderAdapter(Protocol):
    """What every provider module offers."""

    NAME: str
    DEFAULT_TEMPLATE: list[str]

    def build_invocation(
        self, template: list[str], prompt: str, model: str, workdir: Path
    ) -> Invocation:
        """argv (template filled), stdin text and extra environment for one run."""
        ...

    def parse(self, outcome: ProcessOutcome) -> ProviderResult:
        """The run's verdict, tokens and cost from its output."""
        ...

    def describe_line(self, line: str) -> str | None:
        """One output line as a person reads it (None: nothing worth showing)."""
        ...


_ADAPTERS: dict[str, ProviderAdapter] = {
    "claude": claude,
    "copilot": copilot,
    "gemini": gemini,
    "opencode": opencode,
}


def get_adapter(provider_name: str) -> ProviderAdapter:
    """The adapter module of a provider; KeyError names the known providers."""
    try:
        return _ADAPTERS[provider_name]
    except KeyError:
        raise KeyError(
            f"no adapter for provider {provider_name!r}; known: {', '.join(PROVIDERS)}"
        ) from None


def describer(provider_name: str) -> Callable[[str], str | None]:
    """The provider's ``describe_line``; for an unknown provider, lines stay as they are."""
    adapter = _ADAPTERS.get(provider_name)
    return adapter.describe_line if adapter is not None else strip_prefix


__all__ = [
    "PROVIDERS",
    "ErrorClass",
    "Invocation",
    "ProcessOutcome",
    "ProviderAdapter",
    "ProviderResult",
    "describer",
    "get_adapter",
    "run_process",
]
