"""The Textual dashboard (``convergio dashboard``): screens, widgets, themes.

``tui.app.create_app`` builds the app for the CLI, the tests and the screenshot script.
Nothing here runs SQL or starts subprocesses: reads go through
``store.queries`` on worker threads, actions through the engine's API.
"""
