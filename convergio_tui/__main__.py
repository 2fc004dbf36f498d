"""Allow ``python -m convergio_tui``."""

from convergio_tui.cli import main

if __name__ == "__main__":
    main()
