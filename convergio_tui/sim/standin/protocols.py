"""The protocol modules the stand-in tries, in order (see :mod:`.server`)."""

from __future__ import annotations

from convergio_tui.sim.standin import ollama_api
from convergio_tui.sim.standin.server import Handler

HANDLERS: list[tuple[str, Handler]] = [(ollama_api.NAME, ollama_api.handle)]

# Each API's module registers itself here when it exists (anthropic, openai, gemini).
for _name in ("anthropic_api", "openai_api", "gemini_api"):
    try:
        _module = __import__(f"convergio_tui.sim.standin.{_name}", fromlist=["handle"])
    except ModuleNotFoundError:
        continue
    HANDLERS.append((_module.NAME, _module.handle))
