"""Convergio: route coding tasks to AI CLIs and watch them in a Textual dashboard."""

__version__ = "0.1.0"
