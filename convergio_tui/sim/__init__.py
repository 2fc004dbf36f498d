"""Simulated agent CLIs: a test and demo instrument, not a real agent.

``convergio_tui.sim.agent`` speaks the headless argv and the JSON-lines output of
``claude``, ``copilot``, ``gemini`` and ``opencode`` (see docs/providers.md) so the engine,
the provider adapters and the dashboard can run end to end without any network or account.
Behaviour is chosen per run by ``SIM:`` directive lines inside the prompt and by
``CONVERGIO_SIM_*`` environment variables; ``install.install_sim_bin`` puts launchers
named like the real tools into a directory to prepend to ``PATH``. ``ollama`` is a
stand-in for the local Ollama HTTP endpoint.

This package is imported by every simulated process: keep it free of heavy imports.
"""
