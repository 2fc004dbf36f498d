"""``convergio demo [--headless]``: the built-in demo over the simulated agents."""

from __future__ import annotations

import click

from convergio_tui.commands.common import echo, fail


@click.command()
@click.option("--headless", is_flag=True, help="Run without the dashboard and print a summary.")
def demo(headless: bool) -> None:
    """Run the built-in demo: a throw-away project, simulated agents, the real engine.

    Everything lives under $CONVERGIO_HOME/demo (recreated each time); your own database
    and budget are not touched. One demo at a time: a second one is refused (exit 1)
    while the first runs, instead of deleting the first one's folder under it.
    """
    from convergio_tui.demo.setup import DemoBusy, demo_claim

    try:
        with demo_claim():
            _run_demo(headless)
    except DemoBusy as exc:
        fail(f"error: {exc}", 1)


def _run_demo(headless: bool) -> None:
    """Build the demo and run it, in the dashboard or headless (the demo folder is ours)."""
    from convergio_tui.config.loader import load_config
    from convergio_tui.demo.setup import DemoFolderError, activate, build_demo
    from convergio_tui.engine.planner import import_plan
    from convergio_tui.sim.ollama import serve_ollama
    from convergio_tui.store.db import open_database

    with serve_ollama(["qwen3-coder:latest", "llama3.3:latest"]) as ollama_url:
        try:
            setup = build_demo(ollama_url)
        except DemoFolderError as exc:
            raise click.UsageError(str(exc)) from None
        activate(setup)
        config = load_config(setup.config_path)
        open_database(setup.db_path)
        plan_id = import_plan(setup.spec_path, config)
        echo(f"demo project: {setup.project}\ndemo database: {setup.db_path}")
        if headless:
            from convergio_tui.demo.headless import run_headless

            run_headless(config, plan_id, str(setup.db_path))
            return
        from convergio_tui.tui.app import create_app

        app = create_app(setup.db_path, config, plan_id=plan_id, run=True, demo=True)
        app.run()
