"""Ollama's discovery endpoints: ``/api/version`` and ``/api/tags`` (what Convergio's
health check and opencode's Ollama provider ask before a run)."""

from __future__ import annotations

from convergio_tui.sim.ollama import OLLAMA_VERSION, _model_entry
from convergio_tui.sim.standin.server import Request, Response, StandIn

NAME = "ollama"


def handle(request: Request, standin: StandIn) -> Response | None:
    """Answer the discovery paths; None for any other."""
    if request.path == "/api/version":
        return Response(200, {"version": OLLAMA_VERSION})
    if request.path == "/api/tags":
        return Response(200, {"models": [_model_entry(m) for m in standin.models]})
    return None
