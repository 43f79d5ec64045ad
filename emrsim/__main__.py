"""``python -m emrsim``: the command line."""

from emrsim.cli import main

if __name__ == "__main__":
    main()
