"""A stand-in model server on 127.0.0.1 that the real provider CLIs talk to in the
contract suite (``tests/contract/``): the Anthropic Messages API, OpenAI chat completions,
Gemini ``streamGenerateContent`` and Ollama's ``/api/version`` and ``/api/tags``.

Test instrument (convergio-sim): fake keys, scripted replies, every request recorded. See
:mod:`convergio_tui.sim.standin.server` and docs/providers.md.
"""

from convergio_tui.sim.standin.script import Reply, ToolCall
from convergio_tui.sim.standin.server import StandIn, serve_standin

__all__ = ["Reply", "StandIn", "ToolCall", "serve_standin"]
