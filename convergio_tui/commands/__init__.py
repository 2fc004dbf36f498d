"""Subcommands of the ``convergio`` CLI, one module each, imported lazily by ``cli.py``."""
