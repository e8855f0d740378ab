"""``python -m sisterqa``: the same command line as the ``sisterqa`` script."""

from sisterqa.cli import main

if __name__ == "__main__":
    main()
