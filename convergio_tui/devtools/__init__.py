"""Developer tools: the sample database, its run logs and the dashboard's screenshots.

Nothing a user runs imports this package: the dashboard (``tui/``) never writes, and the
sample it shows in screenshots, UI tests and the dashboard bench is made here.

- ``sample_data``: a plan imported through the real planner, then runs, gate verdicts,
  ledger charges, provider health and an escalation written the way the engine and Thor
  would, at a fixed moment so screenshots are reproducible.
- ``sample_logs``: each run's log, which is what the simulated CLIs (``sim/``) print,
  recorded on a fixed host and prefixed as the engine's runner logs it.
- ``screenshots``: drive the dashboard on the sample and save SVGs
  (``python -m convergio_tui.devtools.screenshots``).

It sits on top of the layers (import-linter): it may import the dashboard, the engine,
the simulators and the store; nothing imports it.
"""
