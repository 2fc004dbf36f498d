"""What the read-only commands print, built without click or peewee.

Each report takes what it reads from (the configuration, a ``sqlite3`` connection, the
time) and returns the whole text to print, so the click command (convergio_tui/commands)
and the quick command (cli/quick.py) print the same, from one implementation.
"""
