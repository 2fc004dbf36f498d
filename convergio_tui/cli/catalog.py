"""The subcommands and the group's options as data, so ``--help`` can list them without
importing click or any subcommand (docs/cli.md is the contract)."""

from __future__ import annotations

PROG = "convergio"
DESCRIPTION = "Convergio: plan, route, run and validate work across AI coding CLIs."

# name -> (module under convergio_tui.commands, attribute, one-line help).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("init_cmd", "init", "Write orchestrator.yaml into DIR and create the database."),
    "config": ("config_cmd", "config", "Validate the configuration."),
    "plan": ("plan", "plan", "Import, list and show plans."),
    "route": ("route", "route", "Show one routing decision (pure, runs nothing)."),
    "run": ("run", "run", "Execute or resume a plan headless."),
    "dashboard": ("dashboard", "dashboard", "Open the full-screen dashboard."),
    "demo": ("demo", "demo", "Run the built-in demo over simulated agents."),
    "escalations": ("escalations", "escalations", "List and decide escalated tasks."),
    "task": ("task", "task", "Act on one task: rerun it in a new round."),
    "budget": ("budget", "budget", "Today's premium spend against the cap."),
    "health": ("health", "health", "Provider health."),
    "models": ("models", "models", "The model registry: refresh, list, check."),
    "vault": ("vault", "vault", "The encrypted per-project env vault."),
    "worktree": ("worktree", "worktree", "Worktree safety pre-flight."),
    "harden": ("harden", "harden", "Scan a tree for credentials and personal data."),
    "thor": ("thor", "thor", "Thor's gates: the commands they would run (detect)."),
}

# The group's options as its help lists them: (term, help). group.py declares them.
OPTIONS: tuple[tuple[str, str], ...] = (
    ("--config FILE", "Configuration file."),
    ("--db FILE", "SQLite database file."),
    ("--version", "Show the version and exit."),
    ("-h, --help", "Show this message and exit."),
)
